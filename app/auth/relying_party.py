"""The portal as an OpenID Connect relying party: authorization code flow with PKCE (S256), state and nonce
kept in the server-side session of the browser that started sign-in, the code exchanged with
client_secret_basic or private_key_jwt, the ID token checked by app.auth.tokens, and name and email taken
from userinfo only.

The portal has two client registrations, each a ``Client``: residents' (PORTAL_OIDC_*, the councils' shared
provider) and council staff's (PORTAL_STAFF_OIDC_*, the councils' workforce provider). Every function takes
the client it works for; residents' is the default.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from flask import current_app, session, url_for
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from app.auth.provider import Provider, ProviderError, ProviderMetadata, http_get_json, provider_for
from app.auth.tokens import IdToken, TokenError, verify_id_token

PENDING_KEY = "oidc_pending"
PRIMARY = "primary"
PASSWORD_RESET = "password_reset"  # noqa: S105 - the name of a sign-in flow
STANDARD = "standard"
GOVUK_ONE_LOGIN = "govuk-one-login"
EMAIL_VERIFIED_CLAIM = "claim"
EMAIL_ALWAYS_VERIFIED = "always"


@dataclass(frozen=True)
class Client:
    """One client registration: where its settings are (PORTAL_<prefix>_*) and its callback's endpoint."""

    config_prefix: str
    callback_endpoint: str

    def setting(self, name: str, default=None):
        value = current_app.config.get(f"{self.config_prefix}_{name}")
        return default if value is None else value


RESIDENTS = Client("OIDC", "auth.callback")
STAFF = Client("STAFF_OIDC", "staff.callback")


