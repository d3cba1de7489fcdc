"""Bin day reminders by text message, where the council that collects a resident's bins sends text messages
(a ``text_messages`` connector in the deployment file: its GOV.UK Notify service and template).

The worker queues them with the email reminders (app/bins/reminders.py's ``send_due``): one row in
bin_text_reminders_sent per resident, address and collection day, written in the transaction that queues the
outbox message, so each collection is texted once. The outbox message holds no phone number: the number is
read when the text is sent, so a resident who stops reminders or deletes their data before then is not
texted, and a changed number is the one used. A retried delivery first asks Notify whether the earlier
attempt arrived (by the message's reference) before sending again.

Every text says how to stop: a signed link that works without signing in; the account's bin page stops them
too.

A number is texted nothing but a security code until the resident types that code in: otherwise anyone signed
in could have reminders sent to someone else's phone. The code is six random digits (``secrets``), kept only
as an HMAC, works for TEXT_REMINDER_CODE_MINUTES and TEXT_REMINDER_CODE_TRIES wrong tries, and is compared in
constant time. Codes texted count against TEXT_REMINDER_NUMBER_RATE_LIMIT for the resident and for the
number, and a new one can be asked for only TEXT_REMINDER_CODE_RESEND_SECONDS after the last.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from flask import current_app, url_for
from flask_babel import _, format_date
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from app import address_problems, rate_limits, routing
from app.backoffice import registry
from app.bins import BinDays, collections_on
from app.bins.stop_links import StopLinks
from app.council_services import CouncilService
from app.extensions import db
from app.mobile_numbers import MobileNumber
from app.models.audit import utcnow
from app.models.bins import BinTextReminder, SentBinTextReminder
from app.models.identity import PersonalDataSource, Resident, register_personal_data
from app.models.reports import MessageKind, OutboxMessage
from app.reports.links import links_for
from app.reports.outbox import PermanentFailure, handles
from app.theming import themes
from connectors.errors import BadData, ConfigurationError, ConnectorError
from connectors.models import NewTextMessage, ServiceKind, TextTemplate

log = logging.getLogger(__name__)
STOP_LINKS = StopLinks("bin-text-reminders-stop")
CODE_DIGITS = 6
RATE_LIMIT = "TEXT_REMINDER_NUMBER_RATE_LIMIT"


def council_texting(uprn: str | None) -> str | None:
    """The council that collects the bins at this address, when it sends text reminders; None otherwise."""
    if not uprn:
        return None
    try:
        council = routing.council_for(CouncilService.BINS, uprn=uprn).council
    except address_problems.AddressProblem:
        return None
    return council if registry().serves(council, ServiceKind.TEXT_MESSAGES) else None


def text_reminder_of(resident: Resident, *, lock: bool = False) -> BinTextReminder | None:
    """The resident's text reminder; ``lock`` holds its row until the transaction ends, so two requests at
    once cannot both use the same wrong try or code."""
    query = select(BinTextReminder).where(BinTextReminder.resident_id == resident.id)
    return db.session.scalar(query.with_for_update() if lock else query)


def start(resident: Resident, number: MobileNumber) -> BinTextReminder:
    """Ask for texts to this number: a new or changed number is unconfirmed until its code is typed in."""
    reminder = text_reminder_of(resident)
    if reminder is None:
        reminder = BinTextReminder(resident_id=resident.id, mobile_number=number.national, wrong_codes=0)
        db.session.add(reminder)
    elif reminder.mobile_number != number.national:
        reminder.mobile_number = number.national
        reminder.changed_at = utcnow()
        reminder.confirmed_at = None
        reminder.code_digest = None
        reminder.code_sent_at = None
    return reminder


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; everything stored is UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class CodeNotSent(Exception):
    """No code was texted: ``message`` says why and what to do; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


def _digest(reminder: BinTextReminder, code: str) -> str:
    message = "\x1f".join(("bin-text-reminder-code", str(reminder.resident_id), reminder.mobile_number, code))
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message.encode(), hashlib.sha256).hexdigest()


def code_expires_at(reminder: BinTextReminder) -> datetime | None:
    sent = _aware(reminder.code_sent_at)
    return sent + timedelta(minutes=current_app.config["TEXT_REMINDER_CODE_MINUTES"]) if sent else None


