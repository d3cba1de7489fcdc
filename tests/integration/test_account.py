"""The account page: profile, contact preferences, linked council accounts, sign out everywhere, download my
data and delete my portal data."""

import json

import pytest
from sqlalchemy import select

from app.extensions import db, limiter
from app.models.identity import LinkedCouncilAccount, PortalSession, Resident
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.auth.conftest import (  # noqa: F401 - fixtures
    Visitor,
    audit_events,
    sandbox_idp,
    with_sandbox_idp,
)

PRIYA = DEMO_RESIDENTS[0]
HOST = "south-norfolk.localhost"


@pytest.fixture
def signed_in(client, with_sandbox_idp):  # noqa: F811 - the imported fixture
    visitor = Visitor(client)
    assert visitor.sign_in_at_sandbox(PRIYA).status_code == 302
    return visitor


def resident(app) -> Resident:
    with app.app_context():
        found = db.session.scalar(select(Resident))
        db.session.expunge_all()
        return found


def test_account_needs_signing_in(client):
    response = client.get("/account", headers={"Host": HOST})
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=")


def test_account_page_shows_profile_address_and_links(signed_in, client_request):
    page = client_request.get("/account", host=HOST)
    text = page.get_text()
    assert "Priya Shah" in text
    assert PRIYA.email in text
    assert "Not chosen yet" in text
    home_address_link = page.select_one("a[href='/dashboard/home-address']")
    assert home_address_link.get_text(" ", strip=True) == "Add home address"
    assert "You have not linked any council accounts." in text
    assert "Signed in, not verified" in text
    assert page.select_one("a[href='/account/your-data.json']")
    assert page.select_one("a[href='/account/delete']")
    assert page.select_one("form[action='/account/sign-out-everywhere']")


def test_contact_preferences_need_an_answer_and_are_saved(app, signed_in, client_request):
    page = client_request.post_form(
        "/account/contact-preferences", {"contact_by_email": ""}, host=HOST, expected_status=200
    )
    summary = page.select_one(".govuk-error-summary")
    assert "Select yes if we can email you" in summary.get_text()
    assert summary.select_one("a")["href"] == "#contact_by_email"
    assert page.title.string.startswith("Error: ")
    response = client_request.post_form("/account/contact-preferences", {"contact_by_email": "no"}, host=HOST)
    assert response.location == "/account"
    assert resident(app).contact_by_email is False


def test_linking_council_tax_checks_every_field(signed_in, client_request):
    page = client_request.post_form(
        "/account/council-tax/link",
        {"council": "south-norfolk", "reference": "", "postcode": "not a postcode", "surname": ""},
        host=HOST,
        expected_status=200,
    )
    errors = [link.get_text() for link in page.select(".govuk-error-summary a")]
    assert "Enter your council tax account reference" in errors
    assert "Enter a real postcode, like NR2 2PE" in errors
    assert "Enter the surname of the person named on the bill" in errors
    # What the resident typed is kept.
    assert page.select_one("input[name=postcode]")["value"] == "not a postcode"


def test_linking_council_tax_defaults_to_this_district(signed_in, client_request):
    page = client_request.get("/account/council-tax/link", host=HOST)
    assert page.select_one("input[name=council][value=south-norfolk]").has_attr("checked")


def test_a_page_that_needs_verified_shows_the_step_up_route(app, signed_in, client_request):
    from app.auth.assurance import step_up_page

    with app.test_request_context("/council-tax", headers={"Host": HOST}):
        app.preprocess_request()
        html = step_up_page()
    assert "Link your council tax account" in html
    assert "/account/council-tax/link?next=/council-tax" in html


def test_download_my_data_is_everything_we_hold(app, signed_in):
    with app.app_context():
        found = db.session.scalar(select(Resident))
        found.linked_accounts.append(
            LinkedCouncilAccount(service="council-tax", council_gss="E07000149", account_reference="SN123")
        )
        db.session.commit()
    response = signed_in.portal("/account/your-data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"] == {"name": "Priya Shah", "email": PRIYA.email}
    assert data["identity"]["subject"] == PRIYA.subject
    assert data["linked_council_accounts"][0]["council"] == "South Norfolk Council"
    assert data["contact_preferences"] == {"contact_by_email": True}
    assert audit_events(app, "personal_data_downloaded")


