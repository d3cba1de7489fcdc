"""Addresses and routing, as the rest of the portal uses them.

    from app import addresses
    postcode = addresses.normalise_postcode(text)            # "nr22pe" -> "NR2 2PE", or InvalidPostcode
    found = addresses.addresses_for_postcode(text)           # [Address], or UnknownPostcode / OutsideNorfolk
    home = addresses.address_for_uprn("100090912345")        # Address, or UnknownUprn
    who = addresses.council_for(CouncilService.BINS, uprn=home.uprn)               # Responsibility
    who = addresses.council_for(report_type.service, latitude=52.62, longitude=1.28)  # a report's service

Each problem a person can cause is an ``AddressProblem`` whose ``message`` is the sentence to show them.

Routing: district services (bins, council tax, planning, fly-tipping, abandoned vehicles) go to the district
whose GSS code the address carries; county services (highways, street lighting, social care) to the county.
Coordinates without a UPRN are routed by COUNCIL BOUNDARY (app/boundaries.py, filled by
``flask boundaries import FILE`` from the ONS boundaries): the district whose polygon contains the point. A
point outside every boundary known goes by its nearest gazetteer address within ``NEAREST_ADDRESS_LIMIT_M``
(the council over the border is named when that address is outside Norfolk), and is outside Norfolk when no
address is that near. With no boundaries imported, every point goes by its nearest address; a place further
than that from every known address is then "not found".

Addresses come from the deployment's AddressLookup: the portal's gazetteer table (GazetteerLookup, filled by
``flask gazetteer import FILE``), or the OS Places API when PORTAL_OS_PLACES_API_KEY is set.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import boundaries, geo
from app.backoffice import registry
from app.extensions import db
from app.models.gazetteer import GazetteerAddress
from app.theming import themes
from connectors.errors import ConnectorError, NotFound
from connectors.models import Address, distance_m
from connectors.os_places import NORFOLK_CUSTODIAN_GSS
from connectors.registry import GAZETTEER

POSTCODE_PATTERN = re.compile(r"^(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2})$")
NEAREST_ADDRESS_LIMIT_M = 2000
FIND_YOUR_COUNCIL_URL = "https://www.gov.uk/find-local-council"
NATIONAL_HIGHWAYS_URL = "https://nationalhighways.co.uk/contact-us/"


class CouncilService(StrEnum):
    """The services a resident can ask "who does this here?" about."""

    BINS = "bins"
    COUNCIL_TAX = "council_tax"
    PLANNING = "planning"
    FLY_TIPPING = "fly_tipping"
    ABANDONED_VEHICLES = "abandoned_vehicles"
    HIGHWAYS = "highways"
    STREET_LIGHTING = "street_lighting"
    SOCIAL_CARE = "social_care"


DISTRICT_SERVICES = frozenset(
    {
        CouncilService.BINS,
        CouncilService.COUNCIL_TAX,
        CouncilService.PLANNING,
        CouncilService.FLY_TIPPING,
        CouncilService.ABANDONED_VEHICLES,
    }
)
COUNTY_SERVICES = frozenset(
    {CouncilService.HIGHWAYS, CouncilService.STREET_LIGHTING, CouncilService.SOCIAL_CARE}
)

# AddressBase's LOCAL_CUSTODIAN_CODE -> GSS codes, for imports without a GSS column.
CUSTODIAN_GSS = NORFOLK_CUSTODIAN_GSS


@dataclass(frozen=True)
class OtherCouncil:
    """A council outside Norfolk, named when an address is over the border."""

    name: str
    website: str
    county_name: str
    county_website: str


NEIGHBOURING_COUNCILS = {
    "E07000245": OtherCouncil(
        "West Suffolk Council",
        "https://www.westsuffolk.gov.uk",
        "Suffolk County Council",
        "https://www.suffolk.gov.uk",
    ),
    "E07000244": OtherCouncil(
        "East Suffolk Council",
        "https://www.eastsuffolk.gov.uk",
        "Suffolk County Council",
        "https://www.suffolk.gov.uk",
    ),
    "E07000010": OtherCouncil(
        "Fenland District Council",
        "https://www.fenland.gov.uk",
        "Cambridgeshire County Council",
        "https://www.cambridgeshire.gov.uk",
    ),
    "E07000140": OtherCouncil(
        "South Holland District Council",
        "https://www.sholland.gov.uk",
        "Lincolnshire County Council",
        "https://www.lincolnshire.gov.uk",
    ),
}


# --- problems a person can cause, each with the sentence to show them --------------------------------------


class AddressProblem(Exception):
    """Something about the address or place given that the person needs to put right, or be told."""

    def __init__(self, message):
        super().__init__(message)
        self._message = message  # lazy: translated when read, in the request's language

    @property
    def message(self) -> str:
        return str(self._message)


class InvalidPostcode(AddressProblem):
    pass


class UnknownPostcode(AddressProblem):
    def __init__(self, postcode: str):
        super().__init__(
            _l(
                "We could not find any addresses for %(postcode)s. Check the postcode is right.",
                postcode=postcode,
            )
        )
        self.postcode = postcode


class UnknownUprn(AddressProblem):
    def __init__(self, uprn: str):
        super().__init__(_l("We could not find that address. Search for it by its postcode instead."))
        self.uprn = uprn


class UnknownPlace(AddressProblem):
    def __init__(self):
        super().__init__(
            _l("We could not tell which council looks after that place. Choose an address near it.")
        )


class OutsideNorfolk(AddressProblem):
    """The place is looked after by a council outside Norfolk: ``contact_name`` names it where the LAD is
    known (None otherwise), ``contact_website`` is its website or GOV.UK's "find your local council"."""

    def __init__(self, lad_gss: str, place: str, service: CouncilService | None = None):
        neighbour = NEIGHBOURING_COUNCILS.get(lad_gss)
        self.lad_gss = lad_gss
        if neighbour is None:
            self.contact_name, self.contact_website = None, FIND_YOUR_COUNCIL_URL
            message = _l(
                "%(place)s is not in Norfolk, so Norfolk's councils cannot help with it. "
                "Find the council for that address on GOV.UK.",
                place=place,
            )
        else:
            county = service in COUNTY_SERVICES
            self.contact_name = neighbour.county_name if county else neighbour.name
            self.contact_website = neighbour.county_website if county else neighbour.website
            message = _l(
                "%(place)s is not in Norfolk: it is looked after by %(council)s. Contact them instead.",
                place=place,
                council=self.contact_name,
            )
        super().__init__(message)


