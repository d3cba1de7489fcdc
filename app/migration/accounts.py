"""Announcing and migrating a district's accounts (docs/migration.md), and what follows at sign-in.

- scenario 1 (on the district portal and the shared identity): the district data (home address, council tax
  account, the district's account id) is joined to the shared identity's subject; it reaches the resident's
  portal record now if they have one, otherwise at their next sign-in;
- scenario 2 (district portal only): a user is created at the identity provider marked "requires migration",
  with the same data joined to its new subject; a usable legacy hash is kept until the first sign-in, when
  the provider asks the portal to check the password (app/migration/views.py). Accounts without a usable
  hash get one "set your password" email, and only they;
- scenario 3 (shared identity only): nothing.

Every step is recorded on the account's MigratedAccount row, 500 accounts to a transaction with the emails
they are sent, so a second run finds nothing to do and a run stopped half way carries on where it stopped.
The rows are written in bulk (one statement per batch) and what earlier runs did is read in one query, not
one per account. Nothing here logs a hash or a password.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.orm import selectinload

from app.auth.assurance import COUNCIL_TAX
from app.extensions import db
from app.migration.exports import DistrictAccount, Plan
from app.migration.hashes import verify
from app.models.identity import LinkedCouncilAccount, PersonalDataSource, Resident, register_personal_data
from app.models.migration import MigratedAccount, MigrationOutcome
from app.reports.links import council_base_url, links_for
from app.reports.mail import Email, queue_emails
from app.themes import Theme
from connectors.identity_admin import (
    BATCH_LIMIT,
    GraphIdentityAdmin,
    IdentityAdmin,
    IdentityAdminError,
    NewIdentity,
)

BATCH = 500
REPORT_HEADER = ("account_id", "scenario", "outcome", "subject", "email_queued", "error")


def utcnow() -> datetime:
    return datetime.now(UTC)


def identity_admin() -> IdentityAdmin:
    config = current_app.config
    missing = [
        f"PORTAL_{name}"
        for name in (
            "IDENTITY_ADMIN_TOKEN_URL",
            "IDENTITY_ADMIN_CLIENT_ID",
            "IDENTITY_ADMIN_CLIENT_SECRET",
            "IDENTITY_ADMIN_TENANT",
            "IDENTITY_ADMIN_EXTENSIONS_APP_ID",
        )
        if not config.get(name)
    ]
    if missing:
        raise IdentityAdminError("set " + ", ".join(missing))
    return GraphIdentityAdmin(
        token_url=config["IDENTITY_ADMIN_TOKEN_URL"],
        graph_url=config["IDENTITY_ADMIN_GRAPH_URL"],
        client_id=config["IDENTITY_ADMIN_CLIENT_ID"],
        client_secret=config["IDENTITY_ADMIN_CLIENT_SECRET"],
        tenant_issuer=config["IDENTITY_ADMIN_TENANT"],
        extensions_app_id=config["IDENTITY_ADMIN_EXTENSIONS_APP_ID"],
        requests_per_second=config["IDENTITY_ADMIN_REQUESTS_PER_SECOND"],
    )


class Known(NamedTuple):
    """What an earlier run recorded for one district account: enough to know what is left to do."""

    id: int
    outcome: str | None
    subject: str | None
    announced_at: datetime | None
    reset_email_queued_at: datetime | None


def _known(council: Theme) -> dict[str, Known]:
    """Every account of this council an earlier run recorded, read in one query."""
    rows = db.session.execute(
        select(
            MigratedAccount.account_id,
            MigratedAccount.id,
            MigratedAccount.outcome,
            MigratedAccount.subject,
            MigratedAccount.announced_at,
            MigratedAccount.reset_email_queued_at,
        ).where(MigratedAccount.council_slug == council.slug)
    )
    return {row[0]: Known(*row[1:]) for row in rows}


def _district_data(council: Theme, account: DistrictAccount, scenario: int) -> dict:
    return {
        "council_slug": council.slug,
        "account_id": account.account_id,
        "scenario": scenario,
        "email": account.email,
        "given_name": account.given_name or None,
        "family_name": account.family_name or None,
        "uprn": account.uprn or None,
        "postcode": account.postcode or None,
        "council_tax_reference": account.council_tax_reference or None,
    }


def _save(new_rows: list[dict], changes: list[dict]) -> None:
    """Insert the accounts no run has recorded and update the others, each in one statement."""
    if new_rows:
        db.session.execute(insert(MigratedAccount), new_rows)
    if changes:
        db.session.execute(update(MigratedAccount), changes)


def _in_batches(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _portal_url(council: Theme) -> str:
    return council_base_url(council.slug) + "/"


def announcement(council: Theme, email: str, switch_date: date) -> Email:
    with links_for(council.slug):
        return _announcement(council, email, switch_date)


def _announcement(council: Theme, email: str, switch_date: date) -> Email:
    when = format_date(switch_date, "d MMMM y")
    return Email(
        to=email,
        subject=_("Your %(council)s account is moving to My Norfolk", council=council.name),
        body=_(
            "From %(date)s you will sign in to %(council)s online services with My Norfolk, at %(url)s\n\n"
            "You will use the same email address and, for almost everyone, the same password. Your home "
            "address and council tax account come with you.\n\n"
            "We will never ask for your password by email or phone. If you need to set a new password, we "
            "will email you separately.",
            date=when,
            council=council.name,
            url=_portal_url(council),
        ),
    )


def set_password_email(council: Theme, email: str) -> Email:
    with links_for(council.slug):
        return _set_password_email(council, email)


def _set_password_email(council: Theme, email: str) -> Email:
    return Email(
        to=email,
        subject=_("Set a password for your %(council)s account", council=council.name),
        body=_(
            "Your %(council)s account has moved to My Norfolk, but we could not bring your old password "
            'with it.\n\nGo to %(url)s, choose Sign in and then "Forgotten your password?" to set a new '
            "one with this email address. Your home address and council tax account will be there when you "
            "sign in.",
            council=council.name,
            url=_portal_url(council),
        ),
    )


@dataclass
class AnnounceResult:
    queued: int = 0
    already: int = 0


def announce(council: Theme, plan: Plan, switch_date: date, *, apply: bool) -> AnnounceResult:
    """One email to each scenario 1 and 2 account, never a second one."""
    result = AnnounceResult()
    known = _known(council)
    to_announce = []
    for account, scenario in [(a, 1) for a, _subject in plan.both] + [(a, 2) for a in plan.district_only]:
        earlier = known.get(account.account_id)
        if earlier is not None and earlier.announced_at is not None:
            result.already += 1
        else:
            to_announce.append((account, scenario))
    result.queued = len(to_announce)
    if not apply:
        return result
    # The text is the same for every resident of the council: written once, addressed to each.
    text = announcement(council, "", switch_date)
    for batch in _in_batches(to_announce):
        now = utcnow()
        new_rows, changes = [], []
        for account, scenario in batch:
            earlier = known.get(account.account_id)
            if earlier is None:
                new_rows.append({**_district_data(council, account, scenario), "announced_at": now})
            else:
                changes.append({"id": earlier.id, "announced_at": now})
        _save(new_rows, changes)
        queue_emails((replace(text, to=account.email) for account, _scenario in batch), council=council.slug)
        db.session.commit()  # the emails and the record that they were sent, together
    return result


@dataclass
class MigrateResult:
    created: int = 0
    linked: int = 0
    unchanged: int = 0
    emails_queued: int = 0
    failed: int = 0
    outcomes: list[tuple] = field(default_factory=list)

    def summary(self) -> list[str]:
        return [
            f"created: {self.created}",
            f"linked: {self.linked}",
            f"unchanged: {self.unchanged}",
            f"emails queued: {self.emails_queued}",
        ]


def bring_district_data(
    resident: Resident, council: Theme, uprn: str | None, council_tax_reference: str | None
) -> None:
    """The district's home address and council tax account in the resident's portal record, without
    overwriting what they chose."""
    if uprn and not resident.home_uprn:
        resident.home_uprn = uprn
    if council_tax_reference and not any(
        link.service == COUNCIL_TAX and link.council_gss == council.gss_code
        for link in resident.linked_accounts
    ):
        resident.linked_accounts.append(
            LinkedCouncilAccount(
                service=COUNCIL_TAX,
                council_gss=council.gss_code,
                account_reference=council_tax_reference,
                property_uprn=uprn,
            )
        )


def apply_to_resident(record: MigratedAccount, resident: Resident, council: Theme) -> None:
    bring_district_data(resident, council, record.uprn, record.council_tax_reference)
    record.applied_at = utcnow()


def _residents_with_subjects(subjects: list[str]) -> dict[str, Resident]:
    issuer = current_app.config.get("OIDC_ISSUER")
    query = (
        select(Resident).where(Resident.subject.in_(subjects)).options(selectinload(Resident.linked_accounts))
    )
    if issuer:
        query = query.where(Resident.issuer == issuer)
    return {resident.subject: resident for resident in db.session.scalars(query)}


def apply_at_sign_in(resident: Resident) -> None:
    """At sign-in: district data migrated for this subject that has not reached the portal record yet."""
    themes = current_app.extensions["themes"]
    pending = db.session.scalars(
        select(MigratedAccount).where(
            MigratedAccount.subject == resident.subject, MigratedAccount.applied_at.is_(None)
        )
    ).all()
    for record in pending:
        apply_to_resident(record, resident, themes.get(record.council_slug))


def migrate(
    council: Theme,
    plan: Plan,
    *,
    apply: bool,
    admin: IdentityAdmin | None = None,
    parallel: int = 8,
    progress: Callable[[int], None] = lambda done: None,
) -> MigrateResult:
    result = MigrateResult(unchanged=plan.shared_only)
    known = _known(council)

    to_link = []
    for account, subject in plan.both:
        earlier = known.get(account.account_id)
        if earlier is not None and earlier.outcome == MigrationOutcome.LINKED and earlier.subject == subject:
            result.unchanged += 1
            result.outcomes.append((account.account_id, 1, "unchanged", subject, "no", ""))
            progress(1)
        else:
            to_link.append((account, subject))
    for batch in _in_batches(to_link):
        result.linked += len(batch)
        result.outcomes.extend(
            (account.account_id, 1, "linked", subject, "no", "") for account, subject in batch
        )
        if apply:
            _link_batch(council, batch, known)
        progress(len(batch))

    to_create = []
    for account in plan.district_only:
        earlier = known.get(account.account_id)
        if earlier is not None and earlier.outcome == MigrationOutcome.CREATED:
            result.unchanged += 1
            result.outcomes.append((account.account_id, 2, "unchanged", earlier.subject, "no", ""))
            progress(1)
        else:
            to_create.append(account)
    if not apply:
        for account in to_create:
            result.created += 1
            result.emails_queued += 0 if account.usable_hash else 1
            result.outcomes.append(
                (account.account_id, 2, "created", "", "yes" if not account.usable_hash else "no", "")
            )
            progress(1)
        return result

    admin = admin or identity_admin()
    text = set_password_email(council, "")  # the same words for everyone: written once, addressed to each
    with ThreadPoolExecutor(max_workers=max(parallel, 1)) as pool:
        for batch in _in_batches(to_create):
            _create_batch(council, batch, known, admin, pool, text, result, progress)
    return result


def _link_batch(council: Theme, batch: list[tuple[DistrictAccount, str]], known: dict[str, Known]) -> None:
    """Scenario 1: the district data joined to each shared identity's subject, and brought into the portal
    records of those who already have one, in one transaction."""
    now = utcnow()
    residents = _residents_with_subjects([subject for _account, subject in batch])
    new_rows, changes = [], []
    for account, subject in batch:
        resident = residents.get(subject)
        if resident is not None:
            bring_district_data(resident, council, account.uprn, account.council_tax_reference)
        linked = {
            **_district_data(council, account, 1),
            "subject": subject,
            "outcome": MigrationOutcome.LINKED,
            "migrated_at": now,
            "applied_at": now if resident is not None else None,
        }
        earlier = known.get(account.account_id)
        if earlier is None:
            new_rows.append(linked)
        else:
            changes.append({**linked, "id": earlier.id})
    _save(new_rows, changes)
    db.session.commit()


def _create_batch(
    council: Theme,
    accounts: list[DistrictAccount],
    known: dict[str, Known],
    admin: IdentityAdmin,
    pool: ThreadPoolExecutor,
    text: Email,
    result: MigrateResult,
    progress: Callable[[int], None],
) -> None:
    """Create one batch's users at the provider, a Graph batch per thread, then record them in one
    transaction with the "set your password" emails."""
    groups = [accounts[start : start + BATCH_LIMIT] for start in range(0, len(accounts), BATCH_LIMIT)]
    futures = {
        pool.submit(
            admin.create_users,
            [
                NewIdentity(
                    email=account.email,
                    given_name=account.given_name,
                    family_name=account.family_name,
                    requires_migration=account.usable_hash,
                )
                for account in group
            ],
        ): group
        for group in groups
    }
    now = utcnow()
    new_rows, changes, emails = [], [], []
    for future in as_completed(futures):
        group = futures[future]
        for account, made in zip(group, future.result(), strict=True):
            earlier = known.get(account.account_id)
            row = _district_data(council, account, 2)
            if isinstance(made, IdentityAdminError):
                row |= {"outcome": MigrationOutcome.FAILED, "last_error": str(made)[:255]}
                result.failed += 1
                result.outcomes.append((account.account_id, 2, "failed", "", "no", row["last_error"]))
            else:
                row |= {
                    "subject": made,
                    "outcome": MigrationOutcome.CREATED,
                    "last_error": None,
                    "migrated_at": now,
                }
                email_queued = False
                if account.usable_hash:
                    row |= {"legacy_hash": account.password_hash, "legacy_scheme": account.password_scheme}
                elif earlier is None or earlier.reset_email_queued_at is None:
                    emails.append(replace(text, to=account.email))
                    row["reset_email_queued_at"] = now
                    email_queued = True
                result.created += 1
                result.emails_queued += email_queued
                result.outcomes.append(
                    (account.account_id, 2, "created", made, "yes" if email_queued else "no", "")
                )
            if earlier is None:
                new_rows.append(row)
            else:
                changes.append({**row, "id": earlier.id})
        progress(len(group))
    _save(new_rows, changes)
    queue_emails(emails, council=council.slug)
    db.session.commit()


def write_report(path: Path, outcomes: Iterable[tuple]) -> None:
    """Each account's outcome: ids, scenario and what happened; never a hash, a password or an email."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(REPORT_HEADER)
        writer.writerows(outcomes)


