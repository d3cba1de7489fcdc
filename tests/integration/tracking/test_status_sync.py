"""A status change made in the council's back office reaches the case page and each follower's mailbox exactly
once, however often the worker polls; a back office that fails is backed off."""

from sqlalchemy import select

from app.extensions import db
from app.models.reports import OutboxMessage
from app.models.tracking import PollCursor, StatusEvent
from app.tracking import sync
from connectors.clock import as_utc, utcnow
from tests.conftest import ClientRequest
from tests.integration.tracking.conftest import (
    HOST,
    PRIYA,
    TOM,
    council_changes,
    link_in,
    sign_in,
)
from tests.support.calls_out import calls_out

GUEST = "neighbour@example.net"


def test_a_status_change_reaches_the_case_page_and_every_follower_exactly_once(app, portal, priya, sandbox):
    report = portal.sent_pothole(PRIYA.email, resident_email=PRIYA.email)
    public_path = f"/requests/report/norfolk/{report.service_request_id}"

    # A guest neighbour follows it by email, confirmed through the link in the email.
    guest = ClientRequest(app.test_client())
    response = guest.post_form(public_path, {"email": GUEST}, host="norwich.localhost")
    assert response.location.endswith("/check-your-email")
    portal.deliver()
    [confirmation] = portal.mailbox(GUEST)
    assert "/requests/unsubscribe/" in confirmation.body
    confirm_path = link_in(confirmation.body, "/requests/follow/confirm/")
    page = guest.get(confirm_path, host="norwich.localhost")
    assert page.select_one("form button")
    guest.post_form(confirm_path, {}, host="norwich.localhost")

    # Another resident follows it with one click.
    tom = ClientRequest(sign_in(app, TOM, host="norwich.localhost").client)
    tom.post_form(public_path, {}, host="norwich.localhost", form_index=0)
    assert "You are following this report" in tom.get(public_path, host="norwich.localhost").get_text()

    council_changes(sandbox, report.service_request_id, status="closed", description="Filled and sealed.")
    first, second = portal.poll(), portal.poll()
    portal.deliver()
    portal.deliver()

    assert sum(outcome.new_events for outcome in first) == 1
    assert sum(outcome.new_events for outcome in second) == 0
    for follower in (PRIYA.email, TOM.email, GUEST):
        news = [message for message in portal.mailbox(follower) if message.subject.startswith("Update on")]
        assert len(news) == 1, follower
        assert "Fixed" in news[0].subject
        assert "Filled and sealed." in news[0].body
        assert "/requests/unsubscribe/" in news[0].body
    # Each queued email also carries its unsubscribe link for the List-Unsubscribe header.
    queued = portal(lambda: [message.payload for message in db.session.scalars(select(OutboxMessage))])
    assert all(
        "/requests/unsubscribe/" in payload["unsubscribe_url"] for payload in queued if "to" in payload
    )

    page = ClientRequest(priya.client).get(f"/requests/{report.reference}", host=HOST)
    assert "Fixed" in page.select_one(".govuk-summary-list").get_text()
    entries = page.select("ol.app-timeline > li")
    assert [entry.select_one("h3").get_text(strip=True) for entry in entries][-1] == "Fixed"
    assert entries[-1].select_one("time[datetime]")
    assert "Filled and sealed." in entries[-1].get_text()
    assert page.select_one(f"a[href='/requests/{report.reference}/not-fixed']")


