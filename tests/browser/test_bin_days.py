"""Bin days in Chromium: a guest on Norwich's domain finds the collections at NR2 2PE without signing in,
and a signed-in resident makes a calendar link and turns reminders on. axe-core scans every page; each is
laid out at 320 CSS pixels without scrolling sideways."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from app.backoffice import use_registry
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import PortalWithSandbox, portal_with_own_sandbox
from tests.browser.test_accessibility import _assert_fits_horizontally

PRIYA, TOM = DEMO_RESIDENTS[0], DEMO_RESIDENTS[1]
NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def bins_portal(tmp_path_factory, base_url) -> Iterator[PortalWithSandbox]:
    if base_url:
        pytest.skip("uses the local sandbox's back offices, not a live deployment's")
    with portal_with_own_sandbox(tmp_path_factory, "bin-days", gazetteer=True) as portal:
        use_registry(portal.app, portal.sandbox.registry(portal.instance / "connector-cache"))
        yield portal


def check(page: Page, what: str) -> None:
    assert_no_axe_violations(page)
    page.set_viewport_size(NARROW)
    try:
        _assert_fits_horizontally(page, what)
    finally:
        page.set_viewport_size(WIDE)


def test_a_guest_finds_bin_days_for_nr2_2pe_on_norwichs_domain(bins_portal, page: Page):
    page.set_viewport_size(WIDE)
    page.goto(bins_portal.url("norwich"))
    page.get_by_role("link", name="Check your bin collection days").click()
    check(page, "the bin days postcode question")
    page.get_by_role("button", name="Find address").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a postcode")
    check(page, "the bin days postcode question, sent empty")

    page.get_by_label("What is the postcode?").fill("NR2 2PE")
    page.get_by_role("button", name="Find address").click()
    check(page, "the bin days address list")
    page.get_by_label("Select an address").select_option(TOM.uprn)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Bin collection days", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("41 Unthank Road")
    rows = page.locator("main .govuk-summary-list__row")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(re.compile(r"Thursday \d+ \w+ \d{4}"))
    expect(
        page.get_by_role("navigation", name="Your account").get_by_role("link", name="Sign in")
    ).to_be_visible()
    check(page, "the bin days")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the collection days (ICS file)").click()
    assert download.value.suggested_filename == "bin-collections.ics"


def test_a_resident_makes_a_calendar_link_and_turns_reminders_on(bins_portal, page: Page):
    page.set_viewport_size(WIDE)
    bins_portal.sign_in(page, "south-norfolk", PRIYA)
    if "/home-address" in page.url:
        page.get_by_label("What is your home postcode?").fill(PRIYA.postcode)
        page.locator("main form button[type=submit]").click()
        page.get_by_label("Select an address").select_option(PRIYA.uprn)
        page.locator("main form button[type=submit]").click()
    page.goto(bins_portal.url("south-norfolk", "/bin-days/yours"))
    check(page, "your bin calendar and reminders")
    page.get_by_role("button", name="Make a calendar link").click()
    feed_url = page.locator("main code").inner_text()
    assert re.match(r"^http://south-norfolk\.localhost:\d+/bin-days/feed/[\w-]{43}\.ics$", feed_url), feed_url
    expect(page.get_by_role("button", name="Add to your calendar app")).to_have_attribute(
        "href", "webcal:" + feed_url.split(":", 1)[1]
    )
    check(page, "your new calendar link")
    # A calendar app follows the link: no cookies, server to server (127.0.0.1 with the council's Host).
    parts = urlsplit(feed_url)
    request = urllib.request.Request(
        f"http://127.0.0.1:{parts.port}{parts.path}", headers={"Host": parts.netloc}
    )
    with urllib.request.urlopen(request, timeout=30) as feed:  # noqa: S310 - the test's own portal
        assert feed.headers["Content-Type"].startswith("text/calendar")
        calendar = feed.read().decode("utf-8")
    tile_dates = page.goto(bins_portal.url("south-norfolk", "/bin-days/" + PRIYA.uprn))
    assert tile_dates is not None and tile_dates.ok
    for day in page.locator("main .govuk-summary-list__value strong").all_inner_texts():
        assert f"DTSTART;VALUE=DATE:{datetime.strptime(day, '%A %d %B %Y'):%Y%m%d}" in calendar, day
    page.goto(bins_portal.url("south-norfolk", "/bin-days/yours"))

    page.get_by_role("button", name="Email me the day before each collection").click()
    expect(page.locator("main")).to_contain_text(
        "We email priya.shah@example.com the day before each collection"
    )
    check(page, "reminders on")
