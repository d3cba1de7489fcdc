"""What the council insights count that no other table keeps: reports per day as a rollup (so a year of
reports is summed from a few thousand rows), residents' sign-ins, and per-day counters of the platform's use
(back-office calls and their outcomes, dashboard tiles and their states, emails) for availability and cost
sharing."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import NEVER_REUSED_IDS, db
from connectors.clock import utcnow


class ReportDay(db.Model):
    """Reports made on one UTC day at one council, of one type, through one channel. Kept in the same
    transaction as each report is written (app.insights.rollup), so it always equals a GROUP BY over
    reports; `flask insights rebuild-rollup` recomputes it after reports are loaded outside the portal."""

    __tablename__ = "insights_report_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    council_slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    report_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)


class SignIn(db.Model):
    """A resident signing in on a council's domain: sign-ins and active residents per council. Erasing the
    resident removes the link to them (resident_id becomes NULL) and keeps the count."""

    __tablename__ = "resident_sign_ins"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    council_slug: Mapped[str] = mapped_column(String(64))
    signed_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class UsageMeasure:
    BACKOFFICE_CALL = "backoffice_call"  # detail: "<service> <outcome>"
    TILE = "tile"  # detail: "<service> <state>"
    EMAIL = "email"  # detail: ""


class UsageDay(db.Model):
    """How many times something happened on one UTC day for one council."""

    __tablename__ = "insights_usage_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    council_slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    measure: Mapped[str] = mapped_column(String(32), primary_key=True)
    detail: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
