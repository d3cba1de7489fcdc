"""What a resident adds to their case: a comment or a photo on an open case, or "this is not fixed" on a
closed one. Each is committed with an outbox message and delivered by the worker as an Open311 update
(POST servicerequestupdates) with the portal's own update id, so a retried delivery is recognised by the
server.

On a case in a council's CRM (where its CRM accepts them: ``CaseDetail.accepts``) an update or "not fixed" is
delivered the same way, over the cases contract (POST /cases/{reference}/updates) with the portal's update id,
so a retry never records it twice. A CRM that refuses it when it arrives (the case changed meanwhile) marks it
refused: the resident's case page says it was not sent.

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
from connectors.clock import as_utc, utcnow
from connectors.errors import BadData, NotAuthorised, NotFound
from connectors.models import NewCaseUpdate, NewServiceRequest, UpdateNotAccepted

OPEN311_UPDATE = "open311_update"
CRM_CASE_UPDATE = "crm_case_update"
# The cases contract's names for the kinds of update.
CRM_KINDS = {CaseUpdateKind.COMMENT: "update", CaseUpdateKind.NOT_FIXED: "not_fixed"}
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


# --- CRM cases ----------------------------------------------------------------------------------------------


def add_to_crm_case(
    council_slug: str, reference: str, kind: str, text: str, resident: Resident
) -> CaseUpdate:
    """Commit the update on the resident's CRM case and its outbox message in the caller's transaction. The
    caller has checked that the case is the resident's and that its CRM accepts this kind of update now."""
    case_update = CaseUpdate(
        crm_council_slug=council_slug,
        crm_reference=reference,
        kind=kind,
        text=text,
        resident_id=resident.id,
    )
    db.session.add(case_update)
    db.session.flush()
    db.session.add(
        OutboxMessage(
            kind=CRM_CASE_UPDATE, payload={"case_update_id": case_update.id, "email": resident.email}
        )
    )
    return case_update


def crm_update_id(case_update: CaseUpdate) -> str:
    """The portal's id for an update, the same on every attempt, so the CRM records it once; with the moment
    it was made, so that another portal database (a staging copy, a restored backup) never reuses one."""
    made = int(as_utc(case_update.created_at).timestamp() * 1_000_000)
    return f"mynorfolk-{case_update.id}-{made}"


@handles(CRM_CASE_UPDATE)
def deliver_to_crm(message: OutboxMessage) -> str:
    case_update = db.session.get(CaseUpdate, message.payload["case_update_id"])
    if case_update is None:
        raise PermanentFailure("the update no longer exists")
    email = message.payload.get("email")
    if not email:
        raise PermanentFailure("the update has no email address to send it with")
    assisted_by = (
        (case_update.staff_council_slug, case_update.staff_channel)
        if case_update.staff_council_slug and case_update.staff_channel
        else None
    )
    cases = registry().cases(case_update.crm_council_slug)
    try:
        receipt = cases.add_update(
            case_update.crm_reference,
            NewCaseUpdate(
                email=email,
                kind=CRM_KINDS[case_update.kind],
                text=case_update.text,
                update_id=crm_update_id(case_update),
                assisted_by=assisted_by,
            ),
        )
    except NotAuthorised:
        raise PermanentFailure("the council's CRM does not accept our key for updates") from None
    except (UpdateNotAccepted, NotFound, BadData) as refusal:
        if isinstance(refusal, BadData) and refusal.code is None:
            raise  # an answer the portal could not read, not a refusal: try again
        # The CRM answered and said no (the case closed or changed meanwhile): sending it again cannot help,
        # and the resident's case page says it was not sent.
        case_update.refused_at = utcnow()
        _forget_if_erased(case_update)
        return "refused"
    case_update.back_office_update_id = receipt.update_reference[:64]
    case_update.delivered_at = utcnow()
    _forget_if_erased(case_update)
    return "delivered"


def _forget_if_erased(case_update: CaseUpdate) -> None:
    """The resident deleted their portal data while this was on its way: now that the council has it (or has
    refused it), the portal keeps nothing of it."""
    if case_update.resident_id is None:
        db.session.delete(case_update)
