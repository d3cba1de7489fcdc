"""The guest journey end to end: pages without JavaScript, the council's questions, routing, the outbox, the
sandbox back office, the acknowledgement in the development mailbox."""

import io

import pytest
from itsdangerous import TimestampSigner
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models.reports import Feedback, MailboxMessage, Photo, ReportStatus
from tests.conftest import ClientRequest
from tests.integration.reports.conftest import deliver_all, reports
from tests.support.calls_out import calls_out
from tests.support.images import png_bomb

pytestmark = pytest.mark.database_independent

POTHOLE_ANSWERS = {"defect_type": "pothole", "location_on_road": "road", "depth": "deep"}
HOST = "great-yarmouth.localhost"


def described_pothole(journey, description="Outside the bus station, by the zebra crossing"):
    walk = journey(HOST).start("pothole")
    assert walk.at("postcode")
    walk.go("place")
    walk.answer({"description": description})
    walk.answer_questions(POTHOLE_ANSWERS)
    assert walk.at("details")
    walk.answer({"description": "A deep hole, cars swerve round it"})
    assert walk.at("photo")
    walk.answer({})
    assert walk.at("email")
    walk.answer({"email": "Guest@Example.com"})
    return walk


def test_a_guest_reports_a_pothole_and_the_county_gets_it(journey, back_offices, app_context):
    walk = described_pothole(journey)

    check = walk.page()
    rows = {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(" ", strip=True)
        for row in check.select(".govuk-summary-list__row")
    }
    assert rows["Sent to"] == "Norfolk County Council"
    assert rows["What is the problem?"] == "A pothole"
    assert rows["Updates by email"] == "guest@example.com"

    walk.send()
    confirmation = walk.page()
    [report] = reports()
    assert report.reference in confirmation.select_one(".govuk-panel").get_text()
    assert "waiting to be sent to Norfolk County Council" in confirmation.get_text()
    assert report.status == ReportStatus.WAITING
    assert report.made_on == "great-yarmouth"

    deliver_all()

    [report] = reports()
    assert report.status == ReportStatus.SENT
    sent = back_offices.street_reports("norfolk").request(report.service_request_id).value
    assert report.reference in sent.description
    assert sent.service_code == "pothole"
    assert "sent to Norfolk County Council" in walk.page().get_text()

    [email] = db.session.scalars(select(MailboxMessage)).all()
    assert email.recipient == "guest@example.com"
    assert report.reference in email.subject and "Norfolk County Council" in email.subject
    assert "Outside the bus station" in email.body
    assert "What is the problem?: A pothole" in email.body
    assert "/report/track/" in email.body


def test_the_tracking_link_shows_the_status_and_cannot_be_forged_or_used_forever(
    journey, back_offices, app_context, client_request, monkeypatch
):
    walk = described_pothole(journey)
    walk.send()
    link = walk.page().select_one("a[href*='/report/track/']")["href"]
    path = link.split("localhost", 1)[1]

    page = client_request.get(path, host=HOST)
    assert "Waiting to be sent to Norfolk County Council" in page.get_text()
    deliver_all()
    assert "Sent to Norfolk County Council" in client_request.get(path, host=HOST).get_text()

    client_request.get(path[:-3] + "xyz", host=HOST, expected_status=404)
    reference = reports()[0].reference
    client_request.get(f"/report/track/{reference}", host=HOST, expected_status=404)

    from app.reports.links import _serializer

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 0)  # a link made in 1970

    with client_request.client.application.test_request_context(headers={"Host": HOST}):
        expired = _serializer().dumps(reference)
    monkeypatch.undo()
    client_request.get(f"/report/track/{expired}", host=HOST, expected_status=410)


