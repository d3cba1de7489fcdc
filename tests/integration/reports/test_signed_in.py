"""Signed-in residents skip the contact questions and see their reports; a guest who signs in later with the
same verified email can claim the reports they made."""

from sqlalchemy import select

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.identity import Resident
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.reports.conftest import deliver_all, reports

PRIYA = DEMO_RESIDENTS[0]
HOST = "south-norfolk.localhost"
STREET_LIGHT = {"fault": "out", "column_number": "SN7"}


def report_street_light(journey, email_step: dict | None):
    walk = journey(HOST).start("street-light")
    walk.go("place")
    walk.answer({"description": "Lamp post by the war memorial"})
    walk.answer_questions(STREET_LIGHT)
    walk.answer({"description": "Dark all night"})
    walk.answer({})
    if email_step is not None:
        assert walk.at("email")
        walk.answer(email_step)
    assert walk.at("check"), "signed-in residents are not asked for contact details"
    walk.send()
    return walk


# No app context stays pushed while requests are made: each request needs its own `g` (its CSRF token).


def test_a_signed_in_resident_skips_contact_questions_and_sees_the_report(
    journey, back_offices, with_sandbox_idp, visitor, app, client_request
):
    assert visitor.sign_in_at_sandbox(PRIYA).status_code == 302
    report_street_light(journey, email_step=None)
    with app.app_context():
        deliver_all()
        [report] = reports()
        reference = report.reference
        resident = db.session.scalars(select(Resident)).one()
        assert report.resident_id == resident.id
        assert report.email == PRIYA.email
        resident.home_uprn = PRIYA.uprn  # the dashboard first asks a resident without one to choose it
        db.session.commit()
    dashboard = client_request.get("/dashboard", host=HOST)
    assert reference in dashboard.get_text()
    yours = client_request.get("/report/yours", host=HOST)
    assert reference in yours.select_one("table").get_text()


def test_a_guest_who_signs_in_with_the_same_email_can_claim_their_reports(
    journey, back_offices, with_sandbox_idp, visitor, app, client_request
):
    report_street_light(journey, email_step={"email": PRIYA.email.upper()})
    report_street_light(journey, email_step={"email": "someone.else@example.com"})
    assert visitor.sign_in_at_sandbox(PRIYA).status_code == 302

    page = client_request.get("/report/yours", host=HOST)
    with app.app_context():
        mine, theirs = (report.reference for report in reports())
    assert mine in page.get_text()
    assert theirs not in page.get_text()
    response = client_request.post_form("/report/yours", {}, host=HOST)
    assert response.location == "/report/yours"

    with app.app_context():
        owners = {report.reference: report.resident_id for report in reports()}
        resident = db.session.scalars(select(Resident)).one()
        claimed = db.session.scalars(select(AuditEvent).filter_by(event="reports.claimed")).one()
        assert owners == {mine: resident.id, theirs: None}
        assert claimed.detail == {"count": 1}
    assert mine in client_request.get("/report/yours", host=HOST).select_one("table").get_text()


def test_your_reports_needs_signing_in(client_request, back_offices):
    response = client_request.client.get("/report/yours", headers={"Host": HOST})
    assert response.status_code == 302
