"""Sign-in, its callback, sign-out, step-up and the provider's back-channel logout."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _
from flask_login import current_user, login_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import select
from wtforms import HiddenField, ValidationError

from app.auth import relying_party
from app.auth.assurance import ACR_KEY, assurance_level_of
from app.auth.audit import record_security_event, resident_actor
from app.auth.provider import ProviderError
from app.auth.relying_party import NotConfiguredError, SignInError
from app.auth.replay import replay_cache, replay_key
from app.auth.tokens import TokenError, verify_logout_token
from app.extensions import csrf, db
from app.forms import PortalForm
from app.migration.accounts import apply_at_sign_in
from app.models.identity import Resident
from app.models.insights import SignIn
from app.observability.metrics import count_sign_in
from app.sessions import (
    AUTH_TIME_KEY,
    DEVICE_KEY,
    PROVIDER_SESSION_KEY,
    SIGNED_IN_ON_KEY,
    end_sessions_of_provider_session,
    end_sessions_of_resident,
    remember_signed_in_as,
)
from app.themes import current_theme
from app.theming import council_pages_only
from app.user_agents import describe_device

bp = council_pages_only(Blueprint("auth", __name__), except_for=("auth.back_channel_logout",))

ID_TOKEN_KEY = "id_token"  # noqa: S105 - a session key
ISSUER_KEY = "issuer"
NOTICE_CATEGORY = "auth-notice"
B2C_FORGOT_PASSWORD = "AADB2C90118"  # noqa: S105 - an error code
MAX_RETURN_PATH_LENGTH = 2000

# Reasons grouped by what the resident can do about them; the exact reason goes to the audit log.
PROVIDER_PROBLEMS = {
    "provider_unreachable": 502,
    "provider_error": 502,
    "issuer_mismatch": 502,
    "provider_slow": 504,
}


class SignInForm(PortalForm):
    next = HiddenField()


def safe_return_path(candidate: str | None) -> str | None:
    """A path on this site to return to after signing in; never another site, and never a value that a
    browser, a proxy or a later decoding step could turn into one.

    The candidate is normalised first (its path percent-decoded and NFKC-folded, as a lenient server or
    browser might) and both forms must then be printable ASCII without spaces, tabs, CR, LF or backslashes,
    start with exactly one "/", and carry no scheme or host. Browsers drop tabs and newlines from URLs, so
    "/\t/evil.example" would otherwise become "//evil.example"."""
    if not candidate or len(candidate) > MAX_RETURN_PATH_LENGTH:
        return None
    path = urlsplit(candidate).path if candidate.isascii() else candidate
    for form in (candidate, unicodedata.normalize("NFKC", unquote(path))):
        if not all("!" <= character <= "~" for character in form) or "\\" in form:
            return None
        if not form.startswith("/") or form.startswith("//"):
            return None
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return None
    return candidate


def _problem(reason: str, *, subject: str | None = None, resident_id: int | None = None):
    actor = resident_actor(resident_id) if resident_id else (f"subject:{subject}" if subject else None)
    record_security_event("sign_in_failed", actor=actor, reason=reason)
    status = PROVIDER_PROBLEMS.get(reason, 400)
    return render_template("auth/problem.html", reason=reason, status=status), status


def _not_configured():
    return render_template("auth/not_configured.html"), 503


def pressed_sign_in_here() -> bool:
    """Whether this request is the resident's own action on this council's pages: a click on its "Sign in"
    link or button, or on a link of its pages that needs signing in (the browser says `Sec-Fetch-Site:
    same-origin`, which no other site can make it say)."""
    return (request.headers.get("Sec-Fetch-Site") or "").lower() == "same-origin"


def _to_the_provider(return_to: str | None):
    try:
        return redirect(relying_party.authorization_url(return_to=return_to))
    except NotConfiguredError:
        return _not_configured()
    except ProviderError as error:
        return _problem(error.reason)


@bp.get("/sign-in")
def sign_in():
    """ASVS 7.6.2: a session is created only by the resident's explicit action. Single sign-on would sign a
    resident already signed in at the provider in here without a password, so arriving from anywhere but
    this council's own pages (another council's domain, another site, a bookmark, a page that needs signing
    in opened from elsewhere) shows a "Sign in" button first; pressing it continues without a password."""
    return_to = safe_return_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(return_to or url_for("dashboard.show"))
    if pressed_sign_in_here():
        return _to_the_provider(return_to)
    if not relying_party.is_configured():
        return _not_configured()
    return render_template("auth/sign_in.html", return_to=return_to, form=SignInForm(next=return_to))


@bp.post("/sign-in")
def sign_in_pressed():
    form = SignInForm()
    if not form.validate_on_submit():
        abort(400)
    return_to = safe_return_path(form.next.data)
    if current_user.is_authenticated:
        return redirect(return_to or url_for("dashboard.show"))
    return _to_the_provider(return_to)


@bp.get("/sign-in/verify")
def step_up():
    """Sign in again asking the provider to verify the resident's identity (acr_values, or GOV.UK One Login's
    vtr)."""
    required = current_app.config.get("OIDC_ACR_VERIFIED")
    if not required:
        abort(404)
    try:
        url = relying_party.authorization_url(
            return_to=safe_return_path(request.args.get("next")), acr_values=required
        )
    except NotConfiguredError:
        return _not_configured()
    except ProviderError as error:
        return _problem(error.reason)
    return redirect(url)


@bp.get("/sign-in/again")
def sign_in_again():
    """Enter the password again before a sensitive action (ending sessions), coming back to `next`: the
    provider is asked for a fresh password (max_age=0, prompt=login) and the callback accepts only the same
    resident, with an auth_time from this sign-in."""
    return_to = safe_return_path(request.args.get("next"))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in", next=return_to) if return_to else url_for("auth.sign_in"))
    try:
        url = relying_party.authorization_url(return_to=return_to, max_age=0, resident_id=current_user.id)
    except NotConfiguredError:
        return _not_configured()
    except ProviderError as error:
        return _problem(error.reason)
    record_security_event("reauthentication_started", actor=resident_actor(current_user.id))
    return redirect(url)


@bp.get("/auth/callback")
def callback():
    pending = relying_party.take_pending()
    if pending is None:
        return _problem("missing_state")
    try:
        relying_party.check_authorization_response(
            pending, state=request.args.get("state"), issuer=request.args.get("iss")
        )
    except SignInError as failure:
        return _problem(failure.reason)
    error = request.args.get("error")
    if error:
        return _provider_said_no(error, request.args.get("error_description") or "", pending)
    try:
        signed_in = relying_party.complete_sign_in(pending, code=request.args.get("code"))
    except SignInError as failure:
        return _problem(failure.reason, subject=failure.subject)
    except ProviderError as failure:
        return _problem(failure.reason)
    except NotConfiguredError:
        return _not_configured()

    resident = db.session.scalar(
        select(Resident).where(
            Resident.issuer == signed_in.id_token.issuer, Resident.subject == signed_in.id_token.subject
        )
    )
    if pending.resident_id is not None and (resident is None or resident.id != pending.resident_id):
        # Signing in again to confirm a sensitive action, as someone else: the session stays whose it was.
        return _problem(
            "reauthenticated_as_someone_else",
            subject=signed_in.id_token.subject,
            resident_id=pending.resident_id,
        )
    if resident is None:
        resident = Resident(issuer=signed_in.id_token.issuer, subject=signed_in.id_token.subject)
        db.session.add(resident)
    resident.name = signed_in.name or resident.name
    resident.email = signed_in.email or resident.email
    resident.last_signed_in_at = datetime.now(UTC)
    db.session.flush()
    apply_at_sign_in(resident)
    theme = g.get("theme")
    if theme is not None:
        db.session.add(SignIn(resident_id=resident.id, council_slug=theme.slug))
    db.session.commit()

    # A new session id at sign-in: whatever id this browser had before cannot ride into the signed-in session.
    session.clear()
    session.rotate()
    login_user(resident)
    remember_signed_in_as(resident)
    count_sign_in()
    session[ID_TOKEN_KEY] = signed_in.raw_id_token
    session[ISSUER_KEY] = signed_in.id_token.issuer
    session[PROVIDER_SESSION_KEY] = signed_in.id_token.provider_session_id
    session[AUTH_TIME_KEY] = signed_in.id_token.auth_time
    session[DEVICE_KEY] = describe_device(request.user_agent.string)
    theme = current_theme()
    session[SIGNED_IN_ON_KEY] = {"council": theme.slug if theme else None, "host": request.host.lower()[:255]}
    level = assurance_level_of(signed_in.id_token)
    session[ACR_KEY] = level
    record_security_event("signed_in", actor=resident_actor(resident.id), acr=level, flow=pending.flow)
    return redirect(pending.return_to or url_for("dashboard.show"))


def _provider_said_no(error: str, description: str, pending):
    if error == "access_denied" and description.startswith(B2C_FORGOT_PASSWORD):
        # Azure AD B2C asks the relying party to run its password-reset user flow.
        record_security_event("password_reset_requested")
        if not relying_party.password_reset_is_configured():
            return render_template("auth/password_reset_unavailable.html"), 200
        try:
            return redirect(
                relying_party.authorization_url(
                    flow=relying_party.PASSWORD_RESET, return_to=pending.return_to
                )
            )
        except ProviderError as failure:
            return _problem(failure.reason)
    if error == "access_denied":
        record_security_event("sign_in_cancelled")
        flash(_("You did not sign in. You can sign in whenever you are ready."), NOTICE_CATEGORY)
        return redirect(url_for("main.start"))
    if error == "login_required":
        return redirect(url_for("main.start"))
    return _problem(f"provider_refused_{error}"[:60])


@bp.post("/sign-out")
@csrf.exempt
def sign_out():
    """The CSRF token is checked here rather than before every view: a resident whose session has already
    timed out (and its token with it) who presses "Sign out" is simply told they are signed out."""
    start_page = url_for("main.start", _external=True)
    if not current_user.is_authenticated:
        session.clear()
        flash(_("You have signed out."), NOTICE_CATEGORY)
        return redirect(start_page)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400)
    id_token_hint = session.get(ID_TOKEN_KEY)
    record_security_event("signed_out", actor=resident_actor(current_user.id))
    # Ending the session deletes its record: the old cookie is worthless from here on.
    session.clear()
    session.rotate()
    end_session = relying_party.end_session_url(
        id_token_hint=id_token_hint, post_logout_redirect_uri=start_page
    )
    flash(_("You have signed out."), NOTICE_CATEGORY)
    return redirect(end_session or start_page)


@bp.post("/auth/back-channel-logout")
@csrf.exempt
def back_channel_logout():
    """The provider tells us a resident signed out there: end every portal session of that subject."""
    logout_token = request.form.get("logout_token")
    headers = {"Cache-Control": "no-store"}
    if not logout_token:
        record_security_event("back_channel_logout_rejected", reason="missing_logout_token")
        return {"error": "invalid_request"}, 400, headers
    try:
        provider = relying_party.provider()
        metadata = provider.metadata()
        logout = verify_logout_token(
            logout_token,
            lambda refresh: provider.keys(refresh=refresh),
            issuer=metadata.issuer,
            client_id=current_app.config["OIDC_CLIENT_ID"],
            leeway=current_app.config["OIDC_CLOCK_SKEW_SECONDS"],
            max_age=current_app.config["OIDC_LOGOUT_TOKEN_MAX_AGE_SECONDS"],
        )
    except TokenError as failure:
        record_security_event("back_channel_logout_rejected", reason=failure.reason)
        return {"error": "invalid_request"}, 400, headers
    except (ProviderError, NotConfiguredError):
        record_security_event("back_channel_logout_rejected", reason="provider_unavailable")
        return {"error": "temporarily_unavailable"}, 503, headers

    config = current_app.config
    keep_until = (
        logout.issued_at + config["OIDC_LOGOUT_TOKEN_MAX_AGE_SECONDS"] + config["OIDC_CLOCK_SKEW_SECONDS"]
    )
    if not replay_cache().first_use(replay_key(logout.issuer, logout.token_id), keep_until):
        record_security_event("back_channel_logout_rejected", reason="replayed")
        return {"error": "invalid_request"}, 400, headers

    ended = 0
    actor = None
    if logout.subject:
        resident = db.session.scalar(
            select(Resident).where(Resident.issuer == logout.issuer, Resident.subject == logout.subject)
        )
        if resident is not None:
            actor = resident_actor(resident.id)
            ended += end_sessions_of_resident(resident.id)
    if logout.provider_session_id:
        ended += end_sessions_of_provider_session(logout.provider_session_id)
    record_security_event("back_channel_logout", actor=actor, sessions_ended=ended)
    return "", 200, headers
