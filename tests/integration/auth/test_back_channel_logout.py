"""Back-channel logout: a verified logout+jwt from the provider ends every portal session of that subject."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.identity import PortalSession
from tests.integration.auth.conftest import Visitor, audit_events

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def two_sessions(app, scripted):
    district = Visitor(app.test_client(), host="south-norfolk.localhost")
    county = Visitor(app.test_client(), host="norfolk.localhost")
    for visitor in (district, county):
        assert visitor.sign_in_at_scripted().location == "/dashboard"
        assert visitor.portal("/account").status_code == 200
    return district, county


def post_logout(app, token):
    return app.test_client().post(
        "/auth/back-channel-logout", data={"logout_token": token}, headers={"Host": "127.0.0.1"}
    )


def signed_in_sessions(app) -> int:
    with app.app_context():
        return sum(1 for stored in db.session.scalars(select(PortalSession)) if stored.resident_id)


def test_a_logout_token_ends_every_session_of_the_subject(app, scripted, two_sessions):
    response = post_logout(app, scripted.logout_token())
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    for visitor in two_sessions:
        assert visitor.portal("/account").status_code == 302
    assert signed_in_sessions(app) == 0
    (event,) = audit_events(app, "back_channel_logout")
    assert event.detail == {"sessions_ended": 2}
    assert event.actor.startswith("resident:")


def test_a_logout_token_with_only_a_session_id(app, scripted, two_sessions):
    assert post_logout(app, scripted.logout_token(sub=None, sid="scripted-session-1")).status_code == 200
    assert signed_in_sessions(app) == 0


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"typ": "JWT"}, "wrong_type"),
        ({"events": None}, "missing_logout_event"),
        ({"events": {"http://example.com/other-event": {}}}, "missing_logout_event"),
        ({"nonce": "n-0S6_WzA2Mj"}, "nonce_in_logout_token"),
        ({"iss": "http://127.0.0.1:1/elsewhere"}, "wrong_issuer"),
        ({"aud": "another-client"}, "wrong_audience"),
        ({"sub": None, "sid": None}, "missing_sub_and_sid"),
        ({"exp": 1_000_000_000, "iat": 999_999_000}, "expired"),
    ],
)
def test_a_bad_logout_token_ends_nothing(app, scripted, two_sessions, overrides, reason):
    response = post_logout(app, scripted.logout_token(**overrides))
    assert response.status_code == 400
    assert response.json == {"error": "invalid_request"}
    assert signed_in_sessions(app) == 2
    (event,) = audit_events(app, "back_channel_logout_rejected")
    assert event.detail == {"reason": reason}


def test_an_unsigned_logout_token_ends_nothing(app, scripted, two_sessions):
    scripted.behaviour.unsigned = True
    assert post_logout(app, scripted.logout_token()).status_code == 400
    assert signed_in_sessions(app) == 2


def test_a_logout_token_signed_by_someone_else_ends_nothing(app, scripted, two_sessions):
    scripted.behaviour.sign_with_stranger_key = True
    assert post_logout(app, scripted.logout_token()).status_code == 400
    assert signed_in_sessions(app) == 2


def test_no_logout_token(app, scripted):
    assert post_logout(app, None).status_code == 400


def test_the_sandbox_provider_calls_back_channel_logout_at_sign_out(app, sandbox_idp):
    """The sandbox provider posts a logout token the portal accepts (checked end to end in the browser suite;
    here its token is checked against the portal's verifier)."""
    from app.auth.provider import Provider
    from app.auth.tokens import verify_logout_token
    from sandbox.idp.server import ProviderSession

    provider = sandbox_idp.app.extensions["idp"]
    client = next(iter(provider.clients.values()))
    with sandbox_idp.app.test_request_context("/idp/logout", base_url=sandbox_idp.url):
        token = provider.logout_token(
            client, ProviderSession(sid="s1", subject="demo-0001-priya-shah", auth_time=0, acr="x")
        )
    discovered = Provider(f"{sandbox_idp.url}/idp/.well-known/openid-configuration", timeout=2)
    logout = verify_logout_token(
        token,
        lambda refresh: discovered.keys(refresh=refresh),
        issuer=discovered.metadata().issuer,
        client_id="my-norfolk-development",
        leeway=60,
        max_age=300,
    )
    assert logout.subject == "demo-0001-priya-shah"
    assert logout.provider_session_id == "s1"
