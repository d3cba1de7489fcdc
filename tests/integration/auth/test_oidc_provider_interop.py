"""Interoperability: the portal signs in, signs out and honours back-channel logout against panva's
oidc-provider (npm), configured with ES256 keys and name/email in userinfo only."""

from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.auth.provider import forget_providers
from app.extensions import db
from app.models.identity import Resident
from tests.integration.auth.conftest import Visitor
from tests.integration.auth.servers import start_oidc_provider

EMAIL = "priya.shah@example.com"


@pytest.fixture(scope="module")
def oidc_provider():
    provider = start_oidc_provider()
    yield provider
    provider.stop()


@pytest.fixture
def with_oidc_provider(oidc_provider, app, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_DISCOVERY_URL", oidc_provider.discovery_url)
    monkeypatch.setitem(app.config, "OIDC_TIMEOUT_SECONDS", 5.0)
    forget_providers()
    yield oidc_provider
    forget_providers()


def submit(session, response, data):
    """Submit the first form on an oidc-provider page with its hidden fields and `data`."""
    page = BeautifulSoup(response.text, "html.parser")
    form = page.select_one("form")
    fields = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
    fields.update(data)
    return session.post(urljoin(response.url, form["action"]), data=fields, allow_redirects=False, timeout=5)


def follow_until_portal(visitor, response):
    """Follow the provider's redirects until one leaves for the portal; return the portal's Location."""
    while response.status_code in (302, 303):
        location = urljoin(response.url, response.headers["Location"])
        if urlsplit(location).netloc.endswith(".localhost"):
            return location
        response = visitor.provider.get(location, allow_redirects=False, timeout=5)
    return response


def sign_in(visitor, *, expect_password=True):
    response = visitor.provider.get(visitor.start_sign_in(), allow_redirects=False, timeout=5)
    outcome = follow_until_portal(visitor, response)
    if isinstance(outcome, str):
        assert not expect_password
        return visitor.callback(outcome)
    assert expect_password, "the provider session should have signed this browser in"
    login_page = outcome
    assert 'name="login"' in login_page.text
    after_login = submit(visitor.provider, login_page, {"login": EMAIL, "password": "any"})
    outcome = follow_until_portal(visitor, after_login)
    if not isinstance(outcome, str):  # the consent prompt
        outcome = follow_until_portal(visitor, submit(visitor.provider, outcome, {}))
    return visitor.callback(outcome)


def test_sign_in_and_single_sign_on_across_councils(app, client, with_oidc_provider):
    district = Visitor(client, host="south-norfolk.localhost")
    assert sign_in(district).location == "/dashboard"
    assert "Priya Shah" in district.portal("/account").get_data(as_text=True)
    with app.app_context():
        resident = db.session.scalar(select(Resident))
        assert resident.issuer == with_oidc_provider.issuer
        assert resident.email == EMAIL, "email comes from userinfo: the ID token does not carry it"

    county = Visitor(app.test_client(), host="norfolk.localhost")
    county.provider = district.provider
    assert sign_in(county, expect_password=False).location == "/dashboard"
    assert county.portal("/account").status_code == 200


def test_sign_out_ends_the_portal_and_provider_sessions(app, client, with_oidc_provider):
    visitor = Visitor(client)
    sign_in(visitor)
    cookie = client.get_cookie("portal_session", domain="south-norfolk.localhost").value
    page = BeautifulSoup(visitor.portal("/account").get_data(as_text=True), "html.parser")
    token = page.select_one("form[action='/sign-out'] input[name=csrf_token]")["value"]
    response = client.post(
        "/sign-out", data={"csrf_token": token}, headers={"Host": "south-norfolk.localhost"}
    )
    assert response.location.startswith(f"{with_oidc_provider.issuer}/session/end?")
    confirm = visitor.provider.get(response.location, timeout=5)
    done = submit(visitor.provider, confirm, {"logout": "yes"})
    assert follow_until_portal(visitor, done) == "http://south-norfolk.localhost/"
    client.set_cookie("portal_session", cookie, domain="south-norfolk.localhost")
    assert visitor.portal("/account").status_code == 302
    assert sign_in(visitor).location == "/dashboard", "a password was asked for again"
