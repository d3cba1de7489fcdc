"""Reports in "download my data" and "delete my portal data"."""

from sqlalchemy import select

from app.extensions import db
from app.models.identity import Resident
from app.models.reports import MessageKind, MessageStatus, OutboxMessage, Report, ReportDraft
from app.reports.personal_data import forget_report_content, forget_resident_in_reports
from app.views.account import personal_data


def make_resident_with_a_report():
    resident = Resident(
        issuer="https://idp.example", subject="someone", name="Sam Smith", email="sam@example.com"
    )
    db.session.add(resident)
    db.session.flush()
    report = Report(
        report_type="pothole",
        council_slug="norfolk",
        service_code="pothole",
        made_on="norwich",
        description="Deep hole by the bus stop",
        email="sam@example.com",
        resident_id=resident.id,
        idempotency_key="key-1",
    )
    draft = ReportDraft(
        token="draft-token",
        report_type="fly_tipping",
        made_on="norwich",
        resident_id=resident.id,
        idempotency_key="key-2",
    )
    other = Report(
        report_type="pothole",
        council_slug="norfolk",
        service_code="pothole",
        made_on="norwich",
        description="Someone else's",
        email="other@example.com",
        idempotency_key="key-3",
    )
    db.session.add_all([report, draft, other])
    db.session.commit()
    return resident, report, other


def test_download_my_data_includes_my_reports_only(app_context):
    resident, report, _other = make_resident_with_a_report()
    with app_context.test_request_context(headers={"Host": "norwich.localhost"}):
        exported = personal_data(resident)["reports"]
    assert [entry["reference"] for entry in exported] == [report.reference]
    assert exported[0]["description"] == "Deep hole by the bus stop"


def test_deleting_my_data_keeps_the_report_but_forgets_who_made_it_and_what_they_wrote(app_context):
    resident, report, other = make_resident_with_a_report()
    forget_resident_in_reports(resident)
    db.session.commit()
    kept = db.session.get(Report, report.id)
    assert (kept.reference, kept.report_type, kept.council_slug) == (report.reference, "pothole", "norfolk")
    assert (kept.description, kept.resident_id, kept.email) == ("", None, None)
    assert kept.forgotten_at is not None
    assert db.session.scalars(select(ReportDraft)).all() == []
    other = db.session.get(Report, other.id)
    assert (other.email, other.description, other.forgotten_at) == (
        "other@example.com",
        "Someone else's",
        None,
    )


def test_a_waiting_report_is_delivered_without_contact_details_then_forgotten(app_context):
    resident, report, _other = make_resident_with_a_report()
    waiting = OutboxMessage(
        kind=MessageKind.OPEN311_CREATE,
        report_id=report.id,
        payload={"request": {"description": "Deep hole by the bus stop", "email": "sam@example.com"}},
    )
    db.session.add(waiting)
    db.session.commit()

    forget_resident_in_reports(resident)
    db.session.commit()
    kept = db.session.get(Report, report.id)
    assert kept.description == "Deep hole by the bus stop"  # the council has not got it yet
    assert waiting.payload["request"] == {"description": "Deep hole by the bus stop", "email": None}

    waiting.status = MessageStatus.DELIVERED
    forget_report_content(kept)
    db.session.commit()
    assert (kept.description, waiting.payload) == ("", {})
