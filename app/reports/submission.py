"""Turning a finished journey into a report: one transaction holds the report, its photos, the outbox message
that delivers it to the council and the acknowledgement email, so either all of it is kept or none of it.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict

from flask_babel import gettext as _

from app.extensions import db
from app.models.reports import MessageKind, OutboxMessage, Photo, Report, ReportStatus
from app.reports import backoffice, links
from app.reports.journey import Journey
from app.reports.mail import Email, queue_email
from app.reports.photos import CleanPhoto
from app.theming import themes
from connectors.errors import ConnectorError
from connectors.models import NewServiceRequest

MAX_PHOTOS = 3


def report_for(journey: Journey) -> Report | None:
    return db.session.execute(
        db.select(Report).filter_by(idempotency_key=journey.draft.idempotency_key)
    ).scalar_one_or_none()


def draft_photos(journey: Journey) -> list[Photo]:
    return list(db.session.scalars(db.select(Photo).filter_by(draft_id=journey.draft.id).order_by(Photo.id)))


def add_photo(journey: Journey, photo: CleanPhoto) -> Photo:
    existing = draft_photos(journey)
    # Only the most recent photos are kept: a report needs a few, never dozens.
    for old in existing[: max(len(existing) - MAX_PHOTOS + 1, 0)]:
        db.session.delete(old)
    stored = Photo(
        token=secrets.token_urlsafe(24),
        draft_id=journey.draft.id,
        content_type=photo.content_type,
        width=photo.width,
        height=photo.height,
        data=photo.data,
    )
    db.session.add(stored)
    return stored


def remove_photo(journey: Journey, photo_token: str) -> None:
    for photo in draft_photos(journey):
        if photo.token == photo_token:
            db.session.delete(photo)


def submit(
    journey: Journey,
    resident,
    public_url: links.PublicUrl = links.external_url,
) -> Report:
    """Add the report and everything that must leave the portal for it to the session (the caller commits).
    ``public_url(endpoint, **values)`` makes the addresses that leave the portal: the guest's tracking link
    and the photo's address the back office fetches."""
    assisted_by = journey.assisted_by
    location = journey.location
    council = themes().get(journey.council_slug)
    questions = journey.questions or []
    answers = [
        {
            "code": question.code,
            "question": question.text,
            "answer": journey.attributes.get(question.code),
            "display": question.display(journey.attributes.get(question.code)),
        }
        for question in questions
    ]
    email = resident.email if resident is not None else journey.email
    report = Report(
        report_type=journey.type.slug,
        council_slug=council.slug,
        service_code=journey.type.service_code,
        made_on=journey.draft.made_on,
        status=ReportStatus.WAITING,
        description=journey.description or "",
        answers=answers,
        uprn=location.uprn,
        address=location.address,
        postcode=location.postcode,
        latitude=location.latitude,
        longitude=location.longitude,
        location_description=location.description,
        email=email,
        resident_id=resident.id if resident is not None else None,
        idempotency_key=journey.draft.idempotency_key,
        staff_council_slug=assisted_by.council if assisted_by else None,
        staff_channel=assisted_by.channel if assisted_by else None,
        staff_agent=assisted_by.agent if assisted_by else None,
    )
    db.session.add(report)
    db.session.flush()  # the unique idempotency key: a second submission of the journey fails here

    photos = draft_photos(journey)
    for photo in photos:
        photo.report_id = report.id
        photo.draft_id = None
    request = NewServiceRequest(
        service_code=report.service_code,
        description=_back_office_description(report, journey),
        latitude=report.latitude,
        longitude=report.longitude,
        address_string=report.address or report.location_description,
        address_id=report.uprn,
        # Servers that de-duplicate by device_id (the sandbox, several vendors) add a second guard to the
        # outbox's own look-up by reference.
        device_id=report.reference,
        media_url=public_url("reports.photo_file", photo_token=photos[0].token) if photos else None,
    )
    payload_request = {key: value for key, value in asdict(request).items() if key != "attributes"}
    db.session.add(
        OutboxMessage(
            kind=MessageKind.OPEN311_CREATE,
            report_id=report.id,
            payload={"request": payload_request, "attributes": dict(journey.attributes)},
        )
    )
    if email:
        queue_email(
            acknowledgement(report, council.name, links.tracking_url(report, public_url)),
            report_id=report.id,
            council=council.slug,
        )
    return report


def _back_office_description(report: Report, journey: Journey) -> str:
    """What the council's officers read. It always carries the portal reference, which is also how the
    delivery worker recognises a report that already arrived."""
    parts = [report.description] if report.description else []
    if report.location_description:
        parts.append(f"Location: {report.location_description}")
    if report.staff_council_slug:
        council = themes().get(report.staff_council_slug).name
        parts.append(f"Made for the person by {council}'s contact centre ({report.staff_channel})")
    parts.append(f"My Norfolk reference: {report.reference}")
    return "\n\n".join(parts)


def acknowledgement(report: Report, council_name: str, tracking_url: str) -> Email:
    from app.reports.types import report_type

    kind = report_type(report.report_type)
    lines = [
        _("Thank you for your report. We are sending it to %(council)s.", council=council_name),
        "",
    ]
    if report.staff_council_slug:
        lines += [
            _(
                "%(council)s's contact centre made this report for you.",
                council=themes().get(report.staff_council_slug).name,
            ),
            "",
        ]
    lines += [
        _("Your reference is %(reference)s", reference=report.reference),
        "",
        _("What you reported"),
        "",
        f"{_('Problem')}: {kind.title}",
        f"{_('Where')}: {report.address or report.location_description or ''}",
    ]
    if report.latitude is not None and report.longitude is not None:
        lines.append(f"{_('Position')}: {report.latitude:.5f}, {report.longitude:.5f}")
    lines.extend(
        f"{answer['question']}: {answer['display']}" for answer in report.answers if answer["display"]
    )
    if report.description:
        lines.extend(["", _("Your description:"), report.description])
    lines.extend(
        [
            "",
            _("See what is happening with your report: %(url)s", url=tracking_url),
            "",
            _("If you need to contact %(council)s about it, quote your reference.", council=council_name),
        ]
    )
    return Email(
        to=report.email,
        subject=_(
            "Your report to %(council)s: %(reference)s", council=council_name, reference=report.reference
        ),
        body="\n".join(lines),
    )


def back_office_status(report: Report) -> str | None:
    """The back office's own status (open or closed) for a sent report, when it answers."""
    if report.status != ReportStatus.SENT or not report.service_request_id:
        return None
    if report.service_request_id.startswith("token:"):
        return None
    try:
        return backoffice.street_reports(report.council_slug).request(report.service_request_id).value.status
    except ConnectorError:
        return None
