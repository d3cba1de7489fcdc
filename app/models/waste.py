"""Paid waste services bought through the portal: bulky waste collections and garden waste subscriptions.

An order is the whole transaction, from the first answer to the booking (or the refund). Its ``reference`` is
the one the resident, GOV.UK Pay and the council's waste system all know it by. Each attempt to pay is an
``OrderPayment`` (a payment at Pay); at most one is in progress at a time, because the order moves from
``draft`` to ``paying`` with a conditional update only one request can win.
"""

from datetime import datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import NEVER_REUSED_IDS, db
from app.models.reports import new_reference
from connectors.clock import utcnow


class OrderKind:
    BULKY = "bulky"
    GARDEN = "garden"


class OrderStatus:
    DRAFT = "draft"  # answers being given; nothing paid
    PAYING = "paying"  # a payment is in progress at GOV.UK Pay
    PAID = "paid"  # paid; the booking waits in the outbox for the back office
    BOOKED = "booked"  # the back office has it (a collection date, or a permit number)
    CANCELLING = "cancelling"  # the resident cancelled; the back office and a refund are in the outbox
    REFUNDING = "refunding"  # a refund is in the outbox (cancelled, or the slot went before it was booked)
    REFUNDED = "refunded"


class RefundReason:
    CANCELLED = "cancelled"
    SLOT_GONE = "slot_gone"


class WasteOrder(db.Model):
    __tablename__ = "waste_orders"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True, default=new_reference)
    # The journey's unguessable address (also Pay's return URL): whoever holds it holds the order.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    council_slug: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.DRAFT, index=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    postcode: Mapped[str | None] = mapped_column(String(10))
    uprn: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    # Bulky: {"items": {code: quantity}, "collection_date": "YYYY-MM-DD", "location": "..."};
    # garden: {"bins": n, "start_date": "YYYY-MM-DD", "renewal": bool}.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    # What was charged, line by line, priced from the council's price list when the payment was made.
    lines: Mapped[list] = mapped_column(JSON, default=list)
    amount_pence: Mapped[int | None] = mapped_column(Integer)
    payment_id: Mapped[str | None] = mapped_column(String(64))
    booking_id: Mapped[str | None] = mapped_column(String(64))
    permit_number: Mapped[str | None] = mapped_column(String(64))
    collection_date: Mapped[datetime | None] = mapped_column(Date)
    start_date: Mapped[datetime | None] = mapped_column(Date)
    end_date: Mapped[datetime | None] = mapped_column(Date)
    refund_reason: Mapped[str | None] = mapped_column(String(16))
    # The private link to the order's page on the council's own domain, for emails the worker sends.
    tracking_url: Mapped[str | None] = mapped_column(String(1000))
    # The last failed payment's GOV.UK Pay code (P0010 declined, P0020 expired, P0030 cancelled), shown once.
    payment_problem: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # When a payment in progress was last asked about (the worker reconciles abandoned ones).
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    payments: Mapped[list["OrderPayment"]] = relationship(back_populates="order", order_by="OrderPayment.id")


class OrderPayment(db.Model):
    """One payment at GOV.UK Pay for an order, with the state Pay last reported."""

    __tablename__ = "waste_order_payments"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("waste_orders.id"), index=True)
    payment_id: Mapped[str] = mapped_column(String(64), unique=True)
    amount_pence: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    refunded_pence: Mapped[int] = mapped_column(Integer, default=0)
    refund_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)

    order: Mapped[WasteOrder] = relationship(back_populates="payments")
