"""Write sandbox/data/boundaries.geojson: made-up district boundaries that agree with the sandbox gazetteer.

Each address in sandbox/data/gazetteer.csv gets the Voronoi cell of the points nearer to it than to any other
address; the cells are merged per district (the gazetteer's GSS code) and clipped to a box around Norfolk, so
every address lies inside its own district's boundary and a border runs halfway between neighbouring addresses
of different districts. Written in the ONS format (LAD24CD/LAD24NM properties, WGS84 coordinates) that
`flask boundaries import FILE` reads, as `make seed` does. Deterministic: run it again, the file is the same.

    .venv/bin/python -m sandbox.data.make_boundaries
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import shapely
from shapely.geometry import MultiPoint, box, mapping

GAZETTEER = Path(__file__).with_name("gazetteer.csv")
OUT = Path(__file__).with_name("boundaries.geojson")
# West, south, east, north: Norfolk and a strip of its neighbours, where the gazetteer's addresses are.
NORFOLK_BOX = (0.10, 52.20, 1.80, 53.00)
PRECISION = 1e-6  # degrees: about 10 cm

ONS_NAMES = {
    "E07000010": "Fenland",
    "E07000140": "South Holland",
    "E07000143": "Breckland",
    "E07000144": "Broadland",
    "E07000145": "Great Yarmouth",
    "E07000146": "King's Lynn and West Norfolk",
    "E07000147": "North Norfolk",
    "E07000148": "Norwich",
    "E07000149": "South Norfolk",
    "E07000244": "East Suffolk",
    "E07000245": "West Suffolk",
}


def main() -> None:
    with GAZETTEER.open(newline="", encoding="utf-8") as handle:
        rows = sorted(
            {
                (float(r["longitude"]), float(r["latitude"])): r["lad_gss"] for r in csv.DictReader(handle)
            }.items()
        )
    points = MultiPoint([point for point, _ in rows])
    area = box(*NORFOLK_BOX)
    cells = shapely.voronoi_polygons(points, extend_to=area, ordered=True).geoms
    by_district: dict[str, list] = {}
    for cell, (_, gss) in zip(cells, rows, strict=True):
        by_district.setdefault(gss, []).append(cell)
    features = []
    for gss in sorted(by_district):
        merged = shapely.set_precision(shapely.union_all(by_district[gss]).intersection(area), PRECISION)
        features.append(
            {
                "type": "Feature",
                "properties": {"LAD24CD": gss, "LAD24NM": ONS_NAMES[gss]},
                "geometry": mapping(merged),
            }
        )
    collection = {
        "type": "FeatureCollection",
        "name": "LAD_sandbox_BGC",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }
    OUT.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {len(features)} districts to {OUT}")


if __name__ == "__main__":
    main()
