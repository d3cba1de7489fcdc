"""Tracking requests after they reach a council: what changed (status events), who wants to hear about it
(subscriptions and the notifications sent to them), where each back office poll got to (poll cursors), and
what residents added to a case (case updates, delivered through the outbox).

Every change is recorded once: a status event is unique per (council, source, external id), and a notification
is unique per (event, subscription), so a poll that runs twice, or two workers polling at once, cannot email a
follower twice about the same change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import NEVER_REUSED_IDS, db
from connectors.clock import utcnow


class EventSource:
    OPEN311 = "open311"
    CRM = "crm"


class StatusEvent(db.Model):
    """A status change or public note from a council's back office, as the portal first saw it."""

    __tablename__ = "tracking_status_events"
    __table_args__ = (
        UniqueConstraint("council_slug", "source", "external_id", name="uq_tracking_status_events_external"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_slug: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    # The Open311 service_request_id, or the CRM's case reference.
    case_key: Mapped[str] = mapped_column(String(64), index=True)
    # The back office's own id for the change (Open311 update_id), or a key derived from its position.
    external_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    media_url: Mapped[str | None] = mapped_column(String(2048))
    # Who the council says is responsible, when it closed the case as someone else's.
    responsible: Mapped[str | None] = mapped_column(String(255))
    happened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Subscription(db.Model):
    """Someone following a request: its reporter, a resident who clicked "follow", or a guest who confirmed
    by email. Unsubscribing keeps the row (unsubscribed_at) so the reporter is not silently re-added."""

    __tablename__ = "tracking_subscriptions"
    __table_args__ = (
        UniqueConstraint(
            "council_slug", "service_request_id", "email", name="uq_tracking_subscriptions_follower"
        ),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_slug: Mapped[str] = mapped_column(String(64))
    service_request_id: Mapped[str] = mapped_column(String(64), index=True)
    email: Mapped[str] = mapped_column(String(320))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When a guest was last sent the "confirm you want updates" email: no other is sent while it works.
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class Notification(db.Model):
    """One email to one follower about one change: the unique constraint is what makes it exactly once."""

    __tablename__ = "tracking_notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id", name="uq_tracking_notifications_once"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("tracking_status_events.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("tracking_subscriptions.id", ondelete="CASCADE"), index=True
    )
    outbox_message_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PollCursor(db.Model):
    """How far the status sync got with one back office, and when to ask it again (with backoff)."""

    __tablename__ = "tracking_poll_cursors"

    council_slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    # The newest change seen so far, in the back office's clock.
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_poll_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A lease, so that two workers do not poll the same back office at once.
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CaseUpdateKind:
    COMMENT = "comment"
    NOT_FIXED = "not_fixed"


class CaseUpdate(db.Model):
    """Something a resident added to a case: a comment or photo, or "this is not fixed". The case is either a
    report made through the portal (report_id), sent as an Open311 update, or a case in a council's CRM
    (crm_council_slug and crm_reference), sent over the cases contract."""

    __tablename__ = "tracking_case_updates"
    __table_args__ = (
        CheckConstraint("(report_id IS NULL) != (crm_reference IS NULL)", name="one_case"),
        Index("ix_tracking_case_updates_crm_case", "crm_council_slug", "crm_reference"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    crm_council_slug: Mapped[str | None] = mapped_column(String(64))
    crm_reference: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("report_photos.id", ondelete="SET NULL"))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    # Added for the resident by this council's contact centre (assisted digital): how they were in touch,
    # and the agent who added it.
    staff_council_slug: Mapped[str | None] = mapped_column(String(64))
    staff_channel: Mapped[str | None] = mapped_column(String(16))
    staff_agent: Mapped[str | None] = mapped_column(String(255))
    # The back office's id for the update once delivered; None while it waits in the outbox.
    back_office_update_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the council's CRM refused it (the case no longer took this kind of update): it was not sent.
    refused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    photo = relationship("Photo")
