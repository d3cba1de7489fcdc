"""What residents and systems get wrong while paying: a tampered amount, the back button, two tabs, coming
back in another browser, GOV.UK Pay or the waste back office down, a day taken before the booking, a closed
tab. Never a second payment in progress, never a booking without a payment, never a payment left without a
booking or a refund."""

from datetime import date

import requests
from sqlalchemy import select, update

from app.extensions import db
from app.models.waste import WasteOrder
from app.views.waste import tracking_url
from app.waste import orders
from tests.integration.waste.conftest import (
    HOME,
    POLICY,
    deliver_all,
    mailbox,
    order,
    payers_gone_for,
    time_passes,
)
from tests.support.sandbox import API_KEY


def booked_reference(app) -> str:
    with app.app_context():
        return order().reference


def test_a_tampered_amount_changes_nothing(app, checkout, pay):
    journey = checkout().bulky({"sofa": 1, "fridge": 1})

    next_url = journey.pay_button(amount="1", amount_pence="1", total="1")

    page = requests.get(next_url, timeout=5)
    assert "£48.00" in page.text
    with app.app_context():
        assert [payment["amount"] for payment in pay.payments(order().reference)] == [4800]


def test_more_items_than_a_collection_takes_or_not_numbers_are_refused(checkout):
    journey = checkout().start("bulky").address()

    too_many = journey.answer({"item-sofa": "4", "item-fridge": "2"}, expected_status=400)
    assert "up to 5 items" in too_many.select_one(".govuk-error-summary").text
    negative = journey.answer({"item-sofa": "-1"}, expected_status=400)
    assert "whole number" in negative.select_one(".govuk-error-summary").text
    nothing = journey.answer({}, expected_status=400)
    assert "at least one item" in nothing.select_one(".govuk-error-summary").text
    assert nothing.select_one(".govuk-error-summary a")["href"] == "#item-sofa"
    assert nothing.select_one("#item-sofa")


def test_the_back_button_after_paying_shows_the_booking_and_never_pays_again(
    app, checkout, pay, client_request
):
    journey = checkout().bulky()
    check_path = journey.path
    pay_form = journey.page().select("form")[-1]
    resent = {field["name"]: field.get("value", "") for field in pay_form.select("input[type=hidden]")}
    journey.come_back(pay.pay(journey.pay_button()))

    back = client_request.client.get(check_path, headers={"Host": journey.host})
    assert back.location.endswith("/confirmation")
    again = client_request.client.post(pay_form["action"], data=resent, headers={"Host": journey.host})
    assert again.status_code == 302 and again.location.endswith("/confirmation")
    reference = booked_reference(app)
    assert len(pay.payments(reference)) == 1 and len(pay.bookings(reference)) == 1


def test_two_tabs_never_have_two_payments_in_progress(app, checkout, pay, client_request):
    journey = checkout().bulky()
    first_tab, second_tab = journey.pay_form(), journey.pay_form()
    first = journey.press(first_tab)

    second_tab = journey.press(second_tab, expected_status=302)

    assert second_tab.endswith("/payment-in-progress")
    in_progress = client_request.get(second_tab, host=journey.host)
    assert "You have already started paying" in in_progress.text
    reference = booked_reference(app)
    assert len(pay.payments(reference)) == 1

    # The second tab starts again: the first payment is cancelled at Pay before a new one is made.
    restart = client_request.post_form(second_tab, {}, host=journey.host, form_index=0)
    assert restart.location.endswith("/check")
    journey.path = restart.location
    second = journey.pay_button()
    states = sorted(payment["state"]["status"] for payment in pay.payments(reference))
    assert states == ["cancelled", "created"]
    assert "This payment has finished" in requests.get(first, timeout=5).text, (
        "the first can no longer be paid"
    )

    journey.come_back(pay.pay(second))
    assert len(pay.successful(reference)) == 1 and len(pay.bookings(reference)) == 1


