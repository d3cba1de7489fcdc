"""A guest, from their private tracking link, adds a comment to their open report and says "this is not
fixed" once the council has closed it; both reach the council's back office through the outbox."""

from urllib.parse import urlsplit

from sqlalchemy import select

from app.extensions import db
from app.models.reports import Report
from app.models.tracking import CaseUpdate
from app.reports.links import tracking_url
from tests.conftest import ClientRequest
from tests.integration.tracking.conftest import HOST, back_office_view, council_changes

GUEST = "guest.reporter@example.com"


def tracking_path(app, report_id: int) -> str:
    with app.test_request_context(base_url=f"http://{HOST}"):
        return urlsplit(tracking_url(db.session.get(Report, report_id))).path


def test_a_guest_comments_then_says_not_fixed_from_the_tracking_page(app, client, portal, sandbox):
    report = portal.sent_pothole(GUEST)
    path = tracking_path(app, report.id)
    guest = ClientRequest(client)

    page = guest.get(path, host=HOST)
    assert page.select_one(f"main a[href='{path}/comment']")
    assert page.select_one(f"main a[href='{path}/not-fixed']") is None
    assert client.get(f"{path}/not-fixed", headers={"Host": HOST}).location == path  # only when closed

    empty = guest.post_form(f"{path}/comment", {"text": ""}, host=HOST, expected_status=200)
    assert empty.select_one(".govuk-error-summary a")["href"] == "#text"
    assert empty.select_one("main .govuk-back-link")["href"] == path
    response = guest.post_form(f"{path}/comment", {"text": "The cones have gone."}, host=HOST)
    assert response.location == path
    page = guest.get(path, host=HOST)
    assert "is on its way" in page.select_one(".govuk-notification-banner").get_text()
    assert "The cones have gone." in page.select_one("ol.app-timeline").get_text()

    portal.deliver()
    council_changes(sandbox, report.service_request_id, status="closed", description="Repaired.")
    portal.poll()
    page = guest.get(path, host=HOST)
    assert page.select_one(f"main a[href='{path}/not-fixed']")
    assert page.select_one(f"main a[href='{path}/comment']") is None

    guest.post_form(f"{path}/not-fixed", {"text": "Still a hole after the rain."}, host=HOST)
    page = guest.get(path, host=HOST)
    assert "not fixed" in page.select_one(".govuk-notification-banner").get_text()
    portal.deliver()
    assert back_office_view(sandbox, report.service_request_id)["status"] == "open"
    with app.app_context():
        kinds = db.session.scalars(
            select(CaseUpdate.kind).where(CaseUpdate.report_id == report.id).order_by(CaseUpdate.id)
        ).all()
        assert kinds == ["comment", "not_fixed"]
        assert all(resident is None for resident in db.session.scalars(select(CaseUpdate.resident_id)))


def test_a_tampered_tracking_link_cannot_add_anything(app, client, portal):
    report = portal.sent_pothole(GUEST)
    path = tracking_path(app, report.id)
    tampered = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    assert client.get(f"{tampered}/comment", headers={"Host": HOST}).status_code == 404
    assert client.post(f"{tampered}/not-fixed", headers={"Host": HOST}).status_code in (400, 404)
