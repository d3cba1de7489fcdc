"""Bin collections: the district's collection days for the home, soonest first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.dashboard.types import Call, Household, NotApplicableReason, TileKind
from connectors.models import BinCollection, Result, ServiceKind
from connectors.registry import ConnectorRegistry


@dataclass(frozen=True)
class BinsData:
    collections: tuple[BinCollection, ...]


def plan(household: Household, registry: ConnectorRegistry) -> list[Call]:
    district, uprn = household.district, household.uprn
    if not registry.serves(district, ServiceKind.BINS):
        return []
    return [Call("bins", "bins", district, ServiceKind.BINS, lambda r: r.bins(district).collections(uprn))]


def data(answered: Mapping[str, Result]) -> BinsData:
    return BinsData(tuple(sorted(answered["bins"].value, key=lambda bin: bin.next_date)))


TILE = TileKind(
    name="bins",
    position=10,
    title=_l("Bin collections"),
    service=ServiceKind.BINS,
    plan=plan,
    data=data,
    councils=lambda household: (household.district,),
    # The council does not collect from this property (a business, a new build not yet on its rounds).
    not_found=NotApplicableReason.NOT_COLLECTED,
)
