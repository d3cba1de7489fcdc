"""Reports in "download my data" and "delete my portal data": the resident's reports (also guest reports made
with their verified email address), unfinished journeys, reports they chose to follow instead of reporting
again, and the emails the portal sent them.

Deleting keeps what the councils need: a report already made stays a report at the council (an unsent one is
still delivered, without the resident's contact details). The portal keeps only its reference, kind, council
and status: what the resident wrote, where, their answers, photos and comments go as soon as nothing about
the report waits in the outbox, and its tracking link then says the report is no longer available. Emails to
the resident, delivered or waiting, are deleted with their delivery log.
"""

from sqlalchemy import delete, func, or_, select, update

from app.extensions import db
from app.models.identity import PersonalDataSource, Resident, register_personal_data
from app.models.reports import (
    DeliveryAttempt,
    Feedback,
    FollowedRequest,
    MailboxMessage,
    MessageKind,
    MessageStatus,
    OutboxMessage,
    Photo,
    Report,
    ReportDraft,
    utcnow,
)
from app.models.tracking import CaseUpdate

# What a waiting message may carry about the person who made the report (Open311 requests and updates).
CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "name")


def _address(resident: Resident) -> str | None:
    return resident.email.strip().lower() if resident.email else None


def _reports_of(resident: Resident) -> list[Report]:
    email = _address(resident)
    guest_reports_with_my_email = (
        (Report.resident_id.is_(None) & (func.lower(Report.email) == email)) if email else False
    )
    return list(
        db.session.scalars(
            select(Report)
            .where(or_(Report.resident_id == resident.id, guest_reports_with_my_email))
            .order_by(Report.created_at)
        )
    )


def _emails_to(addresses: set[str]):
    return (OutboxMessage.kind == MessageKind.EMAIL) & func.lower(
        OutboxMessage.payload["to"].as_string()
    ).in_(addresses)


def _addresses_of(resident: Resident, reports: list[Report]) -> set[str]:
    addresses = {report.email.strip().lower() for report in reports if report.email}
    if _address(resident):
        addresses.add(_address(resident))
    return addresses


def export_emails(resident: Resident) -> list[dict]:
    addresses = _addresses_of(resident, _reports_of(resident))
    return [
        {
            "to": email.payload.get("to"),
            "subject": email.payload.get("subject"),
            "sent_at": email.delivered_at.isoformat() if email.delivered_at else None,
        }
        for email in db.session.scalars(
            select(OutboxMessage).where(_emails_to(addresses)).order_by(OutboxMessage.id)
        )
    ]


def forget_emails(resident: Resident) -> None:
    addresses = _addresses_of(resident, _reports_of(resident))
    email_ids = list(db.session.scalars(select(OutboxMessage.id).where(_emails_to(addresses))))
    if email_ids:
        db.session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.message_id.in_(email_ids)))
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(email_ids)))
    db.session.execute(delete(MailboxMessage).where(func.lower(MailboxMessage.recipient).in_(addresses)))
    db.session.expire_all()


def export_reports(resident: Resident) -> list[dict]:
    return [
        {
            "reference": report.reference,
            "report_type": report.report_type,
            "council": report.council_slug,
            "status": report.status,
            "description": report.description,
            "answers": report.answers,
            "address": report.address,
            "postcode": report.postcode,
            "location_description": report.location_description,
            "email": report.email,
            "made_on": report.made_on,
            "created_at": report.created_at.isoformat() if report.created_at else None,
            "sent_at": report.sent_at.isoformat() if report.sent_at else None,
            "photos": len(report.photos),
        }
        for report in _reports_of(resident)
    ]


def export_followed_reports(resident: Resident) -> list[dict]:
    return [
        {"council": followed.council_slug, "request": followed.service_request_id}
        for followed in db.session.scalars(
            select(FollowedRequest)
            .where(FollowedRequest.resident_id == resident.id)
            .order_by(FollowedRequest.id)
        )
    ]


def forget_followed_reports(resident: Resident) -> None:
    db.session.execute(delete(FollowedRequest).where(FollowedRequest.resident_id == resident.id))


def forget_report_content(report: Report) -> None:
    """Remove what the person wrote and where from a forgotten report, once nothing about it waits in the
    outbox (the worker calls this again when the last message is delivered)."""
    messages = [message for message in report.messages if message.kind != MessageKind.EMAIL]
    if any(message.status != MessageStatus.DELIVERED for message in messages):
        return
    report.description = ""
    report.answers = []
    report.uprn = report.address = report.postcode = report.location_description = None
    report.latitude = report.longitude = None
    message_ids = [message.id for message in messages]
    for message in messages:
        message.payload = {}
        message.last_error = None
    if message_ids:
        db.session.execute(
            update(DeliveryAttempt).where(DeliveryAttempt.message_id.in_(message_ids)).values(error=None)
        )
    db.session.execute(
        update(CaseUpdate).where(CaseUpdate.report_id == report.id).values(text="", photo_id=None)
    )
    db.session.execute(delete(Photo).where(Photo.report_id == report.id))
    db.session.execute(update(Feedback).where(Feedback.report_id == report.id).values(comment=None))
    db.session.expire(report, ["photos"])


def _without_contact_details(report: Report) -> None:
    """A message still waiting goes to the council without the resident's contact details."""
    for message in report.messages:
        if message.kind == MessageKind.EMAIL or message.status == MessageStatus.DELIVERED:
            continue
        payload = dict(message.payload)
        request = dict(payload.get("request") or {})
        for field in CONTACT_FIELDS:
            if payload.get(field) is not None:
                payload[field] = None
            if request.get(field) is not None:
                request[field] = None
        if "request" in payload:
            payload["request"] = request
        message.payload = payload


def forget_resident_in_reports(resident: Resident) -> None:
    forgotten_at = utcnow()
    for report in _reports_of(resident):
        report.resident_id = None
        report.email = None
        report.forgotten_at = forgotten_at
        _without_contact_details(report)
        forget_report_content(report)
    drafts = select(ReportDraft.id).where(ReportDraft.resident_id == resident.id)
    db.session.execute(delete(Photo).where(Photo.draft_id.in_(drafts), Photo.report_id.is_(None)))
    db.session.execute(delete(ReportDraft).where(ReportDraft.resident_id == resident.id))


# Emails first: the addresses they went to include those given on reports, which forgetting reports removes.
register_personal_data(PersonalDataSource("emails", export_emails, forget_emails))
register_personal_data(PersonalDataSource("reports", export_reports, forget_resident_in_reports))
register_personal_data(
    PersonalDataSource(
        "reports_followed_instead_of_reporting", export_followed_reports, forget_followed_reports
    )
)