def test_unsubscribing_with_one_click_stops_the_emails(app, portal, priya, sandbox):
    report = portal.sent_pothole(PRIYA.email, resident_email=PRIYA.email)
    council_changes(sandbox, report.service_request_id, status="open", description="Inspector booked.")
    portal.poll()
    portal.deliver()
    [news] = portal.mailbox(PRIYA.email)
    unsubscribe_path = link_in(news.body, "/requests/unsubscribe/")

    anyone = ClientRequest(app.test_client())
    page = anyone.get(unsubscribe_path, host=HOST)
    assert page.select_one("form[method=post] button")
    # A GET changes nothing: link checkers in mail programs follow links.
    council_changes(sandbox, report.service_request_id, status="open", description="Repair scheduled.")
    portal.poll()
    portal.deliver()
    assert len(portal.mailbox(PRIYA.email)) == 2

    # The one-click POST a mail program sends (RFC 8058) carries no CSRF token.
    response = anyone.client.post(
        unsubscribe_path, data={"List-Unsubscribe": "One-Click"}, headers={"Host": HOST}
    )
    assert response.status_code == 200
    council_changes(sandbox, report.service_request_id, status="closed", description="Repaired.")
    portal.poll()
    portal.deliver()
    assert len(portal.mailbox(PRIYA.email)) == 2

    tampered = unsubscribe_path[:-3] + "xyz"
    anyone.get(tampered, host=HOST, expected_status=404)


def test_handed_on_closures_name_who_is_responsible(app, portal, priya, sandbox):
    report = portal.sent_pothole(PRIYA.email, resident_email=PRIYA.email)
    council_changes(
        sandbox,
        report.service_request_id,
        status="closed",
        update_status="NOT_COUNCILS_RESPONSIBILITY",
        description="This road is a trunk road.",
        agency_responsible="National Highways",
    )
    with calls_out() as calls:
        portal.poll()
    # The back office is asked for its updates and who is responsible without a database connection held.
    assert any("service_request_id=" in call.url for call in calls)
    assert [call for call in calls if call.holding_connection] == []
    portal.deliver()
    page = ClientRequest(priya.client).get(f"/requests/{report.reference}", host=HOST)
    assert "Not our responsibility" in page.select_one(".govuk-summary-list").get_text()
    assert "National Highways is responsible for it" in page.get_text()
    [news] = portal.mailbox(PRIYA.email)
    assert "Who is responsible now: National Highways" in news.body


def test_a_failing_back_office_is_backed_off_and_the_others_still_polled(app, portal, priya, sandbox):
    report = portal.sent_pothole(PRIYA.email, resident_email=PRIYA.email)
    council_changes(sandbox, report.service_request_id, status="open", description="Inspector booked.")
    sandbox.inject("open311", "down", council="norfolk")
    outcomes = {(outcome.council_slug, outcome.source): outcome for outcome in portal.poll()}
    assert outcomes[("norfolk", "open311")].error
    assert not outcomes[("norwich", "open311")].error
    cursor = portal(lambda: db.session.get(PollCursor, ("norfolk", "open311")))
    assert cursor.failures == 1
    assert as_utc(cursor.next_poll_at) > utcnow()
    # Not due yet: the next scheduled round leaves it alone.
    due = portal(sync.poll_due, "test", POLICY_DUE)
    assert ("norfolk", "open311") not in {(outcome.council_slug, outcome.source) for outcome in due}

    sandbox.clear_faults()
    again = {(outcome.council_slug, outcome.source): outcome for outcome in portal.poll()}
    assert not again[("norfolk", "open311")].error
    assert portal(lambda: db.session.get(PollCursor, ("norfolk", "open311"))).failures == 0
    assert portal(
        lambda: db.session.scalar(select(StatusEvent).filter_by(case_key=report.service_request_id))
    )


POLICY_DUE = sync.PollPolicy(interval=sync.timedelta(minutes=2), max_delay=sync.timedelta(hours=1))


def test_a_resident_who_said_no_emails_is_not_emailed_about_their_report(app, portal, priya, sandbox):
    from app.models.identity import Resident

    def no_emails():
        db.session.scalars(select(Resident)).one().contact_by_email = False
        db.session.commit()

    portal(no_emails)
    report = portal.sent_pothole(PRIYA.email, resident_email=PRIYA.email)
    council_changes(sandbox, report.service_request_id, status="closed", description="Repaired.")
    portal.poll()
    portal.deliver()
    assert portal.mailbox(PRIYA.email) == []
    # The change is still on the case page.
    page = ClientRequest(priya.client).get(f"/requests/{report.reference}", host=HOST)
    assert "Repaired." in page.select_one("ol.app-timeline").get_text()
