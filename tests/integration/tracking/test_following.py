"""Following a report: a guest gives an email and confirms it from the email (a GET changes nothing); every
mistake is shown in GOV.UK style."""

from sqlalchemy import select

from app.extensions import db
from app.models.tracking import Subscription
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
