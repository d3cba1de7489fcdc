"""Council staff's footprint in the portal: the audit trail of every look and action (hash-chained), and the
contact notes agents keep about residents. Staff themselves are not stored: who they are and what they may
do comes from the workforce identity provider at each sign-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import NEVER_REUSED_IDS, db
from app.models.audit import utcnow

GENESIS_HASH = "0" * 64


class StaffAuditEntry(db.Model):
    """One staff look or action. Append-only: entry_hash is the SHA-256 of the entry's fields and the hash of
    the entry before it (previous_hash, unique, so the chain cannot fork), so changing or removing an entry
    breaks every hash after it (app.staff.audit.verify)."""

    __tablename__ = "staff_audit_entries"
    # Ids are never reused, also on SQLite after a retention purge.
    __table_args__ = NEVER_REUSED_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    staff_subject: Mapped[str] = mapped_column(String(255), index=True)
    staff_name: Mapped[str | None] = mapped_column(String(255))
    staff_email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str | None] = mapped_column(String(32))
    council_slug: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    # A resident's id, not a foreign key: the trail outlives the account it is about.
    resident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reason_text: Mapped[str | None] = mapped_column(Text)
    # The report or case reference acted on.
    reference: Mapped[str | None] = mapped_column(String(64), index=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    client_address: Mapped[str | None] = mapped_column(String(64))
    previous_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class StaffAuditHead(db.Model):
    """The newest entry's hash, in one row: appending locks this row first, so appends happen one at a time on
    every database."""

    __tablename__ = "staff_audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_hash: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer, default=0)


class ContactNote(db.Model):
    """What a resident contacted the council about, as the agent who took the contact summarised it."""

    __tablename__ = "staff_contact_notes"
    __table_args__ = NEVER_REUSED_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    council_slug: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    staff_subject: Mapped[str] = mapped_column(String(255))
    staff_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
