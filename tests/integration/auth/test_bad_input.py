"""Item 8: every way sign-in can be spoiled gives a clear error page in the council's theme, creates no
session and writes a security event to the audit log (who, what, when, from where; nothing secret)."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.identity import PortalSession, Resident
from tests.integration.auth.conftest import CLICKED_HERE, audit_events, path_of

pytestmark = pytest.mark.database_independent

SECRET_PARAMETERS = ("code", "state", "nonce", "code_verifier", "id_token", "access_token")


def assert_refused(app, visitor, response, reason, status=400, *, residents_before=0):
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert "There was a problem signing you in" in html
    assert "South Norfolk Council" in html, "the error page is in the council's theme"
    assert "dist/south-norfolk.css" in html
    assert "You have not been signed in" in html
    assert visitor.portal("/account").status_code == 302
    with app.app_context():
        signed_in = [stored for stored in db.session.scalars(select(PortalSession)) if stored.resident_id]
        assert len(signed_in) == residents_before, "no signed-in session was created"
        assert db.session.scalar(select(db.func.count()).select_from(Resident)) == residents_before
    (event,) = audit_events(app, "sign_in_failed")
    assert event.detail == {"reason": reason}
    assert event.council == "south-norfolk"
    assert event.ip_address == "127.0.0.1"
    assert event.occurred_at is not None
    return event


def authorize_and_get_callback(visitor) -> str:
    answer = visitor.provider.get(visitor.start_sign_in(), allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    return answer.headers["Location"]


def test_a_correct_provider_signs_in(app, visitor, scripted):
    response = visitor.sign_in_at_scripted()
    assert response.location == "/dashboard"
    token_request = scripted.token_requests[0]
    assert token_request["auth"].username == "my-norfolk-development", "client_secret_basic"
    assert "client_secret" not in token_request["form"]
    assert token_request["form"]["code_verifier"]


def test_tampered_state(app, visitor, scripted):
    callback = authorize_and_get_callback(visitor)
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    tampered = f"{parts.path}?code={query['code'][0]}&state=forged-{query['state'][0][:10]}"
    assert_refused(app, visitor, visitor.portal(tampered), "state_mismatch")
    assert not scripted.token_requests, "the code is not even exchanged"


def test_missing_state(app, visitor, scripted):
    callback = authorize_and_get_callback(visitor)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    assert_refused(app, visitor, visitor.portal(f"/auth/callback?code={code}"), "state_mismatch")


def test_a_callback_this_browser_did_not_start(app, client, visitor, scripted):
    callback = authorize_and_get_callback(visitor)
    stranger = type(visitor)(app.test_client())
    assert_refused(app, stranger, stranger.portal(path_of(callback)), "missing_state")


def test_a_replayed_code(app, visitor, scripted):
    first = authorize_and_get_callback(visitor)
    code = parse_qs(urlsplit(first).query)["code"][0]
    assert visitor.callback(first).location == "/dashboard"
    # An attacker replays the used code into a fresh sign-in of another browser.
    attacker = type(visitor)(app.test_client())
    state = parse_qs(urlsplit(attacker.start_sign_in()).query)["state"][0]
    response = attacker.portal(f"/auth/callback?code={code}&state={state}")
    assert_refused(app, attacker, response, "code_rejected", residents_before=1)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"nonce": "someone-elses-nonce"}, "id_token_wrong_nonce"),
        ({"nonce": None}, "id_token_wrong_nonce"),
        ({"iss": "http://127.0.0.1:1/another-issuer"}, "id_token_wrong_issuer"),
        ({"aud": "another-client"}, "id_token_wrong_audience"),
        ({"aud": ["my-norfolk-development", "another-client"]}, "id_token_wrong_audience"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "id_token_expired"),
        ({"iat": int(time.time()) + 3600}, "id_token_issued_in_future"),
    ],
    ids=["wrong-nonce", "no-nonce", "wrong-issuer", "wrong-audience", "extra-audience", "expired", "future"],
)
def test_a_spoiled_id_token(app, visitor, scripted, overrides, reason):
    scripted.behaviour.claim_overrides = overrides
    event = assert_refused(app, visitor, visitor.sign_in_at_scripted(), reason)
    assert event.actor is None


def test_an_unsigned_id_token(app, visitor, scripted):
    scripted.behaviour.unsigned = True
    assert_refused(app, visitor, visitor.sign_in_at_scripted(), "id_token_unsigned")


def test_an_id_token_signed_by_someone_else(app, visitor, scripted):
    scripted.behaviour.sign_with_stranger_key = True
    assert_refused(app, visitor, visitor.sign_in_at_scripted(), "id_token_bad_signature")


def test_es256_id_tokens_are_accepted(app, visitor, scripted):
    scripted.behaviour.algorithm = "ES256"
    assert visitor.sign_in_at_scripted().location == "/dashboard"


def test_a_small_clock_difference_is_tolerated(app, visitor, scripted):
    scripted.behaviour.claim_overrides = {"iat": int(time.time()) + 30}
    assert visitor.sign_in_at_scripted().location == "/dashboard"


def test_userinfo_for_someone_else_is_refused(app, visitor, scripted):
    scripted.behaviour.userinfo = {"sub": "someone-else"}
    event = assert_refused(app, visitor, visitor.sign_in_at_scripted(), "userinfo_subject_mismatch")
    assert event.actor == f"subject:{scripted.subject}"


def test_a_slow_provider(app, visitor, scripted, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_TIMEOUT_SECONDS", 1.0)
    scripted.behaviour.token_delay = 1.5
    assert_refused(app, visitor, visitor.sign_in_at_scripted(), "provider_slow", status=504)


def test_an_unreachable_provider(app, visitor, scripted, monkeypatch):
    monkeypatch.setitem(
        app.config, "OIDC_DISCOVERY_URL", "http://127.0.0.1:9/.well-known/openid-configuration"
    )
    response = visitor.portal("/sign-in", headers=CLICKED_HERE)
    assert_refused(app, visitor, response, "provider_unreachable", status=502)
    assert "The sign-in service is not available at the moment" in response.get_data(as_text=True)


def test_the_audit_log_holds_nothing_secret(app, visitor, scripted):
    scripted.behaviour.claim_overrides = {"nonce": "wrong"}
    visitor.sign_in_at_scripted()
    visitor.sign_in_at_scripted()
    scripted.behaviour = type(scripted.behaviour)()
    visitor.sign_in_at_scripted()
    for event in audit_events(app):
        stored = f"{event.actor} {event.detail}"
        for parameter in SECRET_PARAMETERS:
            assert parameter not in str(event.detail.keys())
        assert "scripted-access-token" not in stored
        assert "eyJ" not in stored, "no JWT"
