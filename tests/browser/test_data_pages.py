"""The pages that tell people what happened to their data, in Chromium: the account holder's page that
removes a council tax link (with the keyboard only), and the page a deleted resident's tracking link shows.
axe finds nothing, focus is visible, and 320px needs no sideways scroll."""

import secrets

from flask import url_for

from app.council_tax_links import unlink_token
from app.extensions import db
from app.models.identity import LinkedCouncilAccount, Resident
from app.models.reports import Report, utcnow
from app.reports.links import tracking_url
from tests.browser.axe import assert_no_axe_violations
from tests.browser.test_accessibility import assert_tab_reaches_everything_with_visible_focus

COUNCIL = "south-norfolk"


def _in_portal(portal, make):
    with portal.app.app_context(), portal.app.test_request_context(base_url=f"http://{COUNCIL}.localhost"):
        result = make()
        db.session.commit()
        return result


def _linked_account():
    resident = Resident(
        issuer="https://idp.example", subject=secrets.token_hex(4), email="holder@example.com"
    )
    resident.linked_accounts.append(
        LinkedCouncilAccount(service="council-tax", council_gss="E07000149", account_reference="26012345")
    )
    db.session.add(resident)
    db.session.flush()
    return url_for("account.unlink_council_tax", token=unlink_token(resident.linked_accounts[0]))


def _forgotten_report():
    report = Report(
        report_type="pothole",
        council_slug="norfolk",
        service_code="pothole",
        made_on=COUNCIL,
        idempotency_key=secrets.token_hex(8),
        forgotten_at=utcnow(),
    )
    db.session.add(report)
    db.session.flush()
    return tracking_url(report).split("localhost", 1)[1]


def _check(page) -> None:
    assert_no_axe_violations(page)
    assert_tab_reaches_everything_with_visible_focus(page)
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_account_holder_removes_a_link_with_the_keyboard(portal, council_url, shared_page):
    path = _in_portal(portal, _linked_account)
    response = shared_page.goto(council_url(COUNCIL, path))
    assert response.status == 200
    _check(shared_page)
    shared_page.get_by_role("button", name="Remove the link").focus()
    shared_page.keyboard.press("Enter")
    shared_page.wait_for_selector("h1:has-text('The link has been removed')")
    _check(shared_page)


def test_a_deleted_residents_tracking_link_says_the_report_is_gone(portal, council_url, shared_page):
    path = _in_portal(portal, _forgotten_report)
    response = shared_page.goto(council_url(COUNCIL, path))
    assert response.status == 410
    assert shared_page.locator("h1").inner_text() == "This report is no longer available"
    _check(shared_page)
