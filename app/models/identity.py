"""Who a resident is to the portal: the provider's (issuer, subject), what they chose to keep with us,
their signed-in sessions and the council accounts they have linked.

Data minimisation: the portal keeps the name and verified email the provider gives it, the home address the
resident chose and their contact preferences; nothing else about them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import NEVER_REUSED_IDS, db
from connectors.clock import utcnow


class Resident(UserMixin, db.Model):
    __tablename__ = "residents"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_residents_issuer_subject"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(512))
    subject: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    home_uprn: Mapped[str | None] = mapped_column(String(12))
    contact_by_email: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    linked_accounts: Mapped[list[LinkedCouncilAccount]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="LinkedCouncilAccount.id"
    )

    def __repr__(self) -> str:
        return f"<Resident {self.id} {self.issuer} {self.subject}>"


# The CRM status sync finds the residents a page of changed cases belongs to by email, in any letter case.
Index("ix_residents_lower_email", func.lower(Resident.email))


class LinkedCouncilAccount(db.Model):
    """A council account (today: council tax) the resident proved is theirs."""

    __tablename__ = "linked_council_accounts"
    __table_args__ = (
        UniqueConstraint("resident_id", "service", "council_gss", name="uq_linked_council_accounts_service"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    service: Mapped[str] = mapped_column(String(32))
    council_gss: Mapped[str] = mapped_column(String(9))
    account_reference: Mapped[str] = mapped_column(String(64))
    # The property the account is for, as the council's match named it: a link lasts while it is the
    # resident's home.
    property_uprn: Mapped[str | None] = mapped_column(String(16))
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="linked_accounts")


class PortalSession(db.Model):
    """A server-side session. The cookie holds a random id; only its SHA-256 is stored here, so a copy of
    the table cannot be replayed as cookies."""

    __tablename__ = "portal_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    provider_session_id: Mapped[str | None] = mapped_column(String(255), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UsedLogoutToken(db.Model):
    """A back-channel logout token already acted on (app.auth.replay), kept until it could no longer be
    accepted anyway. The key is the SHA-256 of its issuer and jti."""

    __tablename__ = "used_logout_tokens"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class PersonalDataSource:
    """Another feature's data about a resident: how to export it for "download my data" and how to remove it
    for "delete my portal data". Features register theirs with register_personal_data."""

    name: str
    export: Callable[[Resident], object]
    delete: Callable[[Resident], None]


personal_data_sources: list[PersonalDataSource] = []


def register_personal_data(source: PersonalDataSource) -> None:
    if all(existing.name != source.name for existing in personal_data_sources):
        personal_data_sources.append(source)
