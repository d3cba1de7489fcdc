"""The districts' waste collection systems (docs/api/bins.yaml): each property's bins, on real weekly and
fortnightly rounds counted from a fixed week, so the upcoming dates are always relative to today.

Every gazetteer property in a district has a round (chosen from its UPRN, so it never changes); the demo
residents have rounds that tell their story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from werkzeug.exceptions import NotFound

from sandbox import places
from sandbox.back_office import InvalidParameter, back_office_blueprint, stable_number, today
from sandbox.councils import council as sandbox_council
from sandbox.demo_residents import DEMO_RESIDENTS

bp = back_office_blueprint("bins")

# Week 0 of every round: a Monday. A fortnightly round on phase 0 collects in even weeks counted from here.
ROUND_EPOCH = date(2024, 1, 1)
DATES_SHOWN = 6
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UPRN = re.compile(r"^[0-9]{1,12}$")

BinType = Literal["refuse", "recycling", "garden", "food"]


@dataclass(frozen=True)
class BinService:
    bin_type: BinType
    name: str
    container: str
    interval_weeks: int
    # Fortnightly services on the same phase as refuse go out in the same week; recycling alternates.
    alternate_week: bool


BIN_SERVICES = (
    BinService("refuse", "General waste", "Black bin", 2, alternate_week=False),
    BinService("recycling", "Recycling", "Green-lidded bin", 2, alternate_week=True),
    BinService("garden", "Garden waste", "Brown bin (subscription)", 2, alternate_week=False),
    BinService("food", "Food waste", "Food caddy", 1, alternate_week=False),
)


@dataclass(frozen=True)
class Round:
    weekday: int
    phase: int
    garden_subscriber: bool
    missed_garden_on: date | None = None


def week_index(day: date) -> int:
    return (day - ROUND_EPOCH).days // 7


def collects_on(day: date, weekday: int, interval_weeks: int, phase: int) -> bool:
    return day.weekday() == weekday and week_index(day) % interval_weeks == phase % interval_weeks


def collection_dates(weekday: int, interval_weeks: int, phase: int, start: date, count: int) -> list[date]:
    """The first `count` collection days on or after `start`."""
    day = start + timedelta(days=(weekday - start.weekday()) % 7)
    dates = []
    while len(dates) < count:
        if collects_on(day, weekday, interval_weeks, phase):
            dates.append(day)
        day += timedelta(days=7)
    return dates


def last_collection_before(weekday: int, interval_weeks: int, phase: int, before: date) -> date:
    day = before - timedelta(days=(before.weekday() - weekday) % 7 or 7)
    while not collects_on(day, weekday, interval_weeks, phase):
        day -= timedelta(days=7)
    return day


def priya_round(on: date) -> Round:
    """Tuesday collections; the garden bin was due on Tuesday last week (so not this week) and was missed."""
    weekday = 1
    missed_on = on - timedelta(days=on.weekday() + 7 - weekday)
    return Round(weekday, week_index(missed_on) % 2, garden_subscriber=True, missed_garden_on=missed_on)


DEMO_ROUNDS = {
    "Priya": priya_round,
    "Tom": lambda on: Round(weekday=3, phase=0, garden_subscriber=False),
    "Margaret": lambda on: Round(weekday=0, phase=1, garden_subscriber=False),
    "David": lambda on: Round(weekday=4, phase=0, garden_subscriber=True),
}
DEMO_UPRNS = {resident.uprn: resident for resident in DEMO_RESIDENTS}


def round_for(council: str, uprn: str, on: date) -> Round:
    resident = DEMO_UPRNS.get(uprn)
    if resident is not None and resident.given_name in DEMO_ROUNDS:
        return DEMO_ROUNDS[resident.given_name](on)
    number = stable_number(f"{council}:{uprn}")
    return Round(weekday=number % 5, phase=(number // 5) % 2, garden_subscriber=number % 3 != 0)


def collections(council: str, uprn: str, on: date) -> list[dict]:
    round_ = round_for(council, uprn, on)
    prefix = sandbox_council(council).demo.bin_round_prefix
    entries = []
    for service in BIN_SERVICES:
        if service.bin_type == "garden" and not round_.garden_subscriber:
            continue
        phase = round_.phase + (1 if service.alternate_week else 0)
        upcoming = collection_dates(round_.weekday, service.interval_weeks, phase, on, DATES_SHOWN)
        last = last_collection_before(round_.weekday, service.interval_weeks, phase, on)
        missed = service.bin_type == "garden" and last == round_.missed_garden_on
        week = "" if service.interval_weeks == 1 else ("-B" if phase % 2 else "-A")
        entries.append(
            {
                "bin_type": service.bin_type,
                "name": service.name,
                "container": service.container,
                "frequency": "weekly" if service.interval_weeks == 1 else "fortnightly",
                "round": f"{prefix}-{WEEKDAYS[round_.weekday][:3].upper()}{week}",
                "collection_day": WEEKDAYS[round_.weekday],
                "next_date": upcoming[0].isoformat(),
                "following_dates": [day.isoformat() for day in upcoming[1:]],
                "last_collection": {"date": last.isoformat(), "outcome": "missed" if missed else "collected"},
            }
        )
    return entries


@bp.get("/properties/<uprn>/collections")
def property_collections(uprn: str):
    from flask import g

    if not UPRN.match(uprn):
        raise InvalidParameter(description=f"A UPRN is up to 12 digits, not {uprn!r}.")
    if places.district_of(uprn) != g.council:
        raise NotFound(description=f"No property with UPRN {uprn} is collected by this council.")
    on = today()
    return {"uprn": uprn, "as_of": on.isoformat(), "collections": collections(g.council, uprn, on)}
