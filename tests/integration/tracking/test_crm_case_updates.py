"""A resident adds an update, or says "this is not fixed", on a case in a council's CRM where the CRM accepts
it: through the outbox to the sandbox CRM over the cases contract, never lost when the CRM is down, refused
honestly when the case changed meanwhile, and offered nowhere the CRM takes nothing."""

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from app.extensions import db
from app.models.reports import OutboxMessage
from app.models.tracking import CaseUpdate
from app.tracking.updates import crm_update_id
from connectors.clock import utcnow
from tests.conftest import ClientRequest
from tests.integration.tracking.conftest import (
    HOST,
    PRIYA,
    TOM,
    officer_changes_case,
    sign_in,
)

PRIYA_CASE = "south-norfolk:SNC-MB-2026-08841"  # in progress: takes an update
TOM_CLOSED_CASE = "norwich:NCC-GR-2026-03317"  # closed two days ago: can be reopened
MARGARET_CASE = "great-yarmouth:GYBC-FT-2026-02211"  # Great Yarmouth's CRM takes no updates
MARGARET_HOST = "great-yarmouth.localhost"
NORWICH = "norwich.localhost"


def updates_at_the_crm(sandbox, council: str, reference: str) -> list[dict]:
    answer = requests.get(
        f"{sandbox.url}/cases/{council}/_admin/cases/{reference}/updates",
        headers={"X-API-Key": sandbox.api_key},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["updates"]


def stored_updates(app) -> list[CaseUpdate]:
    with app.app_context():
        found = list(db.session.scalars(select(CaseUpdate).order_by(CaseUpdate.id)))
        db.session.expunge_all()
        return found


def timeline_item(page, heading: str):
    [item] = [item for item in page.select("ol.app-timeline > li") if heading in item.h3.get_text()]
    return item


def test_a_resident_adds_an_update_to_an_open_crm_case(app, portal, priya, sandbox):
    visitor = ClientRequest(priya.client)
    case_path = f"/requests/{PRIYA_CASE}"
    page = visitor.get(case_path, host=HOST)
    button = page.select_one(f"a[href='{case_path}/comment']")
    assert button.get_text(strip=True) == "Add an update"
    form_page = visitor.get(f"{case_path}/comment", host=HOST)
    assert form_page.h1.get_text(strip=True) == "Add an update"
    assert not form_page.select("input[type=file]")  # the cases contract carries words only

    for text, error in (
        ("", "Enter what you want to add to your case"),
        ("x" * 2001, "Your update must be 2000 characters or fewer"),
        ("Still not \x07 collected", "Remove the characters that cannot be typed on a keyboard"),
    ):
        page = visitor.post_form(f"{case_path}/comment", {"text": text}, host=HOST, expected_status=200)
        assert page.title.string.startswith("Error: ")
        assert page.select_one(".govuk-error-summary a")["href"] == "#text"
        assert error in page.select_one("#text-error").get_text()
        assert page.select_one("textarea#text").get_text() == text  # nothing typed is lost
    assert stored_updates(app) == []

    response = visitor.post_form(
        f"{case_path}/comment", {"text": "The crew came but missed it again."}, host=HOST
    )
    assert response.location == case_path
    page = visitor.get(case_path, host=HOST)
    assert "Your update is on its way to South Norfolk Council" in page.get_text()
    mine = timeline_item(page, "You added an update")
    assert "The crew came but missed it again." in mine.get_text()
    assert "Waiting to be sent" in mine.get_text()

    [outcome] = portal.deliver()
    assert outcome.outcome == "delivered"
    received = updates_at_the_crm(sandbox, "south-norfolk", "SNC-MB-2026-08841")[-1]
    [stored] = stored_updates(app)
    assert received["text"] == "The crew came but missed it again."
    assert (received["kind"], received["email"], received["assisted"]) == ("update", PRIYA.email, None)
    assert received["update_id"] == crm_update_id(stored)
    assert stored.back_office_update_id == received["update_reference"]
    page = visitor.get(case_path, host=HOST)
    assert "Waiting to be sent" not in timeline_item(page, "You added an update").get_text()


def test_not_fixed_reopens_a_closed_crm_case(app, portal, with_sandbox_idp, back_offices, sandbox):
    if updates_at_the_crm(sandbox, "norwich", "NCC-GR-2026-03317"):  # reopened by a run on the other database
        officer_changes_case(sandbox, "norwich", "NCC-GR-2026-03317", status="closed", note="Cleaned.")
    tom = ClientRequest(sign_in(app, TOM, host=NORWICH).client)
    case_path = f"/requests/{TOM_CLOSED_CASE}"
    page = tom.get(case_path, host=NORWICH)
    assert page.select_one(".govuk-tag").get_text(strip=True) == "Closed"
    assert not page.select_one(f"a[href='{case_path}/comment']")
    assert page.select_one(f"a[href='{case_path}/not-fixed']").get_text(strip=True) == "This is not fixed"
    form_page = tom.get(f"{case_path}/not-fixed", host=NORWICH)
    assert "We will ask Norwich City Council to reopen your case." in form_page.get_text()

    tom.post_form(f"{case_path}/not-fixed", {"text": "The tags are back on the glass."}, host=NORWICH)
    page = tom.get(case_path, host=NORWICH)
    # Reopened at once, and nothing more to add until the council has it.
    assert page.select_one(".govuk-summary-list .govuk-tag").get_text(strip=True) == "Reopened"
    assert not page.select_one(f"a[href='{case_path}/not-fixed']")
    assert "You can add more once it has arrived" in page.get_text()
    assert tom.get(f"{case_path}/not-fixed", host=NORWICH, expected_status=302)

    portal.deliver()
    received = updates_at_the_crm(sandbox, "norwich", "NCC-GR-2026-03317")[-1]
    assert (received["kind"], received["text"]) == ("not_fixed", "The tags are back on the glass.")
    # The CRM has reopened it: the case page asks it again (the cached answer went) and shows so.
    page = tom.get(case_path, host=NORWICH)
    assert page.select_one(".govuk-summary-list .govuk-tag").get_text(strip=True) == "Reopened"
    assert "Reopened" in [item.h3.get_text(strip=True) for item in page.select("ol.app-timeline > li")]
    assert page.select_one(f"a[href='{case_path}/comment']")  # open again: it takes an update
    listing = tom.get("/requests", host=NORWICH).get_text(" ", strip=True)
    assert "NCC-GR-2026-03317" in listing


def test_a_crm_that_takes_no_updates_says_so_and_offers_nothing(app, portal, with_sandbox_idp, back_offices):
    from sandbox.demo_residents import DEMO_RESIDENTS

    margaret = next(resident for resident in DEMO_RESIDENTS if resident.given_name == "Margaret")
    visitor = ClientRequest(sign_in(app, margaret, host=MARGARET_HOST).client)
    case_path = f"/requests/{MARGARET_CASE}"
    page = visitor.get(case_path, host=MARGARET_HOST)
    assert not page.select(f"a[href^='{case_path}/']")
    message = page.select_one("#no-updates").get_text(" ", strip=True)
    assert "Great Yarmouth Borough Council cannot reopen this case through My Norfolk" in message
    assert "quote the reference GYBC-FT-2026-02211" in message
    for suffix in ("comment", "not-fixed"):
        response = visitor.client.get(f"{case_path}/{suffix}", headers={"Host": MARGARET_HOST})
        assert (response.status_code, response.location) == (302, case_path)
    assert stored_updates(app) == []


def test_an_update_waits_while_the_crm_is_down_and_is_sent_once_it_is_back(app, portal, priya, sandbox):
    visitor = ClientRequest(priya.client)
    visitor.post_form(f"/requests/{PRIYA_CASE}/comment", {"text": "Still waiting."}, host=HOST)
    sandbox.inject("cases", "down", council="south-norfolk")
    [outcome] = portal.deliver()
    assert outcome.outcome == "failed"
    page = visitor.get(f"/requests/{PRIYA_CASE}", host=HOST)  # the cached case, with the update waiting
    assert "Waiting to be sent" in timeline_item(page, "You added an update").get_text()

    sandbox.clear_faults()
    with app.app_context():  # its retry is due now rather than in a few seconds
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
    [outcome] = portal.deliver()
    assert outcome.outcome == "delivered"
    assert [item["text"] for item in updates_at_the_crm(sandbox, "south-norfolk", "SNC-MB-2026-08841")][
        -1
    ] == "Still waiting."


def test_an_update_the_crm_refuses_on_arrival_is_shown_as_not_sent(app, portal, priya, sandbox):
    visitor = ClientRequest(priya.client)
    case_path = f"/requests/{PRIYA_CASE}"
    visitor.post_form(f"{case_path}/comment", {"text": "One more thing."}, host=HOST)
    # The council closes the case before the update reaches it: a closed case takes no update.
    officer_changes_case(sandbox, "south-norfolk", "SNC-MB-2026-08841", status="closed", note="Emptied.")
    [outcome] = portal.deliver()
    assert outcome.outcome == "refused"  # the CRM answered no: nothing to try again
    [stored] = stored_updates(app)
    assert stored.refused_at is not None and stored.delivered_at is None
    page = visitor.get(case_path, host=HOST)
    mine = timeline_item(page, "You added an update")
    assert "Not sent" in mine.get_text() and "Waiting to be sent" not in mine.get_text()
    officer_changes_case(sandbox, "south-norfolk", "SNC-MB-2026-08841", status="in_progress")  # for the rest


def test_updates_are_rate_limited_per_resident_and_keep_what_was_typed(app, portal, priya, monkeypatch):
    monkeypatch.setitem(app.config, "CASE_UPDATE_RATE_LIMIT", "1 per hour")
    visitor = ClientRequest(priya.client)
    visitor.post_form(f"/requests/{PRIYA_CASE}/comment", {"text": "First."}, host=HOST)
    response = visitor.post_form(
        f"/requests/{PRIYA_CASE}/comment", {"text": "Second."}, host=HOST, expected_status=429
    )
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "You have sent a lot of updates in a short time" in page.select_one("#text-error").get_text()
    assert page.select_one("textarea#text").get_text() == "Second."
    assert [update.text for update in stored_updates(app)] == ["First."]


def test_no_update_without_the_forms_csrf_token(app, portal, priya):
    response = priya.client.post(
        f"/requests/{PRIYA_CASE}/comment", data={"text": "Forged"}, headers={"Host": HOST}
    )
    assert response.status_code == 400
    assert stored_updates(app) == []


@pytest.mark.parametrize("suffix", ["comment", "not-fixed"])
def test_another_residents_crm_case_cannot_be_updated(app, portal, priya, suffix):
    """Tom's cases, asked for by Priya, are not found: the CRM answers only for the case's own contact."""
    token = ClientRequest(priya.client).get(f"/requests/{PRIYA_CASE}/comment", host=HOST)
    csrf_token = token.select_one("input[name=csrf_token]")["value"]
    for case_id in (TOM_CLOSED_CASE, "norfolk:NCC-HW-2026-114502", "norfolk:NCC-CT-2026-110001"):
        for method in ("get", "post"):
            response = getattr(priya.client, method)(
                f"/requests/{case_id}/{suffix}",
                headers={"Host": HOST},
                data={"text": "Mine now", "csrf_token": csrf_token},
            )
            assert response.status_code == 404, (case_id, method, response.status_code)
    assert stored_updates(app) == []


def test_an_update_of_a_resident_who_deleted_their_data_is_sent_then_forgotten(app, portal, priya, sandbox):
    visitor = ClientRequest(priya.client)
    visitor.post_form(f"/requests/{PRIYA_CASE}/comment", {"text": "Sent after I left."}, host=HOST)
    with app.app_context():  # what deleting their portal data does to an update still on its way
        db.session.execute(update(CaseUpdate).values(resident_id=None))
        db.session.commit()
    [outcome] = portal.deliver()
    assert outcome.outcome == "delivered"
    received = updates_at_the_crm(sandbox, "south-norfolk", "SNC-MB-2026-08841")[-1]
    assert received["text"] == "Sent after I left."
    assert stored_updates(app) == []
