"""Paying for a waste service and booking it, exactly once.

The order's life: ``draft`` while the resident answers; ``paying`` once a payment is created at GOV.UK Pay
(a conditional update from ``draft`` that only one request can win, so there is never a second payment in
progress); ``paid`` when Pay says the payment succeeded, in the same transaction as the outbox message that
books it (again a conditional update from ``paying``: only one request, return page or worker, queues the
booking); ``booked`` when the back office has it. A booking the back office refuses because the day has gone
becomes ``refunding`` then ``refunded``, with the resident told by email; a resident's cancellation goes
``cancelling``, ``refunding``, ``refunded``.

Towards the back offices everything goes through the outbox (app/reports/outbox.py), which retries until they
answer. Booking is at least once, made exactly once by looking for the portal reference (``GET
/bookings?reference=``) before any retry; a refund is made once by reading the payment's refund summary first.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, or_, select, update

from app.backoffice import registry
from app.extensions import db
from app.models.reports import MessageStatus, OutboxMessage
from app.models.waste import OrderKind, OrderPayment, OrderStatus, RefundReason, WasteOrder
from app.reports import outbox
from app.reports.links import links_for
from app.reports.mail import Email, queue_email
from app.reports.outbox import PermanentFailure, handles
from app.themes import WastePrices
from app.theming import themes
from connectors.clock import as_utc, utcnow
from connectors.errors import BadData, ConnectorError
from connectors.models import (
    BulkyItem,
    NewBulkyBooking,
    NewGardenSubscription,
    NewPayment,
    Payment,
    SlotUnavailable,
    TooLateToCancel,
    WasteBooking,
)

log = logging.getLogger(__name__)

BOOK = "waste_book"
CANCEL = "waste_cancel"
REFUND = "waste_refund"
# Pay's own limit: a payment nobody finished has expired after 90 minutes.
PAY_EXPIRES_AFTER = timedelta(minutes=90)


# --- prices -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_pence: int

    @property
    def total_pence(self) -> int:
        return self.quantity * self.unit_pence

    def as_dict(self) -> dict:
        return {
            "description": self.description,
            "quantity": self.quantity,
            "unit_pence": self.unit_pence,
            "total_pence": self.total_pence,
        }


def prices_for(council_slug: str) -> WastePrices | None:
    return themes().get(council_slug).waste


def lines_for(order: WasteOrder) -> list[Line]:
    """What the order costs, line by line, from the council's price list today: never from the browser."""
    prices = prices_for(order.council_slug)
    if prices is None:
        return []
    if order.kind == OrderKind.GARDEN:
        bins = int(order.answers.get("bins") or 0)
        lines = (
            [Line(_("Garden waste subscription, first bin"), 1, prices.garden_first_bin_pence)]
            if bins
            else []
        )
        if bins > 1:
            lines.append(
                Line(
                    _("Garden waste subscription, each further bin"),
                    bins - 1,
                    prices.garden_further_bin_pence,
                )
            )
        return lines
    lines = []
    for item in prices.bulky_items:
        quantity = int((order.answers.get("items") or {}).get(item.code) or 0)
        if quantity > 0:
            lines.append(Line(item.name, quantity, item.price_pence))
    return lines


def total_pence(lines: list[Line]) -> int:
    return sum(line.total_pence for line in lines)


def money(pence: int | None) -> str:
    return f"£{(pence or 0) / 100:,.2f}"


def describe(order: WasteOrder) -> str:
    if order.kind == OrderKind.GARDEN:
        bins = int(order.answers.get("bins") or 0)
        return ngettext(
            "Garden waste subscription: %(num)s bin", "Garden waste subscription: %(num)s bins", bins
        )
    count = sum(int(quantity) for quantity in (order.answers.get("items") or {}).values())
    return ngettext("Bulky waste collection: %(num)s item", "Bulky waste collection: %(num)s items", count)


# --- paying -------------------------------------------------------------------------------------------------


class PaymentInProgress(Exception):
    """Another tab or window has already started paying for this order."""


class PaymentsUnavailable(Exception):
    """GOV.UK Pay did not answer, or refused: nothing was charged."""


