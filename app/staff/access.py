"""Which staff pages a staff member may open: any, once signed in and working for a council they hold a role
for; a supervisor's, only as a supervisor (app.staff.identity), a refusal written in the audit trail."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for

from app.staff import audit
from app.staff.identity import SUPERVISOR, current_staff


def staff_required(view):
    """Signed-in staff working for a council they hold a role for; otherwise to sign-in (or to choosing the
    council first)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        member = current_staff()
        if member is None:
            return redirect(url_for("staff.sign_in", next=request.full_path.rstrip("?")))
        if member.working_for not in member.grants:
            return redirect(url_for("staff.working_for", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return guarded


def supervisor_required(view):
    @wraps(view)
    @staff_required
    def guarded(*args, **kwargs):
        if not current_staff().is_supervisor:
            audit.record("refused", detail={"page": request.endpoint, "needs": SUPERVISOR}, commit=True)
            abort(403)
        return view(*args, **kwargs)

    return guarded
