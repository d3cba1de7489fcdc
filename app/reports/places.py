"""Where a report is, and which council is responsible for it there, in the journey's terms.

Addresses, postcodes and routing are app.address_lookup's, app.postcodes' and app.routing's; this module turns
their answers into the
journey's Location and a routing decision (a council, a hand-off outside Norfolk, or "ask which area").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app import address_lookup, address_problems, routing
from app.reports.journey import Location, Outside
from app.reports.types import ReportType
from app.theming import themes
from connectors.models import Address


@dataclass(frozen=True)
class AddressChoice:
    uprn: str
    label: str


@dataclass(frozen=True)
class Routing:
    """The council responsible (``council_slug``), or outside Norfolk who to contact instead, or neither:
    then the person is asked which council area the place is in."""

    council_slug: str | None = None
    outside: Outside | None = None


def one_line(address: Address) -> str:
    return ", ".join([*address.lines, address.town, address.postcode])


# A flat's or house's number at the start of an address line: "Flat 1", "Flat 2A, ", "52 ", "12-14 ".
_NUMBER_AT_START = re.compile(r"^((flat|unit|apartment)\s+\w+|\d+[a-z]?(-\d+[a-z]?)?)(,\s*|\s+|$)", re.I)


def street(address: Address) -> str:
    """The street an address is on: "41 Unthank Road" -> "Unthank Road"; "Flat 1" then "52 Hall Lane" ->
    "Hall Lane". The first line with something left once flat and house numbers are taken off."""
    for line in address.lines:
        rest = line
        while rest and (number := _NUMBER_AT_START.match(rest)):
            rest = rest[number.end() :]
        if rest:
            return rest
    return address.lines[0]


def addresses_for_postcode(postcode: str) -> list[AddressChoice]:
    """The addresses at a postcode; raises an AddressProblem (unknown, outside Norfolk, ...)."""
    return [
        AddressChoice(uprn=address.uprn, label=one_line(address))
        for address in address_lookup.addresses_for_postcode(postcode)
    ]


def location_at(uprn: str) -> Location:
    address = address_lookup.address_for_uprn(uprn)
    return Location(
        method="address",
        postcode=address.postcode,
        uprn=address.uprn,
        address=one_line(address),
        latitude=address.latitude,
        longitude=address.longitude,
        gss_code=address.lad_gss,
    )


def outside(problem: address_problems.OutsideNorfolk) -> Outside:
    return Outside(council_name=problem.contact_name, website=problem.contact_website)


def route(report_type: ReportType, location: Location) -> Routing:
    if location.uprn or location.has_coordinates:
        try:
            responsible = routing.council_for(
                report_type.service,
                uprn=location.uprn,
                latitude=location.latitude,
                longitude=location.longitude,
            )
        except address_problems.OutsideNorfolk as problem:
            return Routing(outside=outside(problem))
        except address_problems.TrunkRoadPlace as problem:
            return Routing(
                outside=Outside(
                    council_name=problem.contact_name,
                    website=problem.contact_website,
                    trunk_road=problem.road,
                )
            )
        except address_problems.AddressProblem:
            # A point far from any address the gazetteer knows, or the gazetteer is down: ask the person.
            return Routing()
        return Routing(council_slug=responsible.council)
    county = themes().county()
    if report_type.tier == "county" and county is not None:
        return Routing(council_slug=county.slug)
    return Routing()
