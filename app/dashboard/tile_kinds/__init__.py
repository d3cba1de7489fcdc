"""The dashboard's tiles, one module each. A module here whose ``TILE`` is a ``TileKind`` (what the tile asks
of which council, how it assembles the answers, its title), with its partial ``dashboard/_<name>.html``, is a
tile: modules are found by looking, so a new tile edits nothing else; ``position`` orders them on the page."""

from __future__ import annotations

import importlib
import pkgutil


def discover() -> tuple:
    """Every module's TileKind, in page order. The modules import app.dashboard.tiles, which calls this once
    it has defined their types."""
    from app.dashboard.tiles import TileKind

    found = []
    for module in pkgutil.iter_modules(__path__):
        tile = getattr(importlib.import_module(f"{__name__}.{module.name}"), "TILE", None)
        if isinstance(tile, TileKind):
            found.append(tile)
    return tuple(sorted(found, key=lambda tile: tile.position))


# A tile module imported before app.dashboard.tiles (app.connectors_check imports two) would be found half
# imported, without its TILE, by discover(): importing the registry here, once discover() is defined, loads
# every tile module complete first.
from app.dashboard import tiles as _registry  # noqa: E402, F401
