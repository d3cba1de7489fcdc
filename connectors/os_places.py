"""The OS Places API (Ordnance Survey's AddressBase-backed address search) as an AddressLookup.

Used when PORTAL_OS_PLACES_API_KEY is set (``[addresses] adapter = "auto"``), or explicitly:

    [addresses]
    adapter = "os_places"
    base_url = "https://api.os.uk/search/places/v1"          # the default
    credentials = { key = "PORTAL_OS_PLACES_API_KEY" }
    custodian_gss = { "2625" = "E07000148" }                   # optional: more LOCAL_CUSTODIAN_CODE -> GSS

Answers come from the delivery-point dataset (DPA) in WGS84. OS Places gives each address's
LOCAL_CUSTODIAN_CODE, not its district's GSS code: Norfolk's seven are built in, anything else maps to "" (an
address outside the portal's councils, which routing hands off to GOV.UK's "find your local council").
The key travels in a header, never in a URL or a log. Tested against a loopback fake only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.errors import NotFound
from connectors.http import HttpClient, MalformedResponse, json_body
from connectors.models import Address

DEFAULT_BASE_URL = "https://api.os.uk/search/places/v1"
PAGE_SIZE = 100
MAX_NEAREST_RADIUS_M = 1000  # the API's limit
NORFOLK_CUSTODIAN_GSS = {
    "2605": "E07000143",  # Breckland
    "2610": "E07000144",  # Broadland
    "2615": "E07000145",  # Great Yarmouth
    "2620": "E07000147",  # North Norfolk
    "2625": "E07000148",  # Norwich
    "2630": "E07000149",  # South Norfolk
    "2635": "E07000146",  # King's Lynn and West Norfolk
}


def build(settings, registry) -> OsPlacesLookup:
    if not settings.base_url:
        from dataclasses import replace

        settings = replace(settings, base_url=DEFAULT_BASE_URL)
    http = registry.http_client(settings, headers={"key": settings.credentials.get("key", "")})
    custodians = {**NORFOLK_CUSTODIAN_GSS, **settings.options.get("custodian_gss", {})}
    return OsPlacesLookup(http, custodians)


class OsPlacesLookup:
    """connectors.protocols.AddressLookup over the OS Places API."""

    def __init__(self, http: HttpClient, custodian_gss: dict[str, str]):
        self.http = http
        self.custodian_gss = custodian_gss

    def _address(self, record: dict[str, Any]) -> Address:
        dpa = record.get("DPA")
        if not isinstance(dpa, dict):
            raise MalformedResponse("a result without DPA")

        def field(name: str) -> str:
            value = dpa.get(name)
            return str(value).strip() if value not in (None, "") else ""

        street = " ".join(filter(None, (field("BUILDING_NUMBER"), field("DEPENDENT_THOROUGHFARE_NAME"),
                                        field("THOROUGHFARE_NAME"))))  # fmt: skip
        parts = [field("ORGANISATION_NAME"), field("SUB_BUILDING_NAME"), field("BUILDING_NAME"), street,
                 field("DEPENDENT_LOCALITY")]  # fmt: skip
        lines = [part for part in parts if part]
        if len(lines) > 3:
            lines = [*lines[:2], ", ".join(lines[2:])]
        if not field("UPRN") or not field("POSTCODE") or not lines:
            raise MalformedResponse("a DPA result without UPRN, postcode or address")
        return Address(
            uprn=field("UPRN"),
            lines=tuple(lines),
            town=field("POST_TOWN").title(),
            postcode=field("POSTCODE"),
            lad_gss=self.custodian_gss.get(field("LOCAL_CUSTODIAN_CODE"), ""),
            latitude=float(dpa["LAT"]) if dpa.get("LAT") is not None else None,
            longitude=float(dpa["LNG"]) if dpa.get("LNG") is not None else None,
        )

    def _page(self, response) -> tuple[int, list[Address]]:
        body = json_body(response)
        if not isinstance(body, dict) or not isinstance(body.get("header"), dict):
            raise MalformedResponse("no header")
        total = int(body["header"].get("totalresults", 0))
        return total, [self._address(record) for record in body.get("results", [])]

    def addresses_for_postcode(self, postcode: str) -> Sequence[Address]:
        found: list[Address] = []
        offset = 0
        while True:
            total, page = self.http.get(
                "postcode",
                parse=self._page,
                params={"postcode": postcode, "output_srs": "WGS84", "dataset": "DPA",
                        "maxresults": PAGE_SIZE, "offset": offset},
            ).value  # fmt: skip
            found += page
            offset += PAGE_SIZE
            if not page or offset >= total:
                return found

    def address(self, uprn: str) -> Address:
        _, page = self.http.get(
            "uprn", parse=self._page, params={"uprn": uprn, "output_srs": "WGS84", "dataset": "DPA"}
        ).value
        if not page:
            raise NotFound(self.http.council, self.http.kind, detail=f"no UPRN {uprn}")
        return page[0]

    def nearest(self, latitude: float, longitude: float, within_m: float) -> Address | None:
        _, page = self.http.get(
            "nearest",
            parse=self._page,
            params={
                "point": f"{latitude:.6f},{longitude:.6f}",
                "srs": "WGS84",
                "output_srs": "WGS84",
                "dataset": "DPA",
                "radius": min(int(within_m), MAX_NEAREST_RADIUS_M),
            },
        ).value
        return page[0] if page else None
