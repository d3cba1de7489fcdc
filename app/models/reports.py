"""Reports made through the portal, the outbox that delivers them, and what hangs off them.

A report is committed here first, with an outbox message, in one transaction: the person gets a reference even
when the council's back office is down, and the delivery worker sends it when the back office answers.
"""

import secrets
from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import NEVER_REUSED_IDS, db
from connectors.clock import utcnow

# Crockford's base 32 without the letters people misread (I, L, O, U): references are read over the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    characters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"NFK-{characters[:4]}-{characters[4:]}"


class ReportStatus:
    WAITING = "waiting"  # committed to the outbox, not yet accepted by the back office
    SENT = "sent"  # the back office accepted it and gave its own id
    PARKED = "parked"  # delivery failed too often: an operator must look at it


class Channel:
    """How a report was made, fixed when it is made (claiming a guest report later, or erasing the resident,
    does not change how it came in)."""

    SIGNED_IN = "signed_in"
    GUEST = "guest"
    ASSISTED = "assisted"  # by a council's contact centre, for someone


def _channel_of(context) -> str:
    made = context.get_current_parameters()
    if made.get("staff_channel"):
        return Channel.ASSISTED
    return Channel.SIGNED_IN if made.get("resident_id") else Channel.GUEST


def _council_of_report(context) -> str | None:
    report_id = context.get_current_parameters().get("report_id")
    if report_id is None:
        return None
    return context.connection.scalar(select(Report.council_slug).where(Report.id == report_id))


class MessageStatus:
    PENDING = "pending"
    DELIVERED = "delivered"
    PARKED = "parked"
    CANCELLED = "cancelled"  # a supervisor decided a parked message will never be sent


class MessageKind:
    OPEN311_CREATE = "open311_create"
    EMAIL = "email"
    TEXT_MESSAGE = "text_message"


class ReportDraft(db.Model):
    """A journey in progress, kept server-side so that nothing typed is lost between pages."""

    __tablename__ = "report_drafts"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    report_type: Mapped[str] = mapped_column(String(32))
    made_on: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    # One key per journey, carried in the final form: a second submission of it finds the first report.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        # The insights' durations are read from this index alone (no visit to the table) on PostgreSQL, each
        # council's in order of council, so they need no sorting by council.
        Index(
            "ix_reports_insights",
            "council_slug",
            "created_at",
            postgresql_include=["report_type", "sent_at", "service_request_id"],
        ),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True, default=new_reference)
    report_type: Mapped[str] = mapped_column(String(32), index=True)
    council_slug: Mapped[str] = mapped_column(String(64), index=True)
    service_code: Mapped[str] = mapped_column(String(64))
    made_on: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.WAITING, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # The questions asked and the answers given, as shown to the person and sent as Open311 attributes.
    answers: Mapped[list] = mapped_column(JSON, default=list)
    uprn: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(255))
    postcode: Mapped[str | None] = mapped_column(String(10))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    service_request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the resident who made it deleted their portal data: what they wrote and where goes as soon as
    # the council has it, and the tracking link says the report is no longer available.
    forgotten_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Assisted digital: made by a council's contact centre for the person (phone, face to face, email).
    staff_council_slug: Mapped[str | None] = mapped_column(String(64))
    staff_channel: Mapped[str | None] = mapped_column(String(16))
    staff_agent: Mapped[str | None] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(16), default=_channel_of)

    photos: Mapped[list["Photo"]] = relationship(back_populates="report", order_by="Photo.id")
    messages: Mapped[list["OutboxMessage"]] = relationship(
        back_populates="report", order_by="OutboxMessage.id"
    )


# A signed-in resident's dashboard counts the guest reports made with their email, in any letter case
# (app/reports/claims.py).
Index("ix_reports_lower_email", func.lower(Report.email))


class OutboxMessage(db.Model):
    """Something that must leave the portal: a report for a back office, an email for a person."""

    __tablename__ = "outbox_messages"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    # The council it is sent for (its report's, unless given): parked deliveries are counted per council
    # without reading the reports. None: an email about no one council's service.
    council_slug: Mapped[str | None] = mapped_column(String(64), default=_council_of_report)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.PENDING, index=True)
    # Every attempt ever begun (never reset: above 1, an earlier attempt may have reached the back office)...
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # ...and the failures since it was queued or an operator last retried it (it is parked at the limit).
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # A lease: a worker that dies mid-delivery loses its claim when this passes.
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    report: Mapped[Report | None] = relationship(back_populates="messages")
    attempt_log: Mapped[list["DeliveryAttempt"]] = relationship(
        back_populates="message", order_by="DeliveryAttempt.id"
    )


class DeliveryAttempt(db.Model):
    __tablename__ = "delivery_attempts"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    worker: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | found | failed | parked
    error: Mapped[str | None] = mapped_column(Text)

    message: Mapped[OutboxMessage] = relationship(back_populates="attempt_log")


class Photo(db.Model):
    """A photo with its metadata (EXIF, GPS) already removed: only re-encoded pixels are stored."""

    __tablename__ = "report_photos"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_drafts.id", ondelete="SET NULL"), index=True
    )
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    report: Mapped[Report | None] = relationship(back_populates="photos")


class FeedbackComment:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Feedback(db.Model):
    __tablename__ = "report_feedback"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), unique=True)
    rating: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)
    # A comment is shown to staff only once a supervisor approved it (FeedbackComment); None: no comment.
    comment_status: Mapped[str | None] = mapped_column(String(16), index=True)
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    moderated_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FollowedRequest(db.Model):
    """Someone chose to follow an open report already at the council instead of sending a duplicate."""

    __tablename__ = "followed_requests"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_slug: Mapped[str] = mapped_column(String(64))
    service_request_id: Mapped[str] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MailboxMessage(db.Model):
    """The development mailbox: where email goes when GOV.UK Notify is not configured."""

    __tablename__ = "dev_mailbox"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
