"""The explicit ID token and logout token checks, one failure at a time."""

import base64
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from app.auth.tokens import BACKCHANNEL_LOGOUT_EVENT, TokenError, verify_id_token, verify_logout_token

ISSUER = "https://login.example.gov.uk/tenant/v2.0/"
CLIENT = "portal-client"
NOW = 1_800_000_000
RSA = RSAKey.generate_key(2048, parameters={"kid": "r1"})
EC = ECKey.generate_key("P-256", parameters={"kid": "e1"})
PUBLIC = KeySet([RSAKey.import_key(RSA.as_dict(private=False)), ECKey.import_key(EC.as_dict(private=False))])


def keys(refresh):
    return PUBLIC


def id_token(alg="RS256", key=None, header=None, **overrides):
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "s-1", "iat": NOW, "exp": NOW + 300, "nonce": "n-1"}
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    key = key or (RSA if alg == "RS256" else EC)
    return jwt.encode({"alg": alg, "kid": key.kid, **(header or {})}, claims, key, algorithms=[alg])


def check(token, nonce="n-1", now=NOW):
    return verify_id_token(token, keys, issuer=ISSUER, client_id=CLIENT, nonce=nonce, leeway=60, now=now)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_good_token(alg):
    verified = check(id_token(alg, acr="P2.Cl.Cm", sid="sid-1"))
    assert (verified.subject, verified.issuer, verified.acr, verified.provider_session_id) == (
        "s-1",
        ISSUER,
        "P2.Cl.Cm",
        "sid-1",
    )


@pytest.mark.parametrize(
    ("token", "reason", "kwargs"),
    [
        (lambda: id_token(iss=ISSUER.rstrip("/")), "wrong_issuer", {}),
        (lambda: id_token(aud="someone-else"), "wrong_audience", {}),
        (lambda: id_token(aud=[CLIENT, "other"]), "wrong_audience", {}),
        (lambda: id_token(aud=[CLIENT, "other"], azp="other"), "wrong_audience", {}),
        (lambda: id_token(exp=NOW - 61), "expired", {}),
        (lambda: id_token(exp=None), "missing_exp", {}),
        (lambda: id_token(iat=NOW + 61), "issued_in_future", {}),
        (lambda: id_token(iat=None), "missing_iat", {}),
        (lambda: id_token(nonce="n-2"), "wrong_nonce", {}),
        (lambda: id_token(nonce=None), "wrong_nonce", {}),
        (lambda: id_token(sub=None), "missing_sub", {}),
        (lambda: id_token(key=RSAKey.generate_key(2048, parameters={"kid": "r1"})), "bad_signature", {}),
        (lambda: id_token(key=RSAKey.generate_key(2048, parameters={"kid": "unknown"})), "unknown_key", {}),
        (lambda: "not.a.jwt", "malformed", {}),
    ],
)
def test_a_bad_token(token, reason, kwargs):
    with pytest.raises(TokenError) as failure:
        check(token(), **kwargs)
    assert failure.value.reason == reason


def test_small_clock_skew_is_tolerated():
    check(id_token(exp=NOW - 30, iat=NOW - 400))
    check(id_token(iat=NOW + 30))


def test_multiple_audiences_need_azp():
    assert check(id_token(aud=[CLIENT, "other"], azp=CLIENT)).subject == "s-1"


def _unsigned(claims, alg="none"):
    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': alg})}.{part(claims)}."


@pytest.mark.parametrize("alg", ["none", "None"])
def test_unsigned_tokens_are_refused(alg):
    with pytest.raises(TokenError) as failure:
        check(
            _unsigned(
                {"iss": ISSUER, "aud": CLIENT, "sub": "s", "iat": NOW, "exp": NOW + 1, "nonce": "n-1"}, alg
            )
        )
    assert failure.value.reason == "unsigned"


def test_hmac_tokens_are_refused():
    with pytest.raises(TokenError) as failure:
        check(_unsigned({}, "HS256") + "c2ln")
    assert failure.value.reason == "unsupported_algorithm"


def test_keys_are_fetched_again_for_an_unknown_kid():
    rotated = RSAKey.generate_key(2048, parameters={"kid": "r2"})
    calls = []

    def rotating_keys(refresh):
        calls.append(refresh)
        return KeySet([rotated]) if refresh else PUBLIC

    token = id_token(key=rotated)
    verify_id_token(token, rotating_keys, issuer=ISSUER, client_id=CLIENT, nonce="n-1", leeway=60, now=NOW)
    assert calls == [False, True]


def logout_token(header=None, **overrides):
    claims = {
        "iss": ISSUER,
        "aud": CLIENT,
        "iat": NOW,
        "exp": NOW + 120,
        "jti": "j",
        "sub": "s-1",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": "ES256", "kid": "e1", "typ": "logout+jwt", **(header or {})}, claims, EC)


def check_logout(token):
    return verify_logout_token(token, keys, issuer=ISSUER, client_id=CLIENT, leeway=60, max_age=300, now=NOW)


def test_a_good_logout_token():
    assert check_logout(logout_token(sid="x")).provider_session_id == "x"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: logout_token(header={"typ": "JWT"}), "wrong_type"),
        (lambda: logout_token(nonce="n"), "nonce_in_logout_token"),
        (lambda: logout_token(events={}), "missing_logout_event"),
        (lambda: logout_token(sub=None), "missing_sub_and_sid"),
        (lambda: logout_token(aud="x"), "wrong_audience"),
        (lambda: id_token("ES256"), "wrong_type"),
    ],
)
def test_a_bad_logout_token(token, reason):
    with pytest.raises(TokenError) as failure:
        check_logout(token())
    assert failure.value.reason == reason


def test_now_defaults_to_the_clock():
    fresh = id_token(iat=int(time.time()), exp=int(time.time()) + 60)
    assert (
        verify_id_token(fresh, keys, issuer=ISSUER, client_id=CLIENT, nonce="n-1", leeway=60).subject == "s-1"
    )
