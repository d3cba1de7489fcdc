"""Which council looks after a service at a place.

    from app import routing
    who = routing.council_for(CouncilService.BINS, uprn=home.uprn)                     # Responsibility
    who = routing.council_for(report_type.service, latitude=52.62, longitude=1.28)     # a report's service

District services (bins, council tax, planning, fly-tipping, abandoned vehicles) go to the district whose GSS
code the address carries; county services (highways, street lighting, social care) to the county
(app/council_services.py). Coordinates without a UPRN are routed by COUNCIL BOUNDARY (app/boundaries.py,
filled by ``flask boundaries import FILE`` from the ONS boundaries): the district whose polygon contains the
point. A point outside every boundary known goes by its nearest gazetteer address within
``NEAREST_ADDRESS_LIMIT_M`` (the council over the border is named when that address is outside Norfolk), and
is outside Norfolk when no address is that near. With no boundaries imported, every point goes by its nearest
address; a place further than that from every known address is then "not found". Raises an
app.address_problems.AddressProblem.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from app import boundaries
from app.address_lookup import address_for_uprn, nearest_address
from app.address_problems import AddressesUnavailable, OutsideNorfolk, TrunkRoadPlace, UnknownPlace
from app.council_services import COUNTY_SERVICES, CouncilService
from app.theming import themes
from connectors.models import Address


@dataclass(frozen=True)
class Responsibility:
    """Which council looks after ``service`` at a place, and how the portal worked it out."""

    service: CouncilService
    council: str  # the council's slug, as in themes/ and the deployment file
    council_name: str
    gss_code: str
    address: Address | None  # the place's nearest address (None when routed by boundary, none near)
    located_by: str  # "uprn", "boundary" or "nearest_address"
    distance_m: float = 0.0


def _service(service: CouncilService | str) -> CouncilService:
    if isinstance(service, CouncilService):
        return service
    return CouncilService(service)


def _place(latitude: float, longitude: float) -> tuple[Address | None, str, str]:
    """(the nearest address if any, how the district was found, the district's GSS code) for a point."""
    if boundaries.loaded():
        lad_gss = boundaries.district_at(latitude, longitude)
        try:
            address = nearest_address(latitude, longitude)
        except AddressesUnavailable:
            address = None
        if lad_gss is not None:
            return address, "boundary", lad_gss
        # Outside every boundary known: the nearest address says which council (or which one over the
        # border) when there is one near; otherwise the place is outside Norfolk, council unknown.
        return address, "nearest_address", address.lad_gss if address else ""
    address = nearest_address(latitude, longitude)
    if address is None:
        raise UnknownPlace()
    return address, "nearest_address", address.lad_gss


def council_for(
    service: CouncilService | str,
    *,
    uprn: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Responsibility:
    """The council responsible for ``service`` (a CouncilService or its value; a report type's is its
    ``service``) at a UPRN, or at coordinates (routed by council boundary, see _place). Raises an
    AddressProblem."""
    service = _service(service)
    if uprn:
        address, located_by, distance = address_for_uprn(uprn), "uprn", 0.0
        lad_gss = address.lad_gss
    elif latitude is not None and longitude is not None:
        address, located_by, lad_gss = _place(latitude, longitude)
        distance = (address.distance_m(latitude, longitude) or 0.0) if address else 0.0
    else:
        raise ValueError("council_for needs a uprn, or a latitude and longitude")

    district = themes().by_gss_code(lad_gss)
    if district is None or district.tier != "district":
        place = address.single_line if located_by == "uprn" else _l("That place")
        raise OutsideNorfolk(lad_gss, place, service)
    if service is CouncilService.HIGHWAYS and located_by != "uprn":
        road = boundaries.trunk_road_near(latitude, longitude, current_app.config["TRUNK_ROAD_DISTANCE_M"])
        if road is not None:
            raise TrunkRoadPlace(road)
    council = themes().county() if service in COUNTY_SERVICES else district
    return Responsibility(
        service=service,
        council=council.slug,
        council_name=council.name,
        gss_code=council.gss_code,
        address=address,
        located_by=located_by,
        distance_m=round(distance, 1),
    )
