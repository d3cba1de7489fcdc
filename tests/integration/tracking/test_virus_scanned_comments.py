"""A guest's comment with a photo that clamd finds a virus in: the photo is refused with an error saying so,
the comment they typed is still in the form, and nothing reaches the council until they send it again."""

import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.tracking import CaseUpdate
from sandbox.clamd import EICAR, ClamdStandIn
from tests.conftest import ClientRequest
from tests.integration.tracking.conftest import HOST
from tests.integration.tracking.test_guest_updates import GUEST, tracking_path


@pytest.fixture
def scanner(app, monkeypatch):
    stand_in = ClamdStandIn().start()
    monkeypatch.setitem(app.config, "CLAMD_ADDRESS", stand_in.address)
    yield stand_in
    stand_in.stop()


def test_an_infected_photo_is_refused_and_the_comment_is_kept(app, client, portal, sandbox, scanner):
    report = portal.sent_pothole(GUEST)
    path = tracking_path(app, report.id)
    guest = ClientRequest(client)
    page = guest.post_form(
        f"{path}/comment",
        {"text": "The cones have gone.", "photo": (io.BytesIO(EICAR), "IMG_0001.JPG", "image/jpeg")},
        host=HOST,
        expected_status=200,
        content_type="multipart/form-data",
    )
    summary = page.select_one(".govuk-error-summary a")
    assert summary["href"] == "#photo"
    assert summary.get_text(strip=True).startswith("The selected file contains a virus.")
    assert page.select_one("textarea[name=text]").get_text().strip() == "The cones have gone."
    with app.app_context():
        assert db.session.scalars(select(CaseUpdate)).all() == []

    response = guest.post_form(f"{path}/comment", {"text": "The cones have gone."}, host=HOST)
    assert response.location == path
    with app.app_context():
        assert len(db.session.scalars(select(CaseUpdate)).all()) == 1
