"""Following a report: a guest gives an email and confirms it from the email (a GET changes nothing); every
mistake is shown in GOV.UK style."""

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.reports import MessageKind, OutboxMessage
from app.models.tracking import Subscription, utcnow
from tests.conftest import ClientRequest
from tests.integration.tracking.conftest import link_in

HOST = "norwich.localhost"


def _subscriptions() -> list[Subscription]:
    return list(db.session.scalars(select(Subscription)))


def test_a_guest_must_give_a_real_email_address(app, portal):
    report = portal.sent_pothole(None)
    guest = ClientRequest(app.test_client())
    path = f"/requests/report/norfolk/{report.service_request_id}"
    for given, message in (("", "Enter your email address"), ("not an email", "correct format")):
        page = guest.post_form(path, {"email": given}, host=HOST, expected_status=200)
        summary = page.select_one(".govuk-error-summary")
        assert message in summary.get_text()
        assert summary.select_one("a")["href"] == "#email"
        assert page.select_one("#email")["value"] == given if given else True
    assert portal(_subscriptions) == []


def test_a_guest_subscription_waits_for_confirmation_and_a_get_confirms_nothing(app, portal):
    report = portal.sent_pothole(None)
    guest = ClientRequest(app.test_client())
    path = f"/requests/report/norfolk/{report.service_request_id}"
    page = guest.get(guest.post_form(path, {"email": "Next.Door@Example.com"}, host=HOST).location, host=HOST)
    assert page.h1.get_text(strip=True) == "Check your email"
    portal.deliver()
    [email] = portal.mailbox("next.door@example.com")
    confirm = link_in(email.body, "/requests/follow/confirm/")
    guest.get(confirm, host=HOST)
    guest.get(confirm, host=HOST)
    [subscription] = portal(_subscriptions)
    assert subscription.confirmed_at is None
    guest.post_form(confirm, {}, host=HOST)
    [subscription] = portal(_subscriptions)
    assert subscription.confirmed_at is not None
    guest.get(confirm[:-4] + "abcd", host=HOST, expected_status=404)


def _follow(guest, report, email, expected_status=302):
    path = f"/requests/report/norfolk/{report.service_request_id}"
    return guest.post_form(path, {"email": email}, host=HOST, expected_status=expected_status)


def _sent_to(portal, email) -> int:
    def count():
        return len(
            db.session.scalars(
                select(OutboxMessage)
                .filter_by(kind=MessageKind.EMAIL)
                .where(OutboxMessage.payload["to"].as_string() == email)
            ).all()
        )

    return portal(count)


def test_a_pending_confirmation_is_not_sent_again(app, portal):
    report = portal.sent_pothole(None)
    guest = ClientRequest(app.test_client())
    _follow(guest, report, "victim@example.com")
    for _ in range(24):
        page = _follow(guest, report, "Victim@Example.com", expected_status=200)
        assert page.h1.get_text(strip=True) == "Check your email"
        assert "We already sent a link to this email address at " in page.get_text()
        assert "We have not sent another email" in page.get_text()
    assert _sent_to(portal, "victim@example.com") == 1


def test_another_confirmation_once_the_first_link_has_expired(app, portal):
    report = portal.sent_pothole(None)
    guest = ClientRequest(app.test_client())
    _follow(guest, report, "late@example.com")

    def first_sent_long_ago():
        [subscription] = _subscriptions()
        subscription.confirmation_sent_at = utcnow() - timedelta(days=8)
        db.session.commit()

    portal(first_sent_long_ago)
    _follow(guest, report, "late@example.com")
    assert _sent_to(portal, "late@example.com") == 2


def test_confirmations_to_one_address_are_rate_limited(app, portal, monkeypatch):
    monkeypatch.setitem(app.config, "FOLLOW_EMAIL_RATE_LIMIT", "2 per hour")
    reports = [portal.sent_pothole(None) for _ in range(3)]
    for report in reports[:2]:
        _follow(ClientRequest(app.test_client()), report, "target@example.com")
    page = ClientRequest.check_page(
        _follow(ClientRequest(app.test_client()), reports[2], "target@example.com", expected_status=429)
    )
    [message] = [a.get_text(strip=True) for a in page.select(".govuk-error-summary a")]
    assert message.startswith(
        "We have sent a lot of emails to this address in a short time. Try again after "
    )
    assert page.select_one("#email")["value"] == "target@example.com"
    assert _sent_to(portal, "target@example.com") == 2


def test_follow_requests_are_rate_limited_per_client(app, portal, monkeypatch):
    monkeypatch.setitem(app.config, "FOLLOW_RATE_LIMIT", "3 per hour")
    report = portal.sent_pothole(None)
    guest = ClientRequest(app.test_client())
    for number in range(3):
        _follow(guest, report, f"person{number}@example.com")
    page = ClientRequest.check_page(_follow(guest, report, "person3@example.com", expected_status=429))
    [message] = [a.get_text(strip=True) for a in page.select(".govuk-error-summary a")]
    assert message.startswith("You have asked to follow a lot of reports in a short time. Try again after ")
    assert _sent_to(portal, "person3@example.com") == 0


def test_a_guest_cannot_resubscribe_an_address_that_unsubscribed(app, portal):
    report = portal.sent_pothole(None)
    guest = ClientRequest(app.test_client())
    _follow(guest, report, "was.following@example.com")
    portal.deliver()
    [email] = portal.mailbox("was.following@example.com")
    guest.post_form(link_in(email.body, "/requests/follow/confirm/"), {}, host=HOST)
    guest.client.post(link_in(email.body, "/requests/unsubscribe/"), headers={"Host": HOST})
    [subscription] = portal(_subscriptions)
    assert subscription.unsubscribed_at is not None

    _follow(ClientRequest(app.test_client()), report, "was.following@example.com")
    [subscription] = portal(_subscriptions)
    assert not subscription.active
    assert _sent_to(portal, "was.following@example.com") == 2  # a new confirmation, nothing else
