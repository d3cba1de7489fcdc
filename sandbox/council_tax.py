"""The districts' council tax systems (docs/api/council-tax.yaml): accounts with a band, ten monthly
instalments from April, the latest bill, verification by reference, postcode and surname, and the notices
the council sends an account holder when a portal account is linked to their account.

    GET /council-tax/<council>/_admin/portal-links    the notices "sent" so far (the letters in the post)

Instalment dates and their paid or overdue state are worked out from today, so the demo stories (up to date,
two instalments in arrears, a new account) stay true whatever the date.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import g, request
from werkzeug.exceptions import NotFound

from sandbox.back_office import InvalidParameter, back_office_blueprint, today
from sandbox.councils import council as sandbox_council
from sandbox.councils import councils
from sandbox.demo_residents import DEMO_RESIDENTS

bp = back_office_blueprint("council_tax")

INSTALMENTS_PER_YEAR = 10
# Every band's charge is a fixed ninths ratio of the council's Band D (sandbox/data/councils.toml).
BAND_NINTHS = {"A": 6, "B": 7, "C": 8, "D": 9, "E": 11, "F": 13, "G": 15, "H": 18}
SINGLE_PERSON_DISCOUNT = 0.25
REFERENCE = re.compile(r"^[A-Za-z0-9-]{4,20}$")
# Notices to account holders, per council: the same link_id is the same notice.
NOTICES: dict[str, dict[str, dict]] = {}
NOTICES_LOCK = threading.Lock()


@dataclass(frozen=True)
class Account:
    reference: str
    district_gss: str  # the district billing it: where the property is
    uprn: str
    address: tuple[str, ...]
    postcode: str
    liable_surnames: tuple[str, ...]
    band: str
    single_person_discount: bool = False
    instalments_overdue: int = 0
    opened_days_ago: int | None = None  # a new account, billed from the day it opened
    payment_method: str = "direct_debit"


def _resident(given_name: str):
    return next(resident for resident in DEMO_RESIDENTS if resident.given_name == given_name)


def _demo_account(given_name: str, **details) -> Account:
    resident = _resident(given_name)
    return Account(
        reference=resident.council_tax_reference,
        district_gss=resident.district_gss,
        uprn=resident.uprn,
        address=resident.address,
        postcode=resident.postcode,
        liable_surnames=(resident.family_name,),
        **details,
    )


ACCOUNTS = {
    account.reference: account
    for account in (
        _demo_account("Priya", band="C"),
        _demo_account("Tom", band="D"),
        _demo_account(
            "Margaret",
            band="B",
            single_person_discount=True,
            instalments_overdue=2,
            payment_method="cash",
        ),
        _demo_account("David", band="C", opened_days_ago=21),
    )
}


def _band_d_pence(account: Account) -> int:
    return councils().district_for_gss(account.district_gss).demo.band_d_pence


def _in_this_council(account: Account) -> bool:
    return account.district_gss == sandbox_council(g.council).gss_code


def financial_year_start(on: date) -> date:
    return date(on.year if on.month >= 4 else on.year - 1, 4, 1)


def first_of_following_months(start: date, count: int) -> list[date]:
    dates, year, month = [], start.year, start.month
    for _ in range(count):
        dates.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dates


def band_charge(account: Account, band_d_pence: int) -> int:
    charge = band_d_pence * BAND_NINTHS[account.band] // 9
    if account.single_person_discount:
        charge -= round(charge * SINGLE_PERSON_DISCOUNT)
    return charge


def split(total: int, parts: int) -> list[int]:
    """Equal instalments in pence; the first carries the odd pence, as councils bill."""
    each = total // parts
    return [total - each * (parts - 1)] + [each] * (parts - 1)


@dataclass(frozen=True)
class Year:
    """One account's financial year as of a day: what it is charged and when it pays."""

    start: date
    opened_on: date | None
    charge_pence: int
    due_dates: tuple[date, ...]

    @property
    def label(self) -> str:
        return f"{self.start.year}/{str(self.start.year + 1)[2:]}"


def this_year(account: Account, on: date) -> Year:
    start = financial_year_start(on)
    end = date(start.year + 1, 3, 31)
    charge = band_charge(account, _band_d_pence(account))
    if account.opened_days_ago is None:
        return Year(start, None, charge, tuple(first_of_following_months(start, INSTALMENTS_PER_YEAR)))
    # A new account pays for the days left in the year, monthly from the first of next month to March.
    opened_on = on - timedelta(days=account.opened_days_ago)
    # Moving in shortly before April: this year's bill is the whole year's.
    charge = charge * ((end - max(opened_on, start)).days + 1) // ((end - start).days + 1)
    first_due = date(on.year + (on.month == 12), on.month % 12 + 1, 1)
    months_left = max(1, (end.year - first_due.year) * 12 + end.month - first_due.month + 1)
    return Year(
        start,
        opened_on,
        charge,
        tuple(first_of_following_months(first_due, min(INSTALMENTS_PER_YEAR, months_left))),
    )


def instalments(account: Account, year: Year, on: date) -> list[dict]:
    past = [due for due in year.due_dates if due <= on]
    overdue = set(past[len(past) - account.instalments_overdue :]) if account.instalments_overdue else set()
    return [
        {
            "due_date": due.isoformat(),
            "amount_pence": amount,
            "status": "overdue" if due in overdue else "paid" if due <= on else "due",
        }
        for due, amount in zip(year.due_dates, split(year.charge_pence, len(year.due_dates)), strict=True)
    ]