def new_code_from(reminder: BinTextReminder) -> datetime | None:
    """When a new code may be asked for (a text can take a minute to arrive); None when it may be now."""
    sent = _aware(reminder.code_sent_at)
    if sent is None or reminder.code_digest is None:
        return None  # no code that still works: a new one may be sent at once
    allowed = sent + timedelta(seconds=current_app.config["TEXT_REMINDER_CODE_RESEND_SECONDS"])
    return allowed if allowed > utcnow() else None


def code_is_live(reminder: BinTextReminder) -> bool:
    """Whether the code texted can still confirm the number (not used up, not expired)."""
    return reminder.code_digest is not None and code_expires_at(reminder) > utcnow()


def send_code(resident: Resident, reminder: BinTextReminder, council: str) -> None:
    """Text a new security code to the reminder's number through the council's Notify service, replacing any
    earlier code; CodeNotSent when the limits say no or Notify did not take it. The caller commits."""
    blocked = rate_limits.blocked_until(RATE_LIMIT, "resident", str(resident.id))
    blocked = blocked or rate_limits.blocked_until(RATE_LIMIT, "number", reminder.mobile_number)
    if blocked:
        raise CodeNotSent(
            _(
                "You have asked for too many security codes. Try again after %(time)s",
                time=rate_limits.when(blocked),
            ),
            429,
        )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    minutes = current_app.config["TEXT_REMINDER_CODE_MINUTES"]
    body = _(
        "%(code)s is your security code from %(council)s to confirm this number for bin day reminders. "
        "It expires in %(minutes)s minutes. If you did not ask for it, you can ignore this text.",
        code=code,
        council=themes().get(council).name,
        minutes=minutes,
    )
    try:
        registry().text_messages(council).send(
            NewTextMessage(
                phone_number=reminder.mobile_number,
                personalisation={"body": body},
                reference=f"confirm-number-{uuid.uuid4()}",
                template=TextTemplate.CONFIRMATION_CODE,
            )
        )
    except (ConnectorError, ConfigurationError) as error:
        log.warning("Security code for resident %s not sent: %s", resident.id, type(error).__name__)
        raise CodeNotSent(
            _(
                "We could not send a text to %(number)s just now. Check the number, or try again in a few "
                "minutes",
                number=MobileNumber(reminder.mobile_number).shown(),
            ),
            503,
        ) from None
    rate_limits.count(RATE_LIMIT, "resident", str(resident.id))
    rate_limits.count(RATE_LIMIT, "number", reminder.mobile_number)
    reminder.code_digest = _digest(reminder, code)
    reminder.code_sent_at = utcnow()
    reminder.wrong_codes = 0


