"""A resident's cases in the councils' CRMs, from the contact centre: finding the resident by a case reference
(each CRM is asked whose case it is), and adding an update or "this is not fixed" for them, recorded with the
agent and the channel, through the cases contract."""

import threading

import requests
from sqlalchemy import select

from app.backoffice import registry
from app.extensions import db
from app.models.tracking import CaseUpdate
from app.reports import outbox
from connectors.cases import RestCases
from tests.conftest import ClientRequest
from tests.integration.staff.conftest import NORWICH_AGENT, audit_entries, open_record
from tests.integration.staff.test_assisted_digital import POLICY
from tests.support.calls_out import calls_out

POTHOLE = "norfolk:NCC-HW-2026-114502"  # Tom's open case with the county
GRAFFITI = "norwich:NCC-GR-2026-03317"  # Tom's closed case with the city


def updates_at_the_crm(sandbox, council: str, reference: str) -> list[dict]:
    answer = requests.get(
        f"{sandbox.url}/cases/{council}/_admin/cases/{reference}/updates",
        headers={"X-API-Key": sandbox.api_key},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["updates"]


def test_an_agent_finds_a_resident_by_a_crm_case_reference(app, staff, tom, staff_sandbox):
    browser = staff(NORWICH_AGENT)
    for typed in ("NCC-HW-2026-114502", " ncc-hw-2026-114502 "):
        page = browser.page(f"/staff/search?q={typed}")
        assert page.h1.get_text(strip=True) == "1 resident found"
        link = page.select_one("ol.staff-results a")
        assert link.get_text(strip=True) == "Tom Blake"
        assert link["href"] == f"/staff/residents/{tom.resident_id}/reason"
    searched = audit_entries(app, "searched")[-1]
    assert (searched.reference, searched.detail["kind"], searched.detail["results"]) == (
        "NCC-HW-2026-114502",
        "case_reference",
        1,
    )
    assert searched.staff_email == NORWICH_AGENT.email

    # Someone else's case (no portal account) and an unknown reference find no one.
    for reference in ("NCC-CT-2026-110001", "NCC-XX-0000"):
        assert browser.page(f"/staff/search?q={reference}").h1.get_text(strip=True) == "0 residents found"

    # A CRM that does not answer is named: the case may be its.
    staff_sandbox.inject("cases", "down", council="norfolk")
    page = browser.page("/staff/search?q=NCC-HW-2026-114502")
    assert "Norfolk County Council" in page.select_one(".govuk-warning-text").get_text()
    assert audit_entries(app, "searched")[-1].detail["unavailable"] == ["Norfolk County Council"]


def test_the_crms_are_asked_at_once_with_no_database_connection_held(app, staff, tom, monkeypatch):
    """Each CRM's answer waits at a barrier until every CRM has been asked: only calls made at once pass it
    (one after another, the first would wait out the barrier's timeout and the search would fail)."""
    with app.app_context():
        councils = registry().councils_serving("cases")
    barrier = threading.Barrier(len(councils), timeout=10)
    ask = RestCases.contact_email

    def asked_with_the_others(connector, reference):
        barrier.wait()
        return ask(connector, reference)

    monkeypatch.setattr(RestCases, "contact_email", asked_with_the_others)
    browser = staff(NORWICH_AGENT)
    with calls_out() as calls:
        page = browser.page("/staff/search?q=NCC-HW-2026-114502")
    assert page.h1.get_text(strip=True) == "1 resident found"
    asked = [call for call in calls if call.url.endswith("/contact")]
    assert len(asked) == len(councils) > 1
    assert not [call for call in asked if call.holding_connection], "the connection was given back first"


def test_an_agent_adds_an_update_to_a_residents_crm_case_for_him(app, staff, tom, staff_sandbox):
    browser = staff(NORWICH_AGENT)
    record = open_record(browser, tom.resident_id)
    path = f"/staff/residents/{tom.resident_id}/cases/{POTHOLE}/comment"
    assert record.select_one(f"a[href='{path}']")
    # An open case: nothing to reopen, so "not fixed" is not offered.
    assert not record.select_one(f"a[href='/staff/residents/{tom.resident_id}/cases/{POTHOLE}/not-fixed']")

    response = browser.submit(path, {"text": "", "channel": ""}, expected_status=400)
    errors = response.get_data(as_text=True)
    assert "Select how the resident is contacting you" in errors
    assert "Enter what you want to add to your case" in errors
    browser.submit(path, {"text": "He says cyclists are swerving round it.", "channel": "phone"})

    with app.app_context():
        added = db.session.scalars(select(CaseUpdate)).one()
        assert (added.crm_council_slug, added.crm_reference, added.resident_id, added.kind) == (
            "norfolk",
            "NCC-HW-2026-114502",
            tom.resident_id,
            "comment",
        )
        assert (added.staff_council_slug, added.staff_channel, added.staff_agent) == (
            "norwich",
            "phone",
            NORWICH_AGENT.email,
        )
        outbox.run_once("test-worker", POLICY, batch=10)
    entry = audit_entries(app, "case_update_added")[-1]
    assert (entry.reference, entry.resident_id, entry.staff_email) == (
        "NCC-HW-2026-114502",
        tom.resident_id,
        NORWICH_AGENT.email,
    )
    assert (entry.detail["kind"], entry.detail["channel"], entry.detail["council"]) == (
        "comment",
        "phone",
        "norfolk",
    )
    received = updates_at_the_crm(staff_sandbox, "norfolk", "NCC-HW-2026-114502")[-1]
    assert received["text"] == "He says cyclists are swerving round it."
    assert received["assisted"] == {"council": "norwich", "channel": "phone"}

    # Tom sees who added it for him.
    page = ClientRequest(tom.client).get(f"/requests/{POTHOLE}", host="norwich.localhost")
    assert "Norwich City Council's contact centre added an update for you" in page.get_text()


def test_an_agent_says_a_closed_crm_case_is_not_fixed_for_him(app, staff, tom, staff_sandbox):
    # Closed lately (again, for the run on the other database: this module's sandbox is shared).
    requests.post(
        f"{staff_sandbox.url}/cases/norwich/_admin/cases/NCC-GR-2026-03317",
        json={"status": "closed", "note": "Cleaned."},
        headers={"X-API-Key": staff_sandbox.api_key},
        timeout=5,
    ).raise_for_status()
    browser = staff(NORWICH_AGENT)
    record = open_record(browser, tom.resident_id)
    path = f"/staff/residents/{tom.resident_id}/cases/{GRAFFITI}/not-fixed"
    assert record.select_one(f"a[href='{path}']")
    browser.submit(path, {"text": "The tags are back.", "channel": "face_to_face"})
    with app.app_context():
        outbox.run_once("test-worker", POLICY, batch=10)
    received = updates_at_the_crm(staff_sandbox, "norwich", "NCC-GR-2026-03317")[-1]
    assert (received["kind"], received["assisted"]["channel"]) == ("not_fixed", "face_to_face")
    # Asking for "not fixed" again on the case, now reopened, is refused and recorded.
    before = len(audit_entries(app, "refused"))
    assert browser.get(path).status_code == 302
    assert len(audit_entries(app, "refused")) == before + 1


def test_another_residents_crm_case_is_not_found_through_his_record(app, staff, tom):
    browser = staff(NORWICH_AGENT)
    open_record(browser, tom.resident_id)
    for case_id in ("great-yarmouth:GYBC-FT-2026-02211", "norfolk:NCC-CT-2026-110001", "nowhere:NCC-1"):
        response = browser.get(f"/staff/residents/{tom.resident_id}/cases/{case_id}/comment")
        assert response.status_code == 404, case_id
        assert audit_entries(app, "not_found")[-1].reference == case_id
    with app.app_context():
        assert db.session.scalars(select(CaseUpdate)).all() == []


def test_a_crm_not_answering_says_so_and_adds_nothing(app, staff, tom, staff_sandbox):
    browser = staff(NORWICH_AGENT)
    staff_sandbox.inject("cases", "down", council="norfolk")
    record = open_record(browser, tom.resident_id)
    assert "Norfolk County Council" in record.get_text()  # named as not answering
    response = browser.get(f"/staff/residents/{tom.resident_id}/cases/{POTHOLE}/comment")
    # No answer cached for this case: the agent is told, and it is in the trail.
    assert response.status_code == 503
    assert "Norfolk County Council's system is not answering" in response.get_data(as_text=True)
    assert audit_entries(app, "refused")[-1].detail["why"] == "crm_unavailable"
