"""Find your council in a real browser, with JavaScript on and off, by keyboard alone (Tab, Enter, typing and
arrow keys; no clicks) from the postcode page to the councils at a real address, meeting every error on the
way. On every page and error axe-core finds nothing and nothing scrolls sideways at 320 CSS pixels; each error
summary link takes the focus to its field, keeping what was typed.

The walk goes through a district's theme (FULL_THEME), the county's (a district's address on the county's
site) and every theme with templates of its own (tests/support/themes.py). Every council's site answers for
its own home in tests/integration/test_addresses.py, and every theme's colours are checked on its start page
and on this form's errors (the accessibility suite's start-page-and-form-errors journey, tests/a11y).

One walk per theme makes all of these checks, page by page, because the form submissions cost more than the
checks (the whole module has a budget of about a minute on two cores). The session's portal starts with an
empty gazetteer: the sandbox's is imported into it once per run of this module, which updates by UPRN, so
importing it again changes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

from app import gazetteer_import
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.browser.axe import axe_violations, describe_violations
from tests.browser.conftest import THEME_SLUGS, THEMES, new_shared_context, reused_page
from tests.browser.test_accessibility import _assert_fits_horizontally
from tests.support.themes import themes_checking

GAZETTEER = Path(__file__).resolve().parents[2] / "sandbox" / "data" / "gazetteer.csv"
START = "/find-your-council/"
TIMEOUT = 10_000
REFLOW_VIEWPORT = {"width": 320, "height": 640}
COUNTY = next(theme for theme in THEMES if theme.tier == "county")
COUNCIL_NAMES = {theme.gss_code: theme.name for theme in THEMES}
# What a person might type, in the order the walk types them, and the answer (app/postcodes.py and
# app/address_lookup.py).
WRONG_POSTCODES = {
    "empty": ("", "Enter a postcode"),
    "badly-formed": ("NR1", "Enter a real postcode, like NR1 2DH"),
}
# A postcode without addresses and one outside Norfolk differ only in the sentence: each walk types one of the
# two, in turn walk by walk, which saves a form submission a walk and still shows each in every theme walked
# (one with JavaScript, the other without).
NO_ADDRESSES_HERE = {
    "unknown": ("NR99 9ZZ", "We could not find any addresses for NR99 9ZZ. Check the postcode is right."),
    # Wisbech, in the sandbox gazetteer: Fenland, just over the county boundary.
    "outside-norfolk": (
        "PE13 1NS",
        "PE13 1NS is not in Norfolk: it is looked after by Fenland District Council. Contact them instead.",
    ),
}
# Everything a page needs to show for the walk to know where it is, read in one round trip.
_PAGE_STATE_JS = r"""
() => ({
  heading: document.querySelector('h1')?.innerText.trim(),
  errorTitle: document.title.startsWith('Error: '),
  errorLinks: [...document.querySelectorAll('.govuk-error-summary a')]
    .map(link => [link.innerText.trim(), link.getAttribute('href')]),
  fieldErrors: [...document.querySelectorAll('.govuk-error-message')]
    .map(message => message.textContent.replace(/\s+/g, ' ').trim()),
  postcode: document.getElementById('postcode')?.value,
  focused: document.activeElement.id || document.activeElement.className,
  javascript: document.body.classList.contains('js-enabled'),
})
"""
# The top of the label of the focused field, where GOV.UK Frontend scrolls to after an error summary link.
_FOCUSED_LABEL_TOP_JS = """
() => document.querySelector(`label[for="${document.activeElement.id}"]`).getBoundingClientRect().top
"""
_NEXT_FRAME_JS = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@dataclass(frozen=True)
class Home:
    uprn: str
    postcode: str
    first_line: str
    district_gss: str


def _home_for(slug: str) -> Home:
    """An address the council on this host serves: a demo resident's where one lives in its district, else the
    district's first address in the sandbox gazetteer; on the county's host, the first demo resident's."""
    theme = next(theme for theme in THEMES if theme.slug == slug)
    gss = DEMO_RESIDENTS[0].district_gss if theme is COUNTY else theme.gss_code
    for resident in DEMO_RESIDENTS:
        if resident.district_gss == gss:
            return Home(resident.uprn, resident.postcode, resident.address[0], gss)
    with GAZETTEER.open(newline="", encoding="utf-8-sig") as handle:
        row = next(row for row in csv.DictReader(handle) if row["lad_gss"] == gss)
    return Home(row["uprn"], row["postcode"], row["address_line_1"], gss)


