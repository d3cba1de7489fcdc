"""A tile is a module in app/dashboard/tile_kinds with its TILE (and its partial): found without editing
anything else, in page order, and assembled like every other."""

import sys

from app.dashboard import tile_kinds, tiles
from app.dashboard.tiles import Outcome, TileState
from connectors.models import Result, ServiceKind
from tests.unit.dashboard.test_tiles import HOME, NOW, FakeRegistry

NEW_TILE = """
from app.dashboard.types import Call, TileKind
from connectors.models import ServiceKind

TILE = TileKind(
    name="libraries",
    position=15,
    title="Library loans",
    service=ServiceKind.CASES,
    plan=lambda household, registry: [
        Call("libraries", "loans", household.district, ServiceKind.CASES, lambda r: r.loans(household.uprn))
    ],
    data=lambda answered: answered["loans"].value,
    councils=lambda household: (household.district,),
)
"""


def test_the_tiles_in_page_order():
    assert tiles.TILE_NAMES == ("bins", "council_tax", "planning", "street_reports", "cases")
    assert all(kind.template == f"dashboard/_{name}.html" for name, kind in tiles.TILES.items())


def test_a_new_tile_module_is_found_and_assembled(tmp_path, monkeypatch):
    (tmp_path / "libraries.py").write_text(NEW_TILE)
    monkeypatch.setattr(tile_kinds, "__path__", [*tile_kinds.__path__, str(tmp_path)])
    try:
        found = tile_kinds.discover()
    finally:
        sys.modules.pop("app.dashboard.tile_kinds.libraries", None)
    assert [kind.name for kind in found] == [
        "bins",
        "libraries",
        "council_tax",
        "planning",
        "street_reports",
        "cases",
    ]

    libraries = next(kind for kind in found if kind.name == "libraries")
    monkeypatch.setitem(tiles.TILES, "libraries", libraries)
    calls = tiles.plan("libraries", HOME, FakeRegistry(None))
    loans = Result(("The Hobbit",), HOME.district, ServiceKind.CASES, NOW)
    tile = tiles.assemble("libraries", HOME, calls, {"loans": Outcome(result=loans)})
    assert (tile.state, tile.councils, tile.data) == (TileState.LOADED, ("south-norfolk",), ("The Hobbit",))
