"""The districts' waste services systems (docs/api/waste.yaml): bulky waste collection slots and bookings, and
garden waste subscriptions with their permit numbers, kept in the sandbox's SQLite store.

Bulky collections go out on the property's round day (sandbox/bins.py), from three days ahead for six weeks,
with ``SANDBOX_BULKY_PLACES`` (2 unless set) bookings a day per district. A property whose round has a garden
bin (and every demo resident with one) has a subscription the back office already knows, ending on a day
that depends on its UPRN, so renewals can be tried.
"""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime, timedelta

from flask import current_app, g, request
from werkzeug.exceptions import Conflict, NotFound

from sandbox import places, store
from sandbox.back_office import (
    InvalidParameter,
    back_office_blueprint,
    error_response,
    stable_number,
    today,
)
from sandbox.bins import UPRN, collects_on, round_for
from sandbox.councils import council as sandbox_council

bp = back_office_blueprint("waste")

DEFAULT_PLACES = 2
FIRST_DAY_AHEAD = 3
WEEKS_AHEAD = 6
MAX_ITEMS = 10
MAX_BINS = 5

SCHEMA = """
CREATE TABLE IF NOT EXISTS bookings (
    booking_id TEXT PRIMARY KEY,
    council TEXT NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    uprn TEXT NOT NULL,
    amount INTEGER NOT NULL,
    payment_reference TEXT NOT NULL,
    collection_date TEXT,
    items TEXT NOT NULL DEFAULT '[]',
    location TEXT,
    permit_number TEXT,
    bins INTEGER,
    start_date TEXT,
    end_date TEXT,
    contact TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
"""


def _prefix() -> str:
    return sandbox_council(g.council).demo.bin_round_prefix


def _store():
    return store.for_app(current_app._get_current_object(), "waste", SCHEMA)


def _places_per_day() -> int:
    return int(current_app.config.get("SANDBOX_BULKY_PLACES", DEFAULT_PLACES))


def _uprn_here(uprn: str | None) -> str:
    if not uprn or not UPRN.match(uprn):
        raise InvalidParameter(description=f"A UPRN is up to 12 digits, not {uprn!r}.")
    if places.district_of(uprn) != g.council:
        raise NotFound(description=f"No property with UPRN {uprn} is collected by this council.")
    return uprn


def _booked_on(connection, day: date) -> int:
    return connection.execute(
        "SELECT COUNT(*) FROM bookings WHERE council = ? AND kind = 'bulky' AND status = 'booked'"
        " AND collection_date = ?",
        (g.council, day.isoformat()),
    ).fetchone()[0]


def _collection_days(uprn: str, on: date) -> list[date]:
    round_ = round_for(g.council, uprn, on)
    first = on + timedelta(days=FIRST_DAY_AHEAD)
    return [
        first + timedelta(days=offset)
        for offset in range(WEEKS_AHEAD * 7)
        if collects_on(first + timedelta(days=offset), round_.weekday, 1, 0)
    ]


def _row(row) -> dict:
    booking = {
        "booking_id": row["booking_id"],
        "reference": row["reference"],
        "kind": row["kind"],
        "status": row["status"],
        "uprn": row["uprn"],
        "amount": row["amount"],
        "payment_reference": row["payment_reference"],
    }
    if row["kind"] == "bulky":
        booking.update(
            collection_date=row["collection_date"],
            items=json.loads(row["items"]),
            location=row["location"],
        )
    else:
        booking.update(
            permit_number=row["permit_number"],
            bins=row["bins"],
            start_date=row["start_date"],
            end_date=row["end_date"],
        )
    return booking


def _known_subscription(uprn: str, on: date) -> dict | None:
    """The subscription a garden bin on the property's round was bought with, before the portal."""
    if not round_for(g.council, uprn, on).garden_subscriber:
        return None
    number = stable_number(f"garden:{g.council}:{uprn}")
    end = on + timedelta(days=20 + number % 300)
    return {
        "booking_id": f"GW-{uprn}",
        "reference": f"LEGACY-{uprn}",
        "kind": "garden",
        "status": "booked",
        "uprn": uprn,
        "amount": 0,
        "payment_reference": f"LEGACY-{uprn}",
        "permit_number": f"{_prefix()}-GW-{number % 100000:05d}",
        "bins": 1,
        "start_date": (end - timedelta(days=364)).isoformat(),
        "end_date": end.isoformat(),
    }


@bp.get("/bulky/slots")
def bulky_slots():
    uprn = _uprn_here(request.args.get("uprn"))
    try:
        items = int(request.args.get("items", "1"))
    except ValueError:
        raise InvalidParameter(description="The items parameter is a whole number.") from None
    if not 1 <= items <= MAX_ITEMS:
        raise InvalidParameter(description=f"A collection takes 1 to {MAX_ITEMS} items.")
    with _store().connect() as connection:
        slots = [
            {"date": day.isoformat(), "places_left": _places_per_day() - _booked_on(connection, day)}
            for day in _collection_days(uprn, today())
        ]
    return {"uprn": uprn, "slots": [slot for slot in slots if slot["places_left"] > 0]}


def _text(body: dict, name: str, limit: int = 255) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidParameter(description=f"{name} must be text of 1 to {limit} characters.")
    return value.strip()


def _whole(body: dict, name: str, low: int, high: int) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidParameter(description=f"{name} must be a whole number from {low} to {high}.")
    return value