HOMES = {slug: _home_for(slug) for slug in THEME_SLUGS}
WALK_THEMES = themes_checking(
    "addresses/postcode.html", "addresses/choose.html", "addresses/councils.html", also=(COUNTY.slug,)
)


@pytest.fixture(scope="module", autouse=True)
def _gazetteer(request, base_url) -> None:
    if base_url:
        pytest.skip("the walk uses the sandbox gazetteer's addresses, which only the local portal has")
    portal = request.getfixturevalue("portal")  # only now: a live deployment needs no local portal
    with portal.app.app_context():
        summary = gazetteer_import.import_file(GAZETTEER)
    assert not summary.rejected, summary.rejected


def _module_page(browser, browser_context_args, javascript: bool) -> Iterator[Callable[[], Page]]:
    # A context of this module's own: the forms leave a session cookie other modules' pages need not carry.
    context = new_shared_context(browser, browser_context_args, javascript=javascript, axe=True)
    context.set_default_timeout(TIMEOUT)
    with reused_page(context) as page:
        yield page
    context.close()


@pytest.fixture(scope="module")
def _page_with_js(browser, browser_context_args):
    yield from _module_page(browser, browser_context_args, javascript=True)


@pytest.fixture(scope="module")
def _page_without_js(browser, browser_context_args):
    yield from _module_page(browser, browser_context_args, javascript=False)


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def journey_page(request) -> tuple[Page, bool]:
    javascript = request.param
    page = request.getfixturevalue("_page_with_js" if javascript else "_page_without_js")()
    return page, javascript


class Walk:
    """The keyboard, and the checks every page and error state of the journey gets."""

    def __init__(self, page: Page, javascript: bool):
        self.page = page
        self.javascript = javascript

    def state(self) -> dict:
        return self.page.evaluate(_PAGE_STATE_JS)

    def check_the_page(self, name: str) -> None:
        """axe finds nothing; at 320 CSS pixels wide nothing passes the edge (then back to full width)."""
        page = self.page
        violations = axe_violations(page)
        assert not violations, (
            f"axe-core found {len(violations)} problems on {name} ({page.url}):\n"
            + describe_violations(violations)
        )
        viewport = page.viewport_size
        page.set_viewport_size(REFLOW_VIEWPORT)
        if self.javascript:  # lets scripts that follow media queries (the header's menu) catch up
            page.evaluate(_NEXT_FRAME_JS)
        _assert_fits_horizontally(page, f"{page.url} ({name})")
        page.set_viewport_size(viewport)

    def tab_to(self, selector: str, limit: int = 30) -> None:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
                return
        raise AssertionError(f"{limit} presses of Tab never reached {selector} on {self.page.url}")

    def press_enter_and_arrive(self, path: str) -> None:
        with self.page.expect_navigation() as navigation:
            self.page.keyboard.press("Enter")
        response = navigation.value
        status = response and response.status
        assert status == 200, f"{self.page.url} answered {status}"
        assert self.page.url.split("?")[0].endswith(path), self.page.url

    def follow_the_error_link(self, field: str) -> None:
        """From the top of a page with one error, to its field through the error summary's link.

        GOV.UK Frontend's script focuses the summary as the page loads, so the next Tab is its link; following
        the link focuses the field and scrolls its label into view. Without the script a keyboard user Tabs to
        the link, and following it still focuses the field (the browser focuses a link's target)."""
        page = self.page
        if self.javascript:
            assert "govuk-error-summary" in self.state()["focused"], "the error summary has the focus"
            page.keyboard.press("Tab")
        else:
            self.tab_to(".govuk-error-summary a")
        assert page.evaluate("document.activeElement.getAttribute('href')") == f"#{field}"
        page.keyboard.press("Enter")
        assert self.state()["focused"] == field, "the error summary link moves the focus to the field"
        if self.javascript:
            assert 0 <= page.evaluate(_FOCUSED_LABEL_TOP_JS) < page.viewport_size["height"], (
                "the field's label is scrolled into view with it"
            )


