"""My requests: one list of every case with every council, filters, case pages, and access control (another
resident's case, or a guessed id, is not found: 404, never 403)."""

import pytest

from tests.conftest import ClientRequest
from tests.integration.tracking.conftest import HOST, PRIYA, TOM, sign_in

PRIYA_CRM_CASE = "south-norfolk:SNC-MB-2026-08841"
TOM_CRM_CASE = "norfolk:NCC-HW-2026-114502"


def test_my_requests_needs_signing_in(client):
    response = client.get("/requests", headers={"Host": HOST})
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=")


def test_a_resident_sees_county_and_district_cases_in_one_list_newest_first(portal, priya):
    report = portal.sent_pothole(PRIYA.email, resident_email=PRIYA.email)
    page = ClientRequest(priya.client).get("/requests", host=HOST)
    rows = page.select("table tbody tr")
    listed = [
        (row.select("td")[0].get_text(" ", strip=True), row.select("td")[1].get_text(strip=True))
        for row in rows
    ]
    assert any(report.reference in text and council == "Norfolk County Council" for text, council in listed)
    assert any("SNC-MB-2026-08841" in text and council == "South Norfolk Council" for text, council in listed)
    # The pothole was reported just now; the CRM case's last change was days ago.
    assert report.reference in listed[0][0]
    # Someone else's CRM case never shows.
    assert "NCC-HW-2026-114502" not in page.get_text()
    assert page.select_one(f"a[href='/requests/{report.reference}']")
    assert page.select_one(f"a[href='/requests/{PRIYA_CRM_CASE}']")


def test_the_list_filters_by_council_and_by_open_or_closed(portal, priya):
    report = portal.sent_pothole(PRIYA.email, resident_email=PRIYA.email)
    visitor = ClientRequest(priya.client)
    page = visitor.get("/requests?council=south-norfolk&state=all", host=HOST)
    assert "SNC-MB-2026-08841" in page.get_text()
    assert page.select_one("select[name=council] option[selected]")["value"] == "south-norfolk"
    page = visitor.get("/requests?council=&state=closed", host=HOST)
    assert "None of your requests match this filter." in page.get_text()
    page = visitor.get("/requests?state=open", host=HOST)
    assert report.reference in page.get_text() and "SNC-MB-2026-08841" in page.get_text()
    # A council that is not in the list is a filter mistake, shown, not a crash.
    page = visitor.get("/requests?council=nowhere", host=HOST)
    assert page.select_one(".govuk-error-message") or "SNC-MB-2026-08841" in page.get_text()


def test_a_crm_case_page_shows_its_history_and_notes(priya):
    page = ClientRequest(priya.client).get(f"/requests/{PRIYA_CRM_CASE}", host=HOST)
    assert page.h1.get_text(strip=True) == "Missed garden waste collection"
    summary = page.select_one(".govuk-summary-list").get_text()
    assert "SNC-MB-2026-08841" in summary and "South Norfolk Council" in summary
    headings = [item.select_one("h3").get_text(strip=True) for item in page.select("ol.app-timeline > li")]
    assert "Being dealt with" in headings and "Note from the council" in headings
    assert all(item.select_one("time[datetime]") for item in page.select("ol.app-timeline > li"))
    # The CRM's internal note is never published.
    assert "parked van" not in page.get_text()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("suffix", ["", "/comment", "/not-fixed"])
def test_another_residents_case_or_a_guessed_id_is_not_found(
    app, portal, priya, with_sandbox_idp, method, suffix
):
    toms = portal.sent_pothole(TOM.email, resident_email=None)
    sign_in(app, TOM, host="norwich.localhost")
    portal(_give_report_to, toms.id, TOM.email)
    # A real CSRF token of Priya's own session: the refusal must come from the access check, not CSRF.
    form_page = ClientRequest(priya.client).get(
        f"/requests/report/norfolk/{toms.service_request_id}", host=HOST
    )
    token = form_page.select_one("input[name=csrf_token]")["value"]
    for case_id in (toms.reference, "NFK-0000-0000", "nonsense", TOM_CRM_CASE, "nowhere:SNC-MB-2026-08841"):
        if method == "post" and suffix == "":
            continue
        response = getattr(priya.client, method)(
            f"/requests/{case_id}{suffix}",
            headers={"Host": HOST},
            data={"text": "Mine now", "csrf_token": token},
        )
        assert response.status_code == 404, (case_id, suffix, response.status_code)


def _give_report_to(report_id: int, email: str) -> None:
    from app.extensions import db
    from app.models.reports import Report
    from tests.integration.tracking.conftest import resident_called

    db.session.get(Report, report_id).resident_id = resident_called(email).id
    db.session.commit()


def test_anyone_sees_only_the_public_parts_of_a_report(app, portal):
    report = portal.sent_pothole("secret.reporter@example.com")
    page = ClientRequest(app.test_client()).get(
        f"/requests/report/norfolk/{report.service_request_id}", host=HOST
    )
    assert "A deep pothole by the bus stop." in page.get_text()
    assert "secret.reporter" not in page.get_text()
    ClientRequest(app.test_client()).get(
        "/requests/report/norfolk/NCC-999999", host=HOST, expected_status=404
    )
    ClientRequest(app.test_client()).get("/requests/report/nowhere/NCC-1", host=HOST, expected_status=404)


def test_a_council_whose_crm_is_down_is_named_and_the_rest_still_listed(portal, priya, sandbox):
    report = portal.sent_pothole(PRIYA.email, resident_email=PRIYA.email)
    sandbox.inject("cases", "down", council="south-norfolk")
    visitor = ClientRequest(priya.client)
    page = visitor.get("/requests", host=HOST)
    assert (
        "We could not get your cases from South Norfolk Council"
        in page.select_one(".govuk-warning-text").get_text()
    )
    assert report.reference in page.select_one("table").get_text()
    page = visitor.get(f"/requests/{PRIYA_CRM_CASE}", host=HOST, expected_status=503)
    assert "South Norfolk Council" in page.get_text()
