"""A resident as a council agent sees them: the resident's own dashboard tiles (the same code, partials and
honest states), every report and case with every council with its timeline, what they follow, their linked
accounts, recent sign-ins and the contact notes agents keep.

Council tax is shown only to staff working for the district that bills the household; anyone else gets a
refusal, which the caller records in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select

from app import address_problems
from app.auth.assurance import COUNCIL_TAX
from app.backoffice import registry
from app.dashboard.household import household_for
from app.dashboard.tiles import TILE_NAMES, Tile, fetch
from app.dashboard.types import Household
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.identity import Resident
from app.models.reports import Report
from app.models.staff import ContactNote
from app.models.tracking import Subscription
from app.staff.identity import StaffMember
from app.tracking import cases
from connectors.errors import ConnectorError

RECENT_SIGN_INS = 10


@dataclass(frozen=True)
class CouncilTaxAccess:
    allowed: bool
    district: str | None


@dataclass(frozen=True)
class SingleView:
    resident: Resident
    household: Household | None
    address_problem: str | None
    tiles: list[Tile]
    council_tax: CouncilTaxAccess
    reports: list[cases.CaseView]
    crm_cases: list[cases.CaseView]
    unavailable: list[str]
    subscriptions: list[Subscription]
    sign_ins: list[AuditEvent]
    notes: list[ContactNote]


def council_tax_access(member: StaffMember, household: Household | None) -> CouncilTaxAccess:
    district = household.district if household else None
    return CouncilTaxAccess(
        allowed=district is not None and member.working_for == district, district=district
    )


def _budget() -> float:
    return float(current_app.config["DASHBOARD_BUDGET_SECONDS"])


def build(resident: Resident, member: StaffMember) -> SingleView:
    household, problem = None, None
    if resident.home_uprn:
        try:
            household = household_for(
                resident,
                verified=any(account.service == COUNCIL_TAX for account in resident.linked_accounts),
            )
        except address_problems.AddressProblem as error:
            problem = error.message
    access = council_tax_access(member, household)
    tiles: list[Tile] = []
    if household is not None:
        names = [name for name in TILE_NAMES if name != "council_tax" or access.allowed]
        fetched = fetch(names, household, registry(), _budget())
        tiles = [fetched[name] for name in names]

    reports = [
        cases.report_view(report)
        for report in db.session.scalars(
            select(Report).where(Report.resident_id == resident.id).order_by(Report.created_at.desc())
        )
    ]
    crm_cases: list[cases.CaseView] = []
    unavailable: list[str] = []
    if resident.email:
        listed = cases.cases_for(resident)
        unavailable = listed.unavailable
        for summary in listed.cases:
            if summary.from_portal:
                continue
            try:
                view = cases.own_crm_case(resident, summary.case_id)
            except ConnectorError:
                unavailable.append(summary.council_name)
                continue
            if view is not None:
                crm_cases.append(view)

    conditions = [Subscription.resident_id == resident.id]
    if resident.email:
        conditions.append(Subscription.email == resident.email.lower())
    subscriptions = list(
        db.session.scalars(
            select(Subscription).where(or_(*conditions)).order_by(Subscription.created_at.desc())
        )
    )
    sign_ins = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.event == "signed_in", AuditEvent.actor == f"resident:{resident.id}")
            .order_by(AuditEvent.occurred_at.desc())
            .limit(RECENT_SIGN_INS)
        )
    )
    notes = list(
        db.session.scalars(
            select(ContactNote)
            .where(ContactNote.resident_id == resident.id)
            .order_by(ContactNote.created_at.desc())
        )
    )
    return SingleView(
        resident=resident,
        household=household,
        address_problem=problem,
        tiles=tiles,
        council_tax=access,
        reports=reports,
        crm_cases=crm_cases,
        unavailable=sorted(set(unavailable)),
        subscriptions=subscriptions,
        sign_ins=sign_ins,
        notes=notes,
    )
