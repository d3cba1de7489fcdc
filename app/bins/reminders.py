"""Bin day reminders: an email the day before each collection at the resident's home address (and a text,
where the council sends them: app/bins/text_reminders.py).

The delivery worker runs ``send_due`` as one of its steps (at most every REMINDER_CHECK_MINUTES): for every
resident who asked, it looks up their collections and, when one is tomorrow, queues one email in the outbox
for that day's bins (and a text for those who asked for texts). A row in bin_reminders_sent (unique per
resident, address and day) is written in the same transaction, so however many workers look, however often,
each collection day is reminded once.

Every email carries a signed stop link that works without signing in (and GOV.UK Notify's one-click
unsubscribe header).
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import _, format_date
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from app.bins import collections_on, text_reminders
from app.bins.stop_links import StopLinks
from app.extensions import db
from app.models.bins import BinReminder, SentBinReminder
from app.models.identity import PersonalDataSource, Resident, register_personal_data
from app.reports.links import links_for
from app.reports.mail import Email, queue_email

log = logging.getLogger(__name__)
STOP_LINKS = StopLinks("bin-reminders-stop")
LONDON = ZoneInfo("Europe/London")


def today_in_norfolk() -> date:
    return datetime.now(LONDON).date()


def reminder_of(resident: Resident) -> BinReminder | None:
    return db.session.scalar(select(BinReminder).where(BinReminder.resident_id == resident.id))


def start(resident: Resident) -> None:
    if reminder_of(resident) is None:
        db.session.add(BinReminder(resident_id=resident.id))


def stop(resident: Resident) -> None:
    db.session.execute(delete(BinReminder).where(BinReminder.resident_id == resident.id))


def _email(resident: Resident, council: str, day: date, names: list[str]) -> Email:
    with links_for(council):
        stop_url = url_for("bins.stop_reminders", token=STOP_LINKS.token(resident), _external=True)
        when = format_date(day, "EEEE d MMMM")
        body = "\n\n".join(
            [
                _("Tomorrow, %(day)s, these bins are collected:", day=when),
                "\n".join(f"* {name}" for name in names),
                _("To stop these reminders: %(url)s", url=stop_url),
            ]
        )
        subject = _("Bin collection tomorrow: %(bins)s", bins=", ".join(names))
    return Email(to=resident.email, subject=subject, body=body, unsubscribe_url=stop_url)


def send_due(today: date | None = None) -> int:
    """Queue tomorrow's reminders (emails and texts) that have not been queued yet; returns how many were
    queued."""
    tomorrow = (today or today_in_norfolk()) + timedelta(days=1)
    return _queue_emails(tomorrow) + text_reminders.queue_due(tomorrow)


def _queue_emails(tomorrow: date) -> int:
    residents = db.session.scalars(
        select(Resident)
        .join(BinReminder, BinReminder.resident_id == Resident.id)
        .where(Resident.home_uprn.is_not(None), Resident.email.is_not(None))
        .where(
            ~exists().where(
                SentBinReminder.resident_id == Resident.id,
                SentBinReminder.uprn == Resident.home_uprn,
                SentBinReminder.collection_date == tomorrow,
            )
        )
        .order_by(Resident.id)
    ).all()
    queued = 0
    for resident in residents:
        found = collections_on(tomorrow, resident.home_uprn, "Bin reminder", resident.id)
        if found is None:
            continue
        days, names = found
        message = queue_email(_email(resident, days.council, tomorrow, names), council=days.council)
        db.session.flush()
        db.session.add(
            SentBinReminder(
                resident_id=resident.id,
                uprn=resident.home_uprn,
                collection_date=tomorrow,
                outbox_message_id=message.id,
            )
        )
        try:
            db.session.commit()
        except IntegrityError:  # another worker queued this one first
            db.session.rollback()
            continue
        queued += 1
    return queued


def worker_step_every(minutes: float):
    """The worker step: send_due, at most once every `minutes`."""
    next_run = 0.0

    def bin_reminders(worker: str) -> None:
        nonlocal next_run
        if time.monotonic() < next_run:
            return
        next_run = time.monotonic() + minutes * 60
        queued = send_due()
        if queued:
            log.info("Worker %s queued %s bin reminder(s)", worker, queued)

    return bin_reminders


def _export(resident: Resident) -> dict:
    reminder = reminder_of(resident)
    sent = db.session.scalars(
        select(SentBinReminder).where(SentBinReminder.resident_id == resident.id).order_by(SentBinReminder.id)
    )
    return {
        "reminders_on": reminder is not None,
        "asked_at": reminder.created_at.isoformat() if reminder else None,
        "sent": [{"collection_date": row.collection_date.isoformat(), "uprn": row.uprn} for row in sent],
    }


def _forget(resident: Resident) -> None:
    stop(resident)
    db.session.execute(delete(SentBinReminder).where(SentBinReminder.resident_id == resident.id))


register_personal_data(PersonalDataSource("bin_reminders", _export, _forget))
