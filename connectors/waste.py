"""Bulky waste collections and garden waste subscriptions over the My Norfolk waste contract
(docs/api/waste.yaml), for any district that serves it.

Deployment file: ``adapter = "waste_rest"`` with ``base_url`` and, usually, ``credentials = { api_key = ...
}``. Nothing is cached: slots and bookings change with every booking.
"""

from __future__ import annotations

import re
from datetime import date

from connectors import errors
from connectors.council_rest import Fields, document, rest_client, segment, with_message
from connectors.http import HttpClient
from connectors.models import (
    BulkyItem,
    CollectionSlot,
    NewBulkyBooking,
    NewGardenSubscription,
    SlotUnavailable,
    TooLateToCancel,
    WasteBooking,
)

UPRN = re.compile(r"^[0-9]{1,12}$")


class RestWasteServices:
    def __init__(self, http: HttpClient):
        self.http = http

    def _uprn(self, uprn: str) -> str:
        uprn = uprn.strip()
        if not UPRN.match(uprn):
            raise errors.NotFound(
                self.http.council, self.http.kind, "This is not a property reference (UPRN)"
            )
        return uprn

    def bulky_slots(self, uprn: str, items: int) -> tuple[CollectionSlot, ...]:
        try:
            return self.http.get_fresh(
                "bulky/slots", params={"uprn": self._uprn(uprn), "items": items}, parse=parse_slots
            )
        except errors.NotFound as error:
            raise with_message(error, "The council does not collect bulky waste from this address") from None

    def book_bulky(self, booking: NewBulkyBooking) -> WasteBooking:
        body = {
            "kind": "bulky",
            "reference": booking.reference,
            "uprn": self._uprn(booking.uprn),
            "collection_date": booking.collection_date.isoformat(),
            "items": [
                {"code": item.code, "name": item.name, "quantity": item.quantity} for item in booking.items
            ],
            "location": booking.location,
            "amount": booking.amount_pence,
            "payment_reference": booking.payment_reference,
            "contact": {"email": booking.email, "phone": booking.phone},
        }
        return self._create(body)

    def subscribe_garden(self, subscription: NewGardenSubscription) -> WasteBooking:
        body = {
            "kind": "garden",
            "reference": subscription.reference,
            "uprn": self._uprn(subscription.uprn),
            "bins": subscription.bins,
            "start_date": subscription.start_date.isoformat(),
            "amount": subscription.amount_pence,
            "payment_reference": subscription.payment_reference,
            "contact": {"email": subscription.email},
        }
        return self._create(body)

    def _create(self, body: dict) -> WasteBooking:
        try:
            return self.http.post("bookings", json=body, parse=parse_booking)
        except errors.BadData as error:
            if error.code == "slot_unavailable":
                raise SlotUnavailable(body.get("collection_date")) from None
            raise

    def garden_subscriptions(self, uprn: str) -> tuple[WasteBooking, ...]:
        found = self.http.get_fresh(
            "garden-subscriptions", params={"uprn": self._uprn(uprn)}, parse=parse_bookings
        )
        return tuple(sorted(found, key=lambda booking: booking.end_date or date.min, reverse=True))

    def bookings(self, reference: str) -> tuple[WasteBooking, ...]:
        return self.http.get_fresh("bookings", params={"reference": reference}, parse=parse_bookings)

    def cancel(self, booking_id: str) -> WasteBooking:
        try:
            return self.http.post(f"bookings/{segment(booking_id)}/cancel", parse=parse_booking)
        except errors.BadData as error:
            if error.code == "too_late":
                raise TooLateToCancel(booking_id) from None
            raise


def parse_slots(response) -> tuple[CollectionSlot, ...]:
    slots = tuple(
        CollectionSlot(date=entry.date("date"), places_left=int(entry.number("places_left")))
        for entry in document(response).objects("slots")
    )
    return tuple(sorted(slots, key=lambda slot: slot.date))


def parse_booking(response) -> WasteBooking:
    return booking_from(document(response).object("booking"))


def parse_bookings(response) -> tuple[WasteBooking, ...]:
    return tuple(booking_from(entry) for entry in document(response).objects("bookings"))


def booking_from(fields: Fields) -> WasteBooking:
    kind = fields.text("kind")
    status = fields.text("status")
    if kind not in ("bulky", "garden") or status not in ("booked", "cancelled"):
        raise ValueError(f"{fields.where}: kind {kind!r} or status {status!r} is not in the contract")
    items = tuple(
        BulkyItem(code=item.text("code"), name=item.text("name"), quantity=int(item.number("quantity")))
        for item in (fields.objects("items") if kind == "bulky" else ())
    )
    bins = fields.optional_number("bins")
    return WasteBooking(
        booking_id=fields.text("booking_id"),
        reference=fields.text("reference"),
        kind=kind,
        status=status,
        uprn=fields.text("uprn"),
        amount_pence=int(fields.number("amount")),
        collection_date=fields.optional_date("collection_date"),
        items=items,
        permit_number=fields.optional_text("permit_number"),
        bins=int(bins) if bins is not None else None,
        start_date=fields.optional_date("start_date"),
        end_date=fields.optional_date("end_date"),
    )


def build(settings, registry) -> RestWasteServices:
    return RestWasteServices(rest_client(settings, registry))
