"""District portal accounts brought into the shared sign-in (docs/migration.md): one record per district
account, what was done with it, and its legacy password hash until the resident's first sign-in (or the
retention period, PORTAL_LEGACY_HASH_DAYS)."""

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import NEVER_REUSED_IDS, db
from app.models.audit import utcnow


class MigrationOutcome:
    CREATED = "created"  # scenario 2: a user made at the identity provider, marked "requires migration"
    LINKED = "linked"  # scenario 1: the district data joined to the shared identity's subject
    FAILED = "failed"  # the provider refused or could not be reached: a later run tries again


class MigratedAccount(db.Model):
    __tablename__ = "migrated_accounts"
    __table_args__ = (
        UniqueConstraint("council_slug", "account_id", name="uq_migrated_accounts_council_account"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_slug: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320), index=True)
    scenario: Mapped[int] = mapped_column(Integer)
    # The shared identity's subject (its Microsoft Graph id): found in the identity export or made by migrate.
    subject: Mapped[str | None] = mapped_column(String(255), index=True)
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    uprn: Mapped[str | None] = mapped_column(String(16))
    postcode: Mapped[str | None] = mapped_column(String(16))
    council_tax_reference: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(255))
    legacy_hash: Mapped[str | None] = mapped_column(Text)
    legacy_scheme: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    migrated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reset_email_queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the district data reached the resident's portal record (at migrate, or at their next sign-in).
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_signed_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hash_deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
