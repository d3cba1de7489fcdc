"""The dashboard's tiles, one module each. A module here whose ``TILE`` is a ``TileKind`` (what the tile asks
of which council, how it assembles the answers, its title), with its partial ``dashboard/_<name>.html``, is a
tile: modules are found by looking, so a new tile edits nothing else; ``position`` orders them on the page."""

from __future__ import annotations

import importlib
import pkgutil

from app.dashboard.types import TileKind


def discover() -> tuple[TileKind, ...]:
    """Every module's TileKind, in page order (app.dashboard.tiles calls this for its ``TILES``)."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        tile = getattr(importlib.import_module(f"{__name__}.{module.name}"), "TILE", None)
        if isinstance(tile, TileKind):
            found.append(tile)
    return tuple(sorted(found, key=lambda tile: tile.position))
