"""Signing in with a real browser: on a district, then the county through the provider's session without a
password, then signing out, after which the old session cookie is worthless. Against the sandbox's
development provider and against panva's oidc-provider.

Each provider gets its own live portal, created once the portal's port is known so that the provider can
register the portal's callbacks (oidc-provider matches them exactly, port included)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask_migrate import upgrade
from playwright.sync_api import Browser, Page, expect

from app import create_app
from app.extensions import db
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.auth.servers import LiveServer, start_oidc_provider, start_sandbox_idp

PRIYA = DEMO_RESIDENTS[0]
TIMEOUT = 15_000


class DeferredApp:
    """A WSGI app to be named later: the server (and so its port) exists before the portal is created."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class Portal:
    server: LiveServer

    def url(self, slug: str, path: str = "/") -> str:
        return f"http://{slug}.localhost:{self.server.port}{path}"


@contextmanager
def live_portal(instance: Path, discovery_url_for_port: Callable[[int], str]) -> Iterator[Portal]:
    deferred = DeferredApp()
    server = LiveServer(deferred)
    app = create_app(
        "test",
        INSTANCE_DIR=instance,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'portal.sqlite3'}",
        OIDC_DISCOVERY_URL=discovery_url_for_port(server.port),
    )
    with app.app_context():
        upgrade()
    deferred.app = app
    try:
        yield Portal(server)
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def sandbox_portal(tmp_path_factory) -> Iterator[Portal]:
    idp = start_sandbox_idp(tmp_path_factory.mktemp("idp"))
    discovery = f"{idp.url}/idp/.well-known/openid-configuration"
    with live_portal(tmp_path_factory.mktemp("portal"), lambda port: discovery) as portal:
        yield portal
    idp.stop()


@pytest.fixture(scope="module")
def interop_portal(tmp_path_factory) -> Iterator[Portal]:
    providers = []

    def start(port: int) -> str:
        providers.append(start_oidc_provider(port))
        return providers[0].discovery_url

    with live_portal(tmp_path_factory.mktemp("interop-portal"), start) as portal:
        yield portal
    for provider in providers:
        provider.stop()


def sign_in_at_sandbox(page: Page) -> None:
    expect(page.get_by_text("Development tool")).to_be_visible()
    page.get_by_label("Email address").fill(PRIYA.email)
    page.get_by_label("Password").fill(PRIYA.password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_in_at_oidc_provider(page: Page) -> None:
    page.locator("input[name=login]").fill(PRIYA.email)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def confirm_sign_out_at_oidc_provider(page: Page) -> None:
    page.get_by_role("button", name="Yes, sign me out").click()


def single_sign_on_and_sign_out(browser: Browser, portal: Portal, sign_in, confirm_sign_out=None) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)

    # Sign in on the district: the provider asks for a password, then the dashboard.
    page.goto(portal.url("south-norfolk"))
    page.get_by_role("button", name="Sign in").click()
    sign_in(page)
    page.wait_for_url(re.compile(r"^http://south-norfolk\.localhost:\d+/dashboard"))
    page.goto(portal.url("south-norfolk", "/account"))
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    expect(page.locator("main").get_by_text("Priya Shah")).to_be_visible()
    district_cookie = next(
        cookie
        for cookie in context.cookies(portal.url("south-norfolk"))
        if cookie["name"] == "portal_session"
    )

    # The county: signed in through the provider's session, no password asked.
    page.goto(portal.url("norfolk"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^http://norfolk\.localhost:\d+/dashboard"))
    page.goto(portal.url("norfolk", "/account"))
    expect(page.locator("main").get_by_text(PRIYA.email)).to_be_visible()
    county_cookie = next(
        cookie for cookie in context.cookies(portal.url("norfolk")) if cookie["name"] == "portal_session"
    )

    # Sign out on the county: the provider's session ends and we are back at the county's start page.
    page.get_by_role("button", name="Sign out", exact=True).click()
    if confirm_sign_out:
        confirm_sign_out(page)
    page.wait_for_url(portal.url("norfolk"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out.")
    expect(page.get_by_role("heading", name="Your council services")).to_be_visible()

    # Neither old session cookie works any more, in any browser: not the county's (signed out) nor the
    # district's (ended by the provider's back-channel logout).
    thief = browser.new_context()
    thief.add_cookies([district_cookie, county_cookie])
    stolen = thief.new_page()
    stolen.set_default_timeout(TIMEOUT)
    for slug in ("norfolk", "south-norfolk"):
        stolen.goto(portal.url(slug, "/account"))
        assert not stolen.url.startswith(portal.url(slug, "/account")), stolen.url
        expect(stolen.get_by_role("heading", name="Your details")).to_have_count(0)
    thief.close()

    page.goto(portal.url("south-norfolk", "/account"))
    assert not page.url.startswith(portal.url("south-norfolk", "/account")), "back-channel logout ended it"
    context.close()


def test_single_sign_on_and_sign_out_with_the_sandbox_provider(browser, sandbox_portal):
    single_sign_on_and_sign_out(browser, sandbox_portal, sign_in_at_sandbox)


def test_single_sign_on_and_sign_out_with_oidc_provider(browser, interop_portal):
    single_sign_on_and_sign_out(
        browser, interop_portal, sign_in_at_oidc_provider, confirm_sign_out_at_oidc_provider
    )


def test_a_cancelled_sign_in_returns_to_the_start_page(browser, sandbox_portal):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(sandbox_portal.url("breckland"))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(sandbox_portal.url("breckland"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You did not sign in")
    context.close()


def test_the_account_and_sign_in_problem_pages_are_accessible(browser, sandbox_portal):
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(bypass_csp=True)  # axe-core is injected as a script
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    axe = Axe()

    def check(path: str) -> None:
        page.goto(sandbox_portal.url("west-norfolk", path))
        results = axe.run(page)
        assert results.violations_count == 0, (path, results.generate_report())

    check("/auth/callback?code=stolen&state=forged")  # a sign-in this browser never started
    page.goto(sandbox_portal.url("west-norfolk"))
    page.get_by_role("button", name="Sign in").click()
    sign_in_at_sandbox(page)
    page.wait_for_url(re.compile(r"/dashboard"))
    for path in ("/account", "/account/contact-preferences", "/account/council-tax/link", "/account/delete"):
        check(path)
    page.goto(sandbox_portal.url("west-norfolk", "/account/council-tax/link"))
    page.get_by_role("button", name="Link account").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert axe.run(page).violations_count == 0
    context.close()
