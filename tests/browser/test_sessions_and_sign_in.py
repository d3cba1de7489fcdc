"""In Chromium, against a portal and sandbox of their own: the list of where a resident is signed in (ending
another browser's session signs that browser out), and single sign-on onto another council's domain, which
waits for the resident to press "Sign in" and then asks for no password. Each page passes axe, is reached
by keyboard and fits 320 CSS pixels."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from sandbox.demo_residents import DEMO_RESIDENTS
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import PortalWithSandbox, portal_with_own_sandbox
from tests.browser.test_accessibility import _assert_fits_horizontally

PRIYA, TOM = DEMO_RESIDENTS[0], DEMO_RESIDENTS[1]
TIMEOUT = 15_000
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[PortalWithSandbox]:
    with portal_with_own_sandbox(tmp_path_factory, "sessions") as portal:
        yield portal


def new_page(browser, browser_context_args, **options) -> Page:
    context = browser.new_context(**{**browser_context_args, **options})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    return page


def test_another_councils_page_waits_for_sign_in_then_needs_no_password(
    browser, browser_context_args, portal
):
    page = new_page(browser, browser_context_args)
    try:
        portal.sign_in(page, "south-norfolk", PRIYA)
        page.goto(portal.url("norwich", "/account"))
        expect(page).to_have_url(re.compile(r"^http://norwich\.localhost:\d+/sign-in\?next="))
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        assert_no_axe_violations(page)
        page.set_viewport_size({"width": 320, "height": 640})
        _assert_fits_horizontally(page, page.url)
        sign_in = page.get_by_role("main").get_by_role("button", name="Sign in")
        sign_in.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"^http://norwich\.localhost:\d+/account$"))
        expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    finally:
        page.context.close()


def test_the_list_of_sessions_ends_another_browsers_session(browser, browser_context_args, portal):
    laptop = new_page(browser, browser_context_args)
    phone = new_page(browser, browser_context_args, user_agent=ANDROID_PHONE)
    try:
        portal.sign_in(laptop, "south-norfolk", TOM)
        portal.sign_in(phone, "norwich", TOM)
        laptop.goto(portal.url("south-norfolk", "/account"))
        laptop.get_by_role(
            "link", name="See where you are signed in and end sessions you do not recognise"
        ).click()
        expect(laptop.get_by_role("heading", level=1)).to_have_text("Where you are signed in")
        cards = laptop.locator(".govuk-summary-card")
        expect(cards).to_have_count(2)
        expect(cards.nth(0)).to_contain_text("This session")
        expect(cards.nth(1)).to_contain_text("Chrome on Android")
        expect(cards.nth(1)).to_contain_text(re.compile(r"Norwich City Council \(norwich\.localhost:\d+\)"))
        assert_no_axe_violations(laptop)
        laptop.set_viewport_size({"width": 320, "height": 640})
        _assert_fits_horizontally(laptop, laptop.url)

        end = laptop.get_by_role(
            "button", name=re.compile(r"^End session on Chrome on Android, last active ")
        )
        end.focus()
        laptop.keyboard.press("Enter")
        expect(laptop.get_by_role("region", name="Important")).to_contain_text(
            "You have ended the session on Chrome on Android."
        )
        expect(cards).to_have_count(1)

        phone.goto(portal.url("norwich", "/account"))
        expect(phone).to_have_url(re.compile(r"/sign-in\?next="))
        expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in")
    finally:
        laptop.context.close()
        phone.context.close()
