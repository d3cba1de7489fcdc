"""A resident's bin calendar feed and bin day reminders (by email and by text).

The feed's token is a secret in its URL (calendar apps cannot sign in): only its SHA-256 is stored, so a copy
of the table cannot be used to read anyone's calendar. Each reminder sent is recorded once per resident,
address and collection day, so a reminder goes out exactly once however often the worker looks.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import NEVER_REUSED_IDS, db
from app.models.audit import utcnow


class BinCalendarFeed(db.Model):
    __tablename__ = "bin_calendar_feeds"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BinReminder(db.Model):
    """A resident asked to be emailed the day before each collection at their home address."""

    __tablename__ = "bin_reminders"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SentBinReminder(db.Model):
    __tablename__ = "bin_reminders_sent"
    __table_args__ = (
        UniqueConstraint("resident_id", "uprn", "collection_date", name="uq_bin_reminders_sent_collection"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    uprn: Mapped[str] = mapped_column(String(12))
    collection_date: Mapped[date] = mapped_column(Date)
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BinTextReminder(db.Model):
    """A resident asked to be texted the day before each collection at their home address, at this mobile
    number (07 and nine digits). Nothing is texted to it but the security code until the resident has typed
    that code in (``confirmed_at``): only the number's owner can ask for reminders to it.

    The code itself is never stored: ``code_digest`` is its HMAC (keyed by the portal's secret, over the
    resident and number too, so a copy of the table cannot be used to guess codes offline); it is cleared once
    used, and after too many wrong tries."""

    __tablename__ = "bin_text_reminders"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), unique=True)
    mobile_number: Mapped[str] = mapped_column(String(11))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    code_digest: Mapped[str | None] = mapped_column(String(64))
    code_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SentBinTextReminder(db.Model):
    """A text reminder queued: one per resident, address and collection day, as for emails."""

    __tablename__ = "bin_text_reminders_sent"
    __table_args__ = (
        UniqueConstraint(
            "resident_id", "uprn", "collection_date", name="uq_bin_text_reminders_sent_collection"
        ),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    uprn: Mapped[str] = mapped_column(String(12))
    collection_date: Mapped[date] = mapped_column(Date)
    council: Mapped[str] = mapped_column(String(64))
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