def test_coming_back_in_another_browser_books_once(app, checkout, pay, client_request):
    journey = checkout().bulky()
    return_url = pay.pay(journey.pay_button())

    elsewhere = journey.come_back(return_url, client=app.test_client())
    here = journey.come_back(return_url)

    assert elsewhere.location.endswith("/confirmation") and here.location.endswith("/confirmation")
    other_browser = client_request.check_page(
        app.test_client().get(elsewhere.location, headers={"Host": journey.host})
    )
    reference = booked_reference(app)
    assert reference in other_browser.text
    with app.app_context():
        deliver_all()
    assert len(pay.successful(reference)) == 1 and len(pay.bookings(reference)) == 1
    assert len([m for m in mailbox_in(app) if "receipt" in m.subject.lower()]) == 1


def mailbox_in(app):
    with app.app_context():
        return mailbox()


def test_pay_down_says_so_charges_nothing_and_keeps_the_answers(app, checkout, pay, back_offices):
    journey = checkout().bulky()
    back_offices.inject("pay", "down")

    page = journey.pay_button(expected_status=503)

    text = page.get_data(as_text=True)
    assert "Payments are not working at the moment" in text and "You have not been charged" in text
    reference = booked_reference(app)
    with app.app_context():
        assert order().status == "draft"
    back_offices.clear_faults()
    assert pay.payments(reference) == []
    journey.come_back(pay.pay(journey.pay_button()))
    assert len(pay.successful(reference)) == 1 and len(pay.bookings(reference)) == 1


def test_pay_down_on_the_way_back_is_reconciled_by_the_worker(app, checkout, pay, back_offices):
    journey = checkout().bulky()
    return_url = pay.pay(journey.pay_button())
    back_offices.inject("pay", "down")

    back = journey.come_back(return_url)

    assert back.status_code == 503 and "We cannot check your payment" in back.get_data(as_text=True)
    back_offices.clear_faults()
    with app.app_context():
        payers_gone_for(minutes=6)
        orders.worker_step("test-worker")
        deliver_all()
        assert order().status == "booked"
    reference = booked_reference(app)
    assert len(pay.successful(reference)) == 1 and len(pay.bookings(reference)) == 1


def test_waste_back_office_down_while_paying_books_once_it_is_back(
    app, checkout, pay, back_offices, client_request
):
    journey = checkout().bulky()
    next_url = journey.pay_button()
    back_offices.inject("waste", "down")

    confirmation = client_request.get(journey.come_back(pay.pay(next_url)).location, host=journey.host)

    assert "Payment received" in confirmation.text and "keep trying" in confirmation.text
    reference = booked_reference(app)
    assert pay.successful(reference)
    with app.app_context():
        time_passes()
        deliver_all()
        assert order().status == "paid", "still down: still waiting, never refunded"
    back_offices.clear_faults()
    assert pay.bookings(reference) == []
    with app.app_context():
        time_passes()
        deliver_all()
        time_passes()
        deliver_all()
        assert order().status == "booked"
    assert len(pay.successful(reference)) == 1 and len(pay.bookings(reference)) == 1
    assert (
        "Collection booked"
        in client_request.get(f"/waste/{journey.token}/confirmation", host=journey.host).text
    )


def test_a_day_taken_before_the_booking_is_refunded_and_the_resident_told(
    app, checkout, pay, back_offices, client_request
):
    journey = checkout().bulky(slot=1)
    with app.app_context():
        day = order().answers["collection_date"]
    slots = requests.get(
        f"{back_offices.url}/waste/south-norfolk/bulky/slots",
        params={"uprn": HOME},
        headers={"X-API-Key": API_KEY},
        timeout=5,
    ).json()["slots"]
    places_left = next(slot["places_left"] for slot in slots if slot["date"] == day)
    for n in range(places_left):  # the day's places go to other residents while this one pays
        requests.post(
            f"{back_offices.url}/waste/south-norfolk/bookings",
            json={
                "kind": "bulky",
                "reference": f"OTHER-{day}-{n}",
                "uprn": HOME,
                "collection_date": day,
                "items": [{"code": "sofa", "name": "Sofa", "quantity": 1}],
                "location": "Drive",
                "amount": 2200,
                "payment_reference": "elsewhere",
            },
            headers={"X-API-Key": API_KEY},
            timeout=5,
        ).raise_for_status()

    confirmation = client_request.get(
        journey.come_back(pay.pay(journey.pay_button())).location, host=journey.host
    )

    assert "your collection day was taken" in confirmation.text
    reference = booked_reference(app)
    (payment,) = pay.successful(reference)
    assert payment["refund_summary"]["amount_submitted"] == payment["amount"]
    assert pay.bookings(reference) == []
    with app.app_context():
        assert order().status == "refunded"
        deliver_all()
        assert any("refund" in message.subject.lower() for message in mailbox())


