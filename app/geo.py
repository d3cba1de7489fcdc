"""British National Grid eastings/northings to WGS84 latitude/longitude, in pure Python.

    from app import geo
    latitude, longitude = geo.national_grid_to_wgs84(651409.903, 313177.270)   # Caister Water Tower
    easting, northing = geo.wgs84_to_national_grid(latitude, longitude)        # and back, to millimetres

Council LLPG exports (NLPG DTF 7.3) and AddressBase Core/Premium CSVs often place a property only by its
National Grid (OSGB36, EPSG:27700) easting and northing, while the portal keeps WGS84 latitude/longitude.
pyproj/PROJ would do this, but it is a large binary dependency, and its accurate GB transformation needs the
OSTN15 grid file, which PROJ downloads on demand and an offline server does not have. So this module follows
Ordnance Survey's "A guide to coordinate systems in Great Britain" (v3.x) exactly:

1. Annex C.2: the inverse Transverse Mercator projection on the Airy 1830 ellipsoid with the National Grid's
   constants, giving OSGB36 latitude/longitude (a series the guide gives to about a millimetre on the grid).
2. Annex B.1: that latitude/longitude (height 0) to Cartesian X, Y, Z on Airy 1830; the guide's 7-parameter
   Helmert transformation ETRS89 -> OSGB36 with every sign reversed (its "approximate WGS84 to OSGB36/ODN"
   parameters, used as its worked example shows); Annex B.2: back to latitude/longitude on GRS80. ETRS89 is
   WGS84 to within a metre or so in Britain, well inside the Helmert step's own error.

Accuracy: the guide puts the Helmert transformation at about 5 m across Great Britain (up to 3.5 m for 95% of
places): OSGB36 is not a rigid rotation of ETRS89 but is distorted by a few metres. OS's OSTN15 transformation
would give centimetres, but routing an address to its council, and finding planning applications or street
reports within hundreds of metres of a home, does not need centimetres. tests/unit/test_geo.py checks each
step against the guide's worked examples, and the whole conversion against OS's OSTN15 test points (4.9 m at
worst, in the Outer Hebrides; under 3 m at the three test points nearest Norfolk).
"""

from __future__ import annotations

import math

# Airy 1830: the ellipsoid OSGB36 and the National Grid are defined on (the guide, Annex A).
AIRY_1830_A = 6_377_563.396
AIRY_1830_B = 6_356_256.909
# GRS80: the ellipsoid of ETRS89 (WGS84's differs from it by 0.1 mm in b).
GRS80_A = 6_378_137.000
GRS80_B = 6_356_752.314140

# National Grid projection constants (the guide, Annex A).
SCALE_FACTOR = 0.9996012717  # F0, on the central meridian
TRUE_ORIGIN_LATITUDE = math.radians(49)  # phi0
TRUE_ORIGIN_LONGITUDE = math.radians(-2)  # lambda0
TRUE_ORIGIN_EASTING = 400_000.0  # E0
TRUE_ORIGIN_NORTHING = -100_000.0  # N0

# The guide's Helmert parameters ETRS89 -> OSGB36 are tx -446.448 m, ty +125.157 m, tz -542.060 m,
# s +20.4894 ppm, rx -0.1502", ry -0.2470", rz -0.8421". The other way is the same with every sign reversed:
# the rotations and scale are so small that this inverts it to within a centimetre (tests/unit/test_geo.py).
HELMERT_OSGB36_TO_ETRS89 = {
    "tx": 446.448,
    "ty": -125.157,
    "tz": 542.060,
    "s_ppm": -20.4894,
    "rx_arcsec": 0.1502,
    "ry_arcsec": 0.2470,
    "rz_arcsec": 0.8421,
}

# The National Grid's extent: its lettered 100 km squares cover 0-700 km east and 0-1300 km north.
MAX_EASTING = 700_000.0
MAX_NORTHING = 1_300_000.0


class OutsideNationalGrid(ValueError):
    """An easting or northing that is not a finite number inside the National Grid's extent."""


def _meridional_arc(phi: float, a: float, b: float) -> float:
    """M: the meridional arc from the true origin's latitude to ``phi`` (the guide, C.1, formula C3)."""
    n = (a - b) / (a + b)
    n2, n3 = n * n, n * n * n
    d, s = phi - TRUE_ORIGIN_LATITUDE, phi + TRUE_ORIGIN_LATITUDE
    return (
        b
        * SCALE_FACTOR
        * (
            (1 + n + 1.25 * n2 + 1.25 * n3) * d
            - (3 * n + 3 * n2 + 21 / 8 * n3) * math.sin(d) * math.cos(s)
            + (15 / 8 * n2 + 15 / 8 * n3) * math.sin(2 * d) * math.cos(2 * s)
            - 35 / 24 * n3 * math.sin(3 * d) * math.cos(3 * s)
        )
    )


