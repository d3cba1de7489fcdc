"""The waste services contract suite (docs/api/waste.yaml): the adapter against the sandbox's waste back
office, every answer checked against the schema its operation documents."""

import uuid
from datetime import date, timedelta

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.config import PROJECT_ROOT
from connectors.errors import BadData, NotFound, Unavailable
from connectors.models import (
    BulkyItem,
    CollectionSlot,
    NewBulkyBooking,
    NewGardenSubscription,
    SlotUnavailable,
    TooLateToCancel,
    WasteBooking,
)
from tests.contract.recorder import CONTRACT_DAY
from tests.support.sandbox import API_KEY

SPEC = yaml.safe_load((PROJECT_ROOT / "docs" / "api" / "waste.yaml").read_text(encoding="utf-8"))
SPEC_URI = "urn:my-norfolk:waste"
PRIYA = "2630112001"  # South Norfolk, garden waste subscriber
HARLESTON = ("2630770894", "2630865035", "2630562216")  # South Norfolk neighbours
NORWICH_HOME = "100090912345"


def schema_check(name: str, body: dict) -> None:
    registry = Registry().with_resource(
        SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012)
    )
    Draft202012Validator({"$ref": f"{SPEC_URI}#/components/schemas/{name}"}, registry=registry).validate(body)


def raw(sandbox, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(
        method,
        f"{sandbox.url}/waste/south-norfolk{path}",
        headers={"X-API-Key": API_KEY},
        timeout=5,
        **kwargs,
    )


def reference() -> str:
    return f"NFK-{uuid.uuid4().hex[:8].upper()}"


def bulky(uprn: str, day: date, ref: str | None = None) -> NewBulkyBooking:
    return NewBulkyBooking(
        reference=ref or reference(),
        uprn=uprn,
        collection_date=day,
        items=(BulkyItem("sofa", "Sofa", 1), BulkyItem("fridge", "Fridge or freezer", 1)),
        location="Front garden, by the gate",
        amount_pence=4700,
        payment_reference="pay-123",
        email="guest@example.com",
        phone="01632 960001",
    )


def test_slots_are_the_next_days_on_the_propertys_round(contract_sandbox, contract_registry):
    slots = contract_registry.waste("south-norfolk").bulky_slots(HARLESTON[0], 2)

    assert slots and all(isinstance(slot, CollectionSlot) for slot in slots)
    assert [slot.date for slot in slots] == sorted(slot.date for slot in slots)
    assert slots[0].date >= CONTRACT_DAY + timedelta(days=3)
    assert len({slot.date.weekday() for slot in slots}) == 1, "one round day"
    schema_check("Slots", raw(contract_sandbox, "GET", f"/bulky/slots?uprn={HARLESTON[0]}&items=2").json())


def test_a_booking_is_found_by_its_reference_and_never_made_twice(contract_sandbox, contract_registry):
    waste = contract_registry.waste("south-norfolk")
    day = waste.bulky_slots(HARLESTON[1], 2)[-1].date
    asked = bulky(HARLESTON[1], day)

    booked = waste.book_bulky(asked)

    assert isinstance(booked, WasteBooking)
    assert (booked.reference, booked.kind, booked.status, booked.collection_date) == (
        asked.reference,
        "bulky",
        "booked",
        day,
    )
    assert [item.code for item in booked.items] == ["sofa", "fridge"]
    assert waste.bookings(asked.reference) == (booked,)
    assert waste.bookings(reference()) == ()
    again = raw(contract_sandbox, "POST", "/bookings", json={**_body(asked)})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "duplicate_reference")
    schema_check("Error", again.json())
    schema_check("Bookings", raw(contract_sandbox, "GET", f"/bookings?reference={asked.reference}").json())


def _body(booking: NewBulkyBooking) -> dict:
    return {
        "kind": "bulky",
        "reference": booking.reference,
        "uprn": booking.uprn,
        "collection_date": booking.collection_date.isoformat(),
        "items": [{"code": "sofa", "name": "Sofa", "quantity": 1}],
        "location": booking.location,
        "amount": booking.amount_pence,
        "payment_reference": booking.payment_reference,
    }