def test_sending_twice_makes_one_report(journey, back_offices, app_context, client_request):
    walk = described_pothole(journey)
    check_path = walk.path
    page = walk.page()
    form_fields = {field["name"]: field.get("value", "") for field in page.select("form input[type=hidden]")}

    for _ in range(3):  # a double click, then the back button and send again
        response = client_request.client.post(
            f"/report/{walk.token}/send", data=form_fields, headers={"Host": HOST}
        )
        assert response.status_code == 302
        assert response.location.endswith("/confirmation")

    assert len(reports()) == 1
    again = client_request.client.get(check_path, headers={"Host": HOST})
    assert again.status_code == 302 and again.location.endswith("/confirmation")
    deliver_all()
    deliver_all()
    assert reports()[0].status == ReportStatus.SENT


def test_the_honeypot_sends_nothing(journey, back_offices, app_context):
    walk = described_pothole(journey)
    walk.answer({"website": "http://spam.example"}, expected_status=400)
    assert reports() == []


def test_html_is_shown_as_text(journey, back_offices, app_context):
    walk = described_pothole(journey, description="<script>alert('x')</script> near <b>the pier</b>")
    page = walk.page()
    assert "<script>alert('x')</script> near <b>the pier</b>" in page.get_text()
    assert not page.select("b")


def test_every_mistake_gets_a_message_linked_to_its_field(journey, back_offices, app_context):
    walk = journey(HOST).start("pothole")
    page = walk.answer({"postcode": "not a postcode"}, expected_status=200)
    assert page.title.string.startswith("Error:")
    [link] = page.select(".govuk-error-summary a")
    assert link.get_text(strip=True) == "Enter a real postcode, like NR1 2DH"
    assert page.select_one(link["href"]).name == "input"

    walk.go("place")
    page = walk.answer({"description": "x" * 501, "latitude": "north", "longitude": ""}, expected_status=200)
    messages = {link["href"]: link.get_text(strip=True) for link in page.select(".govuk-error-summary a")}
    assert messages == {
        "#description": "Where the problem is must be 500 characters or fewer",
        "#latitude": "Latitude must be a number between -90 and 90, like 52.6309",
    }
    for anchor in messages:
        assert page.select_one(anchor) is not None

    page = walk.answer({"description": "By the pier"})
    page = walk.answer({}, expected_status=200)  # the first of the council's questions, unanswered
    [link] = page.select(".govuk-error-summary a")
    assert link.get_text(strip=True) == "Select an answer"
    assert page.select_one(link["href"]) is not None

    walk.answer_questions(POTHOLE_ANSWERS)
    page = walk.answer({"description": ""}, expected_status=200)
    assert [a.get_text(strip=True) for a in page.select(".govuk-error-summary a")] == ["Describe the problem"]
    walk.answer({"description": "Deep"})
    walk.answer({})
    page = walk.answer({"email": "not-an-email"}, expected_status=200)
    assert [a.get_text(strip=True) for a in page.select(".govuk-error-summary a")] == [
        "Enter an email address in the correct format, like name@example.com"
    ]


def test_guests_need_not_give_an_email(journey, back_offices, app_context):
    walk = journey(HOST).start("street-light")
    walk.go("place")
    walk.answer({"description": "Lamp post outside number 4 Church Lane"})
    walk.answer_questions({"fault": "out", "column_number": ""})
    walk.answer({"description": "Out every night"})
    walk.answer({})
    walk.answer({"email": ""})
    walk.send()
    deliver_all()
    [report] = reports()
    assert report.email is None and report.status == ReportStatus.SENT
    assert db.session.scalars(select(MailboxMessage)).all() == []


def test_a_district_report_described_without_coordinates_asks_the_area(journey, back_offices, app_context):
    walk = journey("norwich.localhost").start("fly-tipping")
    walk.go("place")
    walk.answer({"description": "Lay-by on the A47 west of the Acle Straight"})
    assert walk.at("area")
    walk.answer({"council": "breckland"})
    walk.answer_questions({"waste_type": "household", "amount": "bag", "hazardous": "no"})
    walk.answer({"description": "Bags of rubbish"})
    walk.answer({})
    walk.answer({"email": ""})
    walk.send()
    assert "Breckland Council" in walk.page().select_one("main").get_text()
    deliver_all()
    [report] = reports()
    assert report.council_slug == "breckland" and report.status == ReportStatus.SENT
    assert "sent to Breckland Council" in walk.page().get_text()


