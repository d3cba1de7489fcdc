"""Issue 11, item 7: a back-channel logout token must be recent, carry exp and jti, and be used once, in
every process of the portal; and made-up key ids must not make the portal hammer the provider for keys."""

import os
import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from app import create_app
from app.auth import provider as provider_module
from app.extensions import db
from app.models.identity import PortalSession
from tests.integration.auth.conftest import Visitor, audit_events

DAY = 24 * 3600


@pytest.fixture
def signed_in(app, scripted):
    visitor = Visitor(app.test_client())
    assert visitor.sign_in_at_scripted().location == "/dashboard"
    return visitor


def post_logout(app, token):
    return app.test_client().post(
        "/auth/back-channel-logout", data={"logout_token": token}, headers={"Host": "127.0.0.1"}
    )


def signed_in_sessions(app) -> int:
    with app.app_context():
        return sum(1 for stored in db.session.scalars(select(PortalSession)) if stored.resident_id)


def rejection_reasons(app) -> list[str]:
    return [event.detail["reason"] for event in audit_events(app, "back_channel_logout_rejected")]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        pytest.param({"exp": None}, "missing_exp", id="no-exp"),
        pytest.param({"jti": None}, "missing_jti", id="no-jti"),
        pytest.param({"jti": ""}, "missing_jti", id="empty-jti"),
        pytest.param({"jti": 42}, "missing_jti", id="numeric-jti"),
        pytest.param(
            {"iat": int(time.time()) - 30 * DAY, "exp": int(time.time()) + DAY}, "too_old", id="30-days"
        ),
        pytest.param({"iat": None}, "missing_iat", id="no-iat"),
        pytest.param({"nbf": int(time.time()) + 3600}, "not_yet_valid", id="nbf-future"),
    ],
)
def test_a_stale_or_incomplete_logout_token_ends_nothing(app, scripted, signed_in, overrides, reason):
    response = post_logout(app, scripted.logout_token(**overrides))
    assert response.status_code == 400
    assert signed_in_sessions(app) == 1
    assert rejection_reasons(app) == [reason]


def test_a_logout_token_is_acted_on_once(app, scripted, signed_in):
    token = scripted.logout_token()
    assert post_logout(app, token).status_code == 200
    assert signed_in_sessions(app) == 0
    again = Visitor(app.test_client())
    assert again.sign_in_at_scripted().location == "/dashboard"
    response = post_logout(app, token)
    assert response.status_code == 400
    assert response.json == {"error": "invalid_request"}
    assert signed_in_sessions(app) == 1
    assert rejection_reasons(app) == ["replayed"]


def another_process(app, tmp_path, **config):
    """A second portal process: its own app object and provider cache, the same database."""
    return create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        INSTANCE_DIR=tmp_path,
        OIDC_DISCOVERY_URL=app.config["OIDC_DISCOVERY_URL"],
        OIDC_TIMEOUT_SECONDS=5.0,
        **config,
    )


def test_a_token_used_in_one_process_is_refused_in_another(app, scripted, signed_in, tmp_path):
    token = scripted.logout_token()
    assert post_logout(app, token).status_code == 200
    assert post_logout(another_process(app, tmp_path), token).status_code == 400


def test_the_replay_cache_is_in_redis_when_configured(app, scripted, signed_in, tmp_path):
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.skip("PORTAL_TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(url)
    first = another_process(app, tmp_path / "a", REDIS_URL=url)
    second = another_process(app, tmp_path / "b", REDIS_URL=url)
    token = scripted.logout_token()
    try:
        assert post_logout(first, token).status_code == 200
        assert post_logout(second, token).status_code == 400
        (key,) = client.keys("portal:used-logout-token:*")
        assert 0 < client.ttl(key) <= 300 + 60
    finally:
        for key in client.scan_iter("portal:used-logout-token:*"):
            client.delete(key)


def test_unknown_key_ids_do_not_hammer_the_providers_key_endpoint(app, scripted, signed_in):
    fetched_before = scripted.jwks_requests
    for attempt in range(5):
        stranger = RSAKey.generate_key(2048, parameters={"kid": f"made-up-{attempt}"})
        claims = {
            "iss": scripted.issuer,
            "aud": "my-norfolk-development",
            "iat": int(time.time()),
            "exp": int(time.time()) + 120,
            "jti": f"j-{attempt}",
            "sub": scripted.subject,
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        }
        token = jwt.encode({"alg": "RS256", "kid": stranger.kid, "typ": "logout+jwt"}, claims, stranger)
        assert post_logout(app, token).status_code == 400
    assert scripted.jwks_requests - fetched_before <= 1
    assert rejection_reasons(app) == ["unknown_key"] * 5
    assert signed_in_sessions(app) == 1


def test_keys_are_fetched_again_once_the_interval_has_passed(app, scripted, signed_in, monkeypatch):
    monkeypatch.setattr(provider_module, "KEY_REFRESH_INTERVAL_SECONDS", 0)
    fetched_before = scripted.jwks_requests
    stranger = RSAKey.generate_key(2048, parameters={"kid": "made-up"})
    token = jwt.encode(
        {"alg": "RS256", "kid": "made-up", "typ": "logout+jwt"}, {"iss": scripted.issuer}, stranger
    )
    assert post_logout(app, token).status_code == 400
    assert scripted.jwks_requests - fetched_before == 1
