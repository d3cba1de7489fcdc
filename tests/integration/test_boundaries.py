"""Council boundaries (app/boundaries.py): the ONS GeoJSON import, and routing a point by its polygon."""

from __future__ import annotations

import csv
import json
import math

import pytest
from shapely.geometry import Point, shape
from shapely.ops import linemerge

from app import address_problems, boundaries, gazetteer_import, routing
from app.extensions import db
from app.models.boundaries import CouncilBoundary
from sandbox.gazetteer import GAZETTEER_CSV

SANDBOX_BOUNDARIES = GAZETTEER_CSV.with_name("boundaries.geojson")
# The South Norfolk address nearest to a Norwich address, and that Norwich address (about 4 km apart).
COSTESSEY = (52.64957, 1.22679)
QUEENS_ROAD = (52.63067, 1.27668)


def sandbox_rows() -> list[dict[str, str]]:
    with GAZETTEER_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def routed(app):
    with app.test_request_context("/", headers={"Host": "norwich.localhost"}):
        assert not gazetteer_import.import_rows(sandbox_rows()).rejected
        result = app.test_cli_runner().invoke(args=["boundaries", "import", str(SANDBOX_BOUNDARIES)])
        assert result.exit_code == 0, result.output
        assert "11 districts imported" in result.output
        yield app


def square(west: float, south: float, size: float) -> list:
    return [
        [
            [west, south],
            [west + size, south],
            [west + size, south + size],
            [west, south + size],
            [west, south],
        ]
    ]


def ons_file(tmp_path, features, year="23", crs=None):
    collection = {
        "type": "FeatureCollection",
        "name": f"LAD_MAY_20{year}_UK_BGC",
        "features": [
            {
                "type": "Feature",
                "properties": {"FID": number, f"LAD{year}CD": code, f"LAD{year}NM": name, "GlobalID": "x"},
                "geometry": geometry,
            }
            for number, (code, name, geometry) in enumerate(features, start=1)
        ],
    }
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / "boundaries.geojson"
    path.write_text(json.dumps(collection))
    return path


def invoke(app, path):
    return app.test_cli_runner().invoke(args=["boundaries", "import", str(path)])


