"""Plain map tiles for development: /tiles/{z}/{x}/{y}.png, 256-pixel PNGs drawn with Pillow.

Each tile is a pale square with its grid edges and its z/x/y written in it, so the portal's map works with no
internet and no map data; the portal's development configuration points PORTAL_MAP_TILE_URL here.
"""

from __future__ import annotations

import io
from functools import lru_cache

from flask import Blueprint, Response, abort
from PIL import Image, ImageDraw

bp = Blueprint("tiles", __name__, url_prefix="/tiles")
MAX_ZOOM = 19


@lru_cache(maxsize=512)
def tile_png(z: int, x: int, y: int) -> bytes:
    image = Image.new("RGB", (256, 256), (242, 239, 233) if (x + y) % 2 else (236, 233, 226))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 255, 255), outline=(200, 196, 188))
    draw.text((8, 8), f"{z}/{x}/{y}", fill=(110, 110, 110))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


@bp.get("/<int:z>/<int:x>/<int:y>.png")
def tile(z: int, x: int, y: int):
    if z > MAX_ZOOM or x >= 2**z or y >= 2**z:
        abort(404)
    response = Response(tile_png(z, x, y), mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