def bills(account: Account, on: date) -> list[dict]:
    """Bills issued on the account, newest first: this year's (annual or new-account) and last year's."""
    year = this_year(account, on)
    if year.opened_on is not None:
        issued = [(year.opened_on + timedelta(days=7), year.start, year.charge_pence, "new_account")]
    else:
        last_year_start = date(year.start.year - 1, 4, 1)
        # Last year's Band D was about 5% lower: councils raise it by close to the referendum limit each year.
        last_year_charge = band_charge(account, _band_d_pence(account) * 100 // 105)
        issued = [
            (year.start - timedelta(days=21), year.start, year.charge_pence, "annual_bill"),
            (last_year_start - timedelta(days=21), last_year_start, last_year_charge, "annual_bill"),
        ]
    return [
        {
            "bill_id": f"{account.reference}-{start.year}-{reason.replace('_', '-')}",
            "financial_year": f"{start.year}/{str(start.year + 1)[2:]}",
            "issued_on": issued_on.isoformat(),
            "reason": reason,
            "amount_pence": amount,
            "band": account.band,
        }
        for issued_on, start, amount, reason in issued
    ]


def statement(account: Account, on: date) -> dict:
    year = this_year(account, on)
    plan = instalments(account, year, on)
    unpaid = [item for item in plan if item["status"] != "paid"]
    due = [item for item in plan if item["status"] == "due"]
    return {
        "reference": account.reference,
        "uprn": account.uprn,
        "address": {"lines": list(account.address), "postcode": account.postcode},
        "band": account.band,
        "financial_year": year.label,
        "opened_on": year.opened_on.isoformat() if year.opened_on else None,
        "annual_charge_pence": year.charge_pence,
        "discounts": ["single_person"] if account.single_person_discount else [],
        "payment_method": account.payment_method,
        "balance_pence": sum(item["amount_pence"] for item in unpaid),
        "arrears_pence": sum(item["amount_pence"] for item in unpaid if item["status"] == "overdue"),
        "next_instalment": due[0] if due else None,
        "instalments": plan,
        "latest_bill": bills(account, on)[0],
    }


def normalised_postcode(postcode: str) -> str:
    return re.sub(r"\s+", "", postcode).upper()


def normalised_surname(surname: str) -> str:
    """Compare names as a person would type them: case, accents, spaces, hyphens and apostrophes aside."""
    decomposed = unicodedata.normalize("NFKD", surname)
    return "".join(char for char in decomposed if char.isalpha()).casefold()


def account_in_council(reference: str) -> Account:
    if not REFERENCE.match(reference):
        raise InvalidParameter(description="An account reference is 4 to 20 letters, digits or hyphens.")
    account = ACCOUNTS.get(reference.upper())
    if account is None or not _in_this_council(account):
        raise NotFound(description=f"No council tax account with reference {reference}.")
    return account


@bp.get("/accounts/<reference>")
def account_statement(reference: str):
    return statement(account_in_council(reference), today())


@bp.get("/accounts/<reference>/bills")
def account_bills(reference: str):
    return {"reference": reference, "bills": bills(account_in_council(reference), today())}


@bp.post("/accounts/verify")
def verify():
    """Match or no match, never which of the three answers was wrong."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter(description="Send a JSON object with reference, postcode and surname.")
    answers = {}
    for name in ("reference", "postcode", "surname"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise InvalidParameter(description=f"The {name} field is required.")
        answers[name] = value.strip()
    account = ACCOUNTS.get(answers["reference"].upper())
    matched = (
        account is not None
        and _in_this_council(account)
        and normalised_postcode(account.postcode) == normalised_postcode(answers["postcode"])
        and normalised_surname(answers["surname"]) in {normalised_surname(s) for s in account.liable_surnames}
    )
    if not matched:
        return {"match": False}
    return {"match": True, "reference": account.reference, "uprn": account.uprn}


@bp.post("/accounts/<reference>/portal-links")
def tell_account_holder(reference: str):
    """The council writes to the account holder (here: keeps the letter to show on the admin side)."""
    account = account_in_council(reference)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter(description="Send a JSON object with link_id, linked_at and unlink_url.")
    for name in ("link_id", "linked_at", "unlink_url"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise InvalidParameter(description=f"The {name} field is required.")
    try:
        datetime.fromisoformat(body["linked_at"])
    except ValueError:
        raise InvalidParameter(description="linked_at is an ISO 8601 date and time.") from None
    if not body["unlink_url"].startswith(("https://", "http://")):
        raise InvalidParameter(description="unlink_url is an absolute URL.")
    with NOTICES_LOCK:
        sent = NOTICES.setdefault(g.council, {})
        notice = sent.get(body["link_id"])
        if notice is None:
            notice = {
                "notice_id": f"notice-{sum(len(notices) for notices in NOTICES.values()) + 1:06d}",
                "reference": account.reference,
                "surnames": list(account.liable_surnames),
                "link_id": body["link_id"],
                "linked_at": body["linked_at"],
                "unlink_url": body["unlink_url"],
            }
            sent[body["link_id"]] = notice
    return {"notice_id": notice["notice_id"]}, 202


@bp.get("/_admin/portal-links")
def notices_sent():
    with NOTICES_LOCK:
        return {"notices": list(NOTICES.get(g.council, {}).values())}
