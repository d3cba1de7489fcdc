"""ASVS 5.0 Level 2 requirements that the feature tests did not already prove (docs/security.md)."""

import re
import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import func, select

from app.auth.tokens import TokenError, verify_id_token
from app.extensions import db
from app.models.reports import Report
from tests.integration.auth.conftest import Visitor

HOST = "norwich.localhost"


def test_no_other_origin_is_granted_cross_origin_access(client):
    """3.4.2, 3.5.2: the portal sends no CORS headers, so browsers keep other origins' scripts out."""
    for method in ("GET", "OPTIONS"):
        response = client.open("/", method=method, headers={"Host": HOST, "Origin": "https://evil.example"})
        assert not [
            name for name, _ in response.headers.items() if name.lower().startswith("access-control-")
        ]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/no-such-page",
        "/account",
        "/static/src/portal.mjs",
        "/healthcheck",
        "/find-your-council/?postcode=%00",
    ],
)
def test_every_kind_of_response_carries_the_browser_security_headers(client, path):
    """3.2.1, 3.4.3 to 3.4.6: pages, error pages, redirects, files and JSON alike."""
    response = client.get(path, headers={"Host": HOST})
    response.close()  # a file's response holds the file open until closed; its headers stay readable
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.mimetype, "every answer says what it is"


def test_the_session_cookie_is_httponly_samesite_lax_and_random(app, scripted):
    """3.3.2, 3.3.4, 7.2.3: HttpOnly and SameSite=Lax (sign-in returns by a top-level GET from the provider);
    a signed-in session's cookie is 256 random bits, new for every session."""
    values = []
    for _ in range(2):
        visitor = Visitor(app.test_client())
        assert visitor.sign_in_at_scripted().location == "/dashboard"
        cookie = visitor.client.get_cookie("portal_session", domain=visitor.host)
        assert cookie is not None
        assert cookie.http_only
        assert cookie.same_site == "Lax"
        values.append(cookie.value)
    assert all(len(value) >= 43 and re.fullmatch(r"[A-Za-z0-9_-]+", value) for value in values), values
    assert values[0] != values[1]


@pytest.mark.parametrize(
    "path",
    [
        "/sign-out",
        "/account/sign-out-everywhere",
        "/report/yours/claim",
        "/waste/claim",
        "/auth/back-channel-logout",
        "/bin-days/yours/calendar",
        "/bin-days/yours/reminders",
    ],
)
def test_what_changes_state_cannot_be_done_with_a_get(client, path):
    """3.5.3: signing out, ending every session and claiming reports answer only POST (deleting one's data
    is a POST too; its GET is the page that asks first)."""
    assert client.get(path, headers={"Host": HOST}).status_code == 405


def test_a_token_that_brings_its_own_key_is_refused():
    """9.1.3: keys come only from the configured provider's JWKS, never from the token's own header."""
    provider_key = RSAKey.generate_key(2048, parameters={"kid": "provider"})
    attacker_key = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    now = int(time.time())
    claims = {
        "iss": "https://idp",
        "aud": "client",
        "sub": "victim",
        "iat": now,
        "exp": now + 60,
        "nonce": "n",
    }
    header = {"alg": "RS256", "kid": "attacker", "jwk": attacker_key.as_dict(private=False)}
    token = jwt.encode(header, claims, attacker_key)
    with pytest.raises(TokenError) as failure:
        verify_id_token(
            token,
            lambda refresh: KeySet([provider_key]),
            issuer="https://idp",
            client_id="client",
            nonce="n",
            leeway=0,
        )
    assert failure.value.reason in ("unknown_key", "malformed")


def test_a_journey_cannot_skip_to_sending(app, client_request, client):
    """2.3.1: the check page and the send button of a report journey refuse a journey with steps left."""
    page = client_request.get("/report", host=HOST)
    report_type = page.select_one("input[name=report_type]")["value"]
    response = client_request.post_form("/report", {"report_type": report_type}, host=HOST)
    token = response.location.split("/")[2]
    check = client.get(f"/report/{token}/check", headers={"Host": HOST})
    assert check.status_code == 302
    assert not check.location.endswith("/check")
    csrf = page.select_one("input[name=csrf_token]")["value"]
    sent = client.post(f"/report/{token}/send", data={"csrf_token": csrf}, headers={"Host": HOST})
    assert sent.status_code in (302, 400)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0
