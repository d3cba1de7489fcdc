"""The provider's state and its authlib authorization server. State is kept in memory: codes and tokens live
minutes, and a restarted development provider simply asks residents to sign in again."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo, UserInfoEndpoint
from flask import Flask, request
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from sandbox.demo_residents import by_subject
from sandbox.demo_staff import DEMO_STAFF, staff_by_subject

CODE_LIFETIME = 120
TOKEN_LIFETIME = 3600
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def issuer() -> str:
    """This provider's issuer: its own URL as the request reached it, so it is right on any port."""
    return f"{request.host_url.rstrip('/')}/idp"


def without_loopback_port(uri: str) -> str:
    """The URI without its port when its host is loopback: as for native apps' loopback redirects
    (RFC 8252 section 7.3), any port is allowed: the portal may run on any port in development and tests."""
    parts = urlsplit(uri)
    if parts.hostname and (parts.hostname.endswith(".localhost") or parts.hostname in LOOPBACK_HOSTS):
        return urlunsplit(parts._replace(netloc=parts.hostname))
    return uri


def loopback_port(uri: str) -> int:
    parts = urlsplit(uri)
    return parts.port or (443 if parts.scheme == "https" else 80)


@dataclass(frozen=True)
class PortalClient(ClientMixin):
    """The portal as a client, registered for every council's `<slug>.localhost` domain on any port. Its
    back-channel logout endpoint is called on 127.0.0.1 at the port the resident's sign-in came back to."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    backchannel_logout_path: str | None = None
    # The staff client signs in only staff accounts; the residents' client only residents.
    for_staff: bool = False

    def accounts(self) -> tuple:
        from sandbox.demo_residents import DEMO_RESIDENTS

        return DEMO_STAFF if self.for_staff else DEMO_RESIDENTS

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}

    def check_post_logout_redirect_uri(self, uri: str) -> bool:
        return without_loopback_port(uri) in self.post_logout_redirect_uris

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        allowed = {"openid", "profile", "email"}
        return " ".join(part for part in (scope or "").split() if part in allowed)

    def check_redirect_uri(self, redirect_uri):
        return without_loopback_port(redirect_uri) in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post") if endpoint == "token" else True

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    subject: str
    provider_session_id: str
    nonce: str | None
    auth_time: int
    acr: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return self.acr

    def get_amr(self):
        return ["pwd"]


@dataclass
class AccessToken:
    access_token: str
    client_id: str
    scope: str
    subject: str
    expires_at: float
    revoked: bool = False

    def check_client(self, client):
        return client.get_client_id() == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return int(self.expires_at - time.time())

    def is_expired(self):
        return time.time() > self.expires_at

    def is_revoked(self):
        return self.revoked

    def get_user(self):
        return account_by_subject(self.subject)

    def get_client(self):
        return _provider().clients[self.client_id]


@dataclass
class ProviderSession:
    """A resident's single sign-on session at this provider, and the clients it signed them in to."""

    sid: str
    subject: str
    auth_time: int
    acr: str
    # client id -> the port its redirect URI used, where its back-channel logout endpoint is called
    clients: dict[str, int] = field(default_factory=dict)


def account_by_subject(subject: str):
    """A demo resident, a demo staff member, or a user made through the admin API (sandbox/idp/admin.py)."""
    from sandbox.idp.admin import store

    return by_subject(subject) or staff_by_subject(subject) or store().by_subject(subject)


def _provider() -> IdentityProvider:
    from flask import current_app

    return current_app.extensions["idp"]


def user_info(resident, scope: str) -> UserInfo:
    scopes = set((scope or "").split())
    claims = {"sub": resident.subject}
    if "profile" in scopes:
        claims.update(name=resident.name, given_name=resident.given_name, family_name=resident.family_name)
    if "email" in scopes:
        claims.update(email=resident.email, email_verified=True)
    return UserInfo(claims)


class SandboxOpenIDCode(OpenIDCode):
    def __init__(self, provider: IdentityProvider):
        super().__init__(require_nonce=True)
        self.provider = provider

    def exists_nonce(self, nonce, request):
        return self.provider.nonce_seen(nonce)

    def resolve_client_private_key(self, client):
        return self.provider.signing_key

    def get_client_algorithm(self, client):
        return self.provider.algorithm

    def get_encode_header(self, client):
        return {"alg": self.provider.algorithm, "kid": self.provider.signing_key.kid, "typ": "JWT"}

    def get_client_claims(self, client):
        now = int(time.time())
        return {"iss": issuer(), "aud": client.get_client_id(), "iat": now, "exp": now + 600}

    def get_authorization_code_claims(self, authorization_code):
        claims = super().get_authorization_code_claims(authorization_code)
        claims["sid"] = authorization_code.provider_session_id
        member = staff_by_subject(authorization_code.subject)
        if member is not None:
            # As Entra ID puts a user's app roles in the ID token.
            claims["roles"] = list(member.roles)
        return claims

    def generate_user_info(self, user, scope):
        # Name and email go to userinfo only: the ID token says who, userinfo says what they are called.
        return UserInfo(sub=user.subject)


class SandboxCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        provider = _provider()
        provider_session: ProviderSession = request.user
        data = request.payload.data
        provider.save_code(
            AuthorizationCode(
                code=code,
                client_id=request.client.get_client_id(),
                redirect_uri=request.payload.redirect_uri,
                scope=request.payload.scope,
                subject=provider_session.subject,
                provider_session_id=provider_session.sid,
                nonce=data.get("nonce"),
                auth_time=provider_session.auth_time,
                acr=provider_session.acr,
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                expires_at=time.time() + CODE_LIFETIME,
            )
        )
        provider_session.clients[request.client.get_client_id()] = loopback_port(request.payload.redirect_uri)

    def query_authorization_code(self, code, client):
        return _provider().find_code(code, client.get_client_id())

    def delete_authorization_code(self, authorization_code):
        _provider().delete_code(authorization_code.code)

    def authenticate_user(self, authorization_code):
        return account_by_subject(authorization_code.subject)


class SandboxBearerTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return _provider().tokens.get(token_string)


class SandboxUserInfoEndpoint(UserInfoEndpoint):
    def get_issuer(self):
        return issuer()

    def generate_user_info(self, user, scope):
        return user_info(user, scope)

    def resolve_private_key(self):
        return _provider().signing_key


class S256Only(CodeChallenge):
    """PKCE is required of every client, confidential ones too, and only with S256."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256")
        super().validate_code_challenge(grant, redirect_uri)


class IdentityProvider:
    def __init__(
        self, app: Flask, signing_key: RSAKey | ECKey, *, clients: list[PortalClient], verified_acr: str
    ):
        self.signing_key = signing_key
        self.algorithm = "ES256" if isinstance(signing_key, ECKey) else "RS256"
        self.clients = {client.client_id: client for client in clients}
        self.verified_acr = verified_acr
        self._lock = threading.Lock()
        self.codes: dict[str, AuthorizationCode] = {}
        self.used_nonces: set[str] = set()
        self.tokens: dict[str, AccessToken] = {}
        self.sessions: dict[str, ProviderSession] = {}
        self.http = requests.Session()

        self.server = AuthorizationServer(app, query_client=self.clients.get, save_token=self._save_token)
        self.server.register_grant(SandboxCodeGrant, [S256Only(required=True), SandboxOpenIDCode(self)])
        protector = ResourceProtector()
        protector.register_token_validator(SandboxBearerTokenValidator())
        self.server.register_endpoint(SandboxUserInfoEndpoint(resource_protector=protector))

    def _save_token(self, token, request):
        with self._lock:
            self.tokens[token["access_token"]] = AccessToken(
                access_token=token["access_token"],
                client_id=request.client.get_client_id(),
                scope=token.get("scope", ""),
                subject=request.user.subject,
                expires_at=time.time() + int(token.get("expires_in", TOKEN_LIFETIME)),
            )

    def save_code(self, code: AuthorizationCode) -> None:
        with self._lock:
            self.codes[code.code] = code
            if code.nonce:
                self.used_nonces.add(code.nonce)

    def find_code(self, code: str, client_id: str) -> AuthorizationCode | None:
        with self._lock:
            found = self.codes.get(code)
        if found is None or found.client_id != client_id or found.expires_at < time.time():
            return None
        return found

    def delete_code(self, code: str) -> None:
        with self._lock:
            self.codes.pop(code, None)

    def nonce_seen(self, nonce: str) -> bool:
        with self._lock:
            return nonce in self.used_nonces

    def start_session(self, subject: str, acr: str) -> ProviderSession:
        provider_session = ProviderSession(
            sid=secrets.token_urlsafe(16), subject=subject, auth_time=int(time.time()), acr=acr
        )
        with self._lock:
            self.sessions[provider_session.sid] = provider_session
        return provider_session

    def find_session(self, sid: str | None) -> ProviderSession | None:
        with self._lock:
            return self.sessions.get(sid) if sid else None

    def end_session(self, sid: str) -> list[str]:
        """End a provider session and tell every client it signed in to. Returns what each client said."""
        with self._lock:
            provider_session = self.sessions.pop(sid, None)
            if provider_session is not None:
                for token in self.tokens.values():
                    if token.subject == provider_session.subject:
                        token.revoked = True
        if provider_session is None:
            return []
        outcomes = []
        for client_id, port in sorted(provider_session.clients.items()):
            client = self.clients.get(client_id)
            if client is None or not client.backchannel_logout_path:
                continue
            outcomes.append(self.send_backchannel_logout(client, provider_session, port))
        return outcomes

    def logout_token(self, client: PortalClient, provider_session: ProviderSession) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer(),
            "aud": client.client_id,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(16),
            "sub": provider_session.subject,
            "sid": provider_session.sid,
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
        header = {"alg": self.algorithm, "kid": self.signing_key.kid, "typ": "logout+jwt"}
        return jwt.encode(header, claims, self.signing_key, algorithms=[self.algorithm])

    def send_backchannel_logout(
        self, client: PortalClient, provider_session: ProviderSession, port: int
    ) -> str:
        try:
            response = self.http.post(
                f"http://127.0.0.1:{port}{client.backchannel_logout_path}",
                data={"logout_token": self.logout_token(client, provider_session)},
                timeout=5,
            )
        except requests.RequestException as error:
            return f"{client.client_id}: not reached ({type(error).__name__})"
        return f"{client.client_id}: {response.status_code}"

    def public_jwks(self) -> dict:
        return {"keys": [self.signing_key.as_dict(private=False)]}
