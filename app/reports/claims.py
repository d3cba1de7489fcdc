"""A signed-in resident's reports, and claiming the ones they made as a guest with the same verified email.

Only an email the identity provider verified counts (the portal keeps no other email for a resident), and only
reports no one has claimed yet: a report is claimed once, by its owner.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.auth.audit import resident_actor
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.reports import Report


def _verified_email(resident) -> str | None:
    email = getattr(resident, "email", None)
    return email.strip().lower() if email else None


def reports_of(resident) -> list[Report]:
    return list(
        db.session.scalars(
            select(Report).where(Report.resident_id == resident.id).order_by(Report.created_at.desc())
        )
    )


def claimable(resident) -> list[Report]:
    email = _verified_email(resident)
    if email is None:
        return []
    return list(
        db.session.scalars(
            select(Report)
            .where(Report.resident_id.is_(None), func.lower(Report.email) == email)
            .order_by(Report.created_at.desc())
        )
    )


def claim(resident, ip_address: str | None = None) -> int:
    email = _verified_email(resident)
    if email is None:
        return 0
    claimed = db.session.execute(
        update(Report)
        .where(Report.resident_id.is_(None), func.lower(Report.email) == email)
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


def summary(resident) -> dict:
    """For the dashboard: the resident's reports and how many guest reports they could claim."""
    return {"reports": reports_of(resident)[:5], "claimable": len(claimable(resident))}