@pytest.mark.parametrize("slug", WALK_THEMES)
def test_find_your_council_by_keyboard_through_every_error(journey_page, council_url, slug):
    page, javascript = journey_page
    walk = Walk(page, javascript)
    home = HOMES[slug]

    response = page.goto(council_url(slug, START))
    assert response is not None and response.status == 200
    state = walk.state()
    assert (state["heading"], state["javascript"]) == ("What is the postcode?", javascript), state
    walk.check_the_page("postcode")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('govuk-skip-link')")
    page.keyboard.press("Enter")
    walk.tab_to("#postcode", limit=2)

    no_addresses_here = list(NO_ADDRESSES_HERE.items())[(WALK_THEMES.index(slug) + javascript) % 2]
    wrong_postcodes = [*WRONG_POSTCODES.items(), no_addresses_here]
    for name, (typed, message) in wrong_postcodes:
        page.keyboard.press("ControlOrMeta+A")  # replaces what the last error kept
        page.keyboard.type(typed)
        walk.press_enter_and_arrive(START)  # Enter in the field submits its form
        state = walk.state()
        assert (state["errorLinks"], state["errorTitle"]) == ([[message, "#postcode"]], True), state
        assert state["fieldErrors"] == [f"Error: {message}"], state
        assert state["postcode"] == typed, "what the person typed is kept"
        walk.check_the_page(f"postcode, {name}")
        walk.follow_the_error_link("postcode")
        assert walk.state()["postcode"] == typed

    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(home.postcode.lower().replace(" ", ""))  # as people type them
    walk.press_enter_and_arrive("/find-your-council/address")
    assert walk.state()["heading"] == "Select the address"
    walk.check_the_page("address list")
    walk.tab_to("#uprn")
    walk.tab_to("button[type=submit]", limit=1)
    walk.press_enter_and_arrive("/find-your-council/address")  # with no address chosen
    state = walk.state()
    assert (state["errorLinks"], state["errorTitle"]) == ([["Select your address", "#uprn"]], True), state
    walk.check_the_page("address list, nothing chosen")
    walk.follow_the_error_link("uprn")

    uprns = page.locator("#uprn option").evaluate_all("options => options.map(option => option.value)")
    assert uprns[0] == "" and home.uprn in uprns, f"{home.postcode}: {uprns}"
    for _ in range(uprns.index(home.uprn)):
        page.keyboard.press("ArrowDown")
    assert page.locator("#uprn").input_value() == home.uprn, "the arrow keys choose the address"
    walk.tab_to("button[type=submit]", limit=1)
    walk.press_enter_and_arrive(f"/find-your-council/{home.uprn}")

    state = walk.state()
    assert (state["heading"], state["javascript"]) == ("Your councils", javascript), state
    assert home.first_line in page.locator("main .govuk-body-l").inner_text()
    councils = dict(
        page.locator(".govuk-summary-list__row").evaluate_all(
            "rows => rows.map(row => [row.querySelector('dt').innerText.trim(),"
            " row.querySelector('dd').innerText.trim()])"
        )
    )
    assert councils["Bins and recycling"] == COUNCIL_NAMES[home.district_gss], "the district empties the bins"
    assert councils["Council tax"] == COUNCIL_NAMES[home.district_gss]
    assert councils["Roads, pavements and potholes"] == COUNTY.name, "the county looks after the roads"
    assert councils["Social care"] == COUNTY.name
    walk.check_the_page("councils")