@dataclass(frozen=True)
class CheckResult:
    valid: bool
    record: MigratedAccount | None


def check_legacy_password(subject: str, password: str) -> CheckResult:
    """At first sign-in: does the password match the account's legacy hash? On success the hash is deleted."""
    record = db.session.scalars(
        select(MigratedAccount).where(
            MigratedAccount.subject == subject, MigratedAccount.legacy_hash.is_not(None)
        )
    ).first()
    if record is None:
        return CheckResult(False, None)
    if not verify(record.legacy_scheme or "", record.legacy_hash or "", password):
        return CheckResult(False, record)
    record.legacy_hash = None
    record.legacy_scheme = None
    record.first_signed_in_at = utcnow()
    record.hash_deleted_at = record.first_signed_in_at
    return CheckResult(True, record)


def purge_old_legacy_hashes(older_than: timedelta) -> int:
    """Hashes not used within the retention period: those residents set a new password instead."""
    now = utcnow()
    purged = db.session.execute(
        update(MigratedAccount)
        .where(MigratedAccount.legacy_hash.is_not(None), MigratedAccount.migrated_at < now - older_than)
        .values(legacy_hash=None, legacy_scheme=None, hash_deleted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return purged


def _records_of(resident: Resident):
    return (
        select(MigratedAccount)
        .where(MigratedAccount.subject == resident.subject)
        .order_by(MigratedAccount.id)
    )


def export_migration(resident: Resident) -> list[dict]:
    return [
        {
            "council": record.council_slug,
            "district_account_id": record.account_id,
            "email": record.email,
            "home_uprn": record.uprn,
            "council_tax_reference": record.council_tax_reference,
            "migrated_at": record.migrated_at.isoformat() if record.migrated_at else None,
            "old_password_kept_until_first_sign_in": record.legacy_hash is not None,
        }
        for record in db.session.scalars(_records_of(resident))
    ]


def forget_migration(resident: Resident) -> None:
    for record in db.session.scalars(_records_of(resident)).all():
        db.session.delete(record)


register_personal_data(PersonalDataSource("district_account_migration", export_migration, forget_migration))
