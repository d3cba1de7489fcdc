"""Residents' comments from the "how was this?" question after a report. A comment may say anything, so no
staff member sees it until a supervisor of the report's council has read and approved it; every member of
staff then sees the approved comments for the council they work for. Approving and rejecting are recorded in
the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import _
from sqlalchemy import select

from app.extensions import db
from app.models.reports import Feedback, FeedbackComment, Report
from app.staff import audit
from app.staff.access import staff_required, supervisor_required
from app.staff.forms import ConfirmForm
from app.staff.identity import current_staff
from app.views.staff import bp
from app.views.staff.insights import RATINGS
from app.views.staff.residents import MAX_ID

SHOWN = 50


def _comments(council: str, status: str) -> list[tuple[Feedback, Report]]:
    query = (
        select(Feedback, Report)
        .join(Report, Report.id == Feedback.report_id)
        .where(
            Feedback.comment_status == status, Feedback.comment.is_not(None), Report.council_slug == council
        )
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(SHOWN)
    )
    return [tuple(row) for row in db.session.execute(query)]


@bp.get("/feedback")
@staff_required
def feedback():
    member = current_staff()
    council = member.working_for
    pending = _comments(council, FeedbackComment.PENDING) if member.is_supervisor else []
    approved = _comments(council, FeedbackComment.APPROVED)
    audit.record("feedback_viewed", detail={"pending": len(pending), "approved": len(approved)}, commit=True)
    return render_template(
        "staff/feedback.html",
        pending=pending,
        approved=approved,
        form=ConfirmForm(),
        shown=SHOWN,
        ratings=dict(RATINGS),
    )


@bp.post("/feedback/<int:feedback_id>/<any(approve, reject):decision>")
@supervisor_required
def moderate_feedback(feedback_id: int, decision: str):
    found = db.session.get(Feedback, feedback_id) if feedback_id <= MAX_ID else None
    report = db.session.get(Report, found.report_id) if found is not None else None
    if (
        found is None
        or found.comment is None
        or found.comment_status != FeedbackComment.PENDING
        or report.council_slug != current_staff().working_for
    ):
        audit.record("not_found", detail={"feedback_id": str(feedback_id)[:20]}, commit=True)
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    member = current_staff()
    found.comment_status = FeedbackComment.APPROVED if decision == "approve" else FeedbackComment.REJECTED
    found.moderated_at = datetime.now(UTC)
    found.moderated_by = member.actor
    audit.record(
        "feedback_approved" if decision == "approve" else "feedback_rejected",
        reference=report.reference,
        detail={"feedback_id": found.id},
    )
    db.session.commit()
    if decision == "approve":
        flash(_("Comment approved: staff can read it."))
    else:
        flash(_("Comment rejected: staff will not see it."))
    return redirect(url_for("staff.feedback"))
