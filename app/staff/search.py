"""Finding a resident from what a caller says: one search box that tells a name from an email address, a
postcode (optionally after a house number or name), a report or case reference, or a council tax account
reference. Results come a page at a time; there is no way to list everyone.

A reference of a case in a council's CRM (``NCC-HW-2026-114502``) is known only to the CRMs: each council's
is asked whose case it is (the cases contract's contact look-up) and the residents with that email address
are found; a CRM that does not answer is named, as its case may be missing."""

from __future__ import annotations

import contextvars
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from app import address_lookup, address_problems, postcodes
from app.backoffice import registry
from app.database import release_connection
from app.extensions import db
from app.models.identity import LinkedCouncilAccount, Resident
from app.models.reports import Report
from app.theming import themes
from connectors.cases import normalised
from connectors.errors import ConnectorError, NotFound

PAGE_SIZE = 20
POSTCODE_AT_END = re.compile(
    r"^(?P<house>.*?)[\s,]*(?P<postcode>[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2})$"
)
REPORT_REFERENCE = re.compile(r"^NFK-?[0-9A-Z]{4}-?[0-9A-Z]{4}$", re.IGNORECASE)
ACCOUNT_REFERENCE = re.compile(r"^[0-9][0-9A-Za-z-]{4,19}$")
# Letters, then groups after hyphens, with a digit somewhere: "NCC-HW-2026-114502", "BDC-1" (never a name).
CASE_REFERENCE = re.compile(r"^[A-Z]{2,6}(?:-[A-Z0-9]{1,12}){1,4}$", re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    kind: str  # name | email | postcode | reference | council_tax | case_reference
    text: str
    house: str = ""


@dataclass(frozen=True)
class Found:
    residents: list[Resident]
    page: int
    pages: int
    total: int
    # Councils whose CRM did not answer a case reference search: the case may be theirs.
    unavailable: tuple[str, ...] = ()


def understand(text: str) -> Query:
    text = " ".join(text.split())
    if "@" in text:
        return Query("email", text.lower())
    if REPORT_REFERENCE.match(text):
        compact = text.upper().replace("-", "").removeprefix("NFK")
        return Query("reference", f"NFK-{compact[:4]}-{compact[4:]}")
    match = POSTCODE_AT_END.match(text)
    if match:
        return Query("postcode", postcodes.normalise_postcode(match["postcode"]), match["house"].strip())
    if ACCOUNT_REFERENCE.match(text):
        return Query("council_tax", text)
    if CASE_REFERENCE.match(text) and any(character.isdigit() for character in text):
        return Query("case_reference", text.upper())
    return Query("name", text)


# The councils' CRMs are asked at once, so a search waits for the slowest of them rather than for all in turn.
_crm_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="case-search")


def case_contacts(reference: str) -> tuple[set[str], tuple[str, ...]]:
    """The email addresses of the contacts of every council's case with this reference, and the councils
    whose CRM did not answer. No database connection is held while the CRMs answer."""
    connectors = registry()
    release_connection()
    asked = {
        council_slug: _crm_pool.submit(
            contextvars.copy_context().run,
            lambda slug: connectors.cases(slug).contact_email(reference),
            council_slug,
        )
        for council_slug in connectors.councils_serving("cases")
    }
    emails, unavailable = set(), []
    for council_slug, answer in asked.items():
        try:
            email = answer.result()
        except NotFound:
            continue
        except ConnectorError:
            unavailable.append(themes().get(council_slug).name)
            continue
        if email:
            emails.add(normalised(email))
    return emails, tuple(unavailable)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matching(query: Query, contacts: set[str]):
    if query.kind == "case_reference":
        # A back office's request id may look the same: a report with it is the resident's case too.
        reporters = select(Report.resident_id).where(Report.service_request_id == query.text)
        return or_(func.lower(Resident.email).in_(contacts), Resident.id.in_(reporters))
    if query.kind == "email":
        return func.lower(Resident.email) == query.text
    if query.kind == "reference":
        owner = select(Report.resident_id).where(Report.reference == query.text)
        return Resident.id.in_(owner)
    if query.kind == "council_tax":
        holders = select(LinkedCouncilAccount.resident_id).where(
            LinkedCouncilAccount.account_reference == query.text
        )
        # A back office's own request id (an Open311 service_request_id) is a case reference too.
        reporters = select(Report.resident_id).where(Report.service_request_id == query.text)
        return or_(Resident.id.in_(holders), Resident.id.in_(reporters))
    if query.kind == "postcode":
        try:
            homes = address_lookup.addresses_for_postcode(query.text)
        except address_problems.AddressProblem:
            homes = []
        house = query.house.lower()
        uprns = [
            home.uprn
            for home in homes
            if not house
            or home.single_line.lower().startswith(house + " ")
            or home.single_line.lower().startswith(house + ",")
            or home.single_line.lower() == house
        ]
        return Resident.home_uprn.in_(uprns) if uprns else None
    return Resident.name.ilike(_like(query.text), escape="\\")


def search(query: Query, page: int = 1) -> Found:
    contacts, unavailable = case_contacts(query.text) if query.kind == "case_reference" else (set(), ())
    condition = _matching(query, contacts)
    if condition is None:
        return Found([], 1, 1, 0)
    total = db.session.scalar(select(func.count()).select_from(Resident).where(condition)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    residents = list(
        db.session.scalars(
            select(Resident)
            .where(condition)
            .order_by(Resident.name, Resident.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return Found(residents, page, pages, total, unavailable)
