"""What a resident adds to their case: a comment or a photo on an open case, or "this is not fixed" on a
closed one. Each is committed with an outbox message and delivered by the worker as an Open311 update
(POST servicerequestupdates) with the portal's own update id, so a retried delivery is recognised by the
server.

"Not fixed" is sent as an update with the status OPEN, which reopens the request (FixMyStreet's convention).
A back office that refuses to reopen it gets a new request instead: a follow-up linked to the first by its
reference in the description.
"""

from __future__ import annotations

import secrets

from flask import url_for

from app.backoffice import registry
from app.extensions import db
from app.models.identity import Resident
from app.models.reports import MessageKind, OutboxMessage, Photo, Report
from app.models.tracking import CaseUpdate, CaseUpdateKind
from app.reports.outbox import PermanentFailure, handles
from app.reports.outbox import _attributes as outbox_attributes
from app.reports.photos import CleanPhoto
from app.tracking import followers
from connectors.clock import utcnow
from connectors.errors import BadData, NotAuthorised, NotFound
from connectors.models import NewServiceRequest

OPEN311_UPDATE = "open311_update"
# How a "not fixed" that became a new request records it (the new request's id follows).
FOLLOW_UP_PREFIX = "follow-up:"
REOPEN_STATUS = "OPEN"


def add(
    report: Report, kind: str, text: str, resident: Resident | None, photo: CleanPhoto | None = None
) -> CaseUpdate:
    """Commit the update and its outbox message in the caller's transaction."""
    stored_photo = None
    if photo is not None:
        stored_photo = Photo(
            token=secrets.token_urlsafe(24),
            report_id=report.id,
            content_type=photo.content_type,
            width=photo.width,
            height=photo.height,
            data=photo.data,
        )
        db.session.add(stored_photo)
        db.session.flush()
    case_update = CaseUpdate(
        report_id=report.id,
        kind=kind,
        text=text,
        photo_id=stored_photo.id if stored_photo else None,
        resident_id=resident.id if resident else None,
    )
    db.session.add(case_update)
    db.session.flush()
    media_url = (
        url_for("reports.photo_file", photo_token=stored_photo.token, _external=True)
        if stored_photo
        else None
    )
    db.session.add(
        OutboxMessage(
            kind=OPEN311_UPDATE,
            report_id=report.id,
            payload={
                "case_update_id": case_update.id,
                "media_url": media_url,
                "email": resident.email if resident else report.email,
                "name": resident.name if resident else None,
            },
        )
    )
    return case_update


@handles(OPEN311_UPDATE)
def deliver(message: OutboxMessage) -> str:
    case_update = db.session.get(CaseUpdate, message.payload["case_update_id"])
    report = message.report
    if case_update is None or report is None:
        raise PermanentFailure("the update or its report no longer exists")
    if not report.service_request_id:
        # The report itself is still in the outbox: try again after it has been delivered.
        raise RuntimeError("the report has not reached the council yet")
    street_reports = registry().street_reports(report.council_slug)
    name = (message.payload.get("name") or "").split(" ", 1)
    description = _description(case_update, report)
    try:
        update_id = street_reports.post_update(
            report.service_request_id,
            description,
            update_id=f"{report.reference}-{case_update.id}",
            status=REOPEN_STATUS,
            email=message.payload.get("email"),
            first_name=name[0] or None,
            last_name=name[1] if len(name) > 1 else None,
            media_url=message.payload.get("media_url"),
        )
    except NotAuthorised:
        raise PermanentFailure("the council's back office does not accept our key for updates") from None
    except (BadData, NotFound):
        # The back office refused it (a 4xx): retrying the same update cannot help.
        if case_update.kind != CaseUpdateKind.NOT_FIXED:
            raise PermanentFailure("the council's back office refused the update") from None
        update_id = _follow_up(street_reports, report, case_update, description, message)
        if message.payload.get("email"):
            # Whoever said it is not fixed hears about the new request as they did about the first.
            followers.subscribe(
                report.council_slug,
                update_id.removeprefix(FOLLOW_UP_PREFIX),
                message.payload["email"],
                resident_id=case_update.resident_id,
                confirmed=True,
            )
    case_update.back_office_update_id = update_id
    case_update.delivered_at = utcnow()
    return "delivered"


def _description(case_update: CaseUpdate, report: Report) -> str:
    prefix = "Not fixed: " if case_update.kind == CaseUpdateKind.NOT_FIXED else ""
    return f"{prefix}{case_update.text}\n\nMy Norfolk reference: {report.reference}"


def _follow_up(street_reports, report: Report, case_update: CaseUpdate, description: str, message) -> str:
    """A new request linked to the closed one, for a back office that cannot reopen it: the original report's
    place and answers, with the resident's words."""
    original = next(sent for sent in report.messages if sent.kind == MessageKind.OPEN311_CREATE)
    request = NewServiceRequest(
        **{
            **original.payload["request"],
            "attributes": outbox_attributes(original.payload),
            "description": f"Follow-up to {report.service_request_id}. {description}",
            "media_url": message.payload.get("media_url"),
            "device_id": f"{report.reference}-{case_update.id}",
        }
    )
    created = street_reports.create_request(request)
    return f"{FOLLOW_UP_PREFIX}{created.service_request_id or created.token}"
