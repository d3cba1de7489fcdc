"""The "service is busy" page a resident gets when no database connection comes in time (app/database.py), in
a county's and a district's theme: axe finds nothing with JavaScript on and off, every Tab stop shows its
focus, and it reflows at 320px and at 200% zoom."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app.extensions import db
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import PortalWithSandbox, new_shared_context, portal_with_own_sandbox
from tests.browser.test_accessibility import (
    ZOOMED_VIEWPORT,
    _assert_fits_horizontally,
    assert_tab_reaches_everything_with_visible_focus,
)

THEMES = ("norfolk", "great-yarmouth")


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[PortalWithSandbox]:
    with portal_with_own_sandbox(
        tmp_path_factory, "busy", DATABASE_POOL_SIZE=1, DATABASE_WAIT_SECONDS=0.2
    ) as served:
        yield served


@contextmanager
def every_connection_taken(portal: PortalWithSandbox):
    with portal.app.app_context():
        held = db.engine.connect()
        try:
            yield
        finally:
            held.close()


def open_busy_page(page, portal: PortalWithSandbox, slug: str) -> None:
    with every_connection_taken(portal):
        # Looking up a postcode's addresses needs the database; an empty form no longer does.
        response = page.goto(portal.url(slug, "/find-your-council/address?postcode=NR2+2PE"))
        assert response is not None and response.status == 503
        assert response.headers["retry-after"] == "10"


@pytest.mark.parametrize("javascript", [True, False])
@pytest.mark.parametrize("slug", THEMES)
def test_axe_finds_nothing_on_the_busy_page(browser, browser_context_args, portal, slug, javascript):
    context = new_shared_context(browser, browser_context_args, axe=True, javascript=javascript)
    try:
        page = context.new_page()
        open_busy_page(page, portal, slug)
        assert page.locator("h1").inner_text() == "Sorry, the service is busy"
        assert_no_axe_violations(page)
    finally:
        context.close()


@pytest.mark.parametrize("slug", THEMES)
def test_the_busy_page_by_keyboard_at_320px_and_200_percent_zoom(browser, browser_context_args, portal, slug):
    context = new_shared_context(browser, browser_context_args)
    try:
        page = context.new_page()
        open_busy_page(page, portal, slug)
        assert_tab_reaches_everything_with_visible_focus(page)
        page.set_viewport_size({"width": 320, "height": 640})
        _assert_fits_horizontally(page, page.url)
    finally:
        context.close()
    zoomed = new_shared_context(
        browser, browser_context_args, viewport=ZOOMED_VIEWPORT, device_scale_factor=2
    )
    try:
        page = zoomed.new_page()
        open_busy_page(page, portal, slug)
        _assert_fits_horizontally(page, page.url)
        # Trying again works once a connection is free.
        page.get_by_role("link", name="Try again").click()
        assert page.locator("h1").inner_text() != "Sorry, the service is busy"
    finally:
        zoomed.close()