def start_payment(order: WasteOrder, return_url: str, language: str = "en") -> str:
    """Create the order's payment at Pay and return the ``next_url`` to send the payer to. The amount is
    priced here, from the price list. Raises PaymentInProgress when another request already started one."""
    lines = lines_for(order)
    amount = total_pence(lines)
    if amount <= 0:
        raise ValueError("an order with nothing to pay for")
    won = db.session.execute(
        update(WasteOrder)
        .where(WasteOrder.id == order.id, WasteOrder.status == OrderStatus.DRAFT)
        .values(
            status=OrderStatus.PAYING,
            lines=[line.as_dict() for line in lines],
            amount_pence=amount,
            payment_id=None,
            payment_problem=None,
            checked_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if won != 1:
        raise PaymentInProgress(order.reference)
    db.session.refresh(order)
    try:
        payment = (
            registry()
            .payments(order.council_slug)
            .create_payment(
                NewPayment(
                    amount_pence=amount,
                    reference=order.reference,
                    description=describe(order),
                    return_url=return_url,
                    email=order.email,
                    language=language if language in ("en", "cy") else "en",
                )
            )
        )
    except ConnectorError as error:
        log.warning("GOV.UK Pay could not create a payment for %s: %s", order.reference, error)
        _cancel_unanswered(order)
        _back_to_draft(order, None)
        raise PaymentsUnavailable(order.reference) from None
    order.payment_id = payment.payment_id
    db.session.add(
        OrderPayment(order=order, payment_id=payment.payment_id, amount_pence=amount, status=payment.status)
    )
    db.session.commit()
    if not payment.next_url:
        raise PaymentsUnavailable(order.reference)
    return payment.next_url


def _cancel_unanswered(order: WasteOrder) -> None:
    """Pay may have created the payment before its answer was lost: cancel any in progress, so that the
    next attempt is the only one (when Pay cannot be asked, nobody has its next_url to pay it anyway)."""
    pay = registry().payments(order.council_slug)
    try:
        for payment in pay.payments_with_reference(order.reference):
            if payment.in_progress:
                pay.cancel_payment(payment.payment_id)
    except ConnectorError:
        pass


def _back_to_draft(order: WasteOrder, problem: str | None) -> None:
    db.session.execute(
        update(WasteOrder)
        .where(WasteOrder.id == order.id, WasteOrder.status == OrderStatus.PAYING)
        .values(status=OrderStatus.DRAFT, payment_id=None, payment_problem=problem, checked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(order)


def restart_payment(order: WasteOrder) -> None:
    """Give up the payment in progress (the payer closed its tab, or wants to start again): cancelled at Pay
    first, so it can never be paid alongside a new one. A payment that finished meanwhile is acted on."""
    if order.status != OrderStatus.PAYING:
        return
    pay = registry().payments(order.council_slug)
    if order.payment_id:
        try:
            pay.cancel_payment(order.payment_id)
        except BadData:
            pass  # it finished meanwhile: reconcile reads how
        except ConnectorError:
            raise PaymentsUnavailable(order.reference) from None
    reconcile(order)


def reconcile(order: WasteOrder) -> WasteOrder:
    """Act on what Pay says about the order's payment: book it when paid, go back to the answers when it
    failed, wait while it is in progress. Raises PaymentsUnavailable when Pay does not answer."""
    if order.status != OrderStatus.PAYING:
        return order
    pay = registry().payments(order.council_slug)
    try:
        if order.payment_id:
            payment = pay.payment(order.payment_id)
        else:
            # The payment was being created when the portal stopped: find it by reference.
            found = pay.payments_with_reference(order.reference)
            payment = next((p for p in found if p.succeeded), None) or next(
                (p for p in found if p.in_progress), None
            )
    except ConnectorError as error:
        log.warning("GOV.UK Pay could not say how payment for %s went: %s", order.reference, error)
        order.checked_at = utcnow()
        db.session.commit()
        raise PaymentsUnavailable(order.reference) from None
    if payment is None:
        if as_utc(order.checked_at) and utcnow() - as_utc(order.updated_at) > timedelta(minutes=5):
            _back_to_draft(order, None)
        return order
    _record(order, payment)
    if payment.succeeded:
        _paid(order, payment)
    elif payment.finished:
        _back_to_draft(order, payment.code or payment.status)
    else:
        order.checked_at = utcnow()
        db.session.commit()
    return order


def _record(order: WasteOrder, payment: Payment) -> None:
    stored = db.session.scalars(select(OrderPayment).filter_by(payment_id=payment.payment_id)).one_or_none()
    if stored is None:
        stored = OrderPayment(order=order, payment_id=payment.payment_id, amount_pence=payment.amount_pence)
        db.session.add(stored)
    stored.status = payment.status
    stored.code = payment.code
    if order.payment_id is None:
        order.payment_id = payment.payment_id


def _paid(order: WasteOrder, payment: Payment) -> None:
    won = db.session.execute(
        update(WasteOrder)
        .where(WasteOrder.id == order.id, WasteOrder.status == OrderStatus.PAYING)
        .values(
            status=OrderStatus.PAID, paid_at=utcnow(), payment_id=payment.payment_id, payment_problem=None
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if won == 1:
        db.session.add(OutboxMessage(kind=BOOK, payload={"order_id": order.id}))
    db.session.commit()
    db.session.refresh(order)


def reconcile_abandoned(worker: str) -> int:
    """The worker's step: payments whose payers never came back (a closed tab, a lost connection) are asked
    about once a minute after five minutes, and booked, or given up, as Pay says."""
    now = utcnow()
    waiting = db.session.scalars(
        select(WasteOrder)
        .where(
            WasteOrder.status == OrderStatus.PAYING,
            WasteOrder.updated_at
            < now - timedelta(minutes=current_app.config["WASTE_RECONCILE_AFTER_MINUTES"]),
            or_(WasteOrder.checked_at.is_(None), WasteOrder.checked_at < now - timedelta(minutes=1)),
        )
        .order_by(WasteOrder.updated_at)
        .limit(50)
    ).all()
    done = 0
    for order in waiting:
        try:
            reconcile(order)
        except PaymentsUnavailable:
            continue
        done += order.status != OrderStatus.PAYING
    return done


# --- booking (outbox handlers) ------------------------------------------------------------------------------


def _order(message: OutboxMessage) -> WasteOrder:
    order = db.session.get(WasteOrder, message.payload.get("order_id"))
    if order is None:
        raise PermanentFailure("the order this message is for no longer exists")
    return order


@handles(BOOK)
def deliver_booking(message: OutboxMessage) -> str:
    order = _order(message)
    if order.status != OrderStatus.PAID:
        return "skipped"
    waste = registry().waste(order.council_slug)
    booking = None
    if message.attempts > 1:
        booking = next(iter(waste.bookings(order.reference)), None)
    outcome = "found" if booking else "delivered"
    if booking is None:
        try:
            booking = _book(order, waste)
        except SlotUnavailable:
            _refund_later(order, RefundReason.SLOT_GONE)
            return "refused"
        except BadData as error:
            if error.code != "duplicate_reference":
                raise
            booking = next(iter(waste.bookings(order.reference)))
            outcome = "found"
    _booked(order, booking)
    return outcome


def _book(order: WasteOrder, waste) -> WasteBooking:
    answers = order.answers
    if order.kind == OrderKind.GARDEN:
        return waste.subscribe_garden(
            NewGardenSubscription(
                reference=order.reference,
                uprn=order.uprn,
                bins=int(answers["bins"]),
                start_date=date.fromisoformat(answers["start_date"]),
                amount_pence=order.amount_pence,
                payment_reference=order.payment_id,
                email=order.email,
            )
        )
    prices = prices_for(order.council_slug)
    items = tuple(
        BulkyItem(
            code=code,
            name=(prices.bulky_item(code).name if prices.bulky_item(code) else code),
            quantity=int(n),
        )
        for code, n in answers["items"].items()
        if int(n) > 0
    )
    return waste.book_bulky(
        NewBulkyBooking(
            reference=order.reference,
            uprn=order.uprn,
            collection_date=date.fromisoformat(answers["collection_date"]),
            items=items,
            location=answers["location"],
            amount_pence=order.amount_pence,
            payment_reference=order.payment_id,
            email=order.email,
            phone=order.phone,
        )
    )


def _booked(order: WasteOrder, booking: WasteBooking) -> None:
    order.status = OrderStatus.BOOKED
    order.booked_at = utcnow()
    order.booking_id = booking.booking_id
    order.permit_number = booking.permit_number
    order.collection_date = booking.collection_date
    order.start_date = booking.start_date
    order.end_date = booking.end_date
    _email(order, "booked")


def _refund_later(order: WasteOrder, reason: str) -> None:
    order.status = OrderStatus.REFUNDING
    order.refund_reason = reason
    db.session.add(OutboxMessage(kind=REFUND, payload={"order_id": order.id}))


@handles(REFUND)
def deliver_refund(message: OutboxMessage) -> str:
    order = _order(message)
    if order.status != OrderStatus.REFUNDING:
        return "skipped"
    pay = registry().payments(order.council_slug)
    payment = pay.payment(order.payment_id)
    stored = db.session.scalars(select(OrderPayment).filter_by(payment_id=order.payment_id)).one()
    outcome = "found"
    if payment.refund_submitted_pence < order.amount_pence:
        refund = pay.refund(
            order.payment_id,
            order.amount_pence - payment.refund_submitted_pence,
            payment.refund_available_pence,
        )
        stored.refund_id = refund.refund_id
        outcome = "delivered"
    stored.refunded_pence = order.amount_pence
    order.status = OrderStatus.REFUNDED
    order.refunded_at = utcnow()
    _email(order, "refunded")
    return outcome


class CannotCancel(Exception):
    pass


def can_cancel(order: WasteOrder, today: date | None = None) -> bool:
    """A bulky collection can be cancelled, for a full refund, up to the day before it."""
    today = today or date.today()
    return (
        order.kind == OrderKind.BULKY
        and order.status == OrderStatus.BOOKED
        and order.collection_date is not None
        and order.collection_date > today
    )


def cancel(order: WasteOrder) -> None:
    won = db.session.execute(
        update(WasteOrder)
        .where(WasteOrder.id == order.id, WasteOrder.status == OrderStatus.BOOKED)
        .values(status=OrderStatus.CANCELLING)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.rollback()
        raise CannotCancel(order.reference)
    db.session.add(OutboxMessage(kind=CANCEL, payload={"order_id": order.id}))
    db.session.commit()
    db.session.refresh(order)


@handles(CANCEL)
def deliver_cancellation(message: OutboxMessage) -> str:
    order = _order(message)
    if order.status != OrderStatus.CANCELLING:
        return "skipped"
    try:
        registry().waste(order.council_slug).cancel(order.booking_id)
    except TooLateToCancel:
        order.status = OrderStatus.BOOKED
        _email(order, "too_late")
        return "refused"
    _refund_later(order, RefundReason.CANCELLED)
    return "delivered"


# --- receipts -----------------------------------------------------------------------------------------------


def _email(order: WasteOrder, event: str) -> None:
    if not order.email:
        return
    # The worker sends most receipts, outside any request: one as if on the council's own portal.
    with links_for(order.council_slug):
        body = current_app.jinja_env.get_template("waste/receipt.txt").render(
            order=order,
            event=event,
            council=themes().get(order.council_slug),
            what=describe(order),
            money=money,
        )
        subjects = {
            "booked": _(
                "Your receipt for %(what)s – %(reference)s", what=describe(order), reference=order.reference
            ),
            "refunded": _("Your refund for %(reference)s", reference=order.reference),
            "too_late": _("We could not cancel %(reference)s", reference=order.reference),
        }
        subject = subjects[event]
    queue_email(Email(to=order.email, subject=subject, body=body), council=order.council_slug)


# --- delivering at once -------------------------------------------------------------------------------------


def _deliver_pending(order: WasteOrder, kind: str) -> None:
    """Deliver the order's waiting message of this kind now, in this request, under the outbox's own claim
    and lease: when the back office answers the resident sees the outcome at once; when it does not, the
    failure is recorded and the worker retries as it would any message."""
    pending = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == kind, OutboxMessage.status == MessageStatus.PENDING)
        .order_by(OutboxMessage.id.desc())
        .limit(200)
    ).all()
    message = next((m for m in pending if m.payload.get("order_id") == order.id), None)
    if message is None:
        return
    policy = outbox.DeliveryPolicy.from_config()
    worker = f"web:{socket.gethostname()}:{os.getpid()}"
    now = utcnow()
    won = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == MessageStatus.PENDING,
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
        )
        .values(locked_until=now + policy.lease, locked_by=worker, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if won == 1:
        outbox.deliver(message.id, worker, policy)
    db.session.refresh(order)


def book_now(order: WasteOrder) -> None:
    if order.status == OrderStatus.PAID:
        _deliver_pending(order, BOOK)
    if order.status == OrderStatus.REFUNDING:
        _deliver_pending(order, REFUND)


def cancel_now(order: WasteOrder) -> None:
    if order.status == OrderStatus.CANCELLING:
        _deliver_pending(order, CANCEL)
    if order.status == OrderStatus.REFUNDING:
        _deliver_pending(order, REFUND)


def purge_abandoned_orders(older_than: timedelta) -> int:
    """Forget orders nobody paid for and nobody has touched for a while, with their failed payments."""
    abandoned = select(WasteOrder.id).where(
        WasteOrder.status == OrderStatus.DRAFT, WasteOrder.updated_at < utcnow() - older_than
    )
    db.session.execute(
        delete(OrderPayment)
        .where(OrderPayment.order_id.in_(abandoned), OrderPayment.status != "success")
        .execution_options(synchronize_session=False)
    )
    purged = db.session.execute(
        delete(WasteOrder)
        .where(
            WasteOrder.id.in_(abandoned.scalar_subquery()),
            ~select(OrderPayment.id).where(OrderPayment.order_id == WasteOrder.id).exists(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return purged


def worker_step(worker: str) -> None:
    reconcile_abandoned(worker)
