"""Garden waste subscriptions: priced per first and further bin from the district's price list, a year from
the start date, renewed from the day after the current one ends, refused while one runs for long yet."""

from datetime import date, timedelta

import requests
from babel.dates import format_date

from app.themes import WastePrices
from sandbox import places
from tests.integration.waste.conftest import deliver_all, mailbox, order


def test_a_guest_subscribes_two_bins_and_gets_a_permit(app, checkout, pay, client_request):
    journey = checkout().garden(bins=2)
    assert "£90.00" in journey.page().text  # South Norfolk: £54 for the first bin, £36 for the second

    confirmation = client_request.get(
        journey.come_back(pay.pay(journey.pay_button())).location, host=journey.host
    )

    with app.app_context():
        subscribed = order()
        assert (subscribed.status, subscribed.amount_pence) == ("booked", 9000)
        assert subscribed.permit_number and subscribed.permit_number in confirmation.text
        assert subscribed.start_date == date.today() + timedelta(days=10)
        assert subscribed.end_date == subscribed.start_date.replace(
            year=subscribed.start_date.year + 1
        ) - timedelta(days=1)
        (booking,) = pay.bookings(subscribed.reference)
        assert (booking["kind"], booking["bins"], booking["amount"]) == ("garden", 2, 9000)
        deliver_all()
        (receipt,) = mailbox()
        assert subscribed.permit_number in receipt.body and "£90.00" in receipt.body
    assert not confirmation.find("a", string=lambda text: text and "Cancel" in text), (
        "only collections cancel"
    )


def test_no_more_bins_than_the_price_list_allows(checkout):
    journey = checkout().start("garden").address("NR15 2AH", "2630017566")

    page = journey.answer({"bins": "9"}, expected_status=200)

    assert page.select_one(".govuk-error-summary")


def _subscribers(sandbox) -> list[tuple[str, str, date]]:
    """South Norfolk addresses with a subscription from before the portal: (postcode, UPRN, its end)."""
    found = []
    with sandbox.app.app_context():  # the sandbox's councils say which district an address is in
        south_norfolk = [place for place in places.all_addresses() if place.council == "south-norfolk"]
    for place in south_norfolk:
        answer = requests.get(
            f"{sandbox.url}/waste/south-norfolk/garden-subscriptions",
            params={"uprn": place.uprn},
            headers={"X-API-Key": sandbox.api_key},
            timeout=5,
        ).json()["bookings"]
        if answer:
            found.append((place.postcode, place.uprn, date.fromisoformat(answer[0]["end_date"])))
    return found


def test_a_subscription_ending_soon_is_renewed_from_the_day_after(app, checkout, pay, back_offices):
    postcode, uprn, ends = next(
        found for found in _subscribers(back_offices) if found[2] - date.today() <= timedelta(days=56)
    )
    journey = checkout().start("garden").address(postcode, uprn)
    journey.answer({"bins": "1"})
    journey.answer({"email": "guest@example.com"})

    assert "renewal" in journey.page().text
    journey.come_back(pay.pay(journey.pay_button()))
    with app.app_context():
        assert order().start_date == ends + timedelta(days=1)


def test_a_subscription_running_for_long_yet_is_not_renewed(checkout, back_offices):
    postcode, uprn, ends = next(
        found for found in _subscribers(back_offices) if found[2] - date.today() > timedelta(days=56)
    )
    journey = checkout().start("garden").address(postcode, uprn)

    assert journey.at("already-subscribed")
    page = journey.page()
    assert "already has a garden waste subscription" in page.text
    assert format_date(ends, "d MMMM yyyy") in page.text


def test_a_running_subscription_is_not_sold_twice(app, checkout, pay):
    first = checkout().garden(bins=1, uprn="2630691525")
    first.come_back(pay.pay(first.pay_button()))

    second = checkout().start("garden")
    second.address("NR15 2AH", "2630691525")

    assert second.at("already-subscribed")
    assert "already has a garden waste subscription" in second.page().text


def test_every_district_has_a_price_list_and_the_county_none(app):
    themes = app.extensions["themes"]
    for theme in themes:
        if theme.tier == "district":
            assert isinstance(theme.waste, WastePrices), theme.slug
            assert theme.waste.bulky_items and theme.waste.garden_first_bin_pence > 0
        else:
            assert theme.waste is None


def test_the_county_has_no_paid_waste_services(client_request, back_offices):
    client_request.get("/waste/bulky", host="norfolk.localhost", expected_status=404)
