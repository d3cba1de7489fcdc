"""Assisted digital: a contact centre agent makes a report through the residents' own journey, for a resident
(who sees it in My requests as made on their behalf) or for a caller without an account; and adds to a
resident's case for them."""

from sqlalchemy import select

from app.extensions import db
from app.models.reports import MessageKind, OutboxMessage, Report
from app.models.tracking import CaseUpdate
from app.reports import outbox
from tests.conftest import ClientRequest
from tests.integration.staff.conftest import NORWICH_AGENT, TOM, audit_entries, open_record

BIN_ANSWERS = {"bin_type": "refuse", "put_out_by_7am": "yes"}
POLICY = outbox.DeliveryPolicy(
    max_failures=5,
    base_delay=outbox.timedelta(0),
    max_delay=outbox.timedelta(0),
    lease=outbox.timedelta(minutes=2),
)


def walk(browser, start: str, answers: dict) -> str:
    """Go through the journey from `start`, answering each page from `answers` (by the page's last path part
    or question code); returns the confirmation page's path."""
    response = browser.submit(start, answers.pop("start"))
    path = response.location
    while not path.endswith("/confirmation"):
        step = path.rstrip("/").rsplit("/", 1)[1]
        assert step in answers, (path, browser.page(path).get_text(" ", strip=True)[:500])
        response = browser.submit(path, answers[step])
        path = response.location
    return path


def test_an_agent_reports_a_missed_bin_for_a_resident_by_phone_and_he_sees_it(app, staff, tom):
    browser = staff(NORWICH_AGENT)
    open_record(browser, tom.resident_id)
    confirmation = walk(
        browser,
        f"/staff/report?resident={tom.resident_id}",
        {
            "start": {"report_type": "missed-bin", "channel": "phone"},
            "postcode": {"postcode": TOM.postcode},
            "address": {"uprn": TOM.uprn},
            **{code: {"answer": value} for code, value in BIN_ANSWERS.items()},
            "details": {"description": "Bin not emptied on Tuesday"},
            "photo": {},
            "check": {},
        },
    )
    page = browser.page(confirmation)
    assert "sent to Norwich City Council" in page.get_text()
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        assert (report.resident_id, report.council_slug, report.email) == (
            tom.resident_id,
            "norwich",
            TOM.email,
        )
        assert (report.staff_council_slug, report.staff_channel, report.staff_agent) == (
            "norwich",
            "phone",
            NORWICH_AGENT.email,
        )
        reference = report.reference
        acknowledgement = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.EMAIL)
        ).one()
        assert acknowledgement.payload["to"] == TOM.email
        assert (
            "Norwich City Council's contact centre made this report for you."
            in acknowledgement.payload["body"]
        )
        # The tracking link in the email is on the council's own domain, never the staff host.
        assert "http://norwich.localhost/report/track/" in acknowledgement.payload["body"], (
            acknowledgement.payload["body"]
        )
        outbox.run_once("test-worker", POLICY, batch=10)
        db.session.expire_all()
        assert (
            "contact centre (phone)"
            in db.session.get(OutboxMessage, report.messages[0].id).payload["request"]["description"]
        )
    made = audit_entries(app, "report_made")[-1]
    assert (made.reference, made.resident_id, made.detail["channel"]) == (reference, tom.resident_id, "phone")
    assert made.staff_email == NORWICH_AGENT.email
    # Every page of the journey is in the trail too.
    assert {entry.detail["step"] for entry in audit_entries(app, "report_step")} >= {
        "start",
        "postcode",
        "check",
    }

    # Tom, signed in on a council's domain, sees who made it.
    tom_pages = ClientRequest(tom.client)
    listing = tom_pages.get("/requests", host="norwich.localhost").get_text(" ", strip=True)
    assert reference in listing
    assert "Reported on your behalf by Norwich City Council's contact centre" in listing
    case = tom_pages.get(f"/requests/{reference}", host="norwich.localhost").get_text(" ", strip=True)
    assert "Reported on your behalf by Norwich City Council's contact centre" in case


def test_a_caller_without_an_account_is_asked_for_an_email_like_any_guest(app, staff, tom):
    browser = staff(NORWICH_AGENT)
    page = browser.page("/staff/report")
    assert "caller without an account" in page.h1.get_text()
    walk(
        browser,
        "/staff/report",
        {
            "start": {"report_type": "missed-bin", "channel": "face_to_face"},
            "postcode": {"postcode": "NR2 2PE"},
            "address": {"uprn": TOM.uprn},
            **{code: {"answer": value} for code, value in BIN_ANSWERS.items()},
            "details": {"description": ""},
            "photo": {},
            "email": {"email": "caller@example.com"},
            "check": {},
        },
    )
    with app.app_context():
        report = db.session.scalars(select(Report)).one()
        assert (report.resident_id, report.email, report.staff_channel) == (
            None,
            "caller@example.com",
            "face_to_face",
        )


