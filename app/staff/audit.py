"""The staff audit trail: every look and action by council staff, append-only and tamper-evident.

Each entry's hash covers its own fields and the previous entry's hash, so an entry changed, removed or slipped
in afterwards breaks the chain from there on (``verify``). Appending first locks the one row of
staff_audit_head (an UPDATE), so two app servers append one after the other on SQLite and PostgreSQL
alike, and previous_hash is unique, so the chain can never fork. Entries older than
PORTAL_STAFF_AUDIT_RETENTION_DAYS are removed by ``purge_expired`` (app.retention runs it), which appends an
entry saying how many went and the hash of the last of them, where the remaining chain now starts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models.staff import GENESIS_HASH, StaffAuditEntry, StaffAuditHead
from app.staff.identity import current_staff
from connectors.clock import utcnow

HEAD_ID = 1
# Why a staff member opens a resident's record: the legitimate purpose, asked before every look.
REASONS = {
    "contact": _l("The resident is contacting us now (phone, visit or email)"),
    "follow_up": _l("Following up the resident's enquiry, report or case"),
    "safeguarding": _l("A safeguarding or vulnerability concern"),
    "complaint": _l("Looking into a complaint"),
    "other": _l("Another reason"),
}
SYSTEM_ACTOR = "system"
ANONYMOUS = "anonymous"

# What each kind of entry means to a resident reading "download my data" or a supervisor reading the log.
ACTIONS = {
    "signed_in": "Signed in",
    "sign_in_started": "Started signing in",
    "sign_in_failed": "Sign-in failed",
    "signed_out": "Signed out",
    "home_viewed": "Opened the search page",
    "viewed": "Opened a page",
    "working_for_chosen": "Chose the council they work for",
    "searched": "Searched for a resident",
    "reason_asked": "Was asked the reason for a look",
    "resident_viewed": "Looked at the resident's record",
    "council_tax_refused": "Was refused the resident's council tax",
    "contact_note_added": "Added a contact note",
    "report_step": "Reporting a problem for someone: a step",
    "report_made": "Reported a problem for someone",
    "case_update_added": "Added to a case for the resident",
    "resident_sessions_ended": "Signed the resident out everywhere",
    "every_resident_session_ended": "Signed every resident out everywhere (operator command)",
    "audit_viewed": "Read the audit log",
    "deliveries_viewed": "Read the parked deliveries",
    "delivery_retried": "Retried a parked delivery",
    "delivery_cancelled": "Cancelled a parked delivery",
    "insights_viewed": "Read the insights",
    "insights_exported": "Downloaded insights figures",
    "feedback_viewed": "Read residents' comments",
    "feedback_approved": "Approved a resident's comment for staff to read",
    "feedback_rejected": "Rejected a resident's comment",
    "refused": "Was refused a page",
    "not_found": "Asked for something that does not exist",
    "purged": "Entries past the retention period were removed",
}


def moment_text(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(entry: StaffAuditEntry) -> str:
    fields = {
        "occurred_at": moment_text(entry.occurred_at),
        "staff_subject": entry.staff_subject,
        "staff_name": entry.staff_name,
        "staff_email": entry.staff_email,
        "role": entry.role,
        "council_slug": entry.council_slug,
        "action": entry.action,
        "resident_id": entry.resident_id,
        "reason_code": entry.reason_code,
        "reason_text": entry.reason_text,
        "reference": entry.reference,
        "detail": entry.detail or {},
        "client_address": entry.client_address,
        "previous_hash": entry.previous_hash,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_head() -> str:
    """Lock the chain's head row for this transaction and return the newest entry's hash."""
    locked = db.session.execute(
        update(StaffAuditHead).where(StaffAuditHead.id == HEAD_ID).values(entries=StaffAuditHead.entries + 1)
    )
    if locked.rowcount == 0:
        db.session.add(StaffAuditHead(id=HEAD_ID, entry_hash=GENESIS_HASH, entries=1))
        db.session.flush()
    return db.session.scalar(select(StaffAuditHead.entry_hash).where(StaffAuditHead.id == HEAD_ID))


def append(
    action: str,
    *,
    staff_subject: str,
    staff_name: str | None = None,
    staff_email: str | None = None,
    role: str | None = None,
    council_slug: str | None = None,
    resident_id: int | None = None,
    reason_code: str | None = None,
    reason_text: str | None = None,
    reference: str | None = None,
    detail: dict | None = None,
    client_address: str | None = None,
) -> StaffAuditEntry:
    """Add an entry in the caller's transaction (so it is kept exactly when what it records is kept)."""
    previous = _lock_head()
    entry = StaffAuditEntry(
        occurred_at=utcnow(),
        staff_subject=staff_subject,
        staff_name=staff_name,
        staff_email=staff_email,
        role=role,
        council_slug=council_slug,
        action=action,
        resident_id=resident_id,
        reason_code=reason_code,
        reason_text=reason_text,
        reference=reference,
        detail=detail or {},
        client_address=client_address,
        previous_hash=previous,
    )
    entry.entry_hash = entry_hash(entry)
    db.session.add(entry)
    db.session.execute(
        update(StaffAuditHead).where(StaffAuditHead.id == HEAD_ID).values(entry_hash=entry.entry_hash)
    )
    db.session.flush()
    return entry


