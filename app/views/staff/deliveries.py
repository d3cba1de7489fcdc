"""Parked deliveries, for supervisors: the reports, emails and text messages the outbox gave up on at the
councils they supervise, each retried or cancelled by hand, re-authenticated and audited."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import _
from sqlalchemy import select

from app.extensions import db
from app.models.reports import MessageKind, MessageStatus, OutboxMessage, Report, ReportStatus
from app.reports.outbox import utcnow
from app.staff import audit
from app.staff.access import supervisor_required
from app.staff.forms import ConfirmForm
from app.staff.identity import current_staff, needs_reauthentication, reauthenticate
from app.theming import themes
from app.views.staff import bp
from app.views.staff.residents import MAX_ID


def _visible(message: OutboxMessage, councils: list[str]) -> bool:
    if message.report is not None:
        return message.report.council_slug in councils
    if message.kind == MessageKind.TEXT_MESSAGE:  # sent through one council's GOV.UK Notify service
        return message.payload.get("council") in councils
    # An email about no report (a follow confirmation) belongs to no one council: supervisors of all see it.
    return len(councils) == len(themes())


def _parked(councils: list[str]) -> list[OutboxMessage]:
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.PARKED)
        .order_by(OutboxMessage.created_at)
    )
    return [message for message in messages if _visible(message, councils)]


@bp.get("/deliveries")
@supervisor_required
def deliveries():
    parked = _parked(current_staff().supervises())
    audit.record("deliveries_viewed", detail={"parked": len(parked)}, commit=True)
    return render_template("staff/deliveries.html", parked=parked, form=ConfirmForm(), kinds=MessageKind)


def _message(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id) if message_id <= MAX_ID else None
    if (
        message is None
        or message.status != MessageStatus.PARKED
        or not _visible(message, current_staff().supervises())
    ):
        audit.record("not_found", detail={"message_id": str(message_id)[:20]}, commit=True)
        abort(404)
    return message


def _reference(message: OutboxMessage) -> str | None:
    return message.report.reference if message.report else None


@bp.post("/deliveries/<int:message_id>/<any(retry, cancel):action>")
@supervisor_required
def delivery_action(message_id: int, action: str):
    message = _message(message_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if needs_reauthentication():
        audit.record("refused", reference=_reference(message), detail={"reauthenticate": True}, commit=True)
        return reauthenticate(url_for("staff.deliveries"))
    report: Report | None = message.report
    if action == "retry":
        message.status = MessageStatus.PENDING
        message.failures = 0
        message.next_attempt_at = utcnow()
        if report is not None and message.kind == MessageKind.OPEN311_CREATE:
            report.status = ReportStatus.WAITING
        flash(_("It will be sent again in the next few seconds."))
    else:
        message.status = MessageStatus.CANCELLED
        flash(_("Cancelled: it will not be sent."))
    audit.record(
        f"delivery_{'retried' if action == 'retry' else 'cancelled'}",
        reference=_reference(message),
        resident_id=report.resident_id if report else None,
        detail={
            "message_id": message.id,
            "kind": message.kind,
            "last_error": (message.last_error or "")[:200],
        },
    )
    db.session.commit()
    return redirect(url_for("staff.deliveries"))
