"""ASVS 5.4.3: every uploaded photo is scanned by clamd (here the sandbox's stand-in, over TCP on loopback)
before it is opened. A file with a virus is refused with an error saying so; while the scanner cannot be
asked, every photo is refused with an honest message and the report goes on without one."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.reports import Photo
from sandbox.clamd import EICAR, EICAR_SIGNATURE, ClamdStandIn
from tests.integration.reports.conftest import (  # noqa: F401 - fixtures
    back_offices,
    journey,
    reports_sandbox,
)
from tests.security.test_files_and_data import _at_the_photo_step, _errors, _upload

VIRUS_ERROR = "The selected file contains a virus. Choose a different photo, or continue without one"
UNSCANNED_ERROR = (
    "We cannot check photos for viruses at the moment, so we cannot accept the selected file. "
    "Try again later, or continue without a photo"
)


@pytest.fixture
def scanner(app, monkeypatch):
    stand_in = ClamdStandIn().start()
    monkeypatch.setitem(app.config, "CLAMD_ADDRESS", stand_in.address)
    monkeypatch.setitem(app.config, "CLAMD_TIMEOUT_SECONDS", 5.0)
    yield stand_in
    stand_in.stop()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_file_with_a_virus_is_refused_and_the_report_goes_on(journey, back_offices, scanner, app_context):  # noqa: F811
    walk = _at_the_photo_step(journey)
    page = _upload(walk, EICAR, "IMG_0001.JPG")
    assert _errors(page) == [VIRUS_ERROR]
    assert page.select_one("#photo-error").get_text(" ", strip=True).endswith(VIRUS_ERROR)
    assert page.title.string.startswith("Error: ")
    assert db.session.scalars(select(Photo)).all() == []
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.event == "infected_upload_refused"))
    assert event.detail == {"signature": EICAR_SIGNATURE}

    _upload(walk, png(), "IMG_0002.PNG", "image/png", expected_status=302)
    assert len(db.session.scalars(select(Photo)).all()) == 1, "a clean photo is scanned and accepted"
    walk.answer({"email": ""})
    check = walk.page().get_text()
    assert "Deep" in check and "Market Place" in check, "every answer is kept"


def test_while_the_scanner_is_down_photos_are_refused_and_the_report_goes_on_without_one(
    journey,  # noqa: F811
    back_offices,  # noqa: F811
    scanner,
    app,
    app_context,
):
    scanner.stop()
    walk = _at_the_photo_step(journey)
    page = _upload(walk, png(), "IMG_0003.PNG", "image/png")
    assert _errors(page) == [UNSCANNED_ERROR]
    assert db.session.scalars(select(Photo)).all() == []
    walk.answer({}, form_index=-1, content_type="multipart/form-data")
    assert walk.at("email")
    walk.answer({"email": ""})
    walk.send()


def test_without_a_scanner_configured_nothing_is_scanned(journey, back_offices, app, app_context):  # noqa: F811
    assert not app.config.get("CLAMD_ADDRESS"), "tests run without one unless they start the stand-in"
    walk = _at_the_photo_step(journey)
    _upload(walk, png(), "IMG_0004.PNG", "image/png", expected_status=302)
    assert len(db.session.scalars(select(Photo)).all()) == 1


def test_readyz_reports_the_scanner_without_counting_it(app, scanner):
    ready = app.test_client().get("/readyz", headers={"Host": "10.0.0.5"})
    assert ready.status_code == 200 and ready.json["checks"]["antivirus"] == "ok"
    scanner.stop()
    ready = app.test_client().get("/readyz", headers={"Host": "10.0.0.5"})
    assert ready.json["checks"]["antivirus"] == "unreachable"
    assert ready.status_code == 200 and ready.json["status"] == "ready"


def test_production_needs_a_scanner():
    from app.config import production_problems

    assert "PORTAL_CLAMD_ADDRESS is not set: production scans every uploaded photo with clamd" in (
        production_problems({"SECRET_KEY": "x" * 32}, environ={})
    )
    assert "PORTAL_CLAMD_ADDRESS is not host:port" in production_problems(
        {"SECRET_KEY": "x" * 32, "CLAMD_ADDRESS": "clamd"}, environ={}
    )
    assert not any(
        "CLAMD" in problem
        for problem in production_problems(
            {"SECRET_KEY": "x" * 32, "CLAMD_ADDRESS": "clamd:3310"}, environ={}
        )
    )
