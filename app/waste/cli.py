"""Operators' commands for paid waste orders: `flask waste parked` and `flask waste retry REFERENCE`.

An order's booking, cancellation or refund that failed too often is parked in the outbox like a report: the
resident has paid, so an operator must see it and, once the cause is fixed, queue it again.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models.reports import MessageStatus, OutboxMessage
from app.models.waste import WasteOrder
from app.reports.outbox import utcnow
from app.waste import orders

waste_cli = AppGroup("waste", help="Paid waste orders whose booking, cancellation or refund is stuck.")
KINDS = (orders.BOOK, orders.CANCEL, orders.REFUND)


def _parked() -> list[tuple[WasteOrder, OutboxMessage]]:
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind.in_(KINDS), OutboxMessage.status == MessageStatus.PARKED)
        .order_by(OutboxMessage.id)
    ).all()
    found = []
    for message in messages:
        order = db.session.get(WasteOrder, message.payload.get("order_id"))
        if order is not None:
            found.append((order, message))
    return found


@waste_cli.command("parked")
def list_parked() -> None:
    """List orders with a parked booking, cancellation or refund, and the last error."""
    parked = _parked()
    if not parked:
        click.echo("No parked waste orders.")
    for order, message in parked:
        click.echo(
            f"{order.reference}  {order.council_slug:<16} {order.kind:<7} {order.status:<10} "
            f"{message.kind:<13} £{(order.amount_pence or 0) / 100:.2f}"
        )
        if message.last_error:
            click.echo(f"    last error: {message.last_error}")


@waste_cli.command("retry")
@click.argument("reference")
def retry(reference: str) -> None:
    """Queue an order's parked messages for delivery again."""
    reference = reference.strip().upper()
    queued = 0
    for order, message in _parked():
        if order.reference == reference:
            message.status = MessageStatus.PENDING
            message.failures = 0
            message.next_attempt_at = utcnow()
            queued += 1
    db.session.commit()
    if not queued:
        raise click.ClickException(f"{reference} has nothing parked")
    click.echo(f"{reference}: {queued} message(s) queued for delivery again.")


def init_app(app) -> None:
    app.cli.add_command(waste_cli)
