"""The provider's endpoints: discovery, JWKS, authorize (with the demo sign-in page), token, userinfo and
end-session."""

from __future__ import annotations

import secrets
import time

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Blueprint, current_app, make_response, render_template, request, session, url_for

from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.demo_staff import DEMO_STAFF
from sandbox.idp import admin
from sandbox.idp.server import IdentityProvider, issuer, loopback_port

bp = Blueprint("idp", __name__, template_folder="templates")

SESSION_KEY = "idp_sid"
B2C_FORGOT_PASSWORD_DESCRIPTION = "AADB2C90118: The user has forgotten their password."  # noqa: S105


def provider() -> IdentityProvider:
    return current_app.extensions["idp"]


class SandboxEndSession(EndSessionEndpoint):
    def _is_valid_post_logout_redirect_uri(self, client, post_logout_redirect_uri):
        return client.check_post_logout_redirect_uri(post_logout_redirect_uri)

    def get_server_jwks(self):
        return provider().public_jwks()

    def end_session(self, end_session_request):
        sid = session.pop(SESSION_KEY, None)
        if sid is None and end_session_request.id_token_claims:
            sid = end_session_request.id_token_claims.get("sid")
        if sid:
            provider().end_session(sid)


@bp.record_once
def _register_end_session(state):
    state.app.extensions["idp"].server.register_endpoint(SandboxEndSession)


@bp.get("/")
def index():
    return render_template("idp/index.html", residents=DEMO_RESIDENTS, issuer=issuer())


@bp.get("/.well-known/openid-configuration")
def discovery():
    base = issuer()
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/jwks.json",
        "end_session_endpoint": f"{base}/logout",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [provider().algorithm],
        "scopes_supported": ["openid", "profile", "email"],
        "claims_supported": [
            "sub",
            "name",
            "given_name",
            "family_name",
            "email",
            "email_verified",
            "acr",
            "sid",
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": [provider().verified_acr],
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "authorization_response_iss_parameter_supported": True,
    }


@bp.get("/jwks.json")
def jwks():
    return provider().public_jwks()


def _sign_in_page(
    *, error: str | None = None, email: str = "", wants_verified: bool, for_staff: bool, status: int = 200
):
    return (
        render_template(
            "idp/sign_in.html",
            residents=() if for_staff else DEMO_RESIDENTS,
            staff=DEMO_STAFF if for_staff else (),
            error=error,
            email=email,
            wants_verified=wants_verified,
            action=request.full_path,
        ),
        status,
    )


def _naming_the_issuer(response):
    """RFC 9207: every authorization response, success or error, names this provider in `iss`."""
    location = response.headers.get("Location") if response.status_code in (302, 303) else None
    if location:
        response.headers["Location"] = add_params_to_uri(location, [("iss", issuer())])
    return response


@bp.route("/authorize", methods=["GET", "POST"])
def authorize():
    return _naming_the_issuer(make_response(_authorize()))


def _authorize():
    idp = provider()
    current = idp.find_session(session.get(SESSION_KEY))
    try:
        grant = idp.server.get_consent_grant(end_user=current)
    except OAuth2Error as error:
        if error.redirect_uri:
            return idp.server.handle_error_response(None, error)
        return render_template("idp/error.html", error=error), 400
    wants_verified = idp.verified_acr in (request.values.get("acr_values") or "").split()
    forces_login = "login" in (request.values.get("prompt") or "").split()
    client = grant.client
    accounts = client.accounts()
    if current is not None and not _signs_in_with(client, accounts, current.subject):
        current = None  # signed in here as the other kind of account: this client needs its own sign-in
    max_age = request.values.get("max_age")
    if (
        current is not None
        and max_age
        and max_age.isdigit()
        and time.time() - current.auth_time > int(max_age)
    ):
        forces_login = True

    if request.method == "GET":
        if (
            current is not None
            and not forces_login
            and (not wants_verified or current.acr == idp.verified_acr)
        ):
            return idp.server.create_authorization_response(grant=grant, grant_user=current)
        return _sign_in_page(wants_verified=wants_verified, for_staff=client.for_staff)

    action = request.form.get("action", "sign-in")
    if action == "cancel":
        return idp.server.create_authorization_response(grant=grant, grant_user=None)
    if action == "forgot-password":
        params = [("error", "access_denied"), ("error_description", B2C_FORGOT_PASSWORD_DESCRIPTION)]
        if request.values.get("state"):
            params.append(("state", request.values["state"]))
        return "", 302, {"Location": add_params_to_uri(grant.redirect_uri, params)}

    email = (request.form.get("email") or "").strip().lower()
    password = request.form.get("password") or ""
    resident = next((account for account in accounts if account.email == email), None)
    if resident is None and not client.for_staff:
        resident = _migrated_user(email, password, loopback_port(grant.redirect_uri))
    elif resident is not None and not secrets.compare_digest(password, resident.password):
        resident = None
    if resident is None:
        return _sign_in_page(
            error="That email address and password do not match a demo "
            + ("staff account." if client.for_staff else "resident."),
            email=email,
            wants_verified=wants_verified,
            for_staff=client.for_staff,
            status=400,
        )
    acr = (
        idp.verified_acr
        if wants_verified and request.form.get("verified") == "yes"
        else "urn:my-norfolk:sandbox:signed-in"
    )
    if current is not None:
        idp.end_session(current.sid)
    current = idp.start_session(resident.subject, acr)
    session[SESSION_KEY] = current.sid
    return idp.server.create_authorization_response(grant=grant, grant_user=current)


def _signs_in_with(client, accounts, subject: str) -> bool:
    if any(account.subject == subject for account in accounts):
        return True
    return not client.for_staff and admin.store().by_subject(subject) is not None


def _migrated_user(email: str, password: str, portal_port: int):
    """A user created through the admin API: one still marked "requires migration" signs in with the
    district password the portal confirms; the password is then theirs here and the mark is cleared."""
    users = admin.store()
    user = users.by_email(email)
    if user is None or not password:
        return None
    if user.requires_migration:
        if not admin.legacy_password_matches(user, password, portal_port):
            return None
        users.migrated(user.subject, password)
        return user
    return user if users.password_matches(user.subject, password) else None


@bp.post("/token")
def token():
    return provider().server.create_token_response()


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo():
    return provider().server.create_endpoint_response("userinfo")


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    idp = provider()
    try:
        end_session_request = idp.server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return render_template("idp/error.html", error=error), 400
    response = idp.server.create_endpoint_response("end_session", end_session_request)
    return response or render_template("idp/signed_out.html", start=url_for("idp.index"))