def record(action: str, *, commit: bool = False, **fields) -> StaffAuditEntry:
    """An entry for the signed-in staff member's look or action, from this request (who, role, council,
    client address)."""
    member = current_staff() if has_request_context() else None
    defaults = {
        "staff_subject": member.subject if member else ANONYMOUS,
        "staff_name": member.name if member else None,
        "staff_email": member.email if member else None,
        "role": member.role if member else None,
        "council_slug": member.working_for if member else None,
        "client_address": request.remote_addr if has_request_context() else None,
    }
    entry = append(action, **{**defaults, **fields})
    if has_request_context():
        from flask import g

        g.staff_audited = True
    if commit:
        db.session.commit()
    return entry


# --- checking the chain -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    broken_at: int | None  # the id of the first entry that does not fit, or None when the chain holds

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(batch: int = 1000) -> ChainCheck:
    """Recompute every hash in order. The oldest remaining entry anchors the chain (the genesis, or the last
    entry a retention purge removed, which the purge's own entry names)."""
    previous: str | None = None
    count = 0
    last_id = 0
    while True:
        rows = list(
            db.session.scalars(
                select(StaffAuditEntry)
                .where(StaffAuditEntry.id > last_id)
                .order_by(StaffAuditEntry.id)
                .limit(batch)
            )
        )
        if not rows:
            break
        for entry in rows:
            if previous is not None and entry.previous_hash != previous:
                return ChainCheck(count, entry.id)
            if entry_hash(entry) != entry.entry_hash:
                return ChainCheck(count, entry.id)
            previous = entry.entry_hash
            count += 1
            last_id = entry.id
        db.session.expunge_all()
    head = db.session.scalar(select(StaffAuditHead.entry_hash).where(StaffAuditHead.id == HEAD_ID))
    if previous is not None and head is not None and head != previous:
        # The newest entries were removed: the head still names the hash they ended with.
        return ChainCheck(count, last_id)
    return ChainCheck(count, None)


def purge_expired(now: datetime | None = None) -> int:
    """Remove entries older than the retention period; the purge itself is the next entry of the chain."""
    days = current_app.config["STAFF_AUDIT_RETENTION_DAYS"]
    cutoff = (now or utcnow()) - timedelta(days=days)
    last = db.session.scalars(
        select(StaffAuditEntry)
        .where(StaffAuditEntry.occurred_at < cutoff)
        .order_by(StaffAuditEntry.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return 0
    through_hash, through_id = last.entry_hash, last.id
    removed = db.session.execute(
        delete(StaffAuditEntry)
        .where(StaffAuditEntry.id <= through_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    append(
        "purged",
        staff_subject=SYSTEM_ACTOR,
        detail={"removed": removed, "through_hash": through_hash, "retention_days": days},
    )
    db.session.commit()
    return removed