def national_grid_to_osgb36(easting: float, northing: float) -> tuple[float, float]:
    """OSGB36 (latitude, longitude) in decimal degrees on Airy 1830, by the guide's Annex C.2 formulas."""
    easting, northing = _checked(easting, northing)
    a, b, f0 = AIRY_1830_A, AIRY_1830_B, SCALE_FACTOR
    e2 = (a * a - b * b) / (a * a)

    # C6, C7: iterate phi' until the meridional arc matches the northing to within 0.01 mm.
    phi = (northing - TRUE_ORIGIN_NORTHING) / (a * f0) + TRUE_ORIGIN_LATITUDE
    arc = _meridional_arc(phi, a, b)
    for _ in range(100):  # converges in a handful of steps; the bound only guards against a bad input
        remainder = northing - TRUE_ORIGIN_NORTHING - arc
        if abs(remainder) < 0.00001:
            break
        phi += remainder / (a * f0)
        arc = _meridional_arc(phi, a, b)

    sin_phi, cos_phi, tan_phi = math.sin(phi), math.cos(phi), math.tan(phi)
    sec_phi = 1 / cos_phi
    t2, t4, t6 = tan_phi**2, tan_phi**4, tan_phi**6
    nu = a * f0 / math.sqrt(1 - e2 * sin_phi**2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin_phi**2) ** 1.5
    eta2 = nu / rho - 1

    vii = tan_phi / (2 * rho * nu)
    viii = tan_phi / (24 * rho * nu**3) * (5 + 3 * t2 + eta2 - 9 * t2 * eta2)
    ix = tan_phi / (720 * rho * nu**5) * (61 + 90 * t2 + 45 * t4)
    x = sec_phi / nu
    xi = sec_phi / (6 * nu**3) * (nu / rho + 2 * t2)
    xii = sec_phi / (120 * nu**5) * (5 + 28 * t2 + 24 * t4)
    xiia = sec_phi / (5040 * nu**7) * (61 + 662 * t2 + 1320 * t4 + 720 * t6)

    de = easting - TRUE_ORIGIN_EASTING
    latitude = phi - vii * de**2 + viii * de**4 - ix * de**6
    longitude = TRUE_ORIGIN_LONGITUDE + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return math.degrees(latitude), math.degrees(longitude)


def geodetic_to_cartesian(latitude: float, longitude: float, height: float, a: float, b: float):
    """Annex B.1: geodetic latitude, longitude (degrees) and ellipsoid height to Cartesian X, Y, Z."""
    phi, lam = math.radians(latitude), math.radians(longitude)
    e2 = (a * a - b * b) / (a * a)
    nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return (
        (nu + height) * math.cos(phi) * math.cos(lam),
        (nu + height) * math.cos(phi) * math.sin(lam),
        ((1 - e2) * nu + height) * math.sin(phi),
    )


def cartesian_to_geodetic(x: float, y: float, z: float, a: float, b: float) -> tuple[float, float]:
    """Annex B.2: Cartesian X, Y, Z to geodetic (latitude, longitude) in degrees, iterating latitude."""
    e2 = (a * a - b * b) / (a * a)
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - e2))
    for _ in range(100):
        nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        next_phi = math.atan2(z + e2 * nu * math.sin(phi), p)
        if abs(next_phi - phi) < 1e-12:  # about 6 micrometres
            phi = next_phi
            break
        phi = next_phi
    return math.degrees(phi), math.degrees(math.atan2(y, x))


def helmert_osgb36_to_etrs89(x: float, y: float, z: float) -> tuple[float, float, float]:
    """The guide's Helmert transformation with the ETRS89 -> OSGB36 parameters reversed: Cartesian X, Y, Z
    in metres on OSGB36 to ETRS89. As in the guide's matrix, scale is on the diagonal, rotations unscaled."""
    h = HELMERT_OSGB36_TO_ETRS89
    scale = 1 + h["s_ppm"] * 1e-6
    rx, ry, rz = (math.radians(h[name] / 3600) for name in ("rx_arcsec", "ry_arcsec", "rz_arcsec"))
    return (
        h["tx"] + scale * x - rz * y + ry * z,
        h["ty"] + rz * x + scale * y - rx * z,
        h["tz"] - ry * x + rx * y + scale * z,
    )