def test_a_place_outside_norfolk_gets_a_hand_off(journey, back_offices, app_context):
    walk = journey(HOST).start("abandoned-vehicle")
    walk.go("place")
    walk.answer({"description": "Car park in Lowestoft"})
    walk.answer({"council": "outside"})
    assert walk.at("outside-norfolk")
    page = walk.page()
    assert page.h1.get_text(strip=True) == "This place is not in Norfolk"
    assert page.select_one("a[href='https://www.gov.uk/find-local-council']")
    assert reports() == []


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x8825] = {1: "N", 2: (52.0, 37.0, 30.0), 3: "E", 4: (1.0, 17.0, 0.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_a_photo_is_stored_without_its_location_and_sent_as_a_link(
    journey, back_offices, app_context, client_request
):
    walk = journey(HOST).start("pothole")
    walk.go("place")
    walk.answer({"description": "Market Place"})
    walk.answer_questions(POTHOLE_ANSWERS)
    walk.answer({"description": "Deep"})
    page = walk.answer(
        {"photo": (io.BytesIO(b"GIF89a not really"), "photo.jpg")},
        expected_status=200,
        content_type="multipart/form-data",
    )
    assert [a.get_text(strip=True) for a in page.select(".govuk-error-summary a")] == [
        "The selected file must be a JPG, PNG or HEIC photo"
    ]
    walk.answer({"photo": (io.BytesIO(_jpeg_with_gps()), "IMG_0001.JPG")}, content_type="multipart/form-data")
    walk.answer({"email": ""})
    walk.send()
    deliver_all()

    [photo] = db.session.scalars(select(Photo)).all()
    assert b"TestCam" not in photo.data and b"Exif" not in photo.data
    [report] = reports()
    sent = back_offices.street_reports("norfolk").request(report.service_request_id).value
    assert sent.media_url and sent.media_url.endswith(photo.token)
    served = client_request.client.get(sent.media_url.split("localhost", 1)[1], headers={"Host": HOST})
    assert served.status_code == 200 and served.mimetype == "image/jpeg"


def test_feedback_after_the_confirmation(journey, back_offices, app_context):
    walk = described_pothole(journey)
    walk.send()
    confirmation = walk.path
    page = walk.answer({"rating": ""}, expected_status=200, form_index=0)
    assert [a.get_text(strip=True) for a in page.select(".govuk-error-summary a")] == [
        "Select how you felt about reporting this"
    ]
    walk.path = confirmation
    walk.answer({"rating": "satisfied", "comment": "Quick <i>and</i> easy"})
    assert "Thank you for your feedback" in walk.page().get_text()
    [feedback] = db.session.scalars(select(Feedback)).all()
    assert (feedback.rating, feedback.comment) == ("satisfied", "Quick <i>and</i> easy")
    assert feedback.comment_status == "pending"  # staff see it once a supervisor approves it


def test_guest_submissions_are_rate_limited_per_address(journey, back_offices, app_context, app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_RATE_LIMIT", "2 per minute")
    for _ in range(2):
        described_pothole(journey).send()
    walk = described_pothole(journey)
    page = ClientRequest.check_page(walk.answer({}, expected_status=429))
    assert page.h1.get_text(strip=True) == "You have sent a lot of reports"
    assert len(reports()) == 2


STEPS = ["postcode", "address", "place", "area", "outside-norfolk", "already-reported", "question/depth",
         "details", "photo", "email", "check"]  # fmt: skip


def test_every_step_of_a_sent_journey_goes_to_its_confirmation_and_an_unknown_one_is_not_found(
    journey, back_offices, app_context
):
    walk = described_pothole(journey)
    walk.send()
    client = walk.client_request.client
    for step in STEPS:
        response = client.get(f"/report/{walk.token}/{step}", headers={"Host": HOST})
        assert response.status_code == 302, step
        assert response.location.endswith(f"/report/{walk.token}/confirmation"), step
    where = client.get(f"/report/{walk.token}/where?latitude=52.6&longitude=1.73", headers={"Host": HOST})
    assert (where.status_code, where.json) == (404, {"error": "This report has expired. Start again."})
    assert client.get(f"/report/{walk.token}/confirmation", headers={"Host": HOST}).status_code == 200
    for step in [*STEPS, "confirmation", "where?latitude=52.6&longitude=1.73"]:
        assert client.get(f"/report/no-such-journey/{step}", headers={"Host": HOST}).status_code == 404, step


@pytest.mark.parametrize("step", ["postcode", "place", "check", "confirmation", "email"])
def test_another_browser_cannot_open_someone_elses_journey(journey, back_offices, app, step):
    walk = described_pothole(journey)
    stranger = app.test_client()
    assert stranger.get(f"/report/{walk.token}/{step}", headers={"Host": HOST}).status_code == 404


def _at_the_photo_step(journey):
    walk = journey(HOST).start("pothole")
    walk.go("place")
    walk.answer({"description": "Market Place"})
    walk.answer_questions(POTHOLE_ANSWERS)
    walk.answer({"description": "Deep enough to lose a wheel"})
    assert walk.at("photo")
    return walk


def _error_summary(page) -> list[str]:
    return [a.get_text(strip=True) for a in page.select(".govuk-error-summary a")]


def test_a_decompression_bomb_gets_a_clear_error_and_the_answers_are_kept(journey, back_offices, app_context):
    walk = _at_the_photo_step(journey)
    page = walk.answer(
        {"photo": (io.BytesIO(png_bomb()), "IMG_0002.PNG")},
        expected_status=200,
        content_type="multipart/form-data",
    )
    assert _error_summary(page) == [
        "The selected photo is too big: it must be 50 megapixels or fewer. "
        "Choose a photo straight from a phone or camera"
    ]
    assert db.session.scalars(select(Photo)).all() == []
    walk.answer({}, content_type="multipart/form-data")
    walk.answer({"email": ""})
    check = walk.page().get_text()
    assert "Deep enough to lose a wheel" in check and "Market Place" in check


def test_photo_uploads_are_rate_limited_per_client(journey, back_offices, app_context, app, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_RATE_LIMIT", "2 per hour")
    walk = _at_the_photo_step(journey)
    photo_page = walk.path
    upload_form = {"form_index": -1, "content_type": "multipart/form-data"}
    for _ in range(2):
        walk.answer({"photo": (io.BytesIO(_jpeg_with_gps()), "IMG.JPG")}, **upload_form)
        walk.path = photo_page
    page = walk.answer(
        {"photo": (io.BytesIO(_jpeg_with_gps()), "IMG.JPG")}, expected_status=429, **upload_form
    )
    page = ClientRequest.check_page(page)
    [message] = _error_summary(page)
    assert message.startswith("You have uploaded a lot of photos in a short time. Try again after ")
    assert len(db.session.scalars(select(Photo)).all()) == 2
    # Going on without another photo still works, with both photos and every answer kept.
    walk.answer({}, **upload_form)
    assert walk.at("email")


def test_the_council_is_asked_and_sent_the_report_without_a_database_connection_held(
    app, journey, back_offices
):
    """A back office may take seconds to answer: meanwhile other residents' requests need the connection (and,
    on SQLite, the write lock), so none is held while the portal waits on one."""
    with calls_out() as calls:
        walk = journey(HOST).start("pothole")
        walk.go("place")
        walk.answer({"description": "By the clock tower", "latitude": "52.6077", "longitude": "1.7305"})
        if walk.at("already-reported"):
            walk.answer({"choice": "none"})
        walk.answer_questions(POTHOLE_ANSWERS)
        walk.answer({"description": "A deep hole"})
        walk.answer({})
        walk.answer({"email": "guest@example.com"})
        walk.send()
        with app.app_context():
            assert [outcome.outcome for outcome in deliver_all()] == ["delivered", "delivered"]
    asked = {call.url.split("?")[0].rsplit("/", 1)[-1] for call in calls}
    assert {"pothole.json", "requests.json"} <= asked, asked  # its questions, open reports nearby, the report
    assert [call for call in calls if call.holding_connection] == []