class TrunkRoadPlace(AddressProblem):
    """The place is on (or within TRUNK_ROAD_DISTANCE_M of) a road National Highways looks after."""

    contact_name = "National Highways"
    contact_website = NATIONAL_HIGHWAYS_URL

    def __init__(self, road: str):
        super().__init__(
            _l(
                "%(road)s is looked after by National Highways, not the county council. Report it to them.",
                road=road,
            )
        )
        self.road = road


class AddressesUnavailable(AddressProblem):
    def __init__(self):
        super().__init__(_l("Sorry, we cannot look up addresses at the moment. Try again in a few minutes."))


# --- postcodes ---------------------------------------------------------------------------------------------


def normalise_postcode(text: str | None) -> str:
    """ "nr22pe " -> "NR2 2PE"; InvalidPostcode with the sentence to show when it cannot be a UK postcode."""
    compact = re.sub(r"\s+", "", (text or "")).upper()
    if not compact:
        raise InvalidPostcode(_l("Enter a postcode"))
    if not POSTCODE_PATTERN.match(compact):
        raise InvalidPostcode(_l("Enter a real postcode, like NR1 2DH"))
    return f"{compact[:-3]} {compact[-3:]}"


# --- the portal's gazetteer table: an AddressLookup ------------------------------------------------------


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


# --- what the portal calls ---------------------------------------------------------------------------------


def _lookup():
    connectors = registry()
    return GazetteerLookup() if connectors.address_adapter() == GAZETTEER else connectors.address_lookup()


def _norfolk_gss_codes() -> set[str]:
    return {theme.gss_code for theme in themes() if theme.tier == "district"}


def addresses_for_postcode(text: str) -> list[Address]:
    """Every address at this postcode, in reading order. Otherwise InvalidPostcode, UnknownPostcode,
    OutsideNorfolk (every address there is outside Norfolk) or AddressesUnavailable."""
    postcode = normalise_postcode(text)
    try:
        found = list(_lookup().addresses_for_postcode(postcode))
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
        return _lookup().address(uprn)
    except NotFound:
        raise UnknownUprn(uprn) from None
    except ConnectorError:
        raise AddressesUnavailable() from None


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


