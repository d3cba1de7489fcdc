"""ASVS 7.6.2: a session is created only by the resident's explicit action. A resident signed in at the
provider (on another council's domain) who opens a page that needs signing in, or who is sent to /sign-in by
another site, is shown a "Sign in" button and gets no session until they press it; pressing it signs them in
through single sign-on without a password. A click on the council's own "Sign in" goes straight on."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.models.identity import PortalSession
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.auth.conftest import (  # noqa: F401 - fixtures
    CLICKED_HERE,
    Visitor,
    path_of,
    sandbox_idp,
    with_sandbox_idp,
)

PRIYA = DEMO_RESIDENTS[0]
COUNTY = "norfolk.localhost"


def stored_sessions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PortalSession))


@pytest.fixture
def signed_in_on_the_district(app, with_sandbox_idp):  # noqa: F811 - the imported fixture
    district = Visitor(app.test_client())
    assert district.sign_in_at_sandbox(PRIYA).status_code == 302
    return district


@pytest.fixture
def county(app, signed_in_on_the_district):
    """The same browser on the county's domain: no portal cookie there, but signed in at the provider."""
    visitor = Visitor(app.test_client(), host=COUNTY)
    visitor.provider = signed_in_on_the_district.provider
    return visitor


def test_opening_a_page_on_another_councils_domain_asks_first_then_needs_no_password(app, county):
    before = stored_sessions(app)
    response = county.portal("/account", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 302 and response.location == "/sign-in?next=%2Faccount"
    page = county.portal(response.location, headers={"Sec-Fetch-Site": "cross-site"})
    assert page.status_code == 200, "not sent to the provider"
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.h1.get_text(strip=True) == "Sign in"
    form = soup.select_one("main form[method=post][action='/sign-in']")
    assert form.select_one("button").get_text(strip=True) == "Sign in"
    assert form.select_one("input[name=next]")["value"] == "/account"
    assert page.headers["X-Frame-Options"] == "DENY", "no other site can frame the button to have it pressed"
    assert stored_sessions(app) == before, "showing the button creates no session"
    assert county.portal("/account").status_code == 302

    fields = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
    pressed = county.client.post(
        "/sign-in", data=fields, headers={"Host": COUNTY, "Sec-Fetch-Site": "same-origin"}
    )
    assert pressed.status_code == 302
    answer = county.provider.get(pressed.location, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, "single sign-on: no password asked"
    assert urlsplit(answer.headers["Location"]).netloc == COUNTY
    assert county.callback(answer.headers["Location"]).location == "/account"
    assert county.portal("/account").status_code == 200
    assert stored_sessions(app) == before + 1


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site", "none", None])
def test_sign_in_from_anywhere_but_the_councils_own_pages_shows_the_button(app, county, fetch_site):
    headers = {"Sec-Fetch-Site": fetch_site} if fetch_site else {}
    response = county.portal("/sign-in", headers=headers)
    assert response.status_code == 200
    assert "Sign in" in BeautifulSoup(response.get_data(as_text=True), "html.parser").h1.get_text()


def test_a_click_on_the_councils_own_sign_in_goes_straight_to_the_provider(app, county):
    response = county.portal("/sign-in", headers=CLICKED_HERE)
    assert response.status_code == 302 and "/idp/authorize" in response.location


def test_pressing_sign_in_needs_the_forms_csrf_token(app, county):
    before = stored_sessions(app)
    response = county.client.post("/sign-in", data={"next": "/account"}, headers={"Host": COUNTY})
    assert response.status_code == 400
    assert stored_sessions(app) == before


def test_another_site_cannot_press_it(app, county):
    page = county.portal("/sign-in", headers={"Sec-Fetch-Site": "cross-site"})
    token = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("input[name=csrf_token]")
    response = county.client.post(
        "/sign-in",
        data={"csrf_token": token["value"]},
        headers={"Host": COUNTY, "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("hostile", ["//evil.example", "https://evil.example/", "/\t/evil.example"])
def test_a_hostile_next_in_the_form_is_dropped(app, county, hostile):
    page = county.portal("/sign-in", headers={"Sec-Fetch-Site": "cross-site"})
    token = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("input[name=csrf_token]")
    pressed = county.client.post(
        "/sign-in", data={"csrf_token": token["value"], "next": hostile}, headers={"Host": COUNTY}
    )
    answer = county.provider.get(pressed.location, allow_redirects=False, timeout=5)
    assert county.callback(answer.headers["Location"]).location == "/dashboard"


def test_without_a_provider_the_page_says_signing_in_is_not_available(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_DISCOVERY_URL", None)
    response = client.get("/sign-in", headers={"Host": COUNTY, "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 503
    assert "Signing in is not available" in response.get_data(as_text=True)
