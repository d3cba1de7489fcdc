"""What a resident adds to a case reaches the council's back office through the outbox: a comment with a
photo on an open case, and "this is not fixed" on a closed one, which reopens it."""

import io
from datetime import UTC, datetime, timedelta

from PIL import Image

from connectors.models import ServiceRequestUpdate
from tests.conftest import ClientRequest
from tests.integration.tracking.conftest import (
    HOST,
    PRIYA,
    back_office_view,
    council_changes,
    officer_changes_case,
    once_past,
)


def _updates_at_the_council(back_offices, service_request_id: str) -> list[ServiceRequestUpdate]:
    now = datetime.now(UTC)
    found = back_offices.street_reports("norfolk").updates(
        start_date=now - timedelta(hours=1), end_date=now + timedelta(minutes=5)
    )
    return [update for update in found.value if update.service_request_id == service_request_id]


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "grey").save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_comment_with_a_photo_reaches_the_back_office(portal, priya, back_offices):
    report = portal.sent_pothole(PRIYA.email, resident_email=PRIYA.email)
    visitor = ClientRequest(priya.client)
    case_path = f"/requests/{report.reference}"
    assert visitor.get(case_path, host=HOST).select_one(f"a[href='{case_path}/comment']")

    page = visitor.post_form(f"{case_path}/comment", {"text": ""}, host=HOST, expected_status=200)
    assert page.select_one(".govuk-error-summary a")["href"] == "#text"
    assert page.title.string.startswith("Error: ")

    response = visitor.post_form(
        f"{case_path}/comment",
        {"text": "It is getting <b>deeper</b>.", "photo": (io.BytesIO(_jpeg()), "hole.jpg")},
        host=HOST,
        content_type="multipart/form-data",
    )
    assert response.location == case_path
    page = visitor.get(case_path, host=HOST)
    assert "is on its way" in page.select_one(".govuk-notification-banner").get_text()
    [mine] = [
        item for item in page.select("ol.app-timeline > li") if "You added a comment" in item.get_text()
    ]
    assert "It is getting <b>deeper</b>." in mine.get_text()  # shown as text
    assert "Waiting to be sent" in mine.get_text()

    portal.deliver()
    [update] = [
        update
        for update in _updates_at_the_council(back_offices, report.service_request_id)
        if "deeper" in update.description
    ]
    assert report.reference in update.description
    assert update.media_url and "/report/photos/" in update.media_url
    assert (
        "Waiting to be sent"
        not in visitor.get(case_path, host=HOST).select("ol.app-timeline > li")[-1].get_text()
    )
    # The resident's own update, seen again by the status sync, is not news to send anyone.
    portal.poll()
    portal.deliver()
    assert portal.mailbox(PRIYA.email) == []


def test_not_fixed_reopens_the_report_at_the_council(portal, priya, back_offices, sandbox):
    report = portal.sent_pothole(PRIYA.email, resident_email=PRIYA.email)
    visitor = ClientRequest(priya.client)
    case_path = f"/requests/{report.reference}"
    # Only a closed case can be "not fixed".
    assert visitor.client.get(f"{case_path}/not-fixed", headers={"Host": HOST}).status_code == 302

    council_changes(sandbox, report.service_request_id, status="closed", description="Repaired.")
    portal.poll()
    assert back_office_view(sandbox, report.service_request_id)["status"] == "closed"

    page = visitor.post_form(f"{case_path}/not-fixed", {"text": ""}, host=HOST, expected_status=200)
    assert page.select_one(".govuk-error-summary a")["href"] == "#text"
    visitor.post_form(f"{case_path}/not-fixed", {"text": "The hole is back after the rain."}, host=HOST)
    page = visitor.get(case_path, host=HOST)
    assert "Reopened" in page.select_one(".govuk-summary-list").get_text()

    # The "Fixed" email to Priya, and her update for the council.
    assert [outcome.outcome for outcome in portal.deliver()] == ["delivered", "delivered"]
    assert back_office_view(sandbox, report.service_request_id)["status"] == "open"
    [update] = [
        update
        for update in _updates_at_the_council(back_offices, report.service_request_id)
        if "after the rain" in update.description
    ]
    assert update.status == "OPEN"
    assert update.description.startswith("Not fixed: ")


def test_a_change_in_a_crm_case_reaches_its_resident_once(app, portal, priya, back_offices, sandbox):
    """The CRM's history as the portal first sees it is not news; a new note afterwards is, once."""
    portal.poll()
    portal.deliver()
    assert [
        message for message in portal.mailbox(PRIYA.email) if "SNC-MB-2026-08841" in message.subject
    ] == []

    changed = officer_changes_case(
        sandbox, "south-norfolk", "SNC-MB-2026-08841", status="closed", note="Emptied this morning."
    )
    once_past(changed)
    portal.poll()
    portal.poll()
    portal.deliver()
    news = [message for message in portal.mailbox(PRIYA.email) if "SNC-MB-2026-08841" in message.subject]
    assert len(news) == 2  # the status change and the note, each once
    assert any("Emptied this morning." in message.body for message in news)
    assert all("/requests/south-norfolk:SNC-MB-2026-08841" in message.body for message in news)


def test_not_fixed_becomes_a_linked_new_request_when_the_council_cannot_reopen(portal, priya, sandbox):
    report = portal.sent_pothole(PRIYA.email, resident_email=PRIYA.email)
    council_changes(
        sandbox,
        report.service_request_id,
        status="closed",
        update_status="DUPLICATE",
        description="Already reported by someone else.",
    )
    portal.poll()
    visitor = ClientRequest(priya.client)
    case_path = f"/requests/{report.reference}"
    visitor.post_form(f"{case_path}/not-fixed", {"text": "Still a hole, and nobody came."}, host=HOST)
    portal.deliver()

    assert back_office_view(sandbox, report.service_request_id)["status"] == "closed"
    page = visitor.get(case_path, host=HOST)
    assert "Reported again as a new request" in page.select_one(".govuk-summary-list").get_text()
    heading = page.select("ol.app-timeline > li h3")[-1].get_text(strip=True)
    new_id = heading.rsplit(", ", 1)[1]
    created = back_office_view(sandbox, new_id)
    assert created["status"] == "open"
    assert created["description"].startswith(f"Follow-up to {report.service_request_id}.")
    assert "Still a hole, and nobody came." in created["description"]
    assert created["attributes"] == {"defect_type": "pothole", "location_on_road": "road"}

    # The new request is followed like the first: its changes reach the case page and Priya.
    council_changes(sandbox, new_id, status="closed", description="Filled at last.")
    portal.poll()
    portal.deliver()
    page = visitor.get(case_path, host=HOST)
    assert "Fixed" in page.select_one(".govuk-summary-list").get_text()
    assert "Filled at last." in page.select("ol.app-timeline > li")[-1].get_text()
    assert any("Filled at last." in message.body for message in portal.mailbox(PRIYA.email))
