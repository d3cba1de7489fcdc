"""Addresses, as the rest of the portal finds them.

    from app import address_lookup
    found = address_lookup.addresses_for_postcode(text)     # [Address], or UnknownPostcode / OutsideNorfolk
    home = address_lookup.address_for_uprn("100090912345")  # Address, or UnknownUprn
    near = address_lookup.nearest_address(52.62, 1.28)      # within NEAREST_ADDRESS_LIMIT_M, or None

Each raises an app.address_problems.AddressProblem for what a person can get wrong (or AddressesUnavailable).
Addresses come from the deployment's connectors.protocols.AddressLookup: the portal's gazetteer table
(GazetteerLookup, filled by ``flask gazetteer import FILE``, app/gazetteer_import.py), or the OS Places API
when PORTAL_OS_PLACES_API_KEY is set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select

from app.address_problems import AddressesUnavailable, OutsideNorfolk, UnknownPostcode, UnknownUprn
from app.backoffice import registry
from app.extensions import db
from app.models.gazetteer import GazetteerAddress
from app.postcodes import normalise_postcode
from app.theming import themes
from connectors.errors import ConnectorError, NotFound
from connectors.models import Address, distance_m
from connectors.protocols import AddressLookup
from connectors.registry import GAZETTEER

NEAREST_ADDRESS_LIMIT_M = 2000


def _address(row: GazetteerAddress) -> Address:
    return Address(
        uprn=row.uprn,
        lines=row.lines,
        town=row.town,
        postcode=row.postcode,
        lad_gss=row.lad_gss,
        latitude=row.latitude,
        longitude=row.longitude,
    )


def reading_order(address: Address) -> list:
    """Natural order: 2 before 10, Flat 2 before Flat 10, streets together."""
    parts = re.split(r"(\d+)", " ".join(reversed(address.lines)).lower())
    return [int(part) if part.isdigit() else part for part in parts]


class GazetteerLookup:
    """connectors.protocols.AddressLookup over the gazetteer_addresses table (needs an app context)."""

    def addresses_for_postcode(self, postcode: str) -> Sequence[Address]:
        rows = db.session.scalars(select(GazetteerAddress).where(GazetteerAddress.postcode == postcode))
        return sorted((_address(row) for row in rows), key=reading_order)

    def address(self, uprn: str) -> Address:
        row = db.session.get(GazetteerAddress, uprn)
        if row is None:
            raise NotFound("gazetteer", "addresses", f"No address with UPRN {uprn}")
        return _address(row)

    def nearest(self, latitude: float, longitude: float, within_m: float) -> Address | None:
        """The nearest address within ``within_m`` metres, by a bounding-box query then exact distance."""
        dlat = within_m / 111_000
        dlon = within_m / 60_000  # metres per degree of longitude at Norfolk's latitude is about 67 km
        rows = db.session.scalars(
            select(GazetteerAddress).where(
                GazetteerAddress.latitude.between(latitude - dlat, latitude + dlat),
                GazetteerAddress.longitude.between(longitude - dlon, longitude + dlon),
            )
        )
        best = min(
            ((distance_m(latitude, longitude, row.latitude, row.longitude), row) for row in rows),
            key=lambda pair: pair[0],
            default=None,
        )
        return _address(best[1]) if best and best[0] <= within_m else None


def lookup() -> AddressLookup:
    """The deployment's address lookup: the gazetteer table, or the connector the connectors file names."""
    connectors = registry()
    return GazetteerLookup() if connectors.address_adapter() == GAZETTEER else connectors.address_lookup()


def _norfolk_gss_codes() -> set[str]:
    return {theme.gss_code for theme in themes() if theme.tier == "district"}


def addresses_for_postcode(text: str) -> list[Address]:
    """Every address at this postcode, in reading order. Otherwise InvalidPostcode, UnknownPostcode,
    OutsideNorfolk (every address there is outside Norfolk) or AddressesUnavailable."""
    postcode = normalise_postcode(text)
    try:
        found = list(lookup().addresses_for_postcode(postcode))
    except ConnectorError:
        raise AddressesUnavailable() from None
    if not found:
        raise UnknownPostcode(postcode)
    in_norfolk = [address for address in found if address.lad_gss in _norfolk_gss_codes()]
    if not in_norfolk:
        raise OutsideNorfolk(found[0].lad_gss, postcode)
    return in_norfolk


def address_for_uprn(uprn: str) -> Address:
    uprn = (uprn or "").strip()
    if not uprn.isdigit() or len(uprn) > 12:
        raise UnknownUprn(uprn)
    try:
        return lookup().address(uprn)
    except NotFound:
        raise UnknownUprn(uprn) from None
    except ConnectorError:
        raise AddressesUnavailable() from None


def nearest_address(latitude: float, longitude: float) -> Address | None:
    """The nearest known address within NEAREST_ADDRESS_LIMIT_M, or None; AddressesUnavailable when down."""
    try:
        return lookup().nearest(latitude, longitude, NEAREST_ADDRESS_LIMIT_M)
    except ConnectorError:
        raise AddressesUnavailable() from None