def test_a_closed_tab_after_paying_is_booked_by_the_worker(app, checkout, pay):
    journey = checkout().bulky()
    pay.pay(journey.pay_button())  # paid, and never came back

    with app.app_context():
        payers_gone_for(minutes=2)
        orders.worker_step("test-worker")
        assert order().status == "paying", "not before five minutes"
        payers_gone_for(minutes=6)
        orders.worker_step("test-worker")
        deliver_all()
        assert order().status == "booked"
    reference = booked_reference(app)
    assert len(pay.successful(reference)) == 1 and len(pay.bookings(reference)) == 1


def test_a_payment_cancelled_on_pay_and_abandoned_goes_back_to_the_answers(app, checkout, pay):
    journey = checkout().bulky()
    pay.cancel(journey.pay_button())

    with app.app_context():
        payers_gone_for(minutes=2)
        orders.worker_step("test-worker")
        assert order().status == "paying", "not before five minutes"
        payers_gone_for(minutes=6)
        orders.worker_step("test-worker")
        cancelled = order()
        assert (cancelled.status, cancelled.payment_problem) == ("draft", "P0030")
        assert pay.bookings(cancelled.reference) == []


def test_a_payment_the_portal_lost_track_of_is_found_by_its_reference(app, checkout, pay):
    journey = checkout().bulky()
    pay.pay(journey.pay_button())
    with app.app_context():  # the portal stopped between creating the payment and recording it
        db.session.execute(update(WasteOrder).values(payment_id=None, checked_at=None))
        db.session.commit()

    with app.app_context():
        payers_gone_for(minutes=2)
        orders.worker_step("test-worker")
        assert order().status == "paying", "not before five minutes"
        payers_gone_for(minutes=6)
        orders.worker_step("test-worker")
        deliver_all()
        assert order().status == "booked"
    reference = booked_reference(app)
    assert len(pay.successful(reference)) == 1 and len(pay.bookings(reference)) == 1


def test_a_booking_retried_after_a_lost_answer_is_found_not_made_twice(
    app, checkout, pay, back_offices, monkeypatch
):
    journey = checkout().bulky()
    real_book = orders._book

    def book_then_lose_the_answer(order_, waste):
        real_book(order_, waste)
        raise orders.ConnectorError("south-norfolk", "waste", "timed out after the back office booked it")

    monkeypatch.setattr(orders, "_book", book_then_lose_the_answer)
    journey.come_back(pay.pay(journey.pay_button()))
    monkeypatch.setattr(orders, "_book", real_book)
    with app.app_context():
        assert order().status == "paid"
        time_passes()
        deliver_all()
        assert order().status == "booked"
    assert len(pay.bookings(booked_reference(app))) == 1


def test_cancelling_from_the_tracking_link_refunds_in_full(app, checkout, pay, client_request):
    journey = checkout().bulky()
    journey.come_back(pay.pay(journey.pay_button()))
    with app.app_context(), app.test_request_context(base_url=f"http://{journey.host}"):
        link = tracking_url(order())
    track = client_request.get(link.removeprefix(f"http://{journey.host}"), host=journey.host)
    cancel_path = track.find("a", string=lambda text: text and "Cancel collection" in text)["href"]

    done = client_request.post_form(cancel_path, {}, host=journey.host)

    after = client_request.get(done.location, host=journey.host)
    assert "refunded in full" in after.text
    reference = booked_reference(app)
    (payment,) = pay.successful(reference)
    assert payment["refund_summary"]["status"] == "full"
    assert [booking["status"] for booking in pay.bookings(reference)] == ["cancelled"]
    with app.app_context():
        assert order().status == "refunded"
        deliver_all()
        assert any("refund" in message.subject.lower() for message in mailbox())
    again = client_request.client.get(cancel_path, headers={"Host": journey.host})
    assert again.status_code == 302, "nothing left to cancel"
    assert len(pay.successful(reference)) == 1


