"""Security events of signing in and out, written to the audit log: who, what, when, from which address.
Never a token, code, state, nonce or password."""

from flask import g, has_request_context, request

from app.extensions import db
from app.models.audit import AuditEvent


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
