"""A guest books a bulky waste collection and subscribes to garden waste on south-norfolk.localhost with
the keyboard only, in Chromium, with JavaScript on and off, paying on the sandbox's GOV.UK Pay card page.
Every portal page of both journeys, and the error states on the way, is scanned by axe-core and laid out at
320 CSS pixels without scrolling sideways; with JavaScript each is also tabbed through from the top (every
focusable element reached, each showing its focus) and laid out at 640 (200% zoom). The booking reaches the
waste back office and Pay holds one payment."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Page

from app.backoffice import use_registry
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import PortalWithSandbox, new_shared_context, portal_with_own_sandbox
from tests.browser.test_accessibility import ZOOMED_VIEWPORT, _assert_fits_horizontally
from tests.browser.test_signed_in_pages import assert_focus_is_visible_everywhere
from tests.support.sandbox import PAY_KEY

SLUG = "south-norfolk"
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 640}
TIMEOUT = 15_000


@pytest.fixture(scope="module")
def waste_portal(tmp_path_factory, base_url) -> Iterator[PortalWithSandbox]:
    if base_url:
        pytest.skip("payments go to the local sandbox's GOV.UK Pay, not a live deployment's")
    with portal_with_own_sandbox(tmp_path_factory, "waste", gazetteer=True) as portal:
        use_registry(portal.app, portal.sandbox.registry(portal.instance / "connector-cache"))
        yield portal


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def keys(request, browser, browser_context_args) -> Iterator:
    """A fresh browser, running the portal's scripts or refusing them (axe-core still runs), and its
    keyboard."""
    context = new_shared_context(browser, browser_context_args, javascript=request.param, axe=True)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.set_viewport_size(WIDE)
    yield Keyboard(page, request.param)
    context.close()


class Keyboard:
    def __init__(self, page: Page, javascript: bool):
        self.page = page
        # Focus styles and layout are the stylesheet's: the walk without scripts checks axe and 320px only.
        self.javascript = javascript

    def check(self, what: str) -> None:
        """axe and no sideways scrolling at 320px; with JavaScript also visible focus on every Tab stop and
        no sideways scrolling at 200% zoom."""
        page = self.page
        assert_no_axe_violations(page)
        if self.javascript:
            assert_focus_is_visible_everywhere(page, what)
        for viewport in (NARROW, ZOOMED_VIEWPORT) if self.javascript else (NARROW,):
            page.set_viewport_size(viewport)
            _assert_fits_horizontally(page, f"{page.url} ({what})")
        page.set_viewport_size(WIDE)

    def tab_to(self, selector: str, limit: int = 80) -> None:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
                return
        raise AssertionError(f"the keyboard never reached {selector} on {self.page.url}")

    def type_into(self, selector: str, text: str) -> None:
        self.tab_to(selector)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)

    def choose(self, name: str, index: int = 0) -> None:
        """Tab into a radio group, arrow down to the option, select it with Space."""
        self.tab_to(f"input[type=radio][name='{name}']")
        for _ in range(index):
            self.page.keyboard.press("ArrowDown")
        self.page.keyboard.press("Space")

    def press(self, selector: str, arrive: str | None = None) -> None:
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        if arrive:
            assert re.search(arrive, self.page.url), self.page.url

    def submit(self, arrive: str | None = None) -> None:
        self.press("main button[type=submit]:not(.govuk-button--secondary)", arrive)
        errors = self.page.locator(".govuk-error-summary")
        assert errors.count() == 0, errors.inner_text()

    def pay_by_card(self, card: str) -> None:
        """The sandbox's GOV.UK Pay card page, by keyboard."""
        assert "/pay/card_details/" in self.page.url, self.page.url
        self.type_into("#card_number", card)
        self.type_into("#expiry_month", "12")
        self.type_into("#expiry_year", "30")
        self.type_into("#name", "Keyboard Guest")
        self.type_into("#cvc", "123")
        self.press("button[type=submit]:not(.link)")


