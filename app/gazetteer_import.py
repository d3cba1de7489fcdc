"""Importing the address gazetteer from CSV: ``flask gazetteer import FILE`` (our columns, or AddressBase Plus
/ LLPG column names), by UPRN, so that running it again changes nothing.

    from app import gazetteer_import
    summary = gazetteer_import.import_file(path)     # ImportSummary: added, updated, unchanged, rejected
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from app import geo
from app.address_problems import InvalidPostcode
from app.extensions import db
from app.models.gazetteer import GazetteerAddress
from app.postcodes import normalise_postcode
from connectors.os_places import NORFOLK_CUSTODIAN_GSS

# AddressBase's LOCAL_CUSTODIAN_CODE -> GSS codes, for imports without a GSS column.
CUSTODIAN_GSS = NORFOLK_CUSTODIAN_GSS


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


def import_file(path: Path) -> ImportSummary:
    """Import every row of a CSV file (UTF-8, with or without a byte order mark)."""
    return import_rows(_csv_rows(path))


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
        summary = import_file(file)
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
