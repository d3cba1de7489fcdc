"""Your enquiries: the cases every council's CRM holds for the resident's email address, open ones first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.dashboard.types import Call, Household, NotApplicableReason, TileKind
from connectors.models import Case, Result, ServiceKind
from connectors.registry import ConnectorRegistry


@dataclass(frozen=True)
class CouncilCase:
    council: str
    case: Case


@dataclass(frozen=True)
class CasesData:
    cases: tuple[CouncilCase, ...]


def plan(household: Household, registry: ConnectorRegistry) -> list[Call]:
    email, county = household.email, household.county
    if not email:
        return []
    # The county first, then the districts: every council the resident may have contacted.
    councils = [county, *sorted(c for c in registry.councils_serving(ServiceKind.CASES) if c != county)]
    return [
        Call(
            "cases",
            council,
            council,
            ServiceKind.CASES,
            lambda r, c=council: r.cases(c).cases_for_email(email),
        )
        for council in councils
        if registry.serves(council, ServiceKind.CASES)
    ]


def data(answered: Mapping[str, Result]) -> CasesData:
    cases = [CouncilCase(council, case) for council, result in answered.items() for case in result.value]
    cases.sort(key=lambda item: (item.case.closed, -item.case.updated_at.timestamp()))
    return CasesData(tuple(cases))


def not_applicable(household: Household) -> NotApplicableReason:
    return NotApplicableReason.NO_EMAIL if not household.email else NotApplicableReason.NOT_OFFERED


TILE = TileKind(
    name="cases",
    position=50,
    title=_l("Your enquiries"),
    service=ServiceKind.CASES,
    plan=plan,
    data=data,
    councils=lambda household: (household.county, household.district),
    not_applicable=not_applicable,
)