def border_points(metres: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two points ``metres`` either side of the middle of the longest stretch of the sandbox border between
    Norwich and South Norfolk, at right angles to it: (the South Norfolk side, the Norwich side)."""
    features = json.loads(SANDBOX_BOUNDARIES.read_text())["features"]
    area = {f["properties"]["LAD24CD"]: shape(f["geometry"]) for f in features}
    shared = linemerge(area["E07000148"].boundary.intersection(area["E07000149"].boundary))
    stretch = max(getattr(shared, "geoms", [shared]), key=lambda line: line.length)
    middle = stretch.interpolate(0.5, normalized=True)
    ahead = stretch.interpolate(min(stretch.length, stretch.project(middle) + 1e-5))
    behind = stretch.interpolate(max(0.0, stretch.project(middle) - 1e-5))
    metres_east = 111_320 * math.cos(math.radians(middle.y))
    dx, dy = (ahead.x - behind.x) * metres_east, (ahead.y - behind.y) * 111_320
    length = math.hypot(dx, dy)
    normal = (-dy / length, dx / length)  # unit vector at right angles, in metres east and north
    sides = [
        (middle.y + sign * normal[1] * metres / 111_320, middle.x + sign * normal[0] * metres / metres_east)
        for sign in (1, -1)
    ]
    sides.sort(key=lambda point: not area["E07000149"].contains(Point(point[1], point[0])))
    assert area["E07000149"].contains(Point(sides[0][1], sides[0][0]))
    assert area["E07000148"].contains(Point(sides[1][1], sides[1][0]))
    return sides[0], sides[1]


def test_every_sandbox_address_lies_in_its_own_district(routed):
    with routed.app_context():
        for row in sandbox_rows():
            assert boundaries.district_at(float(row["latitude"]), float(row["longitude"])) == row["lad_gss"]


@pytest.mark.parametrize("metres", [2, 5])
def test_points_a_few_metres_either_side_of_a_border_go_to_each_side(routed, metres):
    south_norfolk_side, norwich_side = border_points(metres)
    with routed.test_request_context("/", headers={"Host": "norwich.localhost"}):
        there = routing.council_for("bins", latitude=south_norfolk_side[0], longitude=south_norfolk_side[1])
        assert (there.council, there.located_by) == ("south-norfolk", "boundary")
        here = routing.council_for("bins", latitude=norwich_side[0], longitude=norwich_side[1])
        assert (here.council, here.located_by) == ("norwich", "boundary")
        pothole = routing.council_for("highways", latitude=norwich_side[0], longitude=norwich_side[1])
        assert pothole.council == "norfolk"


def test_a_pothole_and_a_missed_bin_at_the_border_address_go_to_the_county_and_the_district(routed):
    with routed.test_request_context("/", headers={"Host": "norwich.localhost"}):
        assert (
            routing.council_for("highways", latitude=COSTESSEY[0], longitude=COSTESSEY[1]).council
            == "norfolk"
        )
        assert (
            routing.council_for("bins", latitude=COSTESSEY[0], longitude=COSTESSEY[1]).council
            == "south-norfolk"
        )


def test_a_point_over_the_border_is_handed_off_by_name(routed):
    lowestoft = next(row for row in sandbox_rows() if row["town"] == "Lowestoft")
    place = {"latitude": float(lowestoft["latitude"]), "longitude": float(lowestoft["longitude"])}
    with routed.test_request_context("/", headers={"Host": "norwich.localhost"}):
        with pytest.raises(address_problems.OutsideNorfolk, match="East Suffolk Council"):
            routing.council_for("fly_tipping", **place)
        with pytest.raises(address_problems.OutsideNorfolk, match="Suffolk County Council"):
            routing.council_for("highways", **place)


def test_a_point_outside_every_boundary_and_far_from_addresses_is_outside_norfolk(routed):
    with routed.test_request_context("/", headers={"Host": "norwich.localhost"}):
        with pytest.raises(address_problems.OutsideNorfolk, match="not in Norfolk") as raised:
            routing.council_for("highways", latitude=53.2, longitude=2.5)  # the North Sea
        assert raised.value.contact_website == address_problems.FIND_YOUR_COUNCIL_URL


def test_an_ons_file_of_any_year_replaces_the_districts_it_names_and_keeps_the_others(app, tmp_path):
    first = ons_file(
        tmp_path,
        [
            ("E07000148", "Norwich", {"type": "Polygon", "coordinates": square(1.0, 52.0, 0.1)}),
            ("E07000149", "South Norfolk", {"type": "MultiPolygon", "coordinates": [square(2.0, 52.0, 0.1)]}),
        ],
        year="21",
    )
    with app.app_context():
        assert invoke(app, first).exit_code == 0
        assert boundaries.district_at(52.05, 1.05) == "E07000148"
        assert boundaries.district_at(52.05, 2.05) == "E07000149"
        moved = ons_file(
            tmp_path,
            [("E07000148", "Norwich", {"type": "Polygon", "coordinates": square(3.0, 52.0, 0.1)})],
            year="24",
        )
        result = invoke(app, moved)
        assert result.exit_code == 0 and "1 districts imported: E07000148" in result.output
        # the index is built again because the table changed
        assert boundaries.district_at(52.05, 1.05) is None
        assert boundaries.district_at(52.05, 3.05) == "E07000148"
        assert boundaries.district_at(52.05, 2.05) == "E07000149"
        assert db.session.get(CouncilBoundary, "E07000149").name == "South Norfolk"


def test_a_national_grid_file_is_converted_to_latitude_and_longitude(app, tmp_path):
    # A 2 km square of the National Grid around Norwich's centre (about 623000, 308500).
    grid_square = [[[622000, 307500], [624000, 307500], [624000, 309500], [622000, 309500], [622000, 307500]]]
    path = ons_file(
        tmp_path,
        [("E07000148", "Norwich", {"type": "Polygon", "coordinates": grid_square})],
        crs="urn:ogc:def:crs:EPSG::27700",
    )
    with app.app_context():
        assert invoke(app, path).exit_code == 0
        assert boundaries.district_at(52.6286, 1.2929) == "E07000148"  # Norwich market place
        assert boundaries.district_at(52.70, 1.2929) is None


def one_norwich(geometry: dict) -> str:
    properties = {"LAD23CD": "E07000148", "LAD23NM": "Norwich"}
    feature = {"type": "Feature", "properties": properties, "geometry": geometry}
    return json.dumps({"type": "FeatureCollection", "features": [feature]})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a GeoJSON file"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"NAME": "x"},'
            ' "geometry": null}]}',
            "no LAD<yy>CD property",
        ),
        (one_norwich({"type": "Point", "coordinates": [1, 52]}), "a Point, not Polygon or MultiPolygon"),
        (
            one_norwich(
                {
                    "type": "Polygon",
                    "coordinates": [[[6e5, 3e5], [601000, 3e5], [601000, 301000], [6e5, 3e5]]],
                }
            ),
            "not longitude/latitude",
        ),
    ],
)
def test_a_file_that_cannot_be_read_says_why_and_changes_nothing(app, tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with app.app_context():
        result = invoke(app, path)
        assert result.exit_code != 0 and message in result.output
        assert db.session.query(CouncilBoundary).count() == 0


SANDBOX_ROADS = GAZETTEER_CSV.with_name("trunk_roads.geojson")
A47_END = (52.61, 1.72)  # the sandbox A47's eastern end, in Great Yarmouth; it comes from the west


def east_of(point, metres):
    """``metres`` due east of the point, on the ellipsoid (radius of curvature at Norfolk's latitude)."""
    return point[0], point[1] + metres / (math.radians(1) * 6_390_640 * math.cos(math.radians(point[0])))


def test_potholes_near_a_trunk_road_go_to_national_highways_within_the_configured_distance(routed):
    result = routed.test_cli_runner().invoke(args=["boundaries", "import-roads", str(SANDBOX_ROADS)])
    assert result.exit_code == 0 and "2 trunk roads imported" in result.output
    with routed.test_request_context("/", headers={"Host": "norwich.localhost"}):
        near, far = east_of(A47_END, 15), east_of(A47_END, 25)
        trunk_road = "looked after by National Highways"
        with pytest.raises(address_problems.TrunkRoadPlace, match=trunk_road) as raised:
            routing.council_for("highways", latitude=near[0], longitude=near[1])
        assert raised.value.road == "A47"
        assert raised.value.contact_website == address_problems.NATIONAL_HIGHWAYS_URL
        assert routing.council_for("highways", latitude=far[0], longitude=far[1]).council == "norfolk"
        assert routing.council_for("bins", latitude=near[0], longitude=near[1]).council != "norfolk"
        routed.config["TRUNK_ROAD_DISTANCE_M"] = 30
        with pytest.raises(address_problems.TrunkRoadPlace):
            routing.council_for("highways", latitude=far[0], longitude=far[1])


def test_trunk_road_distances_are_measured_on_the_national_grid(routed):
    routed.test_cli_runner().invoke(args=["boundaries", "import-roads", str(SANDBOX_ROADS)])
    with routed.app_context():
        latitude, longitude = east_of(A47_END, 200)
        assert boundaries.trunk_road_near(latitude, longitude, within_m=197) is None
        assert boundaries.trunk_road_near(latitude, longitude, within_m=203) == "A47"


def test_a_road_file_of_areas_is_refused(app, tmp_path):
    path = tmp_path / "roads.geojson"
    path.write_text(one_norwich({"type": "Polygon", "coordinates": square(1.0, 52.0, 0.1)}))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["boundaries", "import-roads", str(path)])
        assert result.exit_code != 0 and "not LineString or MultiLineString" in result.output
