"""Planning applications near the home, from the district."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.dashboard.types import Call, Household, TileKind
from connectors.models import PlanningApplication, Result, ServiceKind
from connectors.registry import ConnectorRegistry

RADIUS_M = 500
MAX_APPLICATIONS = 5


@dataclass(frozen=True)
class PlanningData:
    applications: tuple[PlanningApplication, ...]


def plan(household: Household, registry: ConnectorRegistry) -> list[Call]:
    district, latitude, longitude = household.district, household.latitude, household.longitude
    if latitude is None or not registry.serves(district, ServiceKind.PLANNING):
        return []
    return [
        Call(
            "planning",
            "near",
            district,
            ServiceKind.PLANNING,
            lambda r: r.planning(district).applications_near(latitude, longitude, RADIUS_M),
        )
    ]


def data(answered: Mapping[str, Result]) -> PlanningData:
    return PlanningData(tuple(answered["near"].value)[:MAX_APPLICATIONS])


TILE = TileKind(
    name="planning",
    position=30,
    title=_l("Planning applications near you"),
    service=ServiceKind.PLANNING,
    plan=plan,
    data=data,
    councils=lambda household: (household.district,),
)