def test_sign_out_everywhere_ends_every_session(app, client, signed_in, client_request):
    other_device = Visitor(app.test_client(), host="norfolk.localhost")
    other_device.provider = signed_in.provider
    other_device.callback(
        other_device.provider.get(other_device.start_sign_in(), allow_redirects=False, timeout=5).headers[
            "Location"
        ]
    )
    assert other_device.portal("/account").status_code == 200
    response = client_request.post_form("/account", {}, host=HOST, form_index=0)
    assert "/idp/logout" in response.location
    assert other_device.portal("/account").status_code == 302
    assert signed_in.portal("/account").status_code == 302
    with app.app_context():
        assert not [s for s in db.session.scalars(select(PortalSession)) if s.resident_id]
    (event,) = audit_events(app, "signed_out_everywhere")
    assert event.detail["sessions_ended"] == 2


def test_delete_asks_first_and_says_reports_stay_with_councils(signed_in, client_request):
    page = client_request.get("/account/delete", host=HOST)
    assert "stay with that council" in page.get_text()
    assert (
        page.select_one("form[action='/account/delete'] button").get_text(strip=True)
        == "Delete my portal data"
    )


def test_delete_my_portal_data(app, signed_in, client_request):
    response = client_request.post_form("/account/delete", {}, host=HOST)
    assert "/idp/logout" in response.location
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Resident)) == 0
    assert signed_in.portal("/account").status_code == 302
    assert audit_events(app, "resident_data_deleted")


def test_delete_without_the_form_token_changes_nothing(app, signed_in):
    response = signed_in.client.post("/account/delete", data={}, headers={"Host": HOST})
    assert response.status_code in (302, 400)
    assert resident(app) is not None


@pytest.fixture
def council_tax_back_office(app, connector_registry, signed_in):
    """The sandbox's council tax systems, with Priya signed in and her home address on her account."""
    from app.backoffice import use_registry

    limiter.reset()
    with app.app_context():
        db.session.scalar(select(Resident)).home_uprn = PRIYA.uprn
        db.session.commit()
    previous = app.extensions.get("connectors")
    use_registry(app, connector_registry)
    yield connector_registry
    use_registry(app, previous)


def link_form(reference=PRIYA.council_tax_reference, postcode="nr180sx", surname="shah"):
    return {"council": "south-norfolk", "reference": reference, "postcode": postcode, "surname": surname}


def test_linking_a_council_tax_account_makes_the_resident_verified(
    app, signed_in, client_request, council_tax_back_office
):
    response = client_request.post_form("/account/council-tax/link?next=/account", link_form(), host=HOST)
    assert response.location == "/account"
    page = client_request.get("/account", host=HOST)
    assert "Signed in, not verified" not in page.get_text()
    assert f"South Norfolk Council, account {PRIYA.council_tax_reference}" in page.get_text()
    (event,) = audit_events(app, "council_tax_link_checked")
    assert event.detail == {"matched": True, "at_home": True, "linked_council": "south-norfolk"}


def test_a_council_tax_mismatch_is_explained_and_keeps_the_answers(
    app, signed_in, client_request, council_tax_back_office
):
    page = client_request.post_form(
        "/account/council-tax/link", link_form(surname="Someone"), host=HOST, expected_status=200
    )
    assert "do not match a council tax account" in page.select_one(".govuk-error-summary").get_text()
    assert page.select_one("input[name=surname]")["value"] == "Someone"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(LinkedCouncilAccount)) == 0


def test_a_council_tax_system_that_is_down_is_explained(
    app, signed_in, client_request, council_tax_back_office, sandbox
):
    sandbox.inject("council_tax", "down")
    page = client_request.post_form("/account/council-tax/link", link_form(), host=HOST, expected_status=200)
    assert "We cannot check council tax accounts at the moment" in page.get_text()
