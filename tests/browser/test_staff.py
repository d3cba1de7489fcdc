"""Council staff's pages in Chromium, walked as the issue's "done when" says: Tom Blake has an account;
agent.norwich signs in on the staff host, finds him by his postcode with a reason, sees his single view
(Norwich's bins and council tax, his cases with every council), reports a missed bin for him by phone; Tom
sees it in My requests as reported on his behalf by Norwich City Council's contact centre; the supervisor
finds the look (with its reason) and the report (with its reference) in the audit log; agent.breckland cannot
see his council tax.

Every staff page on the way is scanned by axe-core, tabbed through from the top (every focusable element
reached and showing focus), and laid out at 320 CSS pixels and at 200% zoom without scrolling sideways, with
the portal's JavaScript on and off; finding Tom's record is done by keyboard alone, in a few keystrokes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.backoffice import use_registry
from app.extensions import db
from app.models.identity import LinkedCouncilAccount, Resident
from app.models.reports import MessageKind, MessageStatus, OutboxMessage, Report
from app.reports import outbox
from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.demo_staff import DEMO_STAFF
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import PortalWithSandbox, new_shared_context, portal_with_own_sandbox
from tests.browser.test_accessibility import ZOOMED_VIEWPORT, _assert_fits_horizontally
from tests.browser.test_signed_in_pages import NARROW, WIDE, assert_focus_is_visible_everywhere

TOM = DEMO_RESIDENTS[1]
NORWICH_AGENT, BRECKLAND_AGENT, SUPERVISOR = DEMO_STAFF
TIMEOUT = 15_000
POLICY = outbox.DeliveryPolicy(
    max_failures=5,
    base_delay=outbox.timedelta(0),
    max_delay=outbox.timedelta(0),
    lease=outbox.timedelta(minutes=1),
)


@pytest.fixture(scope="module")
def staff_portal(tmp_path_factory, base_url) -> Iterator[PortalWithSandbox]:
    if base_url:
        pytest.skip("signs staff in through the local sandbox's identity provider, not a live deployment's")
    with portal_with_own_sandbox(tmp_path_factory, "staff", gazetteer=True) as portal:
        portal.app.config["STAFF_OIDC_DISCOVERY_URL"] = portal.app.config["OIDC_DISCOVERY_URL"]
        use_registry(portal.app, portal.sandbox.registry(portal.instance / "connector-cache"))
        yield portal


def staff_url(portal: PortalWithSandbox, path: str = "/staff") -> str:
    return f"http://staff.localhost:{portal.port}{path}"


def examine(page: Page, what: str) -> None:
    """axe, every Tab stop with visible focus, no sideways scrolling at 320px and at 200% zoom."""
    expect(page.locator("h1")).to_be_visible()
    assert_no_axe_violations(page)
    assert_focus_is_visible_everywhere(page, what)
    try:
        for viewport in (NARROW, ZOOMED_VIEWPORT):
            page.set_viewport_size(viewport)
            _assert_fits_horizontally(page, f"{what} ({page.url})")
    finally:
        page.set_viewport_size(WIDE)


def submit(page: Page) -> None:
    with page.expect_navigation():
        page.locator("main form button[type=submit]:not(.govuk-button--secondary)").first.click()


def staff_sign_in(page: Page, portal: PortalWithSandbox, member) -> None:
    page.goto(staff_url(portal))
    examine(page, "the staff start page")
    page.get_by_role("button", name="Sign in with your council account").click()
    page.get_by_label("Email address").fill(member.email)
    page.get_by_label("Password").fill(member.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"^http://staff\.localhost:\d+/staff(/working-for.*)?$"))


@pytest.fixture(scope="module")
def tom(browser, browser_context_args, staff_portal) -> Iterator[Page]:
    """Tom, signed in on Norwich's domain, with his home address and council tax account."""
    context = new_shared_context(browser, browser_context_args, viewport=WIDE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    staff_portal.sign_in(page, "norwich", TOM)
    with staff_portal.app.app_context():
        resident = db.session.scalars(select(Resident).filter_by(email=TOM.email)).one()
        resident.home_uprn = TOM.uprn
        db.session.add(
            LinkedCouncilAccount(
                resident_id=resident.id,
                service="council-tax",
                council_gss=TOM.district_gss,
                account_reference=TOM.council_tax_reference,
            )
        )
        db.session.commit()
    yield page
    context.close()


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def javascript(request) -> bool:
    return request.param


def staff_page(browser, browser_context_args, javascript: bool) -> Page:
    context = new_shared_context(browser, browser_context_args, javascript=javascript, viewport=WIDE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    return page


def test_the_done_when_walk(browser, browser_context_args, staff_portal, tom, javascript):
    agent = staff_page(browser, browser_context_args, javascript)
    staff_sign_in(agent, staff_portal, NORWICH_AGENT)
    examine(agent, "finding a resident")

    # Search to record by keyboard alone: the search box has focus when the page opens; type, Enter; Enter on
    # the first result; a radio with Space, then Tab past the details and Enter.
    agent.goto(staff_url(staff_portal))
    expect(agent.locator("#q")).to_be_focused()
    agent.keyboard.type(TOM.postcode)
    with agent.expect_navigation():
        agent.keyboard.press("Enter")
    expect(agent.get_by_role("heading", level=1)).to_have_text("1 resident found")
    examine(agent, "search results")
    agent.locator(".staff-results a").first.focus()
    with agent.expect_navigation():
        agent.keyboard.press("Enter")
    expect(agent.get_by_role("heading", level=1)).to_have_text("Why are you opening this record?")
    examine(agent, "the reason for a look")
    submit(agent)
    expect(agent.locator(".govuk-error-summary")).to_contain_text("Select why you are opening this record")
    examine(agent, "the reason for a look, sent empty")
    agent.locator("input[name=reason]").first.focus()
    agent.keyboard.press("Space")
    agent.locator("#detail").fill("Tom phoned: bins not emptied")
    with agent.expect_navigation():
        agent.locator("#detail").press("Tab")
        agent.keyboard.press("Enter")

    expect(agent.get_by_role("heading", level=1)).to_have_text("Tom Blake")
    expect(agent.locator("#tile-bins")).to_contain_text("From Norwich City Council")
    expect(agent.locator("#tile-council_tax")).to_contain_text(f"Account {TOM.council_tax_reference}")
    expect(agent.locator("#reports")).to_be_visible()
    expect(agent.locator("main")).to_contain_text("NCC-HW-2026-114502")  # his case with the county
    examine(agent, "the single view")

    agent.get_by_role("button", name="Report a problem for Tom Blake").click()
    examine(agent, "reporting for a resident")
    submit(agent)
    examine(agent, "reporting for a resident, sent empty")
    agent.locator("input[name=report_type][value=missed-bin]").check()
    agent.locator("input[name=channel][value=phone]").check()
    submit(agent)
    agent.locator("#postcode").fill(TOM.postcode)
    examine(agent, "the report's postcode, on the staff host")
    submit(agent)
    agent.locator(f"main input[name=uprn][value='{TOM.uprn}']").check()
    submit(agent)
    while "/question/" in agent.url:
        agent.locator("main input[name=answer]").first.check()
        submit(agent)
    submit(agent)  # details: optional for a missed bin
    submit(agent)  # no photo
    assert agent.url.endswith("/check"), agent.url
    examine(agent, "checking a report made for a resident")
    submit(agent)
    assert agent.url.endswith("/confirmation"), agent.url
    reference = agent.locator(".govuk-panel__body strong").inner_text().strip()
    examine(agent, "the confirmation of a report made for a resident")
    with staff_portal.app.app_context():
        outbox.run_once("staff-browser-worker", POLICY, batch=50)

    tom.goto(staff_portal.url("norwich", "/requests"))
    expect(tom.locator("main")).to_contain_text(reference)
    expect(tom.locator("main")).to_contain_text(
        "Reported on your behalf by Norwich City Council's contact centre"
    )

    supervisor = staff_page(browser, browser_context_args, javascript)
    staff_sign_in(supervisor, staff_portal, SUPERVISOR)
    examine(supervisor, "choosing the council to work for")
    supervisor.locator("input[name=council][value=norwich]").check()
    submit(supervisor)
    supervisor.get_by_role("link", name="Audit log").click()
    examine(supervisor, "the audit log")
    supervisor.locator("select[name=action]").select_option("resident_viewed")
    submit(supervisor)
    expect(supervisor.locator("table.staff-audit")).to_contain_text("Tom phoned: bins not emptied")
    expect(supervisor.locator("table.staff-audit")).to_contain_text(NORWICH_AGENT.email)
    supervisor.goto(staff_url(staff_portal, "/staff/audit?action=report_made"))
    expect(supervisor.locator("table.staff-audit")).to_contain_text(reference)
    supervisor.context.close()

    breckland = staff_page(browser, browser_context_args, javascript)
    staff_sign_in(breckland, staff_portal, BRECKLAND_AGENT)
    with staff_portal.app.app_context():
        tom_id = db.session.scalars(select(Resident.id).filter_by(email=TOM.email)).one()
    breckland.goto(staff_url(staff_portal, f"/staff/residents/{tom_id}/reason"))
    breckland.locator("input[name=reason][value=follow_up]").check()
    submit(breckland)
    expect(breckland.locator("#tile-council_tax")).to_contain_text(
        "Only staff working for Norwich City Council"
    )
    expect(breckland.locator("main")).not_to_contain_text(TOM.council_tax_reference)
    breckland.goto(staff_url(staff_portal, "/staff/audit"))
    expect(breckland.get_by_role("heading", level=1)).to_have_text("You cannot see this page")
    examine(breckland, "a page only supervisors see")
    breckland.context.close()
    agent.context.close()


def test_the_other_staff_pages(browser, browser_context_args, staff_portal, tom, javascript):
    with staff_portal.app.app_context():
        resident_id = db.session.scalars(select(Resident.id).filter_by(email=TOM.email)).one()
        report = db.session.scalars(select(Report).where(Report.resident_id == resident_id)).first()
        if report is None:
            report = Report(
                report_type="missed-bin",
                council_slug="norwich",
                service_code="missed_bin",
                made_on="norwich",
                resident_id=resident_id,
                idempotency_key=f"staff-browser-{javascript}",
            )
            db.session.add(report)
            db.session.flush()
        db.session.add(
            OutboxMessage(
                kind=MessageKind.EMAIL,
                report_id=report.id,
                payload={},
                status=MessageStatus.PARKED,
                last_error="HTTP 500",
            )
        )
        db.session.commit()
        reference = report.reference
    page = staff_page(browser, browser_context_args, javascript)
    staff_sign_in(page, staff_portal, SUPERVISOR)
    page.locator("input[name=council][value=norwich]").check()
    submit(page)
    page.get_by_role("link", name="Parked deliveries").click()
    expect(page.locator("main")).to_contain_text(reference)
    examine(page, "parked deliveries")

    page.get_by_role("link", name="Report for a caller without an account").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("caller without an account")
    examine(page, "reporting for a caller")

    page.goto(staff_url(staff_portal, f"/staff/residents/{resident_id}/reason"))
    page.locator("input[name=reason][value=other]").check()
    submit(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for opening this record")
    page.locator("#detail").fill("Checking a complaint")
    submit(page)
    page.locator("input[name=channel][value=email]").check()
    page.locator("#summary").fill("Emailed about a missed bin")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the note").click()
    expect(page.locator("#notes ~ .govuk-inset-text").first).to_contain_text("Emailed about a missed bin")
    page.goto(staff_url(staff_portal, "/staff/search?q=Nobody+Here"))
    examine(page, "a search that finds no one")

    page.goto(staff_url(staff_portal, f"/staff/residents/{resident_id}/cases/{reference}/comment"))
    assert page.url.endswith("/comment"), "the report is open: it takes an update"
    if True:
        examine(page, "adding an update for a resident")
        submit(page)
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Enter what you want to tell the council"
        )
        examine(page, "adding an update for a resident, sent empty")

    # A case in the county's CRM: found by its reference, and an update added for Tom through the contract.
    page.goto(staff_url(staff_portal, "/staff/search?q=NCC-HW-2026-114502"))
    expect(page.get_by_role("heading", level=1)).to_have_text("1 resident found")
    examine(page, "search results for a CRM case reference")
    page.goto(
        staff_url(staff_portal, f"/staff/residents/{resident_id}/cases/norfolk:NCC-HW-2026-114502/comment")
    )
    assert page.url.endswith("/comment"), "the CRM takes updates on the open case"
    examine(page, "adding an update to a CRM case for a resident")
    submit(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select how the resident is contacting you")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what you want to add to your case")
    examine(page, "adding an update to a CRM case for a resident, sent empty")

    limit = staff_portal.app.config["STAFF_SEARCH_RATE_LIMIT"]
    staff_portal.app.config["STAFF_SEARCH_RATE_LIMIT"] = "1 per hour"
    try:
        for _ in range(2):
            page.goto(staff_url(staff_portal, f"/staff/search?q=Blake+{javascript}"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Too many searches")
        examine(page, "too many searches")
    finally:
        staff_portal.app.config["STAFF_SEARCH_RATE_LIMIT"] = limit
    page.context.close()


def test_a_case_page_while_the_councils_crm_is_not_answering(
    browser, browser_context_args, staff_portal, tom
):
    """The county's CRM down: Tom's case with it opens as a page saying so and what to do instead, with the
    way back to his record, the staff navigation and sign-out; once the CRM answers, reloading shows the
    case. Once his record is open, the connectors start again empty (the record's look at the CRM leaves the
    case cached, and a cached case is shown however stale), and are put back afterwards."""
    with staff_portal.app.app_context():
        resident_id = db.session.scalars(select(Resident.id).filter_by(email=TOM.email)).one()
    record = staff_url(staff_portal, f"/staff/residents/{resident_id}")
    case = f"{record}/cases/norfolk:NCC-HW-2026-114502/comment"
    connectors = staff_portal.app.extensions["connectors"]
    page = staff_page(browser, browser_context_args, javascript=True)
    try:
        staff_sign_in(page, staff_portal, NORWICH_AGENT)
        page.goto(f"{record}/reason")
        page.locator("input[name=reason][value=follow_up]").check()
        submit(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("Tom Blake")

        use_registry(
            staff_portal.app, staff_portal.sandbox.registry(staff_portal.instance / "crm-down-cache")
        )
        staff_portal.sandbox.inject("cases", "down", council="norfolk")
        response = page.goto(case)
        assert response is not None and response.status == 503, "the CRM not answering is a 503, not an error"
        expect(page.locator("h1")).to_have_count(1)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Norfolk County Council's system is not answering"
        )
        expect(page).to_have_title(re.compile(r"^Norfolk County Council's system is not answering – \S"))
        main = page.locator("main")
        expect(main).to_contain_text("We cannot get this case from Norfolk County Council's system just now")
        expect(main).to_contain_text("Try again in a few minutes, or take a contact note for the resident.")
        expect(main.locator("form")).to_have_count(0)  # nothing to fill in that could not be sent
        expect(page.get_by_role("link", name="Back", exact=True)).to_have_attribute(
            "href", f"/staff/residents/{resident_id}"
        )
        navigation = page.get_by_role("navigation", name="Staff pages")
        expect(navigation.get_by_role("link", name="Find a resident")).to_be_visible()
        expect(
            page.get_by_role("region", name="Your staff account").get_by_role("button", name="Sign out")
        ).to_be_visible()
        examine(page, "a case page while the council's CRM is not answering")

        staff_portal.sandbox.clear_faults()
        response = page.reload()
        assert response is not None and response.status == 200
        expect(page.get_by_role("heading", level=1)).to_have_text("Add an update for the resident")
        expect(main).to_contain_text("NCC-HW-2026-114502")
    finally:
        staff_portal.sandbox.clear_faults()
        use_registry(staff_portal.app, connectors)
        page.context.close()


def test_a_refused_sign_in(browser, browser_context_args, staff_portal, javascript):
    staff_portal.app.config["STAFF_OIDC_REQUIRED_AMR"] = ("mfa",)
    try:
        page = staff_page(browser, browser_context_args, javascript)
        page.goto(staff_url(staff_portal))
        page.get_by_role("button", name="Sign in with your council account").click()
        page.get_by_label("Email address").fill(NORWICH_AGENT.email)
        page.get_by_label("Password").fill(NORWICH_AGENT.password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("You could not be signed in")
        expect(page.locator("main")).to_contain_text("second factor")
        examine(page, "a refused staff sign-in")
        page.context.close()
    finally:
        staff_portal.app.config["STAFF_OIDC_REQUIRED_AMR"] = ()