def _day(body: dict, name: str) -> date:
    try:
        return date.fromisoformat(_text(body, name, 10))
    except ValueError:
        raise InvalidParameter(description=f"{name} must be a date (YYYY-MM-DD).") from None


@bp.post("/bookings")
def create_booking():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter(description="Send the booking as a JSON object.")
    kind = body.get("kind")
    if kind not in ("bulky", "garden"):
        raise InvalidParameter(description="kind must be bulky or garden.")
    reference = _text(body, "reference", 32)
    uprn = _uprn_here(body.get("uprn"))
    amount = _whole(body, "amount", 0, 10_000_000)
    payment_reference = _text(body, "payment_reference", 64)
    contact = body.get("contact") if isinstance(body.get("contact"), dict) else {}
    row = {
        "booking_id": f"{_prefix()}-{secrets.token_hex(4).upper()}",
        "council": g.council,
        "reference": reference,
        "kind": kind,
        "status": "booked",
        "uprn": uprn,
        "amount": amount,
        "payment_reference": payment_reference,
        "contact": json.dumps(contact),
        "created_at": datetime.now().isoformat(timespec="seconds"),
        "collection_date": None,
        "items": "[]",
        "location": None,
        "permit_number": None,
        "bins": None,
        "start_date": None,
        "end_date": None,
    }
    on = today()
    if kind == "bulky":
        day = _day(body, "collection_date")
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise InvalidParameter(description="items must list what is collected.")
        cleaned = [
            {
                "code": _text(item, "code", 32),
                "name": _text(item, "name", 100),
                "quantity": _whole(item, "quantity", 1, MAX_ITEMS),
            }
            for item in items
            if isinstance(item, dict)
        ]
        if len(cleaned) != len(items) or sum(item["quantity"] for item in cleaned) > MAX_ITEMS:
            raise InvalidParameter(description=f"items must be objects, {MAX_ITEMS} items at most.")
        row.update(
            collection_date=day.isoformat(), items=json.dumps(cleaned), location=_text(body, "location", 500)
        )
    else:
        start = _day(body, "start_date")
        if start < on:
            raise InvalidParameter(description="start_date must not be in the past.")
        bins = _whole(body, "bins", 1, MAX_BINS)
        number = stable_number(f"permit:{reference}")
        row.update(
            bins=bins,
            start_date=start.isoformat(),
            end_date=(start.replace(year=start.year + 1) - timedelta(days=1)).isoformat()
            if not (start.month == 2 and start.day == 29)
            else (start + timedelta(days=364)).isoformat(),
            permit_number=f"{_prefix()}-GW-{number % 1000000:06d}",
        )
    with _store().connect() as connection:
        if connection.execute("SELECT 1 FROM bookings WHERE reference = ?", (reference,)).fetchone():
            return _code_response(409, "duplicate_reference", f"A booking with reference {reference} exists.")
        if kind == "bulky":
            day = date.fromisoformat(row["collection_date"])
            if day not in _collection_days(uprn, on) or _booked_on(connection, day) >= _places_per_day():
                return _code_response(409, "slot_unavailable", f"{day.isoformat()} has no places left.")
        connection.execute(
            f"INSERT INTO bookings ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",  # noqa: S608 - fixed column names
            tuple(row.values()),
        )
        stored = connection.execute("SELECT * FROM bookings WHERE reference = ?", (reference,)).fetchone()
    return {"booking": _row(stored)}, 201


def _code_response(status: int, code: str, message: str):
    """An error answer with a code of its own (the contract's refusals), not the status code's."""
    response = error_response(status, message)
    response.set_data(json.dumps({"error": {"code": code, "message": message}}))
    return response


@bp.get("/bookings")
def find_bookings():
    reference = request.args.get("reference")
    if not reference:
        raise InvalidParameter(description="The reference parameter is required.")
    with _store().connect() as connection:
        rows = connection.execute(
            "SELECT * FROM bookings WHERE council = ? AND reference = ?", (g.council, reference)
        ).fetchall()
    return {"bookings": [_row(row) for row in rows]}


@bp.get("/garden-subscriptions")
def garden_subscriptions():
    uprn = _uprn_here(request.args.get("uprn"))
    with _store().connect() as connection:
        rows = connection.execute(
            "SELECT * FROM bookings WHERE council = ? AND kind = 'garden' AND uprn = ? AND status = 'booked'"
            " ORDER BY end_date DESC",
            (g.council, uprn),
        ).fetchall()
    found = [_row(row) for row in rows]
    known = _known_subscription(uprn, today())
    return {"bookings": found + ([known] if known else [])}


@bp.post("/bookings/<booking_id>/cancel")
def cancel_booking(booking_id: str):
    with _store().connect() as connection:
        row = connection.execute(
            "SELECT * FROM bookings WHERE council = ? AND booking_id = ?", (g.council, booking_id)
        ).fetchone()
        if row is None:
            raise NotFound(description=f"No booking {booking_id}.")
        if row["kind"] != "bulky":
            raise Conflict(description="Only bulky collections are cancelled here.")
        if row["status"] == "booked":
            if date.fromisoformat(row["collection_date"]) <= today():
                return _code_response(422, "too_late", "The collection is today or has happened.")
            connection.execute("UPDATE bookings SET status = 'cancelled' WHERE booking_id = ?", (booking_id,))
        row = connection.execute("SELECT * FROM bookings WHERE booking_id = ?", (booking_id,)).fetchone()
    return {"booking": _row(row)}