class SignInError(Exception):
    """Sign-in failed. `reason` is a short code for the audit log and the choice of error message."""

    def __init__(self, reason: str, *, subject: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.subject = subject


class NotConfiguredError(Exception):
    """The portal has no identity provider configured."""


@dataclass(frozen=True)
class PendingSignIn:
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    flow: str
    return_to: str | None
    acr_values: str | None
    issuer: str | None = None
    # Re-authentication: when the sign-in started (epoch seconds) and the max_age asked for.
    started_at: int | None = None
    max_age: int | None = None
    # Signing in again to confirm an action: only this resident may complete it.
    resident_id: int | None = None

    def to_session(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_session(cls, data: dict) -> PendingSignIn:
        return cls(**data)


@dataclass(frozen=True)
class SignedIn:
    id_token: IdToken
    raw_id_token: str
    name: str | None
    email: str | None


def _discovery_url(flow: str, client: Client) -> str:
    url = (
        client.setting("PASSWORD_RESET_DISCOVERY_URL")
        if flow == PASSWORD_RESET
        else client.setting("DISCOVERY_URL")
    )
    if not url or not client.setting("CLIENT_ID"):
        raise NotConfiguredError()
    return url


def provider(flow: str = PRIMARY, client: Client = RESIDENTS) -> Provider:
    issuer = client.setting("ISSUER")
    if flow == PASSWORD_RESET:
        issuer = client.setting("PASSWORD_RESET_ISSUER") or issuer
    return provider_for(_discovery_url(flow, client), current_app.config["OIDC_TIMEOUT_SECONDS"], issuer)


def is_configured(client: Client = RESIDENTS) -> bool:
    try:
        _discovery_url(PRIMARY, client)
    except NotConfiguredError:
        return False
    return True


def password_reset_is_configured() -> bool:
    return bool(current_app.config.get("OIDC_PASSWORD_RESET_DISCOVERY_URL"))


def redirect_uri(client: Client = RESIDENTS) -> str:
    """The callback on the request's host, so each council domain (and the staff host) has its own."""
    return url_for(client.callback_endpoint, _external=True)


def _oauth_session(
    metadata: ProviderMetadata, pending_redirect_uri: str, client: Client = RESIDENTS
) -> OAuth2Session:
    method = client.setting("CLIENT_AUTH_METHOD")
    if method == "private_key_jwt":
        key = load_private_key(client.setting("PRIVATE_KEY_FILE"))
        oauth = OAuth2Session(
            client.setting("CLIENT_ID"),
            key,
            scope=client.setting("SCOPES"),
            redirect_uri=pending_redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="private_key_jwt",  # noqa: S106 - a method name
        )
        algorithm = "ES256" if isinstance(key, ECKey) else "RS256"
        oauth.register_client_auth_method(PrivateKeyJWT(metadata.token_endpoint, alg=algorithm))
        return oauth
    if method != "client_secret_basic":
        raise NotConfiguredError()
    return OAuth2Session(
        client.setting("CLIENT_ID"),
        client.setting("CLIENT_SECRET"),
        scope=client.setting("SCOPES"),
        redirect_uri=pending_redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
    )


def load_private_key(path: str | None) -> RSAKey | ECKey:
    if not path:
        raise NotConfiguredError()
    pem = Path(path).read_bytes()
    try:
        return RSAKey.import_key(pem)
    except (ValueError, JoseError):
        return ECKey.import_key(pem)


def authorization_url(
    *,
    flow: str = PRIMARY,
    return_to: str | None = None,
    acr_values: str | None = None,
    max_age: int | None = None,
    resident_id: int | None = None,
    client: Client = RESIDENTS,
) -> str:
    """Start a sign-in: remember state, nonce, PKCE verifier and the issuer asked in this browser's session
    and return the provider's authorization URL. `acr_values` is the assurance level to ask for: sent as
    `acr_values`, or for GOV.UK One Login as the vector of trust `vtr`. `max_age` asks the provider to make
    the person enter their password again when they did so longer ago (0: always, with prompt=login for
    providers that ignore max_age)."""
    metadata = provider(flow, client).metadata()
    pending = PendingSignIn(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=generate_token(64),
        redirect_uri=redirect_uri(client),
        flow=flow,
        return_to=return_to,
        acr_values=acr_values,
        issuer=metadata.issuer,
        started_at=int(time.time()),
        max_age=max_age,
        resident_id=resident_id,
    )
    session[PENDING_KEY] = pending.to_session()
    extra = {"nonce": pending.nonce}
    if client.setting("PROFILE", STANDARD) == GOVUK_ONE_LOGIN:
        extra["vtr"] = json.dumps([acr_values or client.setting("VTR_SIGNED_IN")])
    elif acr_values:
        extra["acr_values"] = acr_values
    if max_age is not None:
        extra["max_age"] = str(max_age)
        if max_age == 0:
            extra["prompt"] = "login"
    url, _ = _oauth_session(metadata, pending.redirect_uri, client).create_authorization_url(
        metadata.authorization_endpoint, state=pending.state, code_verifier=pending.code_verifier, **extra
    )
    return url


def check_authorization_response(
    pending: PendingSignIn, *, state: str | None, issuer: str | None, client: Client = RESIDENTS
) -> None:
    """Checks of the authorization response, success or error, before anything in it is acted on: the state
    this browser was given (CSRF, ASVS 10.1.2), and the RFC 9207 `iss` parameter (mix-up, ASVS 10.2.2),
    which must name the provider the request went to when present, and be present when that provider says it
    always sends it."""
    if not state or not secrets.compare_digest(state.encode(), pending.state.encode()):
        raise SignInError("state_mismatch")
    expected = pending.issuer
    if issuer is not None:
        if expected is None or not secrets.compare_digest(issuer.encode(), expected.encode()):
            raise SignInError("iss_mismatch")
        return
    try:
        advertised = provider(pending.flow, client).metadata().authorization_response_iss_parameter_supported
    except (ProviderError, NotConfiguredError):
        advertised = False
    if advertised:
        raise SignInError("missing_iss")


def take_pending() -> PendingSignIn | None:
    """The sign-in this browser started, removed from the session so that it can complete only once."""
    data = session.pop(PENDING_KEY, None)
    if not isinstance(data, dict):
        return None
    try:
        return PendingSignIn.from_session(data)
    except TypeError:
        return None


def complete_sign_in(pending: PendingSignIn, *, code: str | None, client: Client = RESIDENTS) -> SignedIn:
    """Exchange the code of an authorization response that passed check_authorization_response."""
    if not code:
        raise SignInError("missing_code")
    chosen = provider(pending.flow, client)
    metadata = chosen.metadata()
    timeout = current_app.config["OIDC_TIMEOUT_SECONDS"]
    oauth = _oauth_session(metadata, pending.redirect_uri, client)
    try:
        token = oauth.fetch_token(
            metadata.token_endpoint,
            grant_type="authorization_code",
            code=code,
            code_verifier=pending.code_verifier,
            redirect_uri=pending.redirect_uri,
            timeout=timeout,
        )
    except requests.Timeout as error:
        raise SignInError("provider_slow") from error
    except requests.RequestException as error:
        raise SignInError("provider_unreachable") from error
    except OAuthError as error:
        # invalid_grant: the code was used before, has expired, or was not issued to this browser's verifier.
        raise SignInError("code_rejected") from error
    except ValueError as error:
        raise SignInError("provider_error") from error
    raw_id_token = token.get("id_token")
    access_token = token.get("access_token")
    if not isinstance(raw_id_token, str) or not isinstance(access_token, str):
        raise SignInError("missing_id_token")
    try:
        id_token = verify_id_token(
            raw_id_token,
            lambda refresh: chosen.keys(refresh=refresh),
            issuer=metadata.issuer,
            client_id=client.setting("CLIENT_ID"),
            nonce=pending.nonce,
            leeway=current_app.config["OIDC_CLOCK_SKEW_SECONDS"],
            now=time.time(),
        )
    except TokenError as error:
        raise SignInError(f"id_token_{error.reason}") from error
    if pending.max_age is not None and pending.started_at is not None:
        # OpenID Connect Core 3.1.2.1: with max_age the provider must say when the person last entered their
        # password, and that must be within max_age of this sign-in's start (less the allowed clock skew).
        leeway = current_app.config["OIDC_CLOCK_SKEW_SECONDS"]
        oldest = pending.started_at - pending.max_age - leeway
        if id_token.auth_time is None or id_token.auth_time < oldest:
            raise SignInError("not_reauthenticated", subject=id_token.subject)
    userinfo = http_get_json(
        chosen.http, metadata.userinfo_endpoint, timeout, headers={"Authorization": f"Bearer {access_token}"}
    )
    if userinfo.get("sub") != id_token.subject:
        # OpenID Connect Core 5.3.2: a userinfo response for someone else must not be used.
        raise SignInError("userinfo_subject_mismatch", subject=id_token.subject)
    name = userinfo.get("name") or " ".join(
        part for part in (userinfo.get("given_name"), userinfo.get("family_name")) if isinstance(part, str)
    )
    email = userinfo.get("email") if email_is_verified(userinfo, client) else None
    return SignedIn(
        id_token=id_token,
        raw_id_token=raw_id_token,
        name=name if isinstance(name, str) and name else None,
        email=email if isinstance(email, str) else None,
    )


def email_is_verified(userinfo: dict, client: Client = RESIDENTS) -> bool:
    """Whether the provider vouches for the email address. OpenID Connect Core 5.1 defines `email_verified` as
    a JSON boolean: only `true` counts, never a missing claim, the string "true", 1 or anything else. A
    provider that verifies every address it releases but does not say so (Azure AD B2C local accounts) is
    trusted only by setting PORTAL_OIDC_EMAIL_VERIFIED=always for it."""
    if client.setting("EMAIL_VERIFIED") == EMAIL_ALWAYS_VERIFIED:
        return True
    return userinfo.get("email_verified") is True


def end_session_url(
    *, id_token_hint: str | None, post_logout_redirect_uri: str, client: Client = RESIDENTS
) -> str | None:
    """Where to send the browser to end the provider's session too, or None when it has no such endpoint."""
    try:
        metadata = provider(client=client).metadata()
    except (ProviderError, NotConfiguredError):
        return None
    if not metadata.end_session_endpoint:
        return None
    params = {
        "post_logout_redirect_uri": post_logout_redirect_uri,
        "client_id": client.setting("CLIENT_ID"),
    }
    if id_token_hint:
        params["id_token_hint"] = id_token_hint
    return str(requests.Request("GET", metadata.end_session_endpoint, params=params).prepare().url)
