"""The foundation pages in Chromium: axe-core finds nothing, with JavaScript on and off; and the checks axe
cannot make: visible focus, reflow at 320px, 200% zoom, and a keyboard-only journey.

Every page is checked in FULL_THEME and in each theme that replaces a template it is built from
(tests/support/themes.py); every theme's start page gets every check, for its own colours, wordmark and
wording: its header and links in axe's contrast check, focus on them, and its header reflowing. Against a live
council domain (``--base-url``, see README.md, "Running the accessibility suite against a live council
domain") every page is checked in that council's theme.
"""

import pytest

from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import new_shared_context, reused_page
from tests.support.page_checks import OVERFLOW_JS, focus_indicator_changes, tab_through
from tests.support.themes import START_PAGE, THEME_SLUGS, themes_checking

# Each page's address, the status it answers with, and the template it renders
# (tests/integration/test_pages.py checks that it is that template).
COUNCIL_PAGES = {
    "start": ("/", 200, START_PAGE),
    "accessibility-statement": ("/accessibility-statement", 200, "pages/accessibility.html"),
    "cookies": ("/cookies", 200, "pages/cookies.html"),
    "privacy": ("/privacy", 200, "pages/privacy.html"),
    "not-found": ("/no-such-page-here", 404, "errors/404.html"),
}
PORTAL_PAGES = {
    "council-list": ("localhost", 200),
    "address-not-set-up": ("unknown.localhost", 404),
}
# A 1280px wide window zoomed to 200% lays pages out in 640 CSS pixels, drawn with 2 device pixels each.
ZOOMED_VIEWPORT = {"width": 640, "height": 400}


def _pages(every_theme: bool):
    """(page id, how to build its URL) for the council pages, each in the themes it is checked in (or in every
    theme), and the portal's own pages."""
    for slug in THEME_SLUGS:
        for name, (path, status, template) in COUNCIL_PAGES.items():
            if every_theme or template == START_PAGE or slug in themes_checking(template):
                yield pytest.param(("council", slug, path, status), id=f"{slug}-{name}")
    for name, (host, status) in PORTAL_PAGES.items():
        yield pytest.param(("portal", host, "/", status), id=name)


def pytest_generate_tests(metafunc):
    """``which``: the pages above, each in its themes; against a live deployment (``--base-url``) every page
    in every theme, so that the deployed council's theme has every page checked (the others are skipped)."""
    if "which" in metafunc.fixturenames:
        every_theme = bool(metafunc.config.getoption("base_url", None))
        metafunc.parametrize("which", list(_pages(every_theme)))


@pytest.fixture
def page_url(council_url, portal_url):
    """Turns a ``which`` parameter into (URL, the status the page must answer with)."""

    def url(which) -> tuple[str, int]:
        kind, slug_or_host, path, status = which
        if kind == "council":
            return council_url(slug_or_host, path), status
        return portal_url(path, host=slug_or_host), status

    return url


def _open(page, url: str, status: int) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, (
        f"{url} answered {response and response.status}"
    )


@pytest.fixture(scope="session")
def _axe_page(browser, browser_context_args):
    context = new_shared_context(browser, browser_context_args, axe=True)
    with reused_page(context) as page:
        yield page
    context.close()


@pytest.fixture(scope="session")
def _axe_page_without_js(browser, browser_context_args):
    context = new_shared_context(browser, browser_context_args, axe=True, javascript=False)
    with reused_page(context) as page:
        yield page
    context.close()


def test_axe_finds_no_violations_with_javascript(_axe_page, page_url, which):
    url, status = page_url(which)
    page = _axe_page()
    _open(page, url, status)
    assert page.evaluate("document.body.classList.contains('js-enabled')"), "the portal's JS ran"
    assert_no_axe_violations(page)


def test_axe_finds_no_violations_without_javascript(_axe_page_without_js, page_url, which):
    url, status = page_url(which)
    page = _axe_page_without_js()
    _open(page, url, status)
    assert not page.evaluate("document.body.classList.contains('js-enabled')"), "no script of the portal ran"
    if which[0] == "council":  # signed out, every council page offers signing in
        navigation = page.get_by_role("navigation", name="Your account")
        assert navigation.get_by_role("link", name="Sign in", exact=True).is_visible()
    assert not page.locator("noscript").count(), (
        "<noscript> content is not rendered in this emulation of a browser without JavaScript: "
        "teach shared_context_without_js about it, or use progressive enhancement instead"
    )
    assert_no_axe_violations(page)


