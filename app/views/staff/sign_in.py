"""Staff sign-in through the councils' workforce identity provider (the staff client of
app.auth.relying_party), choosing the council to work for, re-authentication, and signing out."""

from __future__ import annotations

import time

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import _
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from app.auth import relying_party
from app.auth.provider import ProviderError
from app.auth.relying_party import STAFF, NotConfiguredError, SignInError
from app.auth.views import safe_return_path
from app.extensions import csrf
from app.staff import audit
from app.staff.forms import SearchForm, WorkingForForm
from app.staff.identity import StaffMember, current_staff, grants_from_claim, remember
from app.theming import themes
from app.views.staff import bp

NOTICE = "staff-notice"


def _problem(reason: str, status: int = 400, subject: str | None = None):
    audit.record("sign_in_failed", detail={"reason": reason}, commit=True, **_subject(subject))
    return render_template("staff/sign_in_problem.html", reason=reason), status


def _subject(subject: str | None) -> dict:
    return {"staff_subject": subject} if subject else {}


@bp.get("")
def home():
    member = current_staff()
    if member is None:
        return render_template("staff/start.html")
    if member.working_for not in member.grants:
        return redirect(url_for("staff.working_for"))
    audit.record("home_viewed", commit=True)
    return render_template("staff/home.html", form=SearchForm(formdata=None))


@bp.get("/sign-in")
def sign_in():
    """To the workforce provider; with again=1, asking for the password again (re-authentication)."""
    again = request.args.get("again") == "1"
    return_to = safe_return_path(request.args.get("next"))
    if current_staff() is not None and not again:
        audit.record("sign_in_started", detail={"already_signed_in": True}, commit=True)
        return redirect(return_to or url_for("staff.home"))
    try:
        url = relying_party.authorization_url(return_to=return_to, max_age=0 if again else None, client=STAFF)
    except NotConfiguredError:
        return _problem("not_configured", 503)
    except ProviderError as error:
        return _problem(error.reason, 502)
    audit.record("sign_in_started", detail={"reauthenticate": again}, commit=True)
    return redirect(url)


@bp.get("/auth/callback")
def callback():
    pending = relying_party.take_pending()
    if pending is None:
        return _problem("missing_state")
    try:
        relying_party.check_authorization_response(
            pending, state=request.args.get("state"), issuer=request.args.get("iss"), client=STAFF
        )
    except SignInError as failure:
        return _problem(failure.reason)
    if request.args.get("error"):
        if request.args["error"] == "access_denied":
            audit.record("sign_in_failed", detail={"reason": "cancelled"}, commit=True)
            return redirect(url_for("staff.home"))
        return _problem(f"provider_refused_{request.args['error']}"[:60])
    try:
        signed_in = relying_party.complete_sign_in(pending, code=request.args.get("code"), client=STAFF)
    except SignInError as failure:
        return _problem(failure.reason, subject=failure.subject)
    except ProviderError as failure:
        return _problem(failure.reason, 502)
    except NotConfiguredError:
        return _problem("not_configured", 503)

    token = signed_in.id_token
    config = current_app.config
    required_amr = [value for value in config["STAFF_OIDC_REQUIRED_AMR"] if value not in token.amr]
    if required_amr:
        return _problem("multi_factor_required", 403, token.subject)
    if config["STAFF_OIDC_REQUIRED_ACR"] and token.acr != config["STAFF_OIDC_REQUIRED_ACR"]:
        return _problem("assurance_too_low", 403, token.subject)
    grants = grants_from_claim(
        token.claims.get(config["STAFF_OIDC_ROLES_CLAIM"]), [theme.slug for theme in themes()]
    )
    if not grants:
        return _problem("no_portal_role", 403, token.subject)

    before = current_staff()
    same_person = before is not None and before.subject == token.subject and before.issuer == token.issuer
    if not same_person:
        # A new session id, and nothing of whatever this browser had before.
        session.clear()
    session.rotate()
    working_for = before.working_for if same_person and before.working_for in grants else None
    if working_for is None and len(grants) == 1:
        working_for = next(iter(grants))
    remember(
        StaffMember(
            subject=token.subject,
            issuer=token.issuer,
            name=signed_in.name,
            email=signed_in.email,
            grants=grants,
            working_for=working_for,
            auth_time=token.auth_time or int(time.time()),
            id_token=signed_in.raw_id_token,
        )
    )
    audit.record(
        "signed_in",
        detail={"roles": grants, "amr": list(token.amr), "reauthenticated": same_person},
        commit=True,
    )
    return redirect(pending.return_to or url_for("staff.home"))


@bp.route("/working-for", methods=["GET", "POST"])
def working_for():
    member = current_staff()
    if member is None:
        return redirect(url_for("staff.sign_in"))
    form = WorkingForForm(data={"council": member.working_for})
    form.council.choices = [(slug, themes().get(slug).name) for slug in member.councils]
    if form.validate_on_submit():
        remember(StaffMember(**{**member.to_session(), "working_for": form.council.data}))
        audit.record("working_for_chosen", commit=True)
        return redirect(safe_return_path(request.args.get("next")) or url_for("staff.home"))
    audit.record("working_for_chosen", detail={"asked": True}, commit=True)
    return render_template("staff/working_for.html", form=form)


@bp.post("/sign-out")
@csrf.exempt
def sign_out():
    """As residents' sign-out: the CSRF token is checked here, so that someone whose session already timed
    out is simply told they are signed out."""
    member = current_staff()
    start = url_for("staff.home", _external=True)
    if member is None:
        session.clear()
        flash(_("You have signed out."), NOTICE)
        return redirect(start)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400)
    audit.record("signed_out", commit=True)
    session.clear()
    session.rotate()
    flash(_("You have signed out."), NOTICE)
    end_session = relying_party.end_session_url(
        id_token_hint=member.id_token, post_logout_redirect_uri=start, client=STAFF
    )
    return redirect(end_session or start)


@bp.errorhandler(403)
def forbidden(error):
    return render_template("staff/forbidden.html"), 403
