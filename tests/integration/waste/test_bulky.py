"""Booking a bulky waste collection as a guest: pay on GOV.UK Pay, get a booking reference; exactly one
payment and one booking whatever the resident or the systems do."""

from tests.integration.waste.conftest import DECLINED, deliver_all, mailbox, order


def test_a_guest_books_two_items_pays_and_gets_a_reference(app, checkout, pay, client_request):
    journey = checkout().bulky({"sofa": 1, "fridge": 1})
    check_page = journey.page()
    assert "£48.00" in check_page.text  # South Norfolk: sofa £22 + fridge £26

    return_url = pay.pay(journey.pay_button())
    confirmation = journey.come_back(return_url)

    assert confirmation.status_code == 302 and confirmation.location.endswith("/confirmation")
    page = client_request.get(confirmation.location, host=journey.host)
    with app.app_context():
        booked = order()
        assert booked.status == "booked" and booked.amount_pence == 4800
        assert booked.reference in page.text and "£48.00" in page.text and "Collection booked" in page.text
        assert len(pay.successful(booked.reference)) == 1
        assert len(pay.bookings(booked.reference)) == 1
        deliver_all()
        (receipt,) = mailbox()
        assert booked.reference in receipt.body and "£48.00" in receipt.body and "cancel" in receipt.body


def test_a_declined_card_shows_the_decline_and_books_nothing(app, checkout, pay, client_request):
    journey = checkout().bulky()

    return_url = pay.pay(journey.pay_button(), DECLINED)
    back = journey.come_back(return_url)

    assert back.location.endswith("/check")
    page = client_request.get(back.location, host=journey.host)
    assert "Your payment was declined" in page.text
    with app.app_context():
        declined = order()
        assert declined.status == "draft"
        assert pay.successful(declined.reference) == [] and pay.bookings(declined.reference) == []