def test_the_residents_other_report_pages_are_not_staff_pages(app, staff, tom):
    browser = staff(NORWICH_AGENT)
    for path in ("/staff/report/yours", "/staff/report/track/anything", "/staff/report/photos/nothing"):
        assert browser.get(path).status_code == 404
    # A journey token of someone else's session is not found.
    assert browser.get("/staff/report/not-a-token/postcode").status_code == 404


def test_agents_journeys_are_not_held_up_by_the_per_address_report_limit(app, staff, tom, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_RATE_LIMIT", "1 per hour")
    browser = staff(NORWICH_AGENT)
    for _ in range(2):
        walk(
            browser,
            "/staff/report",
            {
                "start": {"report_type": "missed-bin", "channel": "phone"},
                "postcode": {"postcode": "NR2 2PE"},
                "address": {"uprn": TOM.uprn},
                **{code: {"answer": value} for code, value in BIN_ANSWERS.items()},
                "details": {"description": ""},
                "photo": {},
                "email": {"email": ""},
                "check": {},
            },
        )


def test_an_agent_adds_an_update_to_a_residents_open_report_for_him(app, staff, tom):
    browser = staff(NORWICH_AGENT)
    open_record(browser, tom.resident_id)
    walk(
        browser,
        f"/staff/report?resident={tom.resident_id}",
        {
            "start": {"report_type": "missed-bin", "channel": "phone"},
            "postcode": {"postcode": TOM.postcode},
            "address": {"uprn": TOM.uprn},
            **{code: {"answer": value} for code, value in BIN_ANSWERS.items()},
            "details": {"description": ""},
            "photo": {},
            "check": {},
        },
    )
    with app.app_context():
        outbox.run_once("test-worker", POLICY, batch=10)
        reference = db.session.scalars(select(Report.reference)).one()
    path = f"/staff/residents/{tom.resident_id}/cases/{reference}/comment"
    page = browser.page(path)
    assert [radio["value"] for radio in page.select("input[name=channel]")] == [
        "phone",
        "face_to_face",
        "email",
    ]
    response = browser.submit(path, {"text": "He says the bin is still full."}, expected_status=400)
    assert "Select how the resident is contacting you" in response.get_data(as_text=True)
    browser.submit(path, {"text": "He says the bin is still full.", "channel": "phone"})
    with app.app_context():
        update = db.session.scalars(select(CaseUpdate)).one()
        assert (update.staff_council_slug, update.resident_id, update.kind) == (
            "norwich",
            tom.resident_id,
            "comment",
        )
        assert (update.staff_channel, update.staff_agent) == ("phone", NORWICH_AGENT.email)
    assert audit_entries(app, "case_update_added")[-1].reference == reference
    case = (
        ClientRequest(tom.client)
        .get(f"/requests/{reference}", host="norwich.localhost")
        .get_text(" ", strip=True)
    )
    assert "Norwich City Council's contact centre added a comment for you" in case
    # A guessed reference is not found; "not fixed" is not offered on an open report.
    assert browser.get(f"/staff/residents/{tom.resident_id}/cases/NFK-0000-0000/comment").status_code == 404
    response = browser.get(f"/staff/residents/{tom.resident_id}/cases/{reference}/not-fixed")
    assert response.status_code == 302


def test_sending_for_someone_needs_a_recent_sign_in(app, staff, tom, monkeypatch):
    browser = staff(NORWICH_AGENT)
    open_record(browser, tom.resident_id)
    monkeypatch.setitem(app.config, "STAFF_REAUTHENTICATE_MINUTES", -1)
    response = browser.submit(
        f"/staff/report?resident={tom.resident_id}", {"report_type": "missed-bin", "channel": "phone"}
    )
    token_path = response.location.rsplit("/", 1)[0]
    for step, data in (
        ("postcode", {"postcode": TOM.postcode}),
        ("address", {"uprn": TOM.uprn}),
        ("question/bin_type", {"answer": "refuse"}),
        ("question/put_out_by_7am", {"answer": "yes"}),
        ("details", {"description": ""}),
        ("photo", {}),
    ):
        browser.submit(f"{token_path}/{step}", data)
    check = browser.get(f"{token_path}/check")
    assert check.status_code == 302 and "/staff/sign-in?" in check.location and "again=1" in check.location
    with app.app_context():
        assert db.session.scalars(select(Report)).first() is None
