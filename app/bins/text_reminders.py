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
"""

from __future__ import annotations

import logging
import uuid
from datetime import date

from flask import current_app, url_for
from flask_babel import _, format_date
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from app import address_problems, routing
from app.backoffice import registry
from app.bins import BinDays, BinsUnavailable, bin_days
from app.council_services import CouncilService
from app.extensions import db
from app.mobile_numbers import MobileNumber
from app.models.audit import utcnow
from app.models.bins import BinTextReminder, SentBinTextReminder
from app.models.identity import PersonalDataSource, Resident, register_personal_data
from app.models.reports import MessageKind, OutboxMessage
from app.reports.outbox import PermanentFailure, handles
from app.theming import themes
from app.tracking.followers import links_for
from connectors.errors import BadData, ConfigurationError
from connectors.models import NewTextMessage, ServiceKind

log = logging.getLogger(__name__)
STOP_SALT = "bin-text-reminders-stop"


def council_texting(uprn: str | None) -> str | None:
    """The council that collects the bins at this address, when it sends text reminders; None otherwise."""
    if not uprn:
        return None
    try:
        council = routing.council_for(CouncilService.BINS, uprn=uprn).council
    except address_problems.AddressProblem:
        return None
    return council if registry().serves(council, ServiceKind.TEXT_MESSAGES) else None


def text_reminder_of(resident: Resident) -> BinTextReminder | None:
    return db.session.scalar(select(BinTextReminder).where(BinTextReminder.resident_id == resident.id))


def start(resident: Resident, number: MobileNumber) -> None:
    reminder = text_reminder_of(resident)
    if reminder is None:
        db.session.add(BinTextReminder(resident_id=resident.id, mobile_number=number.national))
    elif reminder.mobile_number != number.national:
        reminder.mobile_number = number.national
        reminder.changed_at = utcnow()


def stop(resident: Resident) -> None:
    db.session.execute(delete(BinTextReminder).where(BinTextReminder.resident_id == resident.id))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=STOP_SALT)


def stop_token(resident: Resident) -> str:
    # No expiry: the link in an old text must still work.
    return _serializer().dumps(resident.id)


def resident_from_stop_token(token: str) -> Resident | None:
    """The resident a stop link was made for; None when the link is not ours or the resident has gone."""
    try:
        resident_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return db.session.get(Resident, resident_id) if isinstance(resident_id, int) else None


def text_body(resident: Resident, days: BinDays, day: date, names: list[str]) -> str:
    """The text: short (a text message is 160 characters; this is two or three), with how to stop."""
    with links_for(days.council):
        stop_url = url_for("bins.stop_text_reminders", token=stop_token(resident), _external=True)
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
        try:
            days = bin_days(resident.home_uprn)
        except (address_problems.AddressProblem, BinsUnavailable) as problem:
            log.warning("Text reminder for resident %s not checked: %s", resident.id, type(problem).__name__)
            continue
        if not registry().serves(days.council, ServiceKind.TEXT_MESSAGES):
            continue  # moved to a council that does not send texts: the email reminder still goes
        names = [c.name for c in days.collections if tomorrow in (c.next_date, *c.upcoming)]
        if not names:
            continue
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
        "sent": [{"collection_date": row.collection_date.isoformat(), "uprn": row.uprn} for row in sent],
    }


def _forget(resident: Resident) -> None:
    stop(resident)
    db.session.execute(delete(SentBinTextReminder).where(SentBinTextReminder.resident_id == resident.id))


register_personal_data(PersonalDataSource("bin_text_reminders", _export, _forget))