def nearest_address(latitude: float, longitude: float) -> Address | None:
    """The nearest known address within NEAREST_ADDRESS_LIMIT_M, or None; AddressesUnavailable when down."""
    nearest = getattr(_lookup(), "nearest", None)
    try:
        return nearest(latitude, longitude, NEAREST_ADDRESS_LIMIT_M) if nearest else None
    except ConnectorError:
        raise AddressesUnavailable() from None


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


# --- importing a gazetteer from CSV -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedRow:
    uprn: str
    lines: tuple[str, ...]
    town: str
    postcode: str
    latitude: float | None
    longitude: float | None
    lad_gss: str


class RowError(ValueError):
    pass


def _first(row: dict[str, str], *names: str) -> str:
    for name in names:
        value = (row.get(name) or "").strip()
        if value:
            return value
    return ""


def _lines_from_addressbase(row: dict[str, str]) -> list[str]:
    """Address lines from AddressBase Plus's delivery-point fields, or else its LPI (LLPG) fields."""
    if _first(row, "thoroughfare", "building_number", "building_name"):
        street = " ".join(filter(None, (_first(row, "building_number"), _first(row, "dependent_thoroughfare"),
                                        _first(row, "thoroughfare"))))  # fmt: skip
        parts = [_first(row, "organisation_name"), _first(row, "sub_building_name"),
                 _first(row, "building_name"), street, _first(row, "dependent_locality")]  # fmt: skip
    else:
        sao = " ".join(filter(None, (_first(row, "sao_text"), _number(row, "sao"))))
        pao_number = _number(row, "pao")
        street = " ".join(filter(None, (pao_number, _first(row, "street_description"))))
        parts = [_first(row, "organisation", "organisation_name"), sao, _first(row, "pao_text"), street,
                 _first(row, "locality")]  # fmt: skip
    return [part.strip() for part in parts if part and part.strip()]


def _number(row: dict[str, str], prefix: str) -> str:
    start = _first(row, f"{prefix}_start_number") + _first(row, f"{prefix}_start_suffix")
    end = _first(row, f"{prefix}_end_number") + _first(row, f"{prefix}_end_suffix")
    return f"{start}-{end}" if start and end else start


def parse_row(raw: dict[str, str]) -> ImportedRow:
    row = {(key or "").strip().lower(): value for key, value in raw.items()}
    uprn = _first(row, "uprn")
    if not uprn.isdigit() or len(uprn) > 12:
        raise RowError(f"UPRN {uprn!r} is not a number of up to 12 digits")
    if _first(row, "address_line_1"):
        lines = [_first(row, f"address_line_{n}") for n in (1, 2, 3)]
        lines = [line for line in lines if line]
    else:
        lines = _lines_from_addressbase(row)
    if not lines:
        raise RowError("no address lines")
    if len(lines) > 3:
        lines = [*lines[:2], ", ".join(lines[2:])]
    town = _first(row, "town", "post_town", "town_name")
    if not town:
        raise RowError("no town")
    if town.isupper():
        town = town.title()
    try:
        postcode = normalise_postcode(_first(row, "postcode", "postcode_locator"))
    except InvalidPostcode:
        raise RowError(f"postcode {_first(row, 'postcode', 'postcode_locator')!r} is not valid") from None
    lad_gss = _first(row, "lad_gss", "lad24cd", "lad23cd", "lad22cd", "gss_code")
    if not lad_gss:
        lad_gss = CUSTODIAN_GSS.get(_first(row, "local_custodian_code"), "")
    if not re.fullmatch(r"[EWSN]\d{8}", lad_gss):
        raise RowError("no local authority GSS code (lad_gss), and no Norfolk LOCAL_CUSTODIAN_CODE")
    lat, lon = _coordinates(row)
    return ImportedRow(uprn, tuple(lines), town, postcode, lat, lon, lad_gss)


def _in_great_britain(lat: float, lon: float) -> bool:
    return 49 < lat < 61 and -9 < lon < 2