def test_a_full_day_is_refused_and_leaves_the_offer(contract_registry):
    waste = contract_registry.waste("south-norfolk")
    day = waste.bulky_slots(HARLESTON[2], 1)[-2].date
    while any(slot.date == day for slot in waste.bulky_slots(HARLESTON[2], 1)):
        waste.book_bulky(bulky(HARLESTON[2], day))

    with pytest.raises(SlotUnavailable):
        waste.book_bulky(bulky(HARLESTON[2], day))
    with pytest.raises(SlotUnavailable):
        waste.book_bulky(bulky(HARLESTON[2], CONTRACT_DAY + timedelta(days=1)))


def test_a_collection_is_cancelled_up_to_the_day_before(contract_sandbox, contract_registry):
    waste = contract_registry.waste("south-norfolk")
    day = waste.bulky_slots(PRIYA, 1)[0].date
    booked = waste.book_bulky(bulky(PRIYA, day))

    cancelled = waste.cancel(booked.booking_id)

    assert cancelled.status == "cancelled"
    assert waste.cancel(booked.booking_id) == cancelled, "cancelling again answers the same"
    schema_check(
        "BookingDocument", raw(contract_sandbox, "POST", f"/bookings/{booked.booking_id}/cancel").json()
    )
    with pytest.raises(NotFound):
        waste.cancel("SN-NOSUCH")


def test_cancelling_on_the_day_is_too_late(tmp_path):
    from tests.contract.conftest import registry_for
    from tests.support.sandbox import SandboxServer

    days = iter([CONTRACT_DAY, CONTRACT_DAY + timedelta(days=30)])
    current = {"day": next(days)}
    server = SandboxServer.start(tmp_path / "sandbox", SANDBOX_TODAY=lambda: current["day"])
    try:
        waste = registry_for(server.url, tmp_path / "cache").waste("south-norfolk")
        slot = waste.bulky_slots(PRIYA, 1)[0]
        booked = waste.book_bulky(bulky(PRIYA, slot.date))
        current["day"] = slot.date
        with pytest.raises(TooLateToCancel):
            waste.cancel(booked.booking_id)
    finally:
        server.stop()


def test_a_garden_subscription_gets_a_permit_for_a_year(contract_sandbox, contract_registry):
    waste = contract_registry.waste("south-norfolk")
    start = CONTRACT_DAY + timedelta(days=7)
    asked = NewGardenSubscription(
        reference=reference(),
        uprn=HARLESTON[0],
        bins=2,
        start_date=start,
        amount_pence=9000,
        payment_reference="p",
    )

    subscribed = waste.subscribe_garden(asked)

    assert (subscribed.kind, subscribed.bins, subscribed.start_date) == ("garden", 2, start)
    assert subscribed.end_date == date(start.year + 1, start.month, start.day) - timedelta(days=1)
    assert subscribed.permit_number and subscribed.permit_number.startswith("SN-GW-")
    assert subscribed in waste.garden_subscriptions(HARLESTON[0])
    schema_check(
        "Bookings", raw(contract_sandbox, "GET", f"/garden-subscriptions?uprn={HARLESTON[0]}").json()
    )


def test_a_subscriber_before_the_portal_has_a_subscription_to_renew(contract_registry):
    known = contract_registry.waste("south-norfolk").garden_subscriptions(PRIYA)

    assert known and known[0].end_date > CONTRACT_DAY and known[0].permit_number


def test_another_councils_property_is_not_found(contract_registry):
    with pytest.raises(NotFound):
        contract_registry.waste("south-norfolk").bulky_slots(NORWICH_HOME, 1)


@pytest.mark.parametrize(
    ("mode", "error"),
    [("down", Unavailable), ("error", Unavailable), ("malformed", BadData), ("garbage", BadData)],
)
def test_a_failing_back_office_is_unavailable_or_bad_data(faulty_sandbox, mode, error):
    sandbox, registry = faulty_sandbox
    sandbox.inject("waste", mode, council="south-norfolk")

    with pytest.raises(error):
        registry.waste("south-norfolk").bulky_slots(PRIYA, 1)
    with pytest.raises(error):
        registry.waste("south-norfolk").bookings("NFK-ANY")
