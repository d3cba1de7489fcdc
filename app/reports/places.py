"""Where a report is, and which council is responsible for it there.

Addresses come from the connectors registry's address lookup (the gazetteer or OS Places); the council comes
from the place's local authority district (GSS code) and the report type's tier.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.backoffice import registry
from app.reports.journey import Location
from app.reports.types import ReportType
from app.theming import themes
from connectors.errors import NotFound
from connectors.models import Address


@dataclass(frozen=True)
class AddressChoice:
    uprn: str
    label: str


@dataclass(frozen=True)
class Routing:
    """The council responsible (``council_slug``), or, outside Norfolk, who to contact instead."""

    council_slug: str | None = None
    outside: bool = False
    outside_council_name: str | None = None
    needs_area: bool = False


def one_line(address: Address) -> str:
    return ", ".join([*address.lines, address.town, address.postcode])


def addresses_for_postcode(postcode: str) -> list[AddressChoice]:
    found = registry().address_lookup().addresses_for_postcode(postcode)
    return [AddressChoice(uprn=address.uprn, label=one_line(address)) for address in found]


def location_at(uprn: str) -> Location | None:
    try:
        address = registry().address_lookup().address(uprn)
    except NotFound:
        return None
    return Location(
        method="address",
        postcode=address.postcode,
        uprn=address.uprn,
        address=one_line(address),
        latitude=address.latitude,
        longitude=address.longitude,
        gss_code=address.lad_gss,
    )


def route(report_type: ReportType, location: Location) -> Routing:
    councils = themes()
    county = councils.county()
    if location.gss_code:
        district = councils.by_gss_code(location.gss_code)
        if district is None:
            return Routing(outside=True, outside_council_name=council_name_for_gss(location.gss_code))
        return Routing(council_slug=county.slug if report_type.tier == "county" and county else district.slug)
    if location.has_coordinates:
        gss_code = district_at(location.latitude, location.longitude)
        if gss_code is not None:
            return route(report_type, Location(**{**location.__dict__, "gss_code": gss_code}))
    if report_type.tier == "county" and county is not None:
        return Routing(council_slug=county.slug)
    return Routing(needs_area=True)


def district_at(latitude: float, longitude: float) -> str | None:
    """The GSS code of the district at a point, when the gazetteer can tell."""
    from app import addresses

    return addresses.district_at(latitude, longitude)


def council_name_for_gss(gss_code: str) -> str | None:
    from app import addresses

    return addresses.council_name_for_gss(gss_code)
