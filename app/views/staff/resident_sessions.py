"""Ending a resident's sessions from their single view (ASVS 7.4.5), for supervisors: when an account may be
in the wrong hands, every browser signed in to it is signed out at once. The supervisor must have given the
reason for this look and entered their password within PORTAL_STAFF_REAUTHENTICATE_MINUTES; every step is in
the audit trail, and the resident's own security log says their council ended the sessions."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import _

from app.auth.audit import record_security_event, resident_actor
from app.sessions import active_sessions_of_resident, end_sessions_of_resident
from app.staff import audit
from app.staff.access import supervisor_required
from app.staff.forms import ConfirmForm
from app.staff.identity import current_staff, needs_reauthentication, reauthenticate
from app.views.account_sessions import signed_in_on_text
from app.views.staff import bp
from app.views.staff.residents import _current_look, _resident


@bp.route("/residents/<int:resident_id>/sessions/end", methods=["GET", "POST"])
@supervisor_required
def end_resident_sessions(resident_id: int):
    found = _resident(resident_id)
    look = _current_look(found.id)
    if look is None:
        audit.record("reason_asked", resident_id=found.id, detail={"page": "end_sessions"}, commit=True)
        return redirect(url_for("staff.reason", resident_id=found.id))
    here = url_for("staff.end_resident_sessions", resident_id=found.id)
    if needs_reauthentication():
        audit.record("refused", resident_id=found.id, detail={"reauthenticate": True}, commit=True)
        return reauthenticate(here)
    form = ConfirmForm()
    if form.validate_on_submit():
        ended = end_sessions_of_resident(found.id)
        audit.record(
            "resident_sessions_ended",
            resident_id=found.id,
            reason_code=look["reason"],
            reason_text=look["detail"],
            detail={"sessions_ended": ended},
        )
        record_security_event(
            "sessions_ended_by_council",
            actor=resident_actor(found.id),
            council=current_staff().working_for,
            sessions_ended=ended,
        )
        flash(
            _(
                "%(name)s has been signed out everywhere (%(count)s sessions ended).",
                name=found.name or _("The resident"),
                count=ended,
            )
        )
        return redirect(url_for("staff.resident", resident_id=found.id, _anchor="sessions"))
    audit.record("viewed", resident_id=found.id, detail={"page": "end_sessions"}, commit=True)
    return render_template(
        "staff/end_resident_sessions.html",
        resident=found,
        sessions=active_sessions_of_resident(found.id),
        signed_in_on_text=signed_in_on_text,
        form=form,
        action=here,
    ), (400 if form.errors else 200)
