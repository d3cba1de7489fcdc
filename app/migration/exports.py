"""Reading the two exports and sorting the district's accounts into the three scenarios (docs/migration.md).

The files are read once, row by row, and never copied: only the plan built from them is kept in memory. A
row that cannot be used is set aside for review with its line number; it never stops the run.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from app.migration.hashes import VERIFIERS, is_usable

DISTRICT_HEADER = (
    "account_id",
    "email",
    "email_verified",
    "given_name",
    "family_name",
    "phone",
    "uprn",
    "postcode",
    "council_tax_reference",
    "password_hash",
    "password_scheme",
    "created_at",
    "last_sign_in_at",
)
REVIEW_HEADER = ("line", "account_id", "reason")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Bytes the file's encoding could not decode (read with errors="surrogateescape").
UNDECODABLE = re.compile("[\udc80-\udcff]")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELD_LIMITS = {"account_id": 64, "email": 320, "given_name": 255, "family_name": 255, "uprn": 12}


class ExportError(Exception):
    """The file as a whole cannot be read (missing, or not the format described in docs/migration.md)."""


def normalise_email(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


@dataclass(frozen=True)
class DistrictAccount:
    line: int
    account_id: str
    email: str
    email_verified: bool
    given_name: str
    family_name: str
    uprn: str
    postcode: str
    council_tax_reference: str
    password_hash: str
    password_scheme: str

    @property
    def usable_hash(self) -> bool:
        return is_usable(self.password_scheme, self.password_hash)


@dataclass(frozen=True)
class ReviewItem:
    line: int
    account_id: str
    reason: str


@dataclass
class Plan:
    both: list[tuple[DistrictAccount, str]] = field(default_factory=list)  # with the shared identity's id
    district_only: list[DistrictAccount] = field(default_factory=list)
    shared_only: int = 0
    review: list[ReviewItem] = field(default_factory=list)

    @property
    def needs_review(self) -> int:
        return len({(item.line, item.account_id) for item in self.review})

    @property
    def must_reset(self) -> list[DistrictAccount]:
        return [account for account in self.district_only if not account.usable_hash]

    def summary(self) -> list[str]:
        return [
            f"scenario 1 (both): {len(self.both)}",
            f"scenario 2 (district only): {len(self.district_only)}",
            f"scenario 3 (shared identity only): {self.shared_only}",
            f"needs review: {self.needs_review}",
            f"must reset password: {len(self.must_reset)}",
        ]

    def write_review(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(REVIEW_HEADER)
            for item in sorted(self.review, key=lambda item: item.line):
                writer.writerow((item.line, item.account_id, item.reason))


def _row_problem(row: dict) -> str | None:
    everything = "\n".join(row.values())
    if UNDECODABLE.search(everything) or CONTROL_CHARACTERS.search(everything):
        for name, value in row.items():  # which field: only for the rare row that has one
            if UNDECODABLE.search(value):
                return f"{name} has bytes that are not valid in the file's encoding"
            if CONTROL_CHARACTERS.search(value):
                return f"{name} has control characters"
    for name, value in row.items():
        if len(value) > FIELD_LIMITS.get(name, 255) and name != "password_hash":
            return f"{name} is too long"
    if not row["account_id"]:
        return "account_id is empty"
    if row["email_verified"].strip().lower() not in ("true", "false"):
        return "email_verified is neither true nor false"
    if not EMAIL.match(normalise_email(row["email"])):
        return "email is not an email address"
    if row["uprn"] and not row["uprn"].isdigit():
        return "uprn is not a number"
    return None


def read_district_export(path: Path, encoding: str, plan: Plan) -> list[DistrictAccount]:
    """The export's usable rows; every other row goes into the plan's review list with its line number."""
    try:
        file = path.open(newline="", encoding=encoding, errors="surrogateescape")
    except (OSError, LookupError) as error:
        raise ExportError(f"cannot read {path}: {error}") from error
    accounts = []
    with file:
        reader = csv.reader(file)
        header = next(reader, None)
        if header is None or tuple(name.strip().lstrip("\ufeff") for name in header) != DISTRICT_HEADER:
            raise ExportError(f"{path}: the first line must be the header {','.join(DISTRICT_HEADER)}")
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                plan.review.append(ReviewItem(reader.line_num, "", f"malformed row: {error}"))
                continue
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(DISTRICT_HEADER):
                account_id = values[0].strip()[:64] if values else ""
                plan.review.append(
                    ReviewItem(
                        line, account_id, f"malformed row: {len(values)} fields, not {len(DISTRICT_HEADER)}"
                    )
                )
                continue
            row = {name: value.strip() for name, value in zip(DISTRICT_HEADER, values, strict=True)}
            problem = _row_problem(row)
            if problem:
                account_id = row["account_id"][:64] if "account_id" not in problem else ""
                plan.review.append(ReviewItem(line, account_id, f"malformed row: {problem}"))
                continue
            accounts.append(
                DistrictAccount(
                    line=line,
                    account_id=row["account_id"],
                    email=normalise_email(row["email"]),
                    email_verified=row["email_verified"].lower() == "true",
                    given_name=row["given_name"],
                    family_name=row["family_name"],
                    uprn=row["uprn"],
                    postcode=row["postcode"].upper(),
                    council_tax_reference=row["council_tax_reference"],
                    password_hash=row["password_hash"],
                    password_scheme=row["password_scheme"].lower(),
                )
            )
    return accounts


def read_identity_export(path: Path) -> dict[str, str]:
    """Each email address a shared identity signs in with, and that identity's id (its subject)."""
    try:
        file = path.open(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ExportError(f"cannot read {path}: {error}") from error
    identities: dict[str, str] = {}
    with file:
        for line in file:
            try:
                user = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(user, dict) or not isinstance(user.get("id"), str):
                continue
            for identity in user.get("identities") or ():
                if (
                    isinstance(identity, dict)
                    and identity.get("signInType") == "emailAddress"
                    and isinstance(identity.get("issuerAssignedId"), str)
                ):
                    identities.setdefault(normalise_email(identity["issuerAssignedId"]), user["id"])
    return identities


def make_plan(district_export: Path, identity_export: Path, encoding: str = "utf-8") -> Plan:
    plan = Plan()
    accounts = read_district_export(district_export, encoding, plan)
    identities = read_identity_export(identity_export)
    seen_ids = Counter(account.account_id for account in accounts)
    verified_emails = Counter(account.email for account in accounts if account.email_verified)
    for account in accounts:
        if seen_ids[account.account_id] > 1:
            plan.review.append(
                ReviewItem(account.line, account.account_id, "account_id appears more than once")
            )
        elif not account.email_verified:
            plan.review.append(ReviewItem(account.line, account.account_id, "email address not verified"))
        elif verified_emails[account.email] > 1:
            plan.review.append(
                ReviewItem(
                    account.line, account.account_id, "another district account has this email address"
                )
            )
        elif account.password_scheme and account.password_scheme not in VERIFIERS:
            plan.review.append(
                ReviewItem(
                    account.line,
                    account.account_id,
                    f"unknown password scheme {account.password_scheme[:32]!r}",
                )
            )
        elif account.password_scheme and not account.usable_hash:
            plan.review.append(
                ReviewItem(
                    account.line, account.account_id, f"password_hash is not a {account.password_scheme} hash"
                )
            )
        elif account.email in identities:
            plan.both.append((account, identities[account.email]))
        else:
            plan.district_only.append(account)
    district_emails = {account.email for account in accounts}
    with_district_account = {subject for email, subject in identities.items() if email in district_emails}
    plan.shared_only = len(set(identities.values()) - with_district_account)
    return plan
