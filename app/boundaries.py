"""Council boundaries: which local authority district a point is in, by polygon containment.

    from app import boundaries
    boundaries.district_at(52.6076, 1.2858)     # "E07000148" (Norwich), or None outside every boundary known
    boundaries.loaded()                          # False until `flask boundaries import FILE` has run

`flask boundaries import FILE` reads the ONS "Local Authority Districts" boundaries as GeoJSON (any year's
``LAD<yy>CD``/``LAD<yy>NM`` properties; generalised or full resolution; Polygon or MultiPolygon; WGS84, or
British National Grid when the file says EPSG:27700) and replaces the districts the file names, keeping the
others. Each process builds a spatial index (shapely's STRtree) of the boundaries once, and builds it again
when the table has changed (a count and the newest import time, read with every lookup).

`flask boundaries import-roads FILE` reads the roads National Highways looks after (GeoJSON LineString or
MultiLineString features, e.g. from OS Open Roads' trunk roads) and replaces the whole layer; they are kept
projected onto the National Grid (app/geo.py), so ``trunk_road_near`` measures in metres:

    boundaries.trunk_road_near(52.6003, 1.2195, within_m=20)   # "A47", or None
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import click
import shapely
from flask import Flask
from shapely.geometry import Point, mapping, shape
from sqlalchemy import delete, func, select

from app import geo
from app.extensions import db
from app.models.boundaries import CouncilBoundary, TrunkRoad

LAD_CODE = re.compile(r"^LAD\d{2}CD$", re.IGNORECASE)
LAD_NAME = re.compile(r"^LAD\d{2}NM$", re.IGNORECASE)
GSS_CODE = re.compile(r"^[ENSW]\d{8}$")


class BoundaryFileError(ValueError):
    """The file is not one this command can read; the message says why."""


# --- reading GeoJSON ------------------------------------------------------------------------------------


def _uses_national_grid(collection: dict) -> bool:
    crs = json.dumps(collection.get("crs") or {})
    return "27700" in crs


def _to_wgs84(geometry, national_grid: bool):
    if not national_grid:
        return geometry
    return shapely.transform(
        geometry,
        lambda coords: [geo.national_grid_to_wgs84(easting, northing)[::-1] for easting, northing in coords],
    )


def _checked(geometry, kinds: tuple[str, ...], where: str):
    if geometry.geom_type not in kinds:
        raise BoundaryFileError(f"{where}: a {geometry.geom_type}, not {' or '.join(kinds)}")
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BoundaryFileError(f"{where}: coordinates are not longitude/latitude (nor marked EPSG:27700)")
    return geometry


def read_features(path: Path) -> tuple[list[dict], bool]:
    """The features of a GeoJSON FeatureCollection, and whether its coordinates are National Grid."""
    try:
        collection = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BoundaryFileError(f"{path}: not a GeoJSON file ({error})") from None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise BoundaryFileError(f"{path}: not a GeoJSON FeatureCollection")
    features = [feature for feature in collection.get("features") or [] if isinstance(feature, dict)]
    if not features:
        raise BoundaryFileError(f"{path}: no features")
    return features, _uses_national_grid(collection)


@dataclass(frozen=True)
class District:
    lad_gss: str
    name: str
    geometry: object  # a shapely Polygon or MultiPolygon, WGS84 longitude/latitude


def parse_districts(path: Path) -> list[District]:
    features, national_grid = read_features(path)
    districts: dict[str, District] = {}
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") or {}
        code = next((str(v).strip() for k, v in properties.items() if LAD_CODE.match(k) and v), "")
        name = next((str(v).strip() for k, v in properties.items() if LAD_NAME.match(k) and v), "")
        where = f"feature {number}"
        if not GSS_CODE.match(code):
            raise BoundaryFileError(f"{where}: no LAD<yy>CD property with a GSS code (found {code!r})")
        if not name:
            raise BoundaryFileError(f"{where} ({code}): no LAD<yy>NM property")
        try:
            geometry = shape(feature.get("geometry") or {})
        except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException):
            raise BoundaryFileError(f"{where} ({code}): not a GeoJSON geometry") from None
        geometry = _checked(
            _to_wgs84(geometry, national_grid), ("Polygon", "MultiPolygon"), f"{where} ({code})"
        )
        if code in districts:  # a district in several features: one area
            geometry = shapely.union(districts[code].geometry, geometry)
        districts[code] = District(code, name[:100], geometry)
    return list(districts.values())


def import_districts(districts: list[District]) -> None:
    """Replace the districts named, keep the others, in one transaction."""
    codes = [district.lad_gss for district in districts]
    db.session.execute(delete(CouncilBoundary).where(CouncilBoundary.lad_gss.in_(codes)))
    db.session.add_all(
        CouncilBoundary(lad_gss=d.lad_gss, name=d.name, geometry=json.dumps(mapping(d.geometry)))
        for d in districts
    )
    db.session.commit()


ROAD_NAMES = ("roadNumber", "road_number", "ROA_NUMBER", "ref", "name1", "name", "NAME")


def parse_roads(path: Path) -> list[tuple[str, object]]:
    """(the road's number or name, its WGS84 line) for each feature."""
    features, national_grid = read_features(path)
    roads = []
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") or {}
        name = next((str(properties[key]).strip() for key in ROAD_NAMES if properties.get(key)), "")
        try:
            geometry = shape(feature.get("geometry") or {})
        except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException):
            raise BoundaryFileError(f"feature {number}: not a GeoJSON geometry") from None
        where = f"feature {number}"
        line = _checked(_to_wgs84(geometry, national_grid), ("LineString", "MultiLineString"), where)
        roads.append((name[:100] or "trunk road", line))
    return roads


