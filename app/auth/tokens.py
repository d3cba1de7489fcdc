"""Explicit checks of the JWTs the provider sends us: ID tokens at sign-in, logout tokens at back-channel
logout. Every check of OpenID Connect Core 3.1.3.7 and Back-Channel Logout 2.6 that applies to us is here,
written out, rather than left to a library default."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError, MissingKeyError
from joserfc.jwk import KeySet

SUPPORTED_ALGORITHMS = ("RS256", "ES256")
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
MAX_TOKEN_ID_LENGTH = 255


class TokenError(Exception):
    """A token failed a check. `reason` is a short code for the audit log; it never contains the token."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IdToken:
    subject: str
    issuer: str
    acr: str | None
    provider_session_id: str | None
    auth_time: int | None
    vot: str | None = None
    amr: tuple[str, ...] = ()
    # Every claim, checked: for claims only some clients read (the staff client's roles).
    claims: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class LogoutToken:
    issuer: str
    subject: str | None
    provider_session_id: str | None
    token_id: str
    issued_at: float


def _verified_claims(
    token: str, keys: Callable[[bool], KeySet], *, expected_typ: str | None = None
) -> tuple[dict, dict]:
    """Check the signature against the provider's keys and return (header, claims)."""
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError) as error:
        raise TokenError("malformed") from error
    algorithm = header.get("alg")
    if algorithm in (None, "none", "None", "NONE"):
        raise TokenError("unsigned")
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise TokenError("unsupported_algorithm")
    if expected_typ is not None and str(header.get("typ", "")).lower() not in (
        expected_typ,
        f"application/{expected_typ}",
    ):
        raise TokenError("wrong_type")
    for refresh in (False, True):
        try:
            decoded = jwt.decode(token, keys(refresh), algorithms=[algorithm])
        except BadSignatureError as error:
            raise TokenError("bad_signature") from error
        except (InvalidKeyIdError, MissingKeyError) as error:
            # No key with this kid: the provider may have rotated its keys since we fetched them.
            if refresh:
                raise TokenError("unknown_key") from error
            continue
        except (JoseError, ValueError) as error:
            raise TokenError("malformed") from error
        return header, dict(decoded.claims)
    raise TokenError("unknown_key")


def _check_common_claims(claims: dict, *, issuer: str, client_id: str, leeway: int, now: float) -> None:
    if claims.get("iss") != issuer:
        raise TokenError("wrong_issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise TokenError("wrong_audience")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise TokenError("wrong_audience")
    if "azp" in claims and claims["azp"] != client_id:
        raise TokenError("wrong_audience")
    issued_at = claims.get("iat")
    if not isinstance(issued_at, int | float):
        raise TokenError("missing_iat")
    if issued_at > now + leeway:
        raise TokenError("issued_in_future")


def _check_not_before(claims: dict, *, leeway: int, now: float) -> None:
    not_before = claims.get("nbf")
    if not_before is None:
        return
    if not isinstance(not_before, int | float):
        raise TokenError("malformed_nbf")
    if not_before > now + leeway:
        raise TokenError("not_yet_valid")


def verify_id_token(
    token: str,
    keys: Callable[[bool], KeySet],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    leeway: int,
    now: float | None = None,
) -> IdToken:
    now = time.time() if now is None else now
    _, claims = _verified_claims(token, keys)
    _check_common_claims(claims, issuer=issuer, client_id=client_id, leeway=leeway, now=now)
    _check_not_before(claims, leeway=leeway, now=now)
    expires_at = claims.get("exp")
    if not isinstance(expires_at, int | float):
        raise TokenError("missing_exp")
    if expires_at < now - leeway:
        raise TokenError("expired")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce, nonce):
        raise TokenError("wrong_nonce")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise TokenError("missing_sub")
    auth_time = claims.get("auth_time")
    amr = claims.get("amr")
    return IdToken(
        subject=subject,
        issuer=claims["iss"],
        acr=claims.get("acr") if isinstance(claims.get("acr"), str) else None,
        provider_session_id=claims.get("sid") if isinstance(claims.get("sid"), str) else None,
        auth_time=int(auth_time) if isinstance(auth_time, int | float) else None,
        vot=claims.get("vot") if isinstance(claims.get("vot"), str) else None,
        amr=tuple(value for value in amr if isinstance(value, str)) if isinstance(amr, list) else (),
        claims=claims,
    )


def verify_logout_token(
    token: str,
    keys: Callable[[bool], KeySet],
    *,
    issuer: str,
    client_id: str,
    leeway: int,
    max_age: int,
    now: float | None = None,
) -> LogoutToken:
    """Back-Channel Logout 1.0, 2.4 and 2.6: `iat`, `exp` and `jti` are required, and the token must have been
    issued within `max_age` seconds, so that a captured token cannot end sessions days later. Whether this
    `jti` was seen before is the caller's check (app.auth.replay)."""
    now = time.time() if now is None else now
    _, claims = _verified_claims(token, keys, expected_typ="logout+jwt")
    _check_common_claims(claims, issuer=issuer, client_id=client_id, leeway=leeway, now=now)
    _check_not_before(claims, leeway=leeway, now=now)
    expires_at = claims.get("exp")
    if not isinstance(expires_at, int | float):
        raise TokenError("missing_exp")
    if expires_at < now - leeway:
        raise TokenError("expired")
    if claims["iat"] < now - max_age - leeway:
        raise TokenError("too_old")
    token_id = claims.get("jti")
    if not isinstance(token_id, str) or not token_id or len(token_id) > MAX_TOKEN_ID_LENGTH:
        raise TokenError("missing_jti")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise TokenError("missing_logout_event")
    if "nonce" in claims:
        raise TokenError("nonce_in_logout_token")
    subject = claims.get("sub") if isinstance(claims.get("sub"), str) else None
    provider_session_id = claims.get("sid") if isinstance(claims.get("sid"), str) else None
    if not subject and not provider_session_id:
        raise TokenError("missing_sub_and_sid")
    return LogoutToken(
        issuer=claims["iss"],
        subject=subject,
        provider_session_id=provider_session_id,
        token_id=token_id,
        issued_at=float(claims["iat"]),
    )
