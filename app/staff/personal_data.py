"""Council staff's part of "download my data" and "delete my portal data": which council looked at the
resident's record or acted for them, when and why; and the contact notes agents wrote about them."""

from __future__ import annotations

from sqlalchemy import delete, select

from app.extensions import db
from app.models.identity import PersonalDataSource, Resident, register_personal_data
from app.models.staff import ContactNote, StaffAuditEntry
from app.staff.audit import ACTIONS, REASONS, moment_text
from app.staff.forms import CHANNELS
from app.theming import themes

# The trail's entries a resident sees: the looks at their record and what was done for them.
RESIDENT_VISIBLE = (
    "resident_viewed",
    "council_tax_refused",
    "contact_note_added",
    "report_made",
    "case_update_added",
)


def looks_at(resident: Resident) -> list[dict]:
    """Which council looked at the resident's record or acted for them, when and why (not which member of
    staff: the council answers for its staff)."""
    entries = db.session.scalars(
        select(StaffAuditEntry)
        .where(StaffAuditEntry.resident_id == resident.id, StaffAuditEntry.action.in_(RESIDENT_VISIBLE))
        .order_by(StaffAuditEntry.id)
    )
    councils = {theme.slug: theme.name for theme in themes()}
    return [
        {
            "council": councils.get(entry.council_slug, entry.council_slug),
            "when": moment_text(entry.occurred_at),
            "what": ACTIONS.get(entry.action, entry.action),
            "reason": " ".join(
                str(part) for part in (REASONS.get(entry.reason_code), entry.reason_text) if part
            )
            or None,
            "reference": entry.reference,
        }
        for entry in entries
    ]


def _trail_is_kept(resident: Resident) -> None:
    """The trail is the councils' record of who looked at what and why (fraud detection): it is kept for the
    retention period (PORTAL_STAFF_AUDIT_RETENTION_DAYS) after a portal account is deleted, holding only the
    account's number."""


def contact_notes(resident: Resident) -> list[dict]:
    notes = db.session.scalars(
        select(ContactNote).where(ContactNote.resident_id == resident.id).order_by(ContactNote.created_at)
    )
    councils = {theme.slug: theme.name for theme in themes()}
    return [
        {
            "council": councils.get(note.council_slug, note.council_slug),
            "channel": str(CHANNELS.get(note.channel, note.channel)),
            "summary": note.summary,
            "when": moment_text(note.created_at),
        }
        for note in notes
    ]


def forget_contact_notes(resident: Resident) -> None:
    db.session.execute(delete(ContactNote).where(ContactNote.resident_id == resident.id))


register_personal_data(PersonalDataSource("council_staff_looks", looks_at, _trail_is_kept))
register_personal_data(PersonalDataSource("contact_notes", contact_notes, forget_contact_notes))
