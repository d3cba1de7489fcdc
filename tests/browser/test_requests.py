"""My requests in a real browser: the list with its filter, a case page whose timeline changes when the
council changes the report in its back office, "this is not fixed" with its error message, and a guest
following a report; every page scanned by axe, with JavaScript on and off."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Page, expect

from app.backoffice import use_registry
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import PortalWithSandbox, new_shared_context, portal_with_own_sandbox
from tests.integration.tracking.conftest import deliver_all, poll_everything, resident_called, sent_pothole

PRIYA = DEMO_RESIDENTS[0]
TIMEOUT = 15_000


@pytest.fixture(scope="module")
def portal_with_sandbox(tmp_path_factory) -> Iterator[PortalWithSandbox]:
    with portal_with_own_sandbox(tmp_path_factory, "requests") as portal:
        connectors = portal.sandbox.registry(portal.instance / "connector-cache")
        connectors.deployment.defaults["ttl"] = 0
        use_registry(portal.app, connectors)
        yield portal


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def signed_in(request, browser, browser_context_args, portal_with_sandbox) -> Iterator[Page]:
    context = new_shared_context(browser, browser_context_args, javascript=request.param)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(portal_with_sandbox.url("south-norfolk"))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Email address").fill(PRIYA.email)
    page.get_by_label("Password").fill(PRIYA.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"south-norfolk\.localhost:\d+/"))
    yield page
    context.close()


def test_a_resident_follows_a_case_from_the_list_to_not_fixed(signed_in, portal_with_sandbox):
    page, portal = signed_in, portal_with_sandbox
    with portal.app.app_context():
        report = sent_pothole(
            portal.app.extensions["connectors"], resident=resident_called(PRIYA.email), email=None
        )
        reference, request_id = report.reference, report.service_request_id

    page.goto(portal.url("south-norfolk", "/requests"))
    expect(page.get_by_role("heading", name="My requests", level=1)).to_be_visible()
    table = page.locator("table")
    expect(table).to_contain_text("Norfolk County Council")
    expect(table).to_contain_text("South Norfolk Council")
    assert_no_axe_violations(page)

    page.get_by_label("Closed").check()
    page.get_by_role("button", name="Show requests").click()
    expect(page.get_by_text("None of your requests match this filter.")).to_be_visible()
    assert "state=closed" in page.url
    assert_no_axe_violations(page)

    answer = requests.post(
        f"{portal.sandbox.url}/open311/_admin/requests/{request_id}",
        json={"status": "closed", "description": "Filled and sealed."},
        timeout=5,
    )
    assert answer.status_code == 200
    with portal.app.app_context():
        poll_everything()
        deliver_all()

    page.goto(portal.url("south-norfolk", "/requests"))
    page.get_by_role("link", name=re.compile("Pothole or road defect")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pothole or road defect")
    expect(page.locator(".govuk-summary-list")).to_contain_text(reference)
    expect(page.locator("ol.app-timeline > li").last).to_contain_text("Filled and sealed.")
    expect(page.locator(".govuk-tag", has_text="Fixed").first).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("button", name="This is not fixed").click()
    page.get_by_role("button", name="Tell the council it is not fixed").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what is still wrong")
    assert_no_axe_violations(page)
    page.get_by_label("What is still wrong?").fill("The hole is back after the rain.")
    page.get_by_role("button", name="Tell the council it is not fixed").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("not fixed")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Reopened")
    assert_no_axe_violations(page)


def test_a_guest_follows_a_neighbours_report(browser, browser_context_args, portal_with_sandbox):
    portal = portal_with_sandbox
    with portal.app.app_context():
        report = sent_pothole(portal.app.extensions["connectors"], resident=None, email=None)
        request_id = report.service_request_id
    context = new_shared_context(browser, browser_context_args, javascript=False)
    page = context.new_page()
    page.goto(portal.url("norwich", f"/requests/report/norfolk/{request_id}"))
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Get updates").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    assert_no_axe_violations(page)
    page.get_by_label("Email address").fill("next.door@example.com")
    page.get_by_role("button", name="Get updates").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_no_axe_violations(page)
    context.close()
