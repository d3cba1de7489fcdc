"""A signed-in resident's reports, and claiming the ones they made as a guest with the same verified email.

Only an email the identity provider verified counts (the portal keeps no other email for a resident), and only
reports no one has claimed yet: a report is claimed once, by its owner.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select, update

from app.auth.audit import resident_actor
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.reports import Report

# How many of a resident's reports the dashboard lists (the newest); "Your reports" lists them all.
DASHBOARD_REPORTS = 5


def _verified_email(resident) -> str | None:
    email = getattr(resident, "email", None)
    return email.strip().lower() if email else None


def reports_of(resident) -> list[Report]:
    return list(
        db.session.scalars(
            select(Report).where(Report.resident_id == resident.id).order_by(Report.created_at.desc())
        )
    )


def _unclaimed_with(email):
    # ix_reports_lower_email answers this without reading every report.
    return (Report.resident_id.is_(None), func.lower(Report.email) == email)


# Built once: every signed-in dashboard counts them.
_CLAIMABLE_COUNT = select(func.count()).select_from(Report).where(*_unclaimed_with(bindparam("email")))


def claimable(resident) -> list[Report]:
    email = _verified_email(resident)
    if email is None:
        return []
    return list(
        db.session.scalars(select(Report).where(*_unclaimed_with(email)).order_by(Report.created_at.desc()))
    )


def claimable_count(resident) -> int:
    email = _verified_email(resident)
    if email is None:
        return 0
    return db.session.scalar(_CLAIMABLE_COUNT, {"email": email})


def claim(resident, ip_address: str | None = None) -> int:
    email = _verified_email(resident)
    if email is None:
        return 0
    claimed = db.session.execute(
        update(Report)
        .where(*_unclaimed_with(email))
        .values(resident_id=resident.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        db.session.add(
            AuditEvent(
                event="reports.claimed",
                actor=resident_actor(resident.id),
                ip_address=ip_address,
                detail={"count": claimed},
            )
        )
    db.session.commit()
    return claimed


# Built once, as every signed-in dashboard runs it (building a statement costs more than its cached compile).
_LATEST = (
    select(Report)
    .where(Report.resident_id == bindparam("resident_id"))
    .order_by(Report.created_at.desc())
    .limit(DASHBOARD_REPORTS)
)


def summary(resident) -> dict:
    """For the dashboard: the resident's latest reports and how many guest reports they could claim. Every
    signed-in dashboard asks, so the database returns only those few rows and a count."""
    latest = db.session.scalars(_LATEST, {"resident_id": resident.id})
    return {"reports": list(latest), "claimable": claimable_count(resident)}
