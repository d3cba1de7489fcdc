"""The household a dashboard's tiles are asked for (app/dashboard/types.py), gathered from the home address,
the linked council tax account and the requests the resident sent or follows: for the resident's own
dashboard, or a council agent's single view of them (app/staff/single_view.py)."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import bindparam, literal, select, union_all

from app import address_lookup, address_problems
from app.auth.assurance import COUNCIL_TAX, Assurance, assurance_of_current_resident
from app.dashboard.types import Household, OwnReport
from app.extensions import db
from app.models.reports import FollowedRequest, Report
from app.theming import themes

# Built once: every dashboard runs it, and building a statement costs more than SQLAlchemy's cached compile.
_OWN_REPORTS = union_all(
    select(
        literal(0).label("followed"), Report.council_slug, Report.service_request_id.label("request_id")
    ).where(Report.resident_id == bindparam("resident_id"), Report.service_request_id.is_not(None)),
    select(
        literal(1).label("followed"), FollowedRequest.council_slug, FollowedRequest.service_request_id
    ).where(FollowedRequest.resident_id == bindparam("resident_id")),
).order_by("followed")


def own_reports(resident_id: int) -> tuple[OwnReport, ...]:
    """The requests the resident sent and those they follow (in that order), in one query."""
    rows = db.session.execute(_OWN_REPORTS, {"resident_id": resident_id})
    return tuple(dict.fromkeys(OwnReport(council, request_id) for _, council, request_id in rows))


def household_for_current_resident() -> Household:
    """The signed-in resident's household; raises an AddressProblem as ``household_for`` does."""
    return household_for(current_user, verified=assurance_of_current_resident() is Assurance.VERIFIED)


def household_for(resident, *, verified: bool) -> Household:
    """A resident's household as plain data (for the resident's dashboard, or a council agent's single view of
    them); raises an AddressProblem (app/address_problems.py) when the home address cannot be looked up or is
    not in Norfolk."""
    home = address_lookup.address_for_uprn(resident.home_uprn)
    district = themes().by_gss_code(home.lad_gss)
    if district is None or district.tier != "district":
        raise address_problems.OutsideNorfolk(home.lad_gss, home.single_line)
    reference = next(
        (
            account.account_reference
            for account in resident.linked_accounts
            if account.service == COUNCIL_TAX and account.council_gss == district.gss_code
        ),
        None,
    )
    return Household(
        uprn=home.uprn,
        address=home.single_line,
        latitude=home.latitude,
        longitude=home.longitude,
        district=district.slug,
        county=themes().county().slug,
        email=resident.email,
        verified=verified,
        council_tax_reference=reference,
        own_reports=own_reports(resident.id),
    )
