"""Linking a council tax account cannot be guessed or misused: wrong answers lock out the resident and the
account reference for a while, only the account for the resident's own home can be linked, the council tells
the account holder, and the holder can undo the link from the notice without signing in."""

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from app import gazetteer_import
from app.extensions import db
from app.models.identity import LinkedCouncilAccount, Resident
from app.models.reports import OutboxMessage
from app.reports import outbox
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.conftest import ClientRequest
from tests.integration.auth.conftest import Visitor, audit_events
from tests.integration.reports.conftest import GAZETTEER
from tests.integration.test_account import (  # noqa: F401 - fixtures
    HOST,
    PRIYA,
    council_tax_back_office,
    link_form,
    sandbox_idp,
    signed_in,
    with_sandbox_idp,
)

TOM = DEMO_RESIDENTS[1]
DELIVERY = outbox.DeliveryPolicy(
    max_failures=5, base_delay=timedelta(0), max_delay=timedelta(0), lease=timedelta(minutes=2)
)
LOCKED = re.compile(
    r"^You have entered details that do not match too many times\. You can try again after "
    r"\d{1,2}:\d\d [AP]M on \d{1,2} \w+ \d{4}, or contact your council$"
)


def _links(app) -> list[LinkedCouncilAccount]:
    with app.app_context():
        found = list(db.session.scalars(select(LinkedCouncilAccount)))
        db.session.expunge_all()
        return found


def _errors(page) -> list[str]:
    return [link.get_text(strip=True) for link in page.select(".govuk-error-summary a")]


def _home_of_priya_is(app, uprn: str | None) -> None:
    with app.app_context():
        db.session.scalars(select(Resident).filter_by(email=PRIYA.email)).one().home_uprn = uprn
        db.session.commit()


def test_wrong_answers_lock_the_resident_out_and_say_until_when(
    app,
    client_request,
    council_tax_back_office,  # noqa: F811 - the imported fixture
    monkeypatch,
):
    monkeypatch.setitem(app.config, "COUNCIL_TAX_GUESS_LIMIT", "3 per hour")
    for guess in ("Smith", "Jones", "Brown"):
        page = client_request.post_form(
            "/account/council-tax/link", link_form(surname=guess), host=HOST, expected_status=200
        )
        assert "do not match a council tax account" in _errors(page)[0]
    page = client_request.post_form("/account/council-tax/link", link_form(), host=HOST, expected_status=429)
    page = ClientRequest.check_page(page)
    [message] = _errors(page)
    assert LOCKED.match(message), message
    assert page.select_one("input[name=surname]")["value"] == "shah"  # nothing typed is lost
    assert _links(app) == []


def test_guesses_at_one_reference_by_another_resident_lock_that_reference(
    app,
    client_request,
    council_tax_back_office,  # noqa: F811 - the imported fixture
    monkeypatch,
):
    monkeypatch.setitem(app.config, "COUNCIL_TAX_GUESS_LIMIT", "3 per hour")
    guesser = Visitor(app.test_client())
    assert guesser.sign_in_at_sandbox(TOM).status_code == 302
    with app.app_context():  # Tom claims Priya's home as his, then guesses her surname
        db.session.scalars(select(Resident).filter_by(email=TOM.email)).one().home_uprn = PRIYA.uprn
        db.session.commit()
    for _ in range(3):
        ClientRequest(guesser.client).post_form(
            "/account/council-tax/link", link_form(surname="Guess"), host=HOST, expected_status=200
        )
    page = ClientRequest.check_page(
        client_request.post_form("/account/council-tax/link", link_form(), host=HOST, expected_status=429)
    )
    assert LOCKED.match(_errors(page)[0])
    assert _links(app) == []


