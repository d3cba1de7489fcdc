"""Attacks on what people upload and on what the portal sends and keeps: decompression bombs, disguised and
oversized files, hostile file names, email bombing through the follow form, and guessing council tax
references. Every answer is a page saying what happened, never a 5xx."""

import io
import re

from PIL import Image
from sqlalchemy import select

from app.extensions import db, limiter
from app.models.identity import Resident
from app.models.reports import MessageKind, OutboxMessage, Photo
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.conftest import ClientRequest
from tests.integration.reports.conftest import (  # noqa: F401 - fixtures
    back_offices,
    journey,
    reports_sandbox,
)
from tests.integration.tracking.conftest import sent_pothole
from tests.support.images import png_bomb

HOST = "great-yarmouth.localhost"
PRIYA = DEMO_RESIDENTS[0]
POTHOLE_ANSWERS = {"defect_type": "pothole", "location_on_road": "road", "depth": "deep"}


def _at_the_photo_step(journey):  # noqa: F811 - the imported fixture
    walk = journey(HOST).start("pothole")
    walk.go("place")
    walk.answer({"description": "Market Place"})
    walk.answer_questions(POTHOLE_ANSWERS)
    walk.answer({"description": "Deep"})
    assert walk.at("photo")
    return walk


def _upload(walk, data: bytes, name: str, content_type: str = "image/jpeg", expected_status: int = 200):
    return walk.answer(
        {"photo": (io.BytesIO(data), name, content_type)},
        expected_status=expected_status,
        form_index=-1,
        content_type="multipart/form-data",
    )


def _errors(page) -> list[str]:
    return [link.get_text(strip=True) for link in page.select(".govuk-error-summary a")]


def test_a_decompression_bomb_is_refused_with_a_page(journey, back_offices, app_context):  # noqa: F811
    walk = _at_the_photo_step(journey)
    page = _upload(walk, png_bomb(), "holiday.png", "image/png")
    assert _errors(page)[0].startswith("The selected photo is too big")
    assert db.session.scalars(select(Photo)).all() == []


def test_a_disguised_file_is_refused_by_its_content(journey, back_offices, app_context):  # noqa: F811
    walk = _at_the_photo_step(journey)
    for data, name in (
        (b"<html><script>alert(1)</script></html>", "photo.jpg"),
        (b"%PDF-1.7\n", "photo.heic"),
        (b"GIF89a" + b"\x00" * 40, "photo.png"),
        (b"", "empty.jpg"),
    ):
        page = _upload(walk, data, name)
        assert _errors(page), name
    assert db.session.scalars(select(Photo)).all() == []


def test_an_uploaded_file_name_is_never_used(journey, back_offices, app_context, client_request):  # noqa: F811
    walk = _at_the_photo_step(journey)
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(buffer, "PNG")
    _upload(walk, buffer.getvalue(), '../../../static/x.html"\r\nX-Injected: 1', "text/html", 302)
    walk.answer({"email": ""})
    walk.send()
    [photo] = db.session.scalars(select(Photo)).all()
    served = client_request.client.get(f"/report/photos/{photo.token}", headers={"Host": HOST})
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == f'inline; filename="{photo.token}.png"'
    assert "X-Injected" not in served.headers
    assert re.fullmatch(r"[A-Za-z0-9_-]+", photo.token)


def test_a_request_over_the_size_limit_gets_a_page(journey, back_offices, app):  # noqa: F811
    walk = _at_the_photo_step(journey)
    too_big = b"\xff\xd8" + b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    page = ClientRequest.check_page(_upload(walk, too_big, "huge.jpg", expected_status=413))
    assert page.h1.get_text(strip=True) == "The file you selected is too big"


def test_email_bombing_through_the_follow_form_sends_one_email(app, back_offices):  # noqa: F811
    limiter.reset()
    with app.app_context():
        report = sent_pothole(back_offices, resident=None, email=None)
        path = f"/requests/report/norfolk/{report.service_request_id}"
    attacker = ClientRequest(app.test_client())
    statuses = set()
    for _ in range(25):
        page = attacker.get(path, host="norwich.localhost")
        token = page.select_one("input[name=csrf_token]")["value"]
        response = attacker.client.post(
            f"{path}/follow",
            data={"csrf_token": token, "email": "victim@example.com"},
            headers={"Host": "norwich.localhost"},
        )
        statuses.add(response.status_code)
    assert statuses <= {200, 302, 429}
    with app.app_context():
        emails = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == MessageKind.EMAIL,
                OutboxMessage.payload["to"].as_string() == "victim@example.com",
            )
        ).all()
    assert len(emails) == 1


def test_guessing_council_tax_references_is_locked_out(
    app, visitor, with_sandbox_idp, connector_registry, monkeypatch
):
    from app.backoffice import use_registry

    limiter.reset()
    monkeypatch.setitem(app.config, "COUNCIL_TAX_GUESS_LIMIT", "5 per hour")
    use_registry(app, connector_registry)
    try:
        assert visitor.sign_in_at_sandbox(PRIYA).status_code == 302
        with app.app_context():
            db.session.scalars(select(Resident).filter_by(email=PRIYA.email)).one().home_uprn = PRIYA.uprn
            db.session.commit()
        link_page = "/account/council-tax/link"
        headers = {"Host": "south-norfolk.localhost"}
        statuses = []
        for guess in [f"2600{number:04d}" for number in range(19)] + [PRIYA.council_tax_reference]:
            page = ClientRequest.check_page(visitor.client.get(link_page, headers=headers))
            response = visitor.client.post(
                link_page,
                data={
                    "csrf_token": page.select_one("input[name=csrf_token]")["value"],
                    "council": "south-norfolk",
                    "reference": guess,
                    "postcode": PRIYA.postcode,
                    "surname": PRIYA.family_name,
                },
                headers=headers,
            )
            statuses.append(response.status_code)
    finally:
        use_registry(app, None)
    # Five wrong guesses, then nothing more is asked of the council: not even the right answer gets in.
    assert statuses == [200] * 5 + [429] * 15