class CodeCheck(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED_UP = "used up"  # too many wrong tries, or no code sent: only a new code will do


@dataclass(frozen=True)
class CodeAnswer:
    check: CodeCheck
    tries_left: int = 0


def confirm(reminder: BinTextReminder, typed: str) -> CodeAnswer:
    """Check the code typed (six digits) against the one texted; the right one confirms the number. Every
    wrong try counts, and the last one clears the code. The caller commits, having locked the row."""
    tries = current_app.config["TEXT_REMINDER_CODE_TRIES"]
    if reminder.code_digest is None or reminder.code_sent_at is None:
        return CodeAnswer(CodeCheck.USED_UP)
    if code_expires_at(reminder) <= utcnow():
        return CodeAnswer(CodeCheck.EXPIRED)
    if hmac.compare_digest(reminder.code_digest, _digest(reminder, typed)):
        reminder.confirmed_at = utcnow()
        reminder.code_digest = None
        reminder.wrong_codes = 0
        return CodeAnswer(CodeCheck.RIGHT)
    reminder.wrong_codes += 1
    if reminder.wrong_codes >= tries:
        reminder.code_digest = None
        return CodeAnswer(CodeCheck.USED_UP)
    return CodeAnswer(CodeCheck.WRONG, tries_left=tries - reminder.wrong_codes)


def stop(resident: Resident) -> None:
    db.session.execute(delete(BinTextReminder).where(BinTextReminder.resident_id == resident.id))


def text_body(resident: Resident, days: BinDays, day: date, names: list[str]) -> str:
    """The text: short (a text message is 160 characters; this is two or three), with how to stop."""
    with links_for(days.council):
        stop_url = url_for("bins.stop_text_reminders", token=STOP_LINKS.token(resident), _external=True)
        return _(
            "%(council)s: bins out for tomorrow, %(day)s: %(bins)s. To stop these texts: %(url)s",
            council=themes().get(days.council).name,
            day=format_date(day, "EEEE d MMMM"),
            bins=", ".join(names),
            url=stop_url,
        )


def queue_due(tomorrow: date) -> int:
    """Queue the text reminders for collections tomorrow not queued yet; returns how many were queued."""
    residents = db.session.scalars(
        select(Resident)
        .join(BinTextReminder, BinTextReminder.resident_id == Resident.id)
        .where(BinTextReminder.confirmed_at.is_not(None))
        .where(Resident.home_uprn.is_not(None))
        .where(
            ~exists().where(
                SentBinTextReminder.resident_id == Resident.id,
                SentBinTextReminder.uprn == Resident.home_uprn,
                SentBinTextReminder.collection_date == tomorrow,
            )
        )
        .order_by(Resident.id)
    ).all()
    queued = 0
    for resident in residents:
        found = collections_on(tomorrow, resident.home_uprn, "Text reminder", resident.id)
        if found is None:
            continue
        days, names = found
        if not registry().serves(days.council, ServiceKind.TEXT_MESSAGES):
            continue  # moved to a council that does not send texts: the email reminder still goes
        sent = SentBinTextReminder(
            resident_id=resident.id, uprn=resident.home_uprn, collection_date=tomorrow, council=days.council
        )
        db.session.add(sent)
        try:
            db.session.flush()
        except IntegrityError:  # another worker queued this one first
            db.session.rollback()
            continue
        message = OutboxMessage(
            kind=MessageKind.TEXT_MESSAGE,
            payload={
                "sent_reminder_id": sent.id,
                "council": days.council,
                # Unique however many portals (a staging one, say) share the council's Notify service.
                "reference": f"bin-reminder-{uuid.uuid4()}",
                "body": text_body(resident, days, tomorrow, names),
            },
        )
        db.session.add(message)
        db.session.flush()
        sent.outbox_message_id = message.id
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        queued += 1
    return queued


@handles(MessageKind.TEXT_MESSAGE)
def _deliver_text(message: OutboxMessage) -> str:
    payload = message.payload
    sent = db.session.get(SentBinTextReminder, payload["sent_reminder_id"])
    reminder = (
        db.session.scalar(select(BinTextReminder).where(BinTextReminder.resident_id == sent.resident_id))
        if sent is not None
        else None
    )
    if reminder is None:
        return "stopped"  # the resident stopped text reminders, or deleted their data
    if reminder.confirmed_at is None:
        return "unconfirmed"  # the number changed since, and its code has not been typed in yet
    try:
        texts = registry().text_messages(payload["council"])
    except ConfigurationError as error:
        raise PermanentFailure(f"{payload['council']} does not send text messages: {error}") from None
    if message.attempts > 1 and texts.sent_with_reference(payload["reference"]):
        return "found"  # an earlier attempt reached Notify; its answer was lost
    try:
        texts.send(
            NewTextMessage(
                phone_number=reminder.mobile_number,
                personalisation={"body": payload["body"]},
                reference=payload["reference"],
            )
        )
    except BadData as error:
        # Notify's 400s (a number it cannot text, an unknown template) fail the same way every time.
        raise PermanentFailure(f"GOV.UK Notify refused the text: {error.code or error.detail}") from None
    return "delivered"


def _export(resident: Resident) -> dict:
    reminder = text_reminder_of(resident)
    sent = db.session.scalars(
        select(SentBinTextReminder)
        .where(SentBinTextReminder.resident_id == resident.id)
        .order_by(SentBinTextReminder.id)
    )
    return {
        "mobile_number": reminder.mobile_number if reminder else None,
        "asked_at": reminder.created_at.isoformat() if reminder else None,
        "number_changed_at": reminder.changed_at.isoformat() if reminder else None,
        "number_confirmed_at": (
            reminder.confirmed_at.isoformat() if reminder and reminder.confirmed_at else None
        ),
        "security_code_sent_at": (
            reminder.code_sent_at.isoformat() if reminder and reminder.code_sent_at else None
        ),
        "sent": [{"collection_date": row.collection_date.isoformat(), "uprn": row.uprn} for row in sent],
    }


def _forget(resident: Resident) -> None:
    stop(resident)
    db.session.execute(delete(SentBinTextReminder).where(SentBinTextReminder.resident_id == resident.id))


register_personal_data(PersonalDataSource("bin_text_reminders", _export, _forget))
