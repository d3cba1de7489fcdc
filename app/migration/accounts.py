"""Announcing and migrating a district's accounts (docs/migration.md), and what follows at sign-in.

- scenario 1 (on the district portal and the shared identity): the district data (home address, council tax
  account, the district's account id) is joined to the shared identity's subject; it reaches the resident's
  portal record now if they have one, otherwise at their next sign-in;
- scenario 2 (district portal only): a user is created at the identity provider marked "requires migration",
  with the same data joined to its new subject; a usable legacy hash is kept until the first sign-in, when
  the provider asks the portal to check the password (app/migration/views.py). Accounts without a usable
  hash get one "set your password" email, and only they;
- scenario 3 (shared identity only): nothing.

Every step is recorded on the account's MigratedAccount row as it is done, so a second run finds nothing to
do and a run stopped half way carries on where it stopped. Nothing here logs a hash or a password.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.auth.assurance import COUNCIL_TAX
from app.extensions import db
from app.migration.exports import DistrictAccount, Plan
from app.migration.hashes import verify
from app.models.identity import LinkedCouncilAccount, PersonalDataSource, Resident, register_personal_data
from app.models.migration import MigratedAccount, MigrationOutcome
from app.reports.mail import Email, queue_email
from app.themes import Theme
from app.tracking.followers import council_base_url, links_for
from connectors.identity_admin import GraphIdentityAdmin, IdentityAdmin, IdentityAdminError, NewIdentity

log = logging.getLogger(__name__)
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


def _records(council: Theme) -> dict[str, MigratedAccount]:
    return {
        record.account_id: record
        for record in db.session.scalars(
            select(MigratedAccount).where(MigratedAccount.council_slug == council.slug)
        )
    }


def _record_for(
    records: dict[str, MigratedAccount], council: Theme, account: DistrictAccount, scenario: int
) -> MigratedAccount:
    record = records.get(account.account_id)
    if record is None:
        record = MigratedAccount(council_slug=council.slug, account_id=account.account_id, scenario=scenario)
        db.session.add(record)
        records[account.account_id] = record
    record.scenario = scenario
    record.email = account.email
    record.given_name = account.given_name or None
    record.family_name = account.family_name or None
    record.uprn = account.uprn or None
    record.postcode = account.postcode or None
    record.council_tax_reference = account.council_tax_reference or None
    return record


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
    with links_for(council.slug):  # one request context for every email, not one each
        return _announce(council, plan, switch_date, apply=apply)


def _announce(council: Theme, plan: Plan, switch_date: date, *, apply: bool) -> AnnounceResult:
    result = AnnounceResult()
    records = _records(council)
    accounts = [(account, 1) for account, _subject in plan.both] + [(a, 2) for a in plan.district_only]
    for number, (account, scenario) in enumerate(accounts, start=1):
        existing = records.get(account.account_id)
        if existing is not None and existing.announced_at is not None:
            result.already += 1
            continue
        result.queued += 1
        if apply:
            record = existing or _record_for(records, council, account, scenario)
            queue_email(announcement(council, account.email, switch_date))
            record.announced_at = utcnow()
            if number % BATCH == 0:
                db.session.commit()
    if apply:
        db.session.commit()
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


def apply_to_resident(record: MigratedAccount, resident: Resident, council: Theme) -> None:
    """Bring the district data into the resident's portal record, without overwriting what they chose."""
    if record.uprn and not resident.home_uprn:
        resident.home_uprn = record.uprn
    if record.council_tax_reference and not any(
        link.service == COUNCIL_TAX and link.council_gss == council.gss_code
        for link in resident.linked_accounts
    ):
        resident.linked_accounts.append(
            LinkedCouncilAccount(
                service=COUNCIL_TAX,
                council_gss=council.gss_code,
                account_reference=record.council_tax_reference,
                property_uprn=record.uprn,
            )
        )
    record.applied_at = utcnow()


def _resident_with_subject(subject: str) -> Resident | None:
    issuer = current_app.config.get("OIDC_ISSUER")
    query = select(Resident).where(Resident.subject == subject)
    if issuer:
        query = query.where(Resident.issuer == issuer)
    return db.session.scalars(query).first()


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


def _link(record: MigratedAccount, subject: str, council: Theme) -> None:
    record.subject = subject
    record.outcome = MigrationOutcome.LINKED
    record.migrated_at = utcnow()
    resident = _resident_with_subject(subject)
    if resident is not None:
        apply_to_resident(record, resident, council)


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
    records = _records(council)

    for number, (account, subject) in enumerate(plan.both, start=1):
        record = records.get(account.account_id)
        if record is not None and record.outcome == MigrationOutcome.LINKED and record.subject == subject:
            result.unchanged += 1
            result.outcomes.append((account.account_id, 1, "unchanged", subject, "no", ""))
        else:
            result.linked += 1
            result.outcomes.append((account.account_id, 1, "linked", subject, "no", ""))
            if apply:
                _link(_record_for(records, council, account, 1), subject, council)
        progress(1)
        if apply and number % BATCH == 0:
            db.session.commit()
    if apply:
        db.session.commit()

    to_create = []
    for account in plan.district_only:
        record = records.get(account.account_id)
        if record is not None and record.outcome == MigrationOutcome.CREATED:
            result.unchanged += 1
            result.outcomes.append((account.account_id, 2, "unchanged", record.subject, "no", ""))
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
    with links_for(council.slug):  # one request context for every email, not one each
        for start in range(0, len(to_create), BATCH):
            batch = to_create[start : start + BATCH]
            _create_batch(council, batch, records, admin, parallel, result, progress)
    return result


def _create_batch(
    council: Theme,
    accounts: list[DistrictAccount],
    records: dict[str, MigratedAccount],
    admin: IdentityAdmin,
    parallel: int,
    result: MigrateResult,
    progress: Callable[[int], None],
) -> None:
    """Create one batch's users at the provider in parallel, then record them in one transaction."""

    def create(account: DistrictAccount) -> str:
        return admin.create_user(
            NewIdentity(
                email=account.email,
                given_name=account.given_name,
                family_name=account.family_name,
                requires_migration=account.usable_hash,
            )
        )

    with ThreadPoolExecutor(max_workers=max(parallel, 1)) as pool:
        futures = {pool.submit(create, account): account for account in accounts}
        for future in as_completed(futures):
            account = futures[future]
            record = _record_for(records, council, account, 2)
            try:
                subject = future.result()
            except IdentityAdminError as error:
                record.outcome = MigrationOutcome.FAILED
                record.last_error = str(error)[:255]
                result.failed += 1
                result.outcomes.append((account.account_id, 2, "failed", "", "no", record.last_error))
                progress(1)
                continue
            record.subject = subject
            record.outcome = MigrationOutcome.CREATED
            record.last_error = None
            record.migrated_at = utcnow()
            email_queued = False
            if account.usable_hash:
                record.legacy_hash = account.password_hash
                record.legacy_scheme = account.password_scheme
            elif record.reset_email_queued_at is None:
                queue_email(set_password_email(council, account.email))
                record.reset_email_queued_at = utcnow()
                result.emails_queued += 1
                email_queued = True
            result.created += 1
            result.outcomes.append(
                (account.account_id, 2, "created", subject, "yes" if email_queued else "no", "")
            )
            progress(1)
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