def osgb36_to_wgs84(latitude: float, longitude: float) -> tuple[float, float]:
    """OSGB36 (latitude, longitude) on Airy 1830 to ETRS89/WGS84 by the guide's Helmert transformation.

    The height is taken as 0 on Airy 1830: 100 m of real height would move the result by about 2 mm."""
    x, y, z = geodetic_to_cartesian(latitude, longitude, 0.0, AIRY_1830_A, AIRY_1830_B)
    return cartesian_to_geodetic(*helmert_osgb36_to_etrs89(x, y, z), GRS80_A, GRS80_B)


def national_grid_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """WGS84 (latitude, longitude) in decimal degrees for a National Grid easting and northing, to about 5 m.

    Raises OutsideNationalGrid unless both are finite numbers within 0..700000 E and 0..1300000 N."""
    return osgb36_to_wgs84(*national_grid_to_osgb36(easting, northing))


def helmert_etrs89_to_osgb36(x: float, y: float, z: float) -> tuple[float, float, float]:
    """The guide's Helmert transformation ETRS89 -> OSGB36 (its parameters: the reverse of the ones above)."""
    h = {name: -value for name, value in HELMERT_OSGB36_TO_ETRS89.items()}
    scale = 1 + h["s_ppm"] * 1e-6
    rx, ry, rz = (math.radians(h[name] / 3600) for name in ("rx_arcsec", "ry_arcsec", "rz_arcsec"))
    return (
        h["tx"] + scale * x - rz * y + ry * z,
        h["ty"] + rz * x + scale * y - rx * z,
        h["tz"] - ry * x + rx * y + scale * z,
    )


def osgb36_to_national_grid(latitude: float, longitude: float) -> tuple[float, float]:
    """(easting, northing) on the National Grid for OSGB36 latitude/longitude, by the guide's Annex C.1."""
    a, b, f0 = AIRY_1830_A, AIRY_1830_B, SCALE_FACTOR
    e2 = (a * a - b * b) / (a * a)
    phi, lam = math.radians(latitude), math.radians(longitude)
    sin_phi, cos_phi, tan_phi = math.sin(phi), math.cos(phi), math.tan(phi)
    t2, t4 = tan_phi**2, tan_phi**4
    nu = a * f0 / math.sqrt(1 - e2 * sin_phi**2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin_phi**2) ** 1.5
    eta2 = nu / rho - 1

    i = _meridional_arc(phi, a, b) + TRUE_ORIGIN_NORTHING
    ii = nu / 2 * sin_phi * cos_phi
    iii = nu / 24 * sin_phi * cos_phi**3 * (5 - t2 + 9 * eta2)
    iiia = nu / 720 * sin_phi * cos_phi**5 * (61 - 58 * t2 + t4)
    iv = nu * cos_phi
    v = nu / 6 * cos_phi**3 * (nu / rho - t2)
    vi = nu / 120 * cos_phi**5 * (5 - 18 * t2 + t4 + 14 * eta2 - 58 * t2 * eta2)

    dl = lam - TRUE_ORIGIN_LONGITUDE
    northing = i + ii * dl**2 + iii * dl**4 + iiia * dl**6
    easting = TRUE_ORIGIN_EASTING + iv * dl + v * dl**3 + vi * dl**5
    return easting, northing


def wgs84_to_national_grid(latitude: float, longitude: float) -> tuple[float, float]:
    """(easting, northing) on the National Grid for WGS84 latitude/longitude: the inverse of
    national_grid_to_wgs84 (the same Helmert step, so the same 5 m or so against OSTN15), for measuring
    distances in metres."""
    x, y, z = geodetic_to_cartesian(latitude, longitude, 0.0, GRS80_A, GRS80_B)
    osgb36 = cartesian_to_geodetic(*helmert_etrs89_to_osgb36(x, y, z), AIRY_1830_A, AIRY_1830_B)
    return osgb36_to_national_grid(*osgb36)


def _checked(easting: float, northing: float) -> tuple[float, float]:
    try:
        easting, northing = float(easting), float(northing)
    except (TypeError, ValueError):
        raise OutsideNationalGrid(f"not numbers: {easting!r}, {northing!r}") from None
    if not (0 <= easting <= MAX_EASTING and 0 <= northing <= MAX_NORTHING):  # NaN fails both comparisons
        raise OutsideNationalGrid(f"outside the National Grid: {easting}, {northing}")
    return easting, northing
