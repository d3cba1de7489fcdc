"""Street reports: the resident's own (made or followed here) and open ones near the home, from the county and
the district."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.dashboard.types import Call, Household, TileKind
from connectors.models import Result, ServiceKind, ServiceRequest
from connectors.registry import ConnectorRegistry

RADIUS_M = 400
MAX_NEARBY = 5


@dataclass(frozen=True)
class CouncilReport:
    council: str
    request: ServiceRequest


@dataclass(frozen=True)
class StreetReportsData:
    own: tuple[CouncilReport, ...]
    nearby: tuple[CouncilReport, ...]


def plan(household: Household, registry: ConnectorRegistry) -> list[Call]:
    latitude, longitude = household.latitude, household.longitude
    calls = []
    if latitude is not None:
        for council in (household.county, household.district):
            if registry.serves(council, ServiceKind.STREET_REPORTS):
                calls.append(
                    Call(
                        "street_reports",
                        f"near:{council}",
                        council,
                        ServiceKind.STREET_REPORTS,
                        lambda r, c=council: r.street_reports(c).requests_near(
                            latitude, longitude, RADIUS_M, status="open"
                        ),
                    )
                )
    by_council: dict[str, list[str]] = {}
    for report in household.own_reports:
        by_council.setdefault(report.council, []).append(report.service_request_id)
    for council, ids in sorted(by_council.items()):
        if registry.serves(council, ServiceKind.STREET_REPORTS):
            calls.append(
                Call(
                    "street_reports",
                    f"own:{council}",
                    council,
                    ServiceKind.STREET_REPORTS,
                    lambda r, c=council, i=tuple(ids): r.street_reports(c).requests(service_request_ids=i),
                )
            )
    return calls


def data(answered: Mapping[str, Result]) -> StreetReportsData:
    own = [
        CouncilReport(key.split(":", 1)[1], request)
        for key, result in answered.items()
        if key.startswith("own:")
        for request in result.value
    ]
    own_ids = {report.request.service_request_id for report in own}
    nearby = [
        CouncilReport(key.split(":", 1)[1], request)
        for key, result in answered.items()
        if key.startswith("near:")
        for request in result.value
        if request.service_request_id not in own_ids
    ]
    return StreetReportsData(tuple(own), tuple(nearby[:MAX_NEARBY]))


TILE = TileKind(
    name="street_reports",
    position=40,
    title=_l("Street reports"),
    service=ServiceKind.STREET_REPORTS,
    plan=plan,
    data=data,
    councils=lambda household: (household.county, household.district),
)
