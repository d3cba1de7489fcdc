"""Azure AD B2C / Entra External ID discovery URLs, B2C's forgot-password error, cancelled sign-in, step-up
with acr, private_key_jwt client authentication."""

from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.integration.auth.conftest import audit_events
from tests.integration.auth.servers import ScriptableProvider

pytestmark = pytest.mark.database_independent

B2C_DISCOVERY = "/norfolkresidents.onmicrosoft.com/B2C_1_signupsignin/v2.0/.well-known/openid-configuration"


@pytest.fixture(scope="module")
def b2c_server():
    provider = ScriptableProvider(discovery_path=B2C_DISCOVERY)
    provider.behaviour.issuer_path = "/3f8c2a4e-0000-4000-8000-000000000001/v2.0/"
    yield provider
    provider.server.stop()


def test_b2c_discovery_with_the_policy_in_the_path_works_unchanged(
    app, visitor, scripted, b2c_server, monkeypatch
):
    b2c_server.reset()
    b2c_server.behaviour.issuer_path = "/3f8c2a4e-0000-4000-8000-000000000001/v2.0/"
    monkeypatch.setitem(app.config, "OIDC_DISCOVERY_URL", b2c_server.discovery_url)
    assert visitor.sign_in_at_scripted().location == "/dashboard"


def test_b2c_forgot_password_starts_the_password_reset_flow(app, visitor, scripted, b2c_server, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_PASSWORD_RESET_DISCOVERY_URL", b2c_server.discovery_url)
    state = parse_qs(urlsplit(visitor.start_sign_in()).query)["state"][0]
    response = visitor.portal(
        f"/auth/callback?error=access_denied&state={state}"
        "&error_description=AADB2C90118%3a+The+user+has+forgotten+their+password."
    )
    assert response.status_code == 302
    assert response.location.startswith(f"{b2c_server.base}/authorize?")
    # The reset flow's answer signs the resident in, checked against the reset flow's own issuer and keys.
    b2c_server.reset()
    b2c_server.behaviour.issuer_path = "/3f8c2a4e-0000-4000-8000-000000000001/v2.0/"
    answer = visitor.provider.get(response.location, allow_redirects=False, timeout=5)
    assert visitor.callback(answer.headers["Location"]).location == "/dashboard"
    assert audit_events(app, "password_reset_requested")


def test_b2c_forgot_password_without_a_reset_flow_says_what_to_do(app, visitor, scripted):
    state = parse_qs(urlsplit(visitor.start_sign_in()).query)["state"][0]
    response = visitor.portal(
        f"/auth/callback?error=access_denied&state={state}&error_description=AADB2C90118%3a+forgotten"
    )
    assert response.status_code == 200
    assert "Reset your password" in response.get_data(as_text=True)


def test_a_cancelled_sign_in_returns_to_the_start_page_with_a_message(app, visitor, scripted, client_request):
    state = parse_qs(urlsplit(visitor.start_sign_in()).query)["state"][0]
    response = visitor.portal(f"/auth/callback?error=access_denied&state={state}")
    assert response.status_code == 302
    assert response.location == "/"
    page = client_request.get("/", host="south-norfolk.localhost")
    banner = page.select_one(".govuk-notification-banner")
    assert "You did not sign in" in banner.get_text()
    assert audit_events(app, "sign_in_cancelled")


def test_step_up_asks_the_provider_for_the_verified_acr(app, visitor, scripted, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_ACR_VERIFIED", "P2.Cl.Cm")
    authorize = visitor.start_sign_in("/sign-in/verify?next=/account")
    assert parse_qs(urlsplit(authorize).query)["acr_values"] == ["P2.Cl.Cm"]
    scripted.behaviour.claim_overrides = {"acr": "P2.Cl.Cm"}
    answer = visitor.provider.get(authorize, allow_redirects=False, timeout=5)
    assert visitor.callback(answer.headers["Location"]).location == "/account"
    page = visitor.portal("/account").get_data(as_text=True)
    assert "Signed in, not verified" not in page
    assert "Verified" in page


def test_a_lower_acr_does_not_verify(app, visitor, scripted, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_ACR_VERIFIED", "P2.Cl.Cm")
    scripted.behaviour.claim_overrides = {"acr": "Cl.Cm"}
    visitor.sign_in_at_scripted()
    assert "Signed in, not verified" in visitor.portal("/account").get_data(as_text=True)


def test_step_up_is_not_offered_without_a_verified_acr(app, visitor, scripted, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_ACR_VERIFIED", None)
    assert visitor.portal("/sign-in/verify").status_code == 404


def test_private_key_jwt_client_authentication(app, visitor, scripted, monkeypatch, tmp_path):
    key = RSAKey.generate_key(2048)
    key_file = tmp_path / "client-key.pem"
    key_file.write_bytes(key.as_pem(private=True))
    monkeypatch.setitem(app.config, "OIDC_CLIENT_AUTH_METHOD", "private_key_jwt")
    monkeypatch.setitem(app.config, "OIDC_PRIVATE_KEY_FILE", str(key_file))
    visitor.sign_in_at_scripted()  # the scripted provider only accepts client_secret_basic
    form = scripted.token_requests[0]["form"]
    assert scripted.token_requests[0]["auth"] is None
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assertion = jwt.decode(form["client_assertion"], key)
    assert assertion.header["alg"] == "RS256"
    assert assertion.claims["iss"] == assertion.claims["sub"] == "my-norfolk-development"
    assert assertion.claims["aud"] == f"{scripted.base}/token"


def test_private_key_jwt_with_an_ec_key_signs_es256(app, visitor, scripted, monkeypatch, tmp_path):
    from joserfc.jwk import ECKey

    key = ECKey.generate_key("P-256")
    key_file = tmp_path / "client-key.pem"
    key_file.write_bytes(key.as_pem(private=True))
    monkeypatch.setitem(app.config, "OIDC_CLIENT_AUTH_METHOD", "private_key_jwt")
    monkeypatch.setitem(app.config, "OIDC_PRIVATE_KEY_FILE", str(key_file))
    visitor.sign_in_at_scripted()
    assertion = jwt.decode(scripted.token_requests[0]["form"]["client_assertion"], key)
    assert assertion.header["alg"] == "ES256"
