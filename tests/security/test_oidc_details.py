"""Issue 11, item 8: the issuer is pinned by setting (ASVS 10.5.3); the RFC 9207 `iss` authorization
response parameter is checked (mix-up, ASVS 10.2.2); `state` is checked before an error response is acted on;
`nbf` is honoured; and GOV.UK One Login's vectors of trust (`vtr` asked, `vot` answered) count as verified."""

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from app import create_app
from tests.integration.auth.conftest import CLICKED_HERE, audit_events, path_of
from tests.integration.auth.test_bad_input import assert_refused
from tests.support.production import PRODUCTION_SETTINGS

pytestmark = pytest.mark.database_independent

ATTACKER = "http://127.0.0.1:1/attacker"


def authorization_response(visitor, path="/sign-in") -> str:
    answer = visitor.provider.get(visitor.start_sign_in(path), allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    return answer.headers["Location"]


def with_parameters(location: str, **parameters) -> str:
    parts = urlsplit(location)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    query.update(parameters)
    query = {name: value for name, value in query.items() if value is not None}
    return f"{parts.path}?{urlencode(query)}"


def test_a_discovery_document_naming_another_issuer_is_refused(app, visitor, scripted, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "https://login.norfolk.example/v2.0")
    response = visitor.portal("/sign-in", headers=CLICKED_HERE)
    assert response.status_code == 502
    (event,) = audit_events(app, "sign_in_failed")
    assert event.detail == {"reason": "issuer_mismatch"}


def test_the_pinned_issuer_signs_in(app, visitor, scripted, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_ISSUER", scripted.issuer)
    assert visitor.sign_in_at_scripted().location == "/dashboard"


def test_production_will_not_start_without_a_pinned_issuer(tmp_path):
    settings = {**PRODUCTION_SETTINGS, "INSTANCE_DIR": tmp_path, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    settings["OIDC_CLIENT_SECRET"] = "production-test-secret"
    discovery = "https://login.norfolk.example/.well-known/openid-configuration"
    with pytest.raises(RuntimeError, match="PORTAL_OIDC_ISSUER"):
        create_app("production", OIDC_DISCOVERY_URL=discovery, **settings)
    create_app(
        "production", OIDC_DISCOVERY_URL=discovery, OIDC_ISSUER="https://login.norfolk.example", **settings
    )


def test_the_iss_parameter_of_an_advertising_provider_is_accepted(app, visitor, scripted):
    scripted.behaviour.advertise_iss = True
    location = authorization_response(visitor)
    assert parse_qs(urlsplit(location).query)["iss"] == [scripted.issuer]
    assert visitor.callback(location).location == "/dashboard"


@pytest.mark.parametrize(
    ("advertise", "iss", "reason"),
    [
        pytest.param(True, ATTACKER, "iss_mismatch", id="advertised-wrong"),
        pytest.param(True, None, "missing_iss", id="advertised-missing"),
        pytest.param(False, ATTACKER, "iss_mismatch", id="unadvertised-wrong"),
    ],
)
def test_an_authorization_response_from_another_issuer_is_refused(
    app, visitor, scripted, advertise, iss, reason
):
    scripted.behaviour.advertise_iss = advertise
    location = authorization_response(visitor)
    response = visitor.portal(with_parameters(location, iss=iss))
    assert_refused(app, visitor, response, reason)
    assert not scripted.token_requests, "the code is not exchanged"


def test_the_sandbox_provider_names_itself_in_authorization_responses(app, visitor, with_sandbox_idp):
    response = visitor.sign_in_at_sandbox()
    assert response.location == "/dashboard"


def test_a_mixed_up_response_from_the_sandbox_provider_is_refused(app, visitor, with_sandbox_idp):
    from sandbox.demo_residents import DEMO_RESIDENTS

    resident = DEMO_RESIDENTS[0]
    authorize = visitor.start_sign_in()
    answer = visitor.provider.post(
        authorize,
        data={"email": resident.email, "password": resident.password, "action": "sign-in"},
        allow_redirects=False,
        timeout=5,
    )
    location = answer.headers["Location"]
    assert parse_qs(urlsplit(location).query)["iss"] == [f"{with_sandbox_idp.url}/idp"]
    response = visitor.portal(with_parameters(path_of(location), iss=ATTACKER))
    assert response.status_code == 400
    assert visitor.portal("/account").status_code == 302


@pytest.mark.parametrize(
    "error",
    [
        "error=access_denied&error_description=AADB2C90118%3a+forgotten",
        "error=access_denied",
        "error=login_required",
        "error=server_error",
    ],
)
def test_an_error_response_with_a_forged_state_is_not_acted_on(app, visitor, scripted, error):
    visitor.start_sign_in()
    response = visitor.portal(f"/auth/callback?{error}&state=forged")
    assert_refused(app, visitor, response, "state_mismatch")
    assert not audit_events(app, "password_reset_requested")
    assert not audit_events(app, "sign_in_cancelled")


def test_an_error_response_nobody_asked_for_is_not_acted_on(app, visitor, scripted):
    response = visitor.portal("/auth/callback?error=access_denied&error_description=AADB2C90118&state=x")
    assert_refused(app, visitor, response, "missing_state")


def test_an_id_token_not_valid_yet_is_refused(app, visitor, scripted):
    scripted.behaviour.claim_overrides = {"nbf": int(time.time()) + 3600}
    assert_refused(app, visitor, visitor.sign_in_at_scripted(), "id_token_not_yet_valid")


def test_an_id_token_valid_since_a_moment_ago_signs_in(app, visitor, scripted):
    scripted.behaviour.claim_overrides = {"nbf": int(time.time()) - 5}
    assert visitor.sign_in_at_scripted().location == "/dashboard"


@pytest.fixture
def one_login(app, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_PROFILE", "govuk-one-login")
    monkeypatch.setitem(app.config, "OIDC_ACR_VERIFIED", "Cl.Cm.P2")


def test_one_login_sign_in_asks_for_a_vector_of_trust(app, visitor, scripted, one_login):
    query = parse_qs(urlsplit(visitor.start_sign_in()).query)
    assert query["vtr"] == ['["Cl.Cm"]']
    assert "acr_values" not in query


@pytest.mark.parametrize("vot", ["Cl.Cm.P2", "P2", "Cl.Cm.P3"])
def test_one_login_identity_confidence_counts_as_verified(app, visitor, scripted, one_login, vot):
    authorize = visitor.start_sign_in("/sign-in/verify?next=/account")
    assert parse_qs(urlsplit(authorize).query)["vtr"] == ['["Cl.Cm.P2"]']
    scripted.behaviour.claim_overrides = {"vot": vot, "vtm": f"{scripted.base}/trustmark"}
    answer = visitor.provider.get(authorize, allow_redirects=False, timeout=5)
    assert visitor.callback(answer.headers["Location"]).location == "/account"
    page = visitor.portal("/account").get_data(as_text=True)
    assert "Signed in, not verified" not in page
    assert "Verified" in page


@pytest.mark.parametrize("vot", ["Cl.Cm", "Cl.Cm.P1", None])
def test_one_login_without_identity_confidence_is_not_verified(app, visitor, scripted, one_login, vot):
    scripted.behaviour.claim_overrides = {"vot": vot, "acr": "Cl.Cm.P2"}
    assert visitor.sign_in_at_scripted().location == "/dashboard"
    assert "Signed in, not verified" in visitor.portal("/account").get_data(as_text=True)


def test_an_unknown_profile_stops_the_portal_starting(tmp_path):
    with pytest.raises(RuntimeError, match="PORTAL_OIDC_PROFILE"):
        create_app("test", OIDC_PROFILE="one-login", INSTANCE_DIR=tmp_path)