def assert_tab_reaches_everything_with_visible_focus(page) -> None:
    focusables, stops = tab_through(page)
    not_reached = set(range(len(focusables))) - {stop["index"] for stop in stops}
    assert not not_reached, "the keyboard cannot reach " + ", ".join(
        focusables[i] for i in sorted(not_reached)
    )
    invisible = [
        stop["description"]
        for stop in stops
        if stop["before"] is None
        or not stop["visibleSize"]
        or not focus_indicator_changes(stop["before"], stop["after"])
    ]
    assert not invisible, "no visible focus indicator on " + "; ".join(invisible)


def test_every_focusable_element_shows_where_the_focus_is(shared_page, page_url, which):
    url, status = page_url(which)
    _open(shared_page, url, status)
    assert_tab_reaches_everything_with_visible_focus(shared_page)


def _assert_fits_horizontally(page, url: str) -> None:
    layout = page.evaluate(OVERFLOW_JS)
    assert layout["scrollWidth"] <= layout["width"] and not layout["overflowing"], (
        f"{url} at {layout['width']} CSS pixels is {layout['scrollWidth']}px wide; "
        f"these pass the edge: {layout['overflowing']}"
    )


def test_no_horizontal_scrolling_at_320_css_pixels(shared_page, page_url, which):
    url, status = page_url(which)
    shared_page.set_viewport_size({"width": 320, "height": 640})
    _open(shared_page, url, status)
    _assert_fits_horizontally(shared_page, url)


@pytest.fixture(scope="session")
def _zoomed_page(browser, browser_context_args):
    context = new_shared_context(
        browser, browser_context_args, viewport=ZOOMED_VIEWPORT, device_scale_factor=2
    )
    with reused_page(context) as page:
        yield page
    context.close()


def test_pages_work_at_200_percent_zoom(_zoomed_page, page_url, which):
    url, status = page_url(which)
    page = _zoomed_page()
    _open(page, url, status)
    _assert_fits_horizontally(page, url)
    heading = page.locator("h1")
    heading.scroll_into_view_if_needed()
    assert heading.is_visible()
    box = heading.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= ZOOMED_VIEWPORT["width"]
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)") >= 16


_LANDMARK_OF_ACTIVE_ELEMENT_JS = """
() => {
  const landmark = document.activeElement.closest('header, main, footer');
  return landmark ? landmark.tagName.toLowerCase() : 'outside any landmark';
}
"""


@pytest.mark.parametrize("slug", THEME_SLUGS)
def test_a_keyboard_only_journey_through_the_start_page(shared_page, council_url, slug):
    page = shared_page
    _open(page, council_url(slug), 200)

    page.keyboard.press("Tab")
    skip_link = page.locator(".govuk-skip-link")
    assert page.evaluate("document.activeElement.className").startswith("govuk-skip-link"), (
        "the first Tab reaches the skip link"
    )
    box = skip_link.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 20 and box["y"] >= 0, "the focused skip link shows"

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content", "the skip link moves focus to main"
    page.keyboard.press("Tab")
    assert page.evaluate(_LANDMARK_OF_ACTIVE_ELEMENT_JS) == "main", "the next Tab stays in the main content"

    # From the top again: header, then main, then footer, each in the order the page reads.
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    _open(page, council_url(slug), 200)
    landmarks = []
    for _ in range(30):
        page.keyboard.press("Tab")
        landmark = page.evaluate(_LANDMARK_OF_ACTIVE_ELEMENT_JS)
        text = page.evaluate("document.activeElement.innerText || document.activeElement.alt || ''").strip()
        if page.evaluate("document.activeElement === document.body"):
            break
        landmarks.append(landmark)
        if text == "Accessibility statement":
            break
    assert landmarks[0] == "outside any landmark", "the skip link comes first"
    assert landmarks[1] == "header", "then the council's home link in the header"
    assert landmarks == sorted(landmarks, key=["outside any landmark", "header", "main", "footer"].index), (
        f"Tab goes header, main, footer, not {landmarks}"
    )
    assert "main" in landmarks and landmarks[-1] == "footer"

    page.keyboard.press("Enter")
    page.wait_for_url("**/accessibility-statement")
    assert page.locator("h1").inner_text().startswith("Accessibility statement")
