"""Security events of signing in and out, written to the audit log: who, what, when, from which address.
Never a token, code, state, nonce or password."""

import hashlib
import hmac

from flask import current_app, g, has_request_context, request
from sqlalchemy import or_, select, update

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.identity import PersonalDataSource, Resident, register_personal_data


def record_security_event(event: str, *, actor: str | None = None, **detail) -> None:
    theme = g.get("theme") if has_request_context() else None
    db.session.add(
        AuditEvent(
            event=event,
            actor=actor,
            council=theme.slug if theme else None,
            ip_address=request.remote_addr if has_request_context() else None,
            detail=detail,
        )
    )
    db.session.commit()


def resident_actor(resident_id: int) -> str:
    return f"resident:{resident_id}"


def erased_actor(resident_id: int) -> str:
    """Who a deleted resident was in the audit log: the same pseudonym for each of their events, so that a
    security review can still follow one account's history, and no way back to the resident without the
    portal's secret key and their old id."""
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), resident_actor(resident_id).encode(), hashlib.sha256
    )
    return f"erased:{digest.hexdigest()[:20]}"


def _events_of(resident: Resident):
    return or_(
        AuditEvent.actor == resident_actor(resident.id),
        # Claims were once recorded with the bare id.
        (AuditEvent.event == "reports.claimed") & (AuditEvent.actor == str(resident.id)),
    )


def export_audit(resident: Resident) -> list[dict]:
    return [
        {
            "event": event.event,
            "occurred_at": event.occurred_at.isoformat() if event.occurred_at else None,
            "council": event.council,
            "ip_address": event.ip_address,
        }
        for event in db.session.scalars(
            select(AuditEvent).where(_events_of(resident)).order_by(AuditEvent.id)
        )
    ]


def pseudonymise_audit(resident: Resident) -> None:
    """Security events stay (the audit log has its own retention), under a pseudonym instead of the id."""
    db.session.execute(update(AuditEvent).where(_events_of(resident)).values(actor=erased_actor(resident.id)))


register_personal_data(PersonalDataSource("security_events", export_audit, pseudonymise_audit))
