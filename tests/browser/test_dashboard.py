"""The dashboard in a real browser, with JavaScript on and off: every tile state (loaded, stale, unavailable,
not applicable, and with JavaScript loading) scanned by axe; tiles that arrive later are announced politely,
leave focus alone and do not move the page. The tile states are checked in the resident's own district's
theme, in another district's (FULL_THEME's) and in the county's, and in every theme with templates of its own
(tests/support/themes.py); the other themes' colours are checked on their start pages.

Back-office states come from the sandbox's fault injection; every page asks the back offices again (the
connectors' cache time-to-live is 0), so a fault shows at once and earlier answers are there to be stale.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from app.backoffice import use_registry
from app.extensions import db
from app.models.identity import LinkedCouncilAccount, Resident
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import PortalWithSandbox, new_shared_context, portal_with_own_sandbox
from tests.browser.test_accessibility import (
    ZOOMED_VIEWPORT,
    _assert_fits_horizontally,
    assert_tab_reaches_everything_with_visible_focus,
)
from tests.support.sandbox import SandboxServer
from tests.support.themes import themes_checking

PRIYA = DEMO_RESIDENTS[0]  # South Norfolk
TILE_STATE_THEMES = themes_checking("dashboard/show.html", also=("south-norfolk", "norfolk"))
TIMEOUT = 15_000
# Generous enough that five back offices answer within it on a busy two-core machine running two browsers.
BUDGET_SECONDS = 2.0
TILES = ("bins", "council_tax", "planning", "street_reports", "cases")
# Resolves with the page's layout shifts so far (an empty list when there were none).
LAYOUT_SHIFTS = """() => new Promise(resolve => {
  const seen = [];
  const observer = new PerformanceObserver(list => {
    seen.push(...list.getEntries().filter(e => !e.hadRecentInput).map(e => e.value));
  });
  observer.observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(seen), 300);
})"""


@dataclass
class Dashboard:
    portal: PortalWithSandbox
    generation: int = 0

    @property
    def app(self):
        return self.portal.app

    @property
    def sandbox(self) -> SandboxServer:
        return self.portal.sandbox

    def url(self, slug: str, path: str = "/dashboard") -> str:
        return self.portal.url(slug, path)

    def fresh_back_offices(self) -> None:
        """A new connector registry: an empty cache, closed breakers, and no cache time-to-live."""
        self.generation += 1
        connectors = self.sandbox.registry(self.portal.instance / "connector-cache" / str(self.generation))
        connectors.deployment.defaults["ttl"] = 0
        use_registry(self.app, connectors)

    def council_tax_linked(self, linked: bool) -> None:
        with self.app.app_context():
            resident = db.session.scalar(select(Resident).where(Resident.subject == PRIYA.subject))
            db.session.execute(
                delete(LinkedCouncilAccount).where(LinkedCouncilAccount.resident_id == resident.id)
            )
            if linked:
                db.session.add(
                    LinkedCouncilAccount(
                        resident_id=resident.id,
                        service="council-tax",
                        council_gss=PRIYA.district_gss,
                        account_reference=PRIYA.council_tax_reference,
                    )
                )
            db.session.commit()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory) -> Iterator[Dashboard]:
    with portal_with_own_sandbox(
        tmp_path_factory, "dashboard", gazetteer=True, DASHBOARD_BUDGET_SECONDS=BUDGET_SECONDS
    ) as portal:
        found = Dashboard(portal)
        found.fresh_back_offices()
        yield found


def tile_state(page: Page, name: str) -> str:
    return page.locator(f"#tile-{name} [data-tile-state]").get_attribute("data-tile-state")


def choose_home_address(page: Page) -> None:
    """The first visit: a postcode, then the address, and nothing else."""
    expect(page.get_by_role("heading", name="What is your home postcode?")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Find address").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a postcode")
    assert_no_axe_violations(page)
    page.get_by_label("What is your home postcode?").fill(PRIYA.postcode)
    page.get_by_role("button", name="Find address").click()
    expect(page.get_by_role("heading", name="Select your home address")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Select an address").select_option(PRIYA.uprn)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/dashboard$"))


@pytest.fixture(scope="module", params=[True, False], ids=["javascript", "no-javascript"])
def resident_page(request, browser, browser_context_args, dashboard) -> Iterator[tuple[Page, bool]]:
    javascript = request.param
    context = new_shared_context(browser, browser_context_args, javascript=javascript)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(dashboard.url("south-norfolk", "/"))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Email address").fill(PRIYA.email)
    page.get_by_label("Password").fill(PRIYA.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/dashboard"))
    if "/home-address" in page.url:
        choose_home_address(page)
    yield page, javascript
    context.close()


def wait_for_tiles(page: Page, javascript: bool) -> None:
    if javascript:
        for name in TILES:
            expect(page.locator(f"#tile-{name} [data-tile-state]")).not_to_have_attribute(
                "data-tile-state", "loading", timeout=TIMEOUT
            )


def open_dashboard(page: Page, url: str, javascript: bool) -> None:
    """The dashboard with every tile arrived: with JavaScript the shell comes first, then the fragments."""
    page.goto(url)
    wait_for_tiles(page, javascript)


@pytest.mark.parametrize("slug", TILE_STATE_THEMES)
def test_every_tile_state_is_accessible(resident_page, dashboard, sandbox_faults, slug):
    page, javascript = resident_page
    if not page.url.startswith(dashboard.url(slug, "")):
        dashboard.portal.sign_in(page, slug, PRIYA)
        wait_for_tiles(page, javascript)  # before the back offices change under the fragments' feet
    dashboard.fresh_back_offices()

    # Unavailable (planning down, nothing cached) and not applicable (council tax not linked yet).
    dashboard.council_tax_linked(False)
    sandbox_faults("planning", "down")
    open_dashboard(page, dashboard.url(slug), javascript)
    assert tile_state(page, "planning") == "unavailable"
    expect(page.locator("#tile-planning")).to_contain_text("01632 960177")  # South Norfolk's number
    assert tile_state(page, "council_tax") == "not_applicable"
    expect(page.locator("#tile-council_tax a", has_text="Link your council tax account")).to_be_visible()
    assert tile_state(page, "bins") == "loaded"
    expect(page.locator("#tile-bins")).to_contain_text("From South Norfolk Council")
    assert_no_axe_violations(page)

    # Loaded everywhere, then stale: bins answers garbage after answering once.
    dashboard.sandbox.clear_faults()
    dashboard.council_tax_linked(True)
    open_dashboard(page, dashboard.url(slug), javascript)
    assert [tile_state(page, name) for name in TILES] == ["loaded"] * len(TILES)
    expect(page.locator("#tile-council_tax")).to_contain_text("Balance")
    assert_no_axe_violations(page)
    sandbox_faults("bins", "malformed")
    open_dashboard(page, dashboard.url(slug), javascript)
    assert tile_state(page, "bins") == "stale"
    expect(page.locator("#tile-bins .govuk-warning-text")).to_contain_text("may be out of date")
    assert_no_axe_violations(page)

    # Hung: planning slower than the page's budget shows what it had, stale.
    dashboard.sandbox.clear_faults()
    sandbox_faults("planning", "slow", delay=BUDGET_SECONDS + 1.5)
    page.goto(dashboard.url(slug), wait_until="domcontentloaded")
    body = page.locator("#tile-planning-body")
    expect(body).to_have_attribute("aria-live", "polite")
    if javascript:
        focused = page.evaluate("document.activeElement && document.activeElement.tagName")
        assert "portal_javascript" in {cookie["name"] for cookie in page.context.cookies()}
        # The shell came first: the other tiles arrive while planning's back office is still thinking.
        expect(page.locator("#tile-bins [data-tile-state]")).to_have_attribute("data-tile-state", "loaded")
        assert tile_state(page, "planning") == "loading"
        expect(body).to_contain_text("Loading planning applications near you")
        assert_no_axe_violations(page)
        wait_for_tiles(page, javascript)
        assert page.evaluate("document.activeElement && document.activeElement.tagName") == focused, (
            "a tile arriving never moves focus"
        )
        shifts = page.evaluate(LAYOUT_SHIFTS)
        assert sum(shifts) < 0.1, f"tiles arriving moved the page (layout shift {sum(shifts):.3f})"
    assert tile_state(page, "planning") == "stale"
    expect(page.locator("#tile-planning .govuk-warning-text")).to_contain_text("may be out of date")
    assert_no_axe_violations(page)


@pytest.fixture
def sandbox_faults(dashboard):
    def inject(service: str, mode: str, delay: float = 0.0) -> None:
        dashboard.sandbox.inject(service, mode, delay)

    yield inject
    dashboard.sandbox.clear_faults()


def test_the_bin_calendar_downloads_with_the_same_dates(
    browser, browser_context_args, dashboard, resident_page
):
    page, javascript = resident_page
    dashboard.fresh_back_offices()
    open_dashboard(page, dashboard.url("south-norfolk"), javascript)
    shown = page.locator("#tile-bins .govuk-summary-list__value").all_inner_texts()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Add these dates to your calendar")).click()
    body = Path(download.value.path()).read_bytes().decode("utf-8")
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert shown and body.count("BEGIN:VEVENT") >= len(shown)


def test_the_cookies_page_lists_every_cookie_the_portal_sets(resident_page, dashboard):
    page, _ = resident_page
    page.goto(dashboard.url("south-norfolk", "/cookies"))
    listed = set(page.locator(".govuk-table__body td:first-child").all_inner_texts())
    set_by_portal = {cookie["name"] for cookie in page.context.cookies(dashboard.url("south-norfolk", "/"))}
    assert "portal_session" in set_by_portal and set_by_portal <= listed, set_by_portal - listed


def test_the_dashboard_works_by_keyboard_with_visible_focus_at_320px_and_200_percent_zoom(
    resident_page, dashboard
):
    page, javascript = resident_page
    dashboard.fresh_back_offices()
    dashboard.council_tax_linked(False)  # the not applicable tile's links are on the page too
    page.set_viewport_size({"width": 1280, "height": 800})
    open_dashboard(page, dashboard.url("south-norfolk"), javascript)

    assert_tab_reaches_everything_with_visible_focus(page)

    for viewport in ({"width": 320, "height": 640}, ZOOMED_VIEWPORT):
        page.set_viewport_size(viewport)
        open_dashboard(page, dashboard.url("south-norfolk"), javascript)
        _assert_fits_horizontally(page, f"the dashboard at {viewport['width']} CSS pixels")
    page.set_viewport_size({"width": 1280, "height": 800})
