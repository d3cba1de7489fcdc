"""Bin days without an account, the private calendar feed and the day-before reminders, against the sandbox's
bin back offices over real HTTP."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from app.bins import bin_days, reminders
from app.extensions import db, limiter
from app.models.bins import BinCalendarFeed, BinReminder, SentBinReminder
from app.models.identity import Resident
from app.models.reports import MailboxMessage, OutboxMessage
from app.reports import outbox
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.test_dashboard import tile

PRIYA, TOM, MARGARET, DAVID = DEMO_RESIDENTS
NORWICH = "norwich.localhost"
POLICY = outbox.DeliveryPolicy(
    max_failures=3, base_delay=timedelta(0), max_delay=timedelta(0), lease=timedelta(minutes=1)
)


def event_days(calendar: str, summary: str | None = None) -> set[str]:
    """The DTSTART days of the calendar's events (of one bin's, given its summary)."""
    days, start = set(), None
    for line in calendar.split("\r\n"):
        if line.startswith("DTSTART"):
            start = line.split(":", 1)[1]
        elif line.startswith("SUMMARY:") and (summary is None or line == f"SUMMARY:{summary}"):
            days.add(start)
    return days


def shown_collections(page) -> dict[str, str]:
    return {
        row.select_one("dt").get_text(strip=True): row.select_one("dd strong").get_text(strip=True)
        for row in page.select("main .govuk-summary-list__row")
    }


def test_a_guest_finds_bin_days_by_postcode_and_address(client, client_request, back_offices):  # noqa: F811
    page = client_request.get("/", host=NORWICH)
    assert page.select_one("main a[href='/bin-days/']")
    response = client_request.post_form("/bin-days/", {"postcode": "nr2 2pe"}, host=NORWICH)
    assert response.location == "/bin-days/address?postcode=NR2+2PE"
    response = client_request.post_form(response.location, {"uprn": TOM.uprn}, host=NORWICH)
    assert response.location == f"/bin-days/{TOM.uprn}"

    page = client_request.get(response.location, host=NORWICH)
    assert "41 Unthank Road" in page.select_one("main .govuk-caption-l").get_text()
    assert "Norwich City Council empties the bins" in page.select_one("main").get_text()
    collections = shown_collections(page)
    assert set(collections) == {"General waste", "Recycling", "Food waste"}, collections
    assert all(day.startswith("Thursday") for day in collections.values()), collections  # Tom's round

    calendar = client.get(f"/bin-days/{TOM.uprn}/bin-collections.ics", headers={"Host": NORWICH})
    assert calendar.status_code == 200 and calendar.mimetype == "text/calendar"
    body = calendar.get_data(as_text=True)
    assert (
        body.startswith("BEGIN:VCALENDAR\r\n")
        and "X-WR-CALNAME:Bin collections (Norwich City Council)" in body
    )
    assert len(event_days(body, "Food waste")) == 6


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("", "Enter a postcode"),
        ("not a postcode", "Enter a real postcode"),
        ("SW1A 1AA", "could not find any addresses for SW1A 1AA"),
    ],
)
def test_a_postcode_that_finds_nothing_says_why_and_keeps_what_was_typed(
    client_request,
    back_offices,  # noqa: F811
    postcode,
    message,
):
    page = client_request.post_form("/bin-days/", {"postcode": postcode}, host=NORWICH, expected_status=200)
    assert message in page.select_one(".govuk-error-summary").get_text()
    assert page.select_one("#postcode")["value" if postcode else "id"] == (postcode or "postcode")
    assert page.title.string.startswith("Error: ")


def test_an_unknown_address_and_a_council_system_that_is_down(client, back_offices, sandbox):  # noqa: F811
    assert client.get("/bin-days/999999999999", headers={"Host": NORWICH}).status_code == 404
    sandbox.inject("bins", "down")
    response = client.get(f"/bin-days/{TOM.uprn}", headers={"Host": NORWICH})
    assert response.status_code == 503
    assert "not answering" in response.get_data(as_text=True)


def test_looking_up_bin_days_is_rate_limited_per_client(app, client, back_offices):  # noqa: F811
    app.config["BIN_DAYS_RATE_LIMIT"] = "2 per minute"
    limiter.reset()
    try:
        for _ in range(2):
            assert client.get(f"/bin-days/{TOM.uprn}", headers={"Host": NORWICH}).status_code == 200
        refused = client.get(f"/bin-days/{TOM.uprn}/bin-collections.ics", headers={"Host": NORWICH})
        assert refused.status_code == 429
        assert "looked up a lot of bin days" in refused.get_data(as_text=True)
    finally:
        app.config["BIN_DAYS_RATE_LIMIT"] = "1000 per minute"
        limiter.reset()


def _new_feed_url(client, client_request, host: str) -> str:
    client_request.post_form("/bin-days/yours", {"action": "new"}, host=host)
    page = client_request.get("/bin-days/yours", host=host)
    url = page.select_one("main code").get_text(strip=True)
    webcal = page.select_one("main a[href^='webcal:']")["href"]
    assert webcal == "webcal:" + url.split(":", 1)[1]
    # Shown once: the page does not show it again.
    assert client_request.get("/bin-days/yours", host=host).select_one("main code") is None
    return url


def test_the_calendar_feed_is_private_revocable_and_has_the_tiles_dates(
    app,
    client,
    sign_in,  # noqa: F811
    client_request,
    back_offices,  # noqa: F811
):
    resident_id = sign_in(PRIYA, host="south-norfolk.localhost")
    host = "south-norfolk.localhost"
    dashboard = client_request.get("/dashboard?javascript=off", host=host)
    assert tile(dashboard, "bins").select_one("a[href='/bin-days/yours']")
    url = _new_feed_url(client, client_request, host)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43

    with app.app_context():
        feed = db.session.scalar(select(BinCalendarFeed).where(BinCalendarFeed.resident_id == resident_id))
        assert feed.token_hash != token and token not in feed.token_hash and len(feed.token_hash) == 64

    calendar_app = app.test_client()  # a calendar app: no session, no cookies
    response = calendar_app.get(url.split(host, 1)[1], headers={"Host": host})
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"].startswith("private")
    body = response.get_data(as_text=True)
    tile_days = {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(" ", strip=True)
        for row in tile(dashboard, "bins").select(".govuk-summary-list__row")
    }
    for name, shown in tile_days.items():
        first = min(event_days(body, name))
        assert shown.startswith(format_date(date.fromisoformat(first), "EEEE d MMMM y", locale="en")), (
            name,
            first,
        )
    with app.app_context():
        assert db.session.get(BinCalendarFeed, feed.id).last_fetched_at is not None

    # A new link: the old one stops working, the new one works.
    new_url = _new_feed_url(client, client_request, host)
    assert new_url != url
    assert calendar_app.get(url.split(host, 1)[1], headers={"Host": host}).status_code == 404
    assert calendar_app.get(new_url.split(host, 1)[1], headers={"Host": host}).status_code == 200

    data = client_request.get("/account/your-data.json", host=host).json
    assert data["bin_calendar_feed"]["created_at"] and token not in str(data)

    client_request.post_form("/bin-days/yours", {"action": "stop"}, host=host)
    assert calendar_app.get(new_url.split(host, 1)[1], headers={"Host": host}).status_code == 404
    assert calendar_app.get("/bin-days/feed/not-a-token.ics", headers={"Host": host}).status_code == 404


def test_a_reminder_is_emailed_once_the_day_before_a_collection_and_stops_with_one_click(
    app,
    client,
    sign_in,  # noqa: F811
    client_request,
    back_offices,  # noqa: F811
):
    resident_id = sign_in(TOM, host=NORWICH)
    page = client_request.post_form("/bin-days/yours", {"action": "start"}, host=NORWICH, form_index=1)
    assert page.location == "/bin-days/yours#reminders"
    page = client_request.get("/bin-days/yours", host=NORWICH)
    assert "We email tom.blake@example.com the day before each collection" in page.get_text()

    with app.app_context():
        from app.bins import bin_days

        days = bin_days(TOM.uprn)
        collection_day = days.collections[0].next_date
        due = sorted(c.name for c in days.collections if collection_day in c.upcoming)
        the_day_before = collection_day - timedelta(days=1)
        assert reminders.send_due(today=the_day_before - timedelta(days=1)) == 0  # two days before: nothing
        assert reminders.send_due(today=the_day_before) == 1
        assert reminders.send_due(today=the_day_before) == 0  # once per collection, however often it looks
        outbox.run_once("bins-test", POLICY)
        outbox.run_once("bins-test", POLICY)
        [email] = db.session.scalars(
            select(MailboxMessage).where(MailboxMessage.recipient == TOM.email)
        ).all()
        assert email.subject == "Bin collection tomorrow: " + ", ".join(
            c.name for c in days.collections if collection_day in c.upcoming
        )
        assert all(name in email.body for name in due)
        stop_url = next(line for line in email.body.split() if "/bin-days/reminders/stop/" in line)
        assert db.session.scalar(select(func.count()).select_from(SentBinReminder)) == 1
        message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert message.payload["unsubscribe_url"] == stop_url

    stranger = app.test_client()  # the link works without signing in
    path = urlsplit(stop_url).path
    assert stranger.get(path, headers={"Host": NORWICH}).status_code == 200
    stopped = stranger.post(path, headers={"Host": NORWICH}, data={"List-Unsubscribe": "One-Click"})
    assert stopped.status_code == 200 and "reminders stopped" in stopped.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(BinReminder).where(BinReminder.resident_id == resident_id)) is None
        assert reminders.send_due(today=the_day_before + timedelta(days=7)) == 0
    assert stranger.get(path[:-3] + "xyz", headers={"Host": NORWICH}).status_code == 404


def test_reminders_and_feeds_are_in_the_residents_data_and_go_with_it(
    app,
    client,
    sign_in,  # noqa: F811
    client_request,
    back_offices,  # noqa: F811
):
    resident_id = sign_in(TOM, host=NORWICH)
    client_request.post_form("/bin-days/yours", {"action": "start"}, host=NORWICH, form_index=1)
    client_request.post_form("/bin-days/yours", {"action": "new"}, host=NORWICH)
    with app.app_context():
        collection_day = bin_days(TOM.uprn).collections[0].next_date
        assert reminders.send_due(today=collection_day - timedelta(days=1)) == 1
    data = client_request.get("/account/your-data.json", host=NORWICH).json
    assert data["bin_reminders"]["reminders_on"] is True
    assert data["bin_reminders"]["sent"] == [
        {"collection_date": collection_day.isoformat(), "uprn": TOM.uprn}
    ]
    assert data["bin_calendar_feed"] is not None

    client_request.post_form("/account/delete", {}, host=NORWICH)
    with app.app_context():
        assert db.session.get(Resident, resident_id) is None
        for model in (BinCalendarFeed, BinReminder, SentBinReminder):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