def test_only_the_account_for_the_residents_home_can_be_linked(
    app,
    client_request,
    council_tax_back_office,  # noqa: F811 - the imported fixture
):
    _home_of_priya_is(app, TOM.uprn)
    page = client_request.post_form("/account/council-tax/link", link_form(), host=HOST, expected_status=200)
    [message] = _errors(page)
    assert message.startswith("This council tax account is not for your home address")
    assert _links(app) == []
    (event,) = audit_events(app, "council_tax_link_checked")
    assert event.detail == {"matched": True, "at_home": False, "linked_council": "south-norfolk"}

    _home_of_priya_is(app, None)
    page = client_request.post_form("/account/council-tax/link", link_form(), host=HOST, expected_status=200)
    assert _errors(page)[0].startswith("Add your home address before you link a council tax account")
    assert _links(app) == []


def test_the_account_holder_is_told_by_the_council_and_can_undo_the_link(
    app,
    client_request,
    council_tax_back_office,  # noqa: F811 - the imported fixture
    sandbox,
):
    response = client_request.post_form("/account/council-tax/link", link_form(), host=HOST)
    banner = client_request.get(response.location, host=HOST).select_one("main .govuk-notification-banner")
    assert "South Norfolk Council will tell the account holder" in banner.get_text()
    [linked] = _links(app)
    with app.app_context():
        outbox.run_once("test-worker", DELIVERY, batch=10)

    sent = requests.get(
        f"{sandbox.url}/council-tax/south-norfolk/_admin/portal-links",
        headers={"X-API-Key": sandbox.api_key},
        timeout=5,
    ).json()["notices"]
    [notice] = [notice for notice in sent if notice["link_id"] == str(linked.id)]
    assert notice["reference"] == PRIYA.council_tax_reference
    unlink = re.sub(r"^https?://[^/]+", "", notice["unlink_url"])

    holder = ClientRequest(app.test_client())  # the account holder, not signed in
    page = holder.get(unlink, host=HOST)
    assert page.h1.get_text(strip=True) == "Remove the link to your council tax account"
    assert f"ending {PRIYA.council_tax_reference[-4:]}" in page.get_text()
    assert len(_links(app)) == 1, "a GET changes nothing"
    page = holder.post_form(unlink, {}, host=HOST, expected_status=200)
    assert page.h1.get_text(strip=True) == "The link has been removed"
    assert _links(app) == []
    assert audit_events(app, "council_tax_link_removed_by_account_holder")
    assert holder.get(unlink, host=HOST).h1.get_text(strip=True) == "The link has already been removed"
    holder.get(unlink[:-3] + "abc", host=HOST, expected_status=404)


@pytest.mark.parametrize("token", ["not-a-token", "WzEsIjEyMzQ1Njc4Il0.forged"])
def test_a_made_up_unlink_link_is_not_found(client_request, token):
    client_request.get(f"/account/council-tax/unlink/{token}", host=HOST, expected_status=404)


def test_moving_home_ends_the_link_to_the_previous_homes_account(
    app,
    client_request,
    council_tax_back_office,  # noqa: F811 - the imported fixture
):
    with app.app_context():
        gazetteer_import.import_file(GAZETTEER)
    linked = client_request.post_form("/account/council-tax/link", link_form(), host=HOST)
    client_request.get(linked.location, host=HOST)  # the "is linked" banner is shown
    assert len(_links(app)) == 1

    chooser = f"/dashboard/home-address/select?postcode={TOM.postcode.replace(' ', '+')}"
    response = client_request.post_form(chooser, {"uprn": TOM.uprn}, host=HOST)
    assert response.location == "/dashboard"
    assert _links(app) == []
    banner = client_request.get("/account", host=HOST).select_one("main .govuk-notification-banner")
    assert "no longer linked: it is for your previous home" in banner.get_text()


def test_linking_the_same_account_again_sends_the_holder_nothing_more(
    app,
    client_request,
    council_tax_back_office,  # noqa: F811 - the imported fixture
):
    for _ in range(3):
        client_request.post_form("/account/council-tax/link", link_form(), host=HOST)
    [linked] = _links(app)
    with app.app_context():
        notices = db.session.scalars(select(OutboxMessage).filter_by(kind="council_tax_link_notice")).all()
    assert [notice.payload["link_id"] for notice in notices] == [str(linked.id)]