def address(keys: Keyboard, postcode: str, uprn_index: int) -> None:
    keys.type_into("#postcode", postcode)
    keys.submit("/address$")
    keys.check("the address question")
    keys.choose("uprn", uprn_index)
    keys.submit()


def test_a_guest_books_a_bulky_collection_by_keyboard(waste_portal, keys):
    page = keys.page
    page.goto(waste_portal.url(SLUG))
    keys.press("a[href$='/waste/bulky']", "/waste/bulky$")
    keys.check("the bulky waste start page")
    keys.submit("/postcode$")
    keys.check("the postcode question")
    address(keys, "IP20 9DD", 0)

    assert page.url.endswith("/items")
    keys.check("the items question")
    keys.press("main button[type=submit]")  # no items: the error state
    assert "at least one item" in page.locator(".govuk-error-summary").inner_text()
    keys.check("the items question's error")
    keys.type_into("#item-sofa", "1")
    keys.type_into("#item-fridge", "1")
    keys.submit("/collection-day$")
    keys.check("the collection day question")
    keys.choose("collection_date", 1)
    keys.submit("/location$")
    keys.check("the location question")
    keys.type_into("#location", "On the drive, by the garage")
    keys.submit("/contact$")
    keys.check("the contact question")
    keys.type_into("#email", "keyboard.guest@example.com")
    keys.type_into("#phone", "01632 960001")
    keys.submit("/check$")
    keys.check("the check page")
    assert "£48.00" in page.locator("main").inner_text()

    keys.press("main button[type=submit]")
    keys.pay_by_card("4000000000000002")
    assert "declined" in page.locator("main").inner_text()
    keys.press("a[href*='/return']", "/check$")
    assert "Your payment was declined" in page.locator(".govuk-error-summary").inner_text()
    keys.check("the check page after a declined card")

    keys.press("main button[type=submit]")
    keys.pay_by_card("4444333322221111")
    assert page.url.endswith("/confirmation"), page.url
    keys.check("the confirmation page")
    reference = page.locator(".govuk-panel__body strong").inner_text().strip()
    main = page.locator("main").inner_text()
    assert "Collection booked" in main and "£48.00" in main

    sandbox = waste_portal.sandbox
    payments = requests.get(
        f"{sandbox.url}/pay/v1/payments",
        params={"reference": reference},
        headers={"Authorization": f"Bearer {PAY_KEY}"},
        timeout=5,
    ).json()["results"]
    assert sorted(payment["state"]["status"] for payment in payments) == ["failed", "success"]
    bookings = requests.get(
        f"{sandbox.url}/waste/{SLUG}/bookings",
        params={"reference": reference},
        headers={"X-API-Key": sandbox.api_key},
        timeout=5,
    ).json()["bookings"]
    assert len(bookings) == 1

    keys.press("a[href*='/cancel']", "/cancel$")
    keys.check("the cancel question")
    keys.submit("/waste/track/")
    assert "refunded in full" in page.locator("main").inner_text()
    keys.check("the booking after cancelling")


def test_a_guest_subscribes_to_garden_waste_by_keyboard(waste_portal, keys):
    page = keys.page
    page.goto(waste_portal.url(SLUG, "/waste/garden"))
    keys.check("the garden waste start page")
    keys.submit("/postcode$")
    address(keys, "NR15 2AH", 0)
    if page.url.endswith("/already-subscribed"):  # this run's other context subscribed it: another house
        keys.check("the already subscribed page")
        page.goto(page.url.replace("/already-subscribed", "/postcode"))
        address(keys, "NR15 2AH", 1)
    assert page.url.endswith("/bins"), page.url
    keys.check("the bins question")
    keys.choose("bins", 1)
    keys.submit("/contact$")
    keys.type_into("#email", "keyboard.guest@example.com")
    keys.submit("/check$")
    keys.check("the garden check page")
    keys.press("main button[type=submit]")
    keys.pay_by_card("4444333322221111")
    assert page.url.endswith("/confirmation"), page.url
    keys.check("the subscription confirmation")
    assert "Subscription confirmed" in page.locator("main").inner_text()
    assert "Permit number" in page.locator("main").inner_text()