def import_roads(roads: list[tuple[str, object]]) -> None:
    """Replace the trunk road layer, in one transaction."""
    db.session.execute(delete(TrunkRoad))
    db.session.add_all(TrunkRoad(name=name, geometry=json.dumps(mapping(line))) for name, line in roads)
    db.session.commit()


# --- the spatial index, one per process -------------------------------------------------------------------


@dataclass(frozen=True)
class _Index:
    version: tuple
    tree: shapely.STRtree
    codes: tuple[str, ...]


_indexes: dict[str, _Index] = {}
_index_lock = threading.Lock()


def _on_the_grid(geometry):
    return shapely.transform(
        geometry, lambda coords: [geo.wgs84_to_national_grid(lat, lon) for lon, lat in coords]
    )


def _current_index(model, key, label, projected: bool) -> _Index:
    """The index of ``model``'s geometries (on the National Grid when ``projected``), built again when the
    table's row count or newest import time has changed."""
    count, newest = db.session.execute(select(func.count(key), func.max(model.imported_at))).one()
    version = (str(db.engine.url), count, str(newest))
    index = _indexes.get(model.__tablename__)
    if index is not None and index.version == version:
        return index
    with _index_lock:
        rows = sorted(db.session.execute(select(key, label, model.geometry)).all())
        geometries = [shape(json.loads(geometry)) for _, _, geometry in rows]
        if projected:
            geometries = [_on_the_grid(geometry) for geometry in geometries]
        for geometry in geometries:
            shapely.prepare(geometry)
        index = _Index(version, shapely.STRtree(geometries), tuple(name for _, name, _ in rows))
        _indexes[model.__tablename__] = index
        return index


def _districts() -> _Index:
    return _current_index(CouncilBoundary, CouncilBoundary.lad_gss, CouncilBoundary.lad_gss, projected=False)


def _roads() -> _Index:
    return _current_index(TrunkRoad, TrunkRoad.id, TrunkRoad.name, projected=True)


def loaded() -> bool:
    return bool(_districts().codes)


def district_at(latitude: float, longitude: float) -> str | None:
    """The GSS code of the district whose boundary contains the point (on a border: the first by code)."""
    index = _districts()
    if not index.codes:
        return None
    hits = index.tree.query(Point(longitude, latitude), predicate="intersects")
    return min((index.codes[hit] for hit in hits), default=None)


def trunk_road_near(latitude: float, longitude: float, within_m: float) -> str | None:
    """The name of the nearest trunk road within ``within_m`` metres of the point, or None."""
    index = _roads()
    if not index.codes:
        return None
    point = Point(*geo.wgs84_to_national_grid(latitude, longitude))
    hits = index.tree.query(point, predicate="dwithin", distance=within_m)
    if not len(hits):
        return None
    return index.codes[min(hits, key=lambda hit: (index.tree.geometries[hit].distance(point), hit))]


# --- the commands -----------------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    @app.cli.group("boundaries")
    def boundaries() -> None:
        """Council boundaries and trunk roads, for routing places on the map."""

    @boundaries.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_command(file: Path) -> None:
        """Import local authority district boundaries from an ONS GeoJSON file (LAD<yy>CD/LAD<yy>NM).

        Replaces the districts the file names and keeps the others."""
        try:
            districts = parse_districts(file)
        except BoundaryFileError as error:
            raise click.ClickException(str(error)) from None
        import_districts(districts)
        click.echo(f"{file}: {len(districts)} districts imported: {', '.join(d.lad_gss for d in districts)}")

    @boundaries.command("import-roads")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_roads_command(file: Path) -> None:
        """Import the trunk roads National Highways looks after (GeoJSON lines), replacing the old ones."""
        try:
            roads = parse_roads(file)
        except BoundaryFileError as error:
            raise click.ClickException(str(error)) from None
        import_roads(roads)
        click.echo(f"{file}: {len(roads)} trunk roads imported")