def _coordinates(row: dict[str, str]) -> tuple[float | None, float | None]:
    """WGS84 (latitude, longitude) from decimal degrees, or else from British National Grid eastings and
    northings (NLPG DTF 7.3 and AddressBase Core/Premium carry only those), or (None, None) if neither."""
    latitude, longitude = _first(row, "latitude", "lat"), _first(row, "longitude", "long", "lng")
    if latitude or longitude:  # latitude/longitude win over eastings/northings: they need no conversion
        try:
            lat, lon = float(latitude) if latitude else None, float(longitude) if longitude else None
        except ValueError:
            raise RowError("latitude and longitude must be decimal degrees") from None
        if lat is None or lon is None or not _in_great_britain(lat, lon):
            raise RowError("latitude and longitude must both be given, in Great Britain")
        return lat, lon

    easting, northing = _first(row, "x_coordinate", "easting"), _first(row, "y_coordinate", "northing")
    if not (easting or northing):
        return None, None
    try:
        lat, lon = geo.national_grid_to_wgs84(easting, northing)
    except geo.OutsideNationalGrid:
        raise RowError(
            f"eastings and northings must be numbers on the British National Grid, not {easting!r} and "
            f"{northing!r}"
        ) from None
    # The grid's origin is in the sea off the Scilly Isles, yet inside the Great Britain box below: 0, 0 can
    # only be a placeholder for "not placed yet", and importing it would put the home there.
    if float(easting) == 0 and float(northing) == 0:
        raise RowError("easting 0 and northing 0 is not a place: leave both empty for an address with none")
    lat, lon = round(lat, 6), round(lon, 6)  # 0.1 m: far finer than the conversion's 5 m
    if not _in_great_britain(lat, lon):
        raise RowError(f"easting {easting} and northing {northing} are not in Great Britain")
    return lat, lon


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] | None = None


def import_rows(rows: Iterable[dict[str, str]], *, batch_size: int = 1000) -> ImportSummary:
    """Insert or update gazetteer rows by UPRN (running it again changes nothing)."""
    summary = ImportSummary(rejected=[])

    def flush(batch: list[ImportedRow]) -> None:
        existing = {
            row.uprn: row
            for row in db.session.scalars(
                select(GazetteerAddress).where(GazetteerAddress.uprn.in_([item.uprn for item in batch]))
            )
        }
        for item in batch:
            values = {
                "address_line_1": item.lines[0],
                "address_line_2": item.lines[1] if len(item.lines) > 1 else None,
                "address_line_3": item.lines[2] if len(item.lines) > 2 else None,
                "town": item.town,
                "postcode": item.postcode,
                "latitude": item.latitude,
                "longitude": item.longitude,
                "lad_gss": item.lad_gss,
            }
            row = existing.get(item.uprn)
            if row is None:
                db.session.add(GazetteerAddress(uprn=item.uprn, **values))
                summary.added += 1
            elif any(getattr(row, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(row, key, value)
                summary.updated += 1
            else:
                summary.unchanged += 1
        db.session.commit()

    batch: dict[str, ImportedRow] = {}
    for line_number, raw in enumerate(rows, start=2):
        try:
            item = parse_row(raw)
        except RowError as error:
            summary.rejected.append((line_number, str(error)))
            continue
        batch[item.uprn] = item
        if len(batch) >= batch_size:
            flush(list(batch.values()))
            batch = {}
    if batch:
        flush(list(batch.values()))
    return summary


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from csv.DictReader(handle)


def init_app(app: Flask) -> None:
    @app.cli.group("gazetteer")
    def gazetteer() -> None:
        """The address gazetteer."""

    @gazetteer.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_command(file: Path) -> None:
        """Import addresses from a CSV file (our columns, or AddressBase Plus / LLPG column names).

        Coordinates come from LATITUDE/LONGITUDE (WGS84), or else from British National Grid eastings and
        northings (X_COORDINATE/Y_COORDINATE or EASTING/NORTHING), converted to WGS84 to about 5 m."""
        summary = import_rows(_csv_rows(file))
        click.echo(
            f"{file}: {summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged, "
            f"{len(summary.rejected)} rejected"
        )
        for line_number, reason in summary.rejected[:20]:
            click.echo(f"  line {line_number}: {reason}", err=True)
        if summary.rejected and not (summary.added or summary.updated or summary.unchanged):
            raise click.ClickException(
                "no row could be imported: check the column names (docs/connectors.md)"
            )
