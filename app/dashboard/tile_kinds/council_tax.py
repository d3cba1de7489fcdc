"""Council tax: the linked account's balance and next instalment, for a verified resident only."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.dashboard.types import Call, Household, NotApplicableReason, TileKind
from connectors.models import CouncilTaxAccount, ServiceKind
from connectors.registry import ConnectorRegistry


@dataclass(frozen=True)
class CouncilTaxData:
    account: CouncilTaxAccount


def plan(household: Household, registry: ConnectorRegistry) -> list[Call]:
    district, reference = household.district, household.council_tax_reference
    if not (household.verified and reference) or not registry.serves(district, ServiceKind.COUNCIL_TAX):
        return []
    return [
        Call(
            "council_tax",
            "account",
            district,
            ServiceKind.COUNCIL_TAX,
            lambda r: r.council_tax(district).account(reference),
        )
    ]


def not_applicable(household: Household) -> NotApplicableReason:
    if not household.verified:
        return NotApplicableReason.NOT_VERIFIED
    if not household.council_tax_reference:
        return NotApplicableReason.NO_COUNCIL_TAX_LINK
    return NotApplicableReason.NOT_OFFERED


TILE = TileKind(
    name="council_tax",
    position=20,
    title=_l("Council tax"),
    service=ServiceKind.COUNCIL_TAX,
    plan=plan,
    data=lambda answered: CouncilTaxData(answered["account"].value),
    councils=lambda household: (household.district,),
    not_applicable=not_applicable,
    # The council's system no longer knows the linked reference (an account closed or merged).
    not_found=NotApplicableReason.COUNCIL_TAX_ACCOUNT_NOT_FOUND,
)
