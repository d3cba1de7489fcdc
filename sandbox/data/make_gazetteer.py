"""Write sandbox/data/gazetteer.csv: a made-up but plausible gazetteer of Norfolk addresses.

Every district gets its real towns and postcode sectors, with streets and house numbers invented around each
town's centre; the four demo residents (sandbox/demo_residents.py) are included at exactly their UPRNs, and a
handful of addresses over the border (Suffolk, Fenland, South Holland) let routing say who to contact instead.
Deterministic: run it again and the file is the same.

    .venv/bin/python -m sandbox.data.make_gazetteer
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

from sandbox.demo_residents import DEMO_RESIDENTS

OUT = Path(__file__).with_name("gazetteer.csv")
COLUMNS = ("uprn", "address_line_1", "address_line_2", "town", "postcode", "latitude", "longitude", "lad_gss")

# (district GSS, UPRN prefix, [(town, centre lat, centre long, [postcode sectors])])
AREAS = [
    (
        "E07000143",
        "2605",
        [
            ("Thetford", 52.4130, 0.7450, ["IP24 1", "IP24 2", "IP24 3"]),
            ("Dereham", 52.6810, 0.9400, ["NR19 1", "NR19 2"]),
            ("Swaffham", 52.6480, 0.6870, ["PE37 7"]),
            ("Attleborough", 52.5180, 1.0190, ["NR17 2"]),
            ("Watton", 52.5710, 0.8280, ["IP25 6"]),
        ],
    ),
    (
        "E07000144",
        "2610",
        [
            ("Aylsham", 52.7950, 1.2540, ["NR11 6"]),
            ("Sprowston", 52.6480, 1.3300, ["NR7 8"]),
            ("Hellesdon", 52.6530, 1.2560, ["NR6 5"]),
            ("Acle", 52.6370, 1.5470, ["NR13 3"]),
            ("Reepham", 52.7610, 1.1120, ["NR10 4"]),
            ("Taverham", 52.6840, 1.1990, ["NR8 6"]),
        ],
    ),
    (
        "E07000145",
        "1000902",
        [
            ("Great Yarmouth", 52.6070, 1.7290, ["NR30 1", "NR30 2", "NR30 3"]),
            ("Gorleston-on-Sea", 52.5770, 1.7250, ["NR31 6", "NR31 7"]),
            ("Caister-on-Sea", 52.6500, 1.7260, ["NR30 5"]),
            ("Bradwell", 52.5750, 1.6950, ["NR31 8"]),
        ],
    ),
    (
        "E07000146",
        "1000236",
        [
            ("King's Lynn", 52.7540, 0.3980, ["PE30 1", "PE30 2", "PE30 4", "PE30 5"]),
            ("Downham Market", 52.6010, 0.3830, ["PE38 9"]),
            ("Hunstanton", 52.9390, 0.4900, ["PE36 5", "PE36 6"]),
            ("Dersingham", 52.8420, 0.5130, ["PE31 6"]),
        ],
    ),
    (
        "E07000147",
        "1003482",
        [
            ("Cromer", 52.9310, 1.3010, ["NR27 9"]),
            ("Sheringham", 52.9430, 1.2100, ["NR26 8"]),
            ("North Walsham", 52.8220, 1.3880, ["NR28 9", "NR28 0"]),
            ("Holt", 52.9060, 1.0890, ["NR25 6"]),
            ("Fakenham", 52.8310, 0.8470, ["NR21 8", "NR21 9"]),
            ("Wells-next-the-Sea", 52.9530, 0.8510, ["NR23 1"]),
        ],
    ),
    (
        "E07000148",
        "1000909",
        [
            (
                "Norwich",
                52.6300,
                1.2970,
                ["NR1 1", "NR1 3", "NR1 4", "NR2 2", "NR2 3", "NR2 4", "NR3 1", "NR3 3"],
            ),
        ],
    ),
    (
        "E07000149",
        "2630",
        [
            ("Wymondham", 52.5700, 1.1150, ["NR18 0", "NR18 9"]),
            ("Diss", 52.3760, 1.1090, ["IP22 4"]),
            ("Long Stratton", 52.4900, 1.2310, ["NR15 2"]),
            ("Loddon", 52.5350, 1.4830, ["NR14 6"]),
            ("Harleston", 52.4030, 1.2990, ["IP20 9"]),
            ("Costessey", 52.6540, 1.2080, ["NR8 5"]),
        ],
    ),
]
OUTSIDE = [
    ("E07000245", "Brandon", 52.4470, 0.6240, ["IP27 0"]),
    ("E07000245", "Newmarket", 52.2450, 0.4050, ["CB8 0"]),
    ("E07000244", "Lowestoft", 52.4770, 1.7510, ["NR32 1"]),
    ("E07000244", "Bungay", 52.4560, 1.4370, ["NR35 1"]),
    ("E07000010", "Wisbech", 52.6660, 0.1590, ["PE13 1"]),
    ("E07000140", "Long Sutton", 52.7870, 0.1220, ["PE12 9"]),
]
STREETS = [
    "High Street",
    "Church Street",
    "Station Road",
    "Mill Lane",
    "The Street",
    "Chapel Road",
    "Norwich Road",
    "School Lane",
    "Victoria Road",
    "Queens Road",
    "Park Lane",
    "Manor Road",
    "Beech Close",
    "Willow Way",
    "Cedar Drive",
    "Market Place",
    "King Street",
    "London Road",
    "Springfield Road",
    "The Green",
    "Orchard Close",
    "Priory Road",
    "Common Lane",
    "Grove Road",
    "Brewery Lane",
    "Marsh Road",
    "Hall Lane",
    "Rectory Road",
    "Nelson Road",
    "Saxon Way",
    "Elm Grove",
    "Heath Road",
    "Abbey Road",
    "Meadow Way",
    "Wherry Road",
]
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
DEMO_COORDINATES = {
    "2630112001": (52.57118, 1.11243),
    "100090912345": (52.62681, 1.27873),
    "100090201117": (52.60498, 1.73874),
    "10034821990": (52.93143, 1.30058),
}
DEMO_NEIGHBOURS = {  # house numbers either side of each demo resident, on the same street and postcode
    "2630112001": (8, 10, 14, 16),
    "100090912345": (37, 39, 43, 45),
    "100090201117": (5, 9, 11),
    "10034821990": (1, 5, 7),
}


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / 111_320, lon + east_m / (111_320 * math.cos(math.radians(lat)))


def unit(rng: random.Random) -> str:
    return rng.choice(UNIT_LETTERS) + rng.choice(UNIT_LETTERS)


def main() -> None:
    rng = random.Random(20261121)
    rows: list[dict[str, str]] = []
    used_uprns: set[str] = set()
    used_postcodes: set[str] = set()

    def new_uprn(prefix: str) -> str:
        while True:
            uprn = prefix + "".join(
                rng.choice("0123456789") for _ in range(10 - len(prefix) if len(prefix) < 7 else 5)
            )
            if uprn not in used_uprns and uprn not in DEMO_COORDINATES:
                used_uprns.add(uprn)
                return uprn

    def add(uprn, line_1, town, postcode, lat, lon, gss, line_2=""):
        rows.append(
            {
                "uprn": uprn,
                "address_line_1": line_1,
                "address_line_2": line_2,
                "town": town,
                "postcode": postcode,
                "latitude": f"{lat:.5f}",
                "longitude": f"{lon:.5f}",
                "lad_gss": gss,
            }
        )

    def street(prefix, gss, town, lat, lon, sector, name, numbers, spread_m=1400):
        postcode = sector + unit(rng)
        while postcode in used_postcodes:
            postcode = sector + unit(rng)
        used_postcodes.add(postcode)
        slat, slon = offset(lat, lon, rng.uniform(-spread_m, spread_m), rng.uniform(-spread_m, spread_m))
        bearing = rng.uniform(0, math.pi)
        for index, number in enumerate(numbers):
            hlat, hlon = offset(slat, slon, math.cos(bearing) * 12 * index, math.sin(bearing) * 12 * index)
            add(new_uprn(prefix), f"{number} {name}", town, postcode, hlat, hlon, gss)

    for gss, prefix, towns in AREAS:
        for town, lat, lon, sectors in towns:
            demo_streets = {r.address[0].partition(" ")[2] for r in DEMO_RESIDENTS if r.address[-1] == town}
            choices = [name for name in STREETS if name not in demo_streets]
            names = rng.sample(choices, k=3 if len(sectors) < 3 else len(sectors) + 2)
            for index, name in enumerate(names):
                first = rng.randint(1, 20)
                numbers = list(range(first, first + 2 * rng.randint(3, 6), 2))
                street(prefix, gss, town, lat, lon, sectors[index % len(sectors)], name, numbers)
            # A converted house with flats, for addresses with two lines.
            sector = rng.choice(sectors)
            postcode = sector + unit(rng)
            used_postcodes.add(postcode)
            flat_lat, flat_lon = offset(lat, lon, rng.uniform(-500, 500), rng.uniform(-500, 500))
            house = f"{rng.randint(2, 60)} {rng.choice(STREETS)}"
            for flat in range(1, 4):
                add(new_uprn(prefix), f"Flat {flat}", town, postcode, flat_lat, flat_lon, gss, line_2=house)

    for gss, town, lat, lon, sectors in OUTSIDE:
        for name in rng.sample(STREETS, k=2):
            first = rng.randint(1, 20)
            street(
                str(rng.randint(3, 9)) + "00",
                gss,
                town,
                lat,
                lon,
                sectors[0],
                name,
                range(first, first + 6, 2),
            )

    residents_by_gss = {}
    for resident in DEMO_RESIDENTS:
        lat, lon = DEMO_COORDINATES[resident.uprn]
        number, _, street_name = resident.address[0].partition(" ")
        town = resident.address[-1]
        used_postcodes.add(resident.postcode)
        add(resident.uprn, resident.address[0], town, resident.postcode, lat, lon, resident.district_gss)
        prefix = resident.uprn[:4] if resident.uprn.startswith("26") else resident.uprn[:7]
        for neighbour in DEMO_NEIGHBOURS[resident.uprn]:
            east = (neighbour - int(number)) * 6
            nlat, nlon = offset(lat, lon, 0, east)
            add(
                new_uprn(prefix),
                f"{neighbour} {street_name}",
                town,
                resident.postcode,
                nlat,
                nlon,
                resident.district_gss,
            )
        residents_by_gss[resident.district_gss] = resident

    rows.sort(key=lambda row: (row["postcode"], row["address_line_2"], _house_order(row["address_line_1"])))
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} addresses to {OUT}")


def _house_order(line: str) -> tuple[int, str]:
    number, _, rest = line.partition(" ")
    return (int(number), rest) if number.isdigit() else (0, line)


if __name__ == "__main__":
    main()
