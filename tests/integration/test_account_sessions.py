"""ASVS 7.5.2: a resident sees where they are signed in and ends any one session, or every other, having
entered their password again; they can never end (or even find) another resident's session."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from app.extensions import db
from app.models.identity import Resident
from app.sessions import AUTH_TIME_KEY, session_handle
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.conftest import ClientRequest
from tests.integration.auth.conftest import (  # noqa: F401 - fixtures
    Visitor,
    audit_events,
    path_of,
    sandbox_idp,
    with_sandbox_idp,
)

PRIYA, TOM = DEMO_RESIDENTS[0], DEMO_RESIDENTS[1]
FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_ON_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)


def browser(app, host: str, user_agent: str, resident=PRIYA) -> Visitor:
    """A browser of its own (cookies, and its own sign-in at the provider) signed in as `resident`."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    visitor = Visitor(client, host=host)
    assert visitor.sign_in_at_sandbox(resident).status_code == 302
    return visitor


@pytest.fixture
def laptop(app, with_sandbox_idp):  # noqa: F811 - the imported fixture
    return browser(app, "south-norfolk.localhost", FIREFOX_ON_WINDOWS)


@pytest.fixture
def phone(app, with_sandbox_idp):  # noqa: F811 - the imported fixture
    return browser(app, "norwich.localhost", CHROME_ON_ANDROID)


def signed_in(visitor: Visitor) -> bool:
    response = visitor.portal("/account")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def sessions_page(visitor: Visitor):
    return ClientRequest(visitor.client).get("/account/sessions", host=visitor.host)


def end_button(page, device: str):
    return next(
        button
        for button in page.select("main form button")
        if button.get_text(" ", strip=True).startswith(f"End session on {device}")
    )


def post_form_of(visitor: Visitor, button):
    form = button.find_parent("form")
    fields = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    return visitor.client.post(form["action"], data=fields, headers={"Host": visitor.host})


def password_entered_long_ago(app, resident_email: str) -> None:
    """Every session of the resident says the password was entered two hours ago."""
    with app.app_context():
        resident_id = db.session.scalar(db.select(Resident.id).where(Resident.email == resident_email))
        store = app.session_interface.store
        for id_hash, stored in store.sessions_of_resident(resident_id).items():
            stored.data[AUTH_TIME_KEY] = int(time.time()) - 2 * 3600
            store.save(id_hash, stored)


def test_the_list_shows_each_session_with_its_browser_domain_and_times(laptop, phone):
    page = sessions_page(laptop)
    cards = page.select(".govuk-summary-card")
    assert len(cards) == 2
    this, other = cards
    assert this.select_one("h2").get_text(" ", strip=True) == "Firefox on Windows This session"
    this_text = this.get_text(" ", strip=True)
    assert "Signed in on South Norfolk Council (south-norfolk.localhost)" in this_text
    assert re.search(r"Started \d{1,2}:\d\d (AM|PM|am|pm) on \d{1,2} \w+ \d{4}", this_text)
    assert re.search(r"Last active \d{1,2}:\d\d (AM|PM|am|pm) on", this_text)
    assert not this.select("button"), "this browser's session ends by signing out"
    assert other.select_one("h2").get_text(" ", strip=True) == "Chrome on Android"
    assert "Signed in on Norwich City Council (norwich.localhost)" in other.get_text(" ", strip=True)
    # The button's accessible name says which session it ends.
    assert re.fullmatch(
        r"End session on Chrome on Android, last active .+",
        end_button(page, "Chrome on Android").get_text(" ", strip=True),
    )
    assert page.select_one("form[action='/account/sessions/end-others'] button")


def test_the_account_page_links_to_the_list(laptop):
    page = ClientRequest(laptop.client).get("/account", host=laptop.host)
    assert page.select_one("a[href='/account/sessions']")


def test_the_list_needs_signing_in(client):
    response = client.get("/account/sessions", headers={"Host": "norwich.localhost"})
    assert response.status_code == 302 and response.location.startswith("/sign-in?next=")


def test_ending_one_session_signs_out_that_browser_only(app, laptop, phone):
    tablet = browser(app, "norfolk.localhost", SAFARI_ON_IPHONE)
    response = post_form_of(laptop, end_button(sessions_page(laptop), "Chrome on Android"))
    assert response.status_code == 302 and response.location == "/account/sessions"
    page = sessions_page(laptop)
    assert (
        "You have ended the session on Chrome on Android."
        in page.select_one(".govuk-notification-banner").text
    )
    assert [card.h2.get_text(" ", strip=True) for card in page.select(".govuk-summary-card")] == [
        "Firefox on Windows This session",
        "Safari on iPhone",
    ]
    assert not signed_in(phone)
    assert signed_in(laptop) and signed_in(tablet)
    assert audit_events(app, "session_ended_by_resident")[-1].detail["ended"] is True


