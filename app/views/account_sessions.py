"""The resident's list of their signed-in sessions (ASVS 7.5.2): each with the browser and system it was
started in, the council domain it was started on, when it started and when it was last used, this browser's
marked. The resident can end any one of the others, or all of them, having entered their password within
PORTAL_REAUTHENTICATE_MINUTES; otherwise the provider asks for it first and they come back to confirm.

Only the signed-in resident's own sessions are ever looked at: a handle of anyone else's session finds nothing
(404)."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import _
from flask_login import current_user, login_required

from app.auth.audit import record_security_event, resident_actor
from app.auth.views import NOTICE_CATEGORY
from app.sessions import (
    AUTH_TIME_KEY,
    ActiveSession,
    active_sessions_of_resident,
    end_other_sessions_of_resident,
    end_session_of_resident,
)
from app.theming import themes
from app.views.account import ConfirmForm

bp = Blueprint("account_sessions", __name__, url_prefix="/account/sessions")


def reauthentication_window_seconds() -> int:
    return current_app.config["REAUTHENTICATE_MINUTES"] * 60


def entered_password_recently() -> bool:
    """Whether the resident entered their password at the provider within the re-authentication window
    (the ID token's auth_time; a provider that does not say when is asked again every time)."""
    auth_time = session.get(AUTH_TIME_KEY)
    return isinstance(auth_time, int) and time.time() - auth_time <= reauthentication_window_seconds()


def _sign_in_again(return_to: str):
    return redirect(url_for("auth.sign_in_again", next=return_to))


def signed_in_on_text(active: ActiveSession) -> str:
    where = active.signed_in_on or {}
    host = where.get("host")
    council = where.get("council")
    name = themes().get(council).name if council and council in {theme.slug for theme in themes()} else None
    if name and host:
        return _("%(council)s (%(host)s)", council=name, host=host)
    return name or host or _("Not known")


def _found(handle: str) -> ActiveSession:
    active = next(
        (found for found in active_sessions_of_resident(current_user.id) if found.handle == handle), None
    )
    if active is None:
        abort(404)
    return active


@bp.get("")
@login_required
def show():
    sessions = active_sessions_of_resident(current_user.id)
    return render_template(
        "account/sessions.html",
        sessions=sessions,
        others=[active for active in sessions if not active.is_current],
        signed_in_on_text=signed_in_on_text,
        recently=entered_password_recently(),
        window_minutes=current_app.config["REAUTHENTICATE_MINUTES"],
        form=ConfirmForm(),
    )


@bp.route("/<handle>/end", methods=["GET", "POST"])
@login_required
def end_one(handle: str):
    active = _found(handle)
    if active.is_current:
        # This browser's session ends by signing out, which also tells the provider.
        return redirect(url_for("account_sessions.show"))
    here = url_for("account_sessions.end_one", handle=handle)
    if not entered_password_recently():
        return _sign_in_again(here)
    form = ConfirmForm()
    if form.validate_on_submit():
        ended = end_session_of_resident(current_user.id, handle)
        record_security_event("session_ended_by_resident", actor=resident_actor(current_user.id), ended=ended)
        flash(
            _("You have ended the session on %(device)s.", device=active.device or _("an unknown device")),
            NOTICE_CATEGORY,
        )
        return redirect(url_for("account_sessions.show"))
    return render_template(
        "account/end_session.html", active=active, signed_in_on_text=signed_in_on_text, form=form, action=here
    )


@bp.route("/end-others", methods=["GET", "POST"])
@login_required
def end_others():
    others = [active for active in active_sessions_of_resident(current_user.id) if not active.is_current]
    if not others:
        return redirect(url_for("account_sessions.show"))
    here = url_for("account_sessions.end_others")
    if not entered_password_recently():
        return _sign_in_again(here)
    form = ConfirmForm()
    if form.validate_on_submit():
        ended = end_other_sessions_of_resident(current_user.id)
        record_security_event(
            "other_sessions_ended_by_resident", actor=resident_actor(current_user.id), sessions_ended=ended
        )
        flash(_("You have ended every session but this one."), NOTICE_CATEGORY)
        return redirect(url_for("account_sessions.show"))
    return render_template("account/end_other_sessions.html", others=others, form=form, action=here)