def test_a_collection_cannot_be_cancelled_on_the_day(app):
    collection = WasteOrder(kind="bulky", status="booked", collection_date=date(2026, 12, 8))

    assert orders.can_cancel(collection, today=date(2026, 12, 7))
    assert not orders.can_cancel(collection, today=date(2026, 12, 8))
    assert not orders.can_cancel(WasteOrder(kind="garden", status="booked", collection_date=None))


def test_a_tracking_link_that_was_tampered_with_is_not_found(checkout, client_request):
    client_request.get(
        "/waste/track/not-a-signed-reference", host="south-norfolk.localhost", expected_status=404
    )


def test_payments_started_from_one_place_are_limited(app, checkout, pay, monkeypatch):
    monkeypatch.setitem(app.config, "WASTE_PAY_RATE_LIMIT", "2 per minute")
    journeys = [checkout().bulky() for _ in range(3)]

    journeys[0].pay_button()
    journeys[1].pay_button()
    refused = journeys[2].pay_button(expected_status=429)

    assert "You have started a lot of payments" in refused.get_data(as_text=True)
    with app.app_context():
        assert order().status == "draft"
        assert pay.payments(order().reference) == []


def test_a_payment_created_but_unanswered_is_cancelled_before_the_next(app, checkout, pay, monkeypatch):
    journey = checkout().bulky()
    real = orders.registry

    class AnswerLost:
        def __init__(self, payments):
            self.payments_ = payments

        def __getattr__(self, name):
            return getattr(self.payments_, name)

        def create_payment(self, payment):
            self.payments_.create_payment(payment)
            raise orders.ConnectorError("south-norfolk", "payments", "timed out after Pay created it")

    class Registry:
        def payments(self, council):
            return AnswerLost(real().payments(council))

    monkeypatch.setattr(orders, "registry", Registry)
    journey.pay_button(expected_status=503)
    monkeypatch.setattr(orders, "registry", real)

    reference = booked_reference(app)
    assert [payment["state"]["status"] for payment in pay.payments(reference)] == ["cancelled"]
    journey.come_back(pay.pay(journey.pay_button()))
    assert len(pay.successful(reference)) == 1 and len(pay.bookings(reference)) == 1


def test_an_operator_sees_and_requeues_a_parked_booking(app, checkout, pay, back_offices, tmp_path):
    from app.backoffice import use_registry
    from app.waste.cli import waste_cli

    journey = checkout().bulky()
    back_offices.inject("waste", "down")
    journey.come_back(pay.pay(journey.pay_button()))
    with app.app_context():
        for _ in range(POLICY.max_failures):
            time_passes()
            deliver_all()
    runner = app.test_cli_runner()
    reference = booked_reference(app)

    listed = runner.invoke(waste_cli, ["parked"])
    assert reference in listed.output and "waste_book" in listed.output
    back_offices.clear_faults()
    use_registry(app, back_offices.registry(tmp_path / "fresh"))  # the circuit breaker closed again
    assert runner.invoke(waste_cli, ["retry", reference.lower()]).exit_code == 0
    with app.app_context():
        deliver_all()
        assert order().status == "booked"
    assert runner.invoke(waste_cli, ["parked"]).output.strip() == "No parked waste orders."
    assert len(pay.successful(reference)) == 1 and len(pay.bookings(reference)) == 1


def test_orders_never_paid_for_are_forgotten_after_the_draft_days(app, checkout, pay):
    from app import retention

    abandoned = checkout().bulky()
    declined_then_left = checkout().bulky()
    declined_then_left.come_back(pay.pay(declined_then_left.pay_button(), "4000000000000002"))
    paid = checkout().bulky()
    paid.come_back(pay.pay(paid.pay_button()))
    with app.app_context():
        db.session.execute(update(WasteOrder).values(updated_at=orders.utcnow() - orders.timedelta(days=31)))
        db.session.commit()

        retention.TASKS["drafts"]()

        kept = db.session.scalars(select(WasteOrder)).all()
        assert [order.token for order in kept] == [paid.token], "only the paid order is kept"
    assert abandoned.token != paid.token