def test_ending_every_other_session_keeps_this_one(app, laptop, phone):
    tablet = browser(app, "norfolk.localhost", SAFARI_ON_IPHONE)
    page = sessions_page(laptop)
    response = post_form_of(laptop, page.select_one("form[action='/account/sessions/end-others'] button"))
    assert response.status_code == 302
    assert not signed_in(phone) and not signed_in(tablet)
    assert signed_in(laptop)
    page = sessions_page(laptop)
    assert len(page.select(".govuk-summary-card")) == 1
    assert "You are not signed in anywhere else." in page.text
    assert audit_events(app, "other_sessions_ended_by_resident")[-1].detail["sessions_ended"] == 2


def test_ending_a_session_needs_the_password_again_when_it_was_entered_long_ago(app, laptop, phone):
    password_entered_long_ago(app, PRIYA.email)
    page = sessions_page(laptop)
    assert "you will be asked to enter your password again" in page.text
    button = end_button(page, "Chrome on Android")
    confirm_path = button.find_parent("form")["action"]

    response = post_form_of(laptop, button)
    assert response.status_code == 302
    assert response.location == f"/sign-in/again?next={confirm_path}"
    assert signed_in(phone), "nothing ends before the password is entered again"

    authorize = laptop.portal(response.location).location
    asked = parse_qs(urlsplit(authorize).query)
    assert asked["max_age"] == ["0"] and asked["prompt"] == ["login"]
    # The provider still has a session for this browser, but asks for the password anyway.
    form = laptop.provider.get(authorize, timeout=5)
    assert form.status_code == 200 and 'name="password"' in form.text
    answer = laptop.provider.post(
        authorize,
        data={"email": PRIYA.email, "password": PRIYA.password, "action": "sign-in"},
        allow_redirects=False,
        timeout=5,
    )
    back = laptop.callback(answer.headers["Location"])
    assert back.status_code == 302 and back.location == confirm_path

    confirm = ClientRequest(laptop.client).get(confirm_path, host=laptop.host)
    assert confirm.h1.get_text(strip=True) == "End the session on Chrome on Android"
    assert signed_in(phone)
    response = ClientRequest(laptop.client).post_form(confirm_path, {}, host=laptop.host)
    assert response.location == "/account/sessions"
    assert not signed_in(phone)
    assert signed_in(laptop)


def test_the_password_of_someone_else_does_not_confirm(app, laptop, phone):
    password_entered_long_ago(app, PRIYA.email)
    button = end_button(sessions_page(laptop), "Chrome on Android")
    authorize = laptop.portal(post_form_of(laptop, button).location).location
    answer = laptop.provider.post(
        authorize,
        data={"email": TOM.email, "password": TOM.password, "action": "sign-in"},
        allow_redirects=False,
        timeout=5,
    )
    problem = laptop.callback(answer.headers["Location"])
    assert problem.status_code == 400
    assert "different account" in problem.get_data(as_text=True)
    assert signed_in(phone)
    assert "Priya Shah" in ClientRequest(laptop.client).get("/account", host=laptop.host).text


def test_a_resident_cannot_end_another_residents_session(app, laptop):
    someone_else = browser(app, "norwich.localhost", CHROME_ON_ANDROID, resident=TOM)
    with app.app_context():
        tom_id = db.session.scalar(db.select(Resident.id).where(Resident.email == TOM.email))
        (tom_hash,) = app.session_interface.store.sessions_of_resident(tom_id)
    page = sessions_page(laptop)
    assert len(page.select(".govuk-summary-card")) == 1, "only her own sessions are listed"
    token = page.select_one("input[name=csrf_token]")["value"]
    for path in (f"/account/sessions/{session_handle(tom_hash)}/end", f"/account/sessions/{tom_hash}/end"):
        response = laptop.client.post(path, data={"csrf_token": token}, headers={"Host": laptop.host})
        assert response.status_code == 404
        assert laptop.portal(path).status_code == 404
    response = laptop.client.post(
        "/account/sessions/end-others", data={"csrf_token": token}, headers={"Host": laptop.host}
    )
    assert signed_in(someone_else)


def test_ending_a_session_needs_the_forms_csrf_token(laptop, phone):
    button = end_button(sessions_page(laptop), "Chrome on Android")
    response = laptop.client.post(button.find_parent("form")["action"], headers={"Host": laptop.host})
    assert response.status_code == 400
    assert signed_in(phone)


def test_the_sessions_are_in_download_my_data_and_go_on_erasure(app, laptop, phone):
    data = json.loads(laptop.portal("/account/your-data.json").get_data(as_text=True))
    sessions = data["signed_in_sessions"]
    assert sorted(entry["device"] for entry in sessions) == ["Chrome on Android", "Firefox on Windows"]
    assert {entry["signed_in_on"]["host"] for entry in sessions} == {
        "south-norfolk.localhost",
        "norwich.localhost",
    }
    assert all(entry["started_at"] and entry["last_active_at"] for entry in sessions)
    assert "id_hash" not in json.dumps(sessions)

    with app.app_context():
        priya_id = db.session.scalar(db.select(Resident.id).where(Resident.email == PRIYA.email))
    response = ClientRequest(laptop.client).post_form("/account/delete", {}, host=laptop.host)
    assert response.status_code == 302
    with app.app_context():
        assert app.session_interface.store.sessions_of_resident(priya_id) == {}
    assert not signed_in(phone)
