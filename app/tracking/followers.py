"""Who follows a request and how they hear about changes: subscriptions, the signed links in emails
(confirm a guest's subscription, unsubscribe with one click), and the emails themselves, which leave through
the reports outbox like every other email (GOV.UK Notify, or the development mailbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.identity import Resident
from app.models.reports import FollowedRequest, Report, ReportStatus
from app.models.tracking import EventSource, Notification, StatusEvent, Subscription
from app.reports import links
from app.reports.links import links_for
from app.reports.mail import Email, queue_email
from app.theming import themes
from app.tracking.status import open311_meaning
from connectors.clock import utcnow

CONFIRM_SALT = "tracking-follow-confirm"
UNSUBSCRIBE_SALT = "tracking-unsubscribe"
# The status a CRM note is recorded with: notes are not status changes.
CRM_NOTE = "NOTE"


class LinkProblem(Exception):
    """A confirm or unsubscribe link that is not ours, or has expired."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "bad signature")
        self.expired = expired


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def confirm_token(subscription: Subscription) -> str:
    return _serializer(CONFIRM_SALT).dumps([subscription.id, subscription.email])


def unsubscribe_token(subscription: Subscription) -> str:
    # No expiry: an unsubscribe link in an old email must still work.
    return _serializer(UNSUBSCRIBE_SALT).dumps([subscription.id, subscription.email])


def _subscription_from(token: str, salt: str, max_age: float | None) -> Subscription | None:
    try:
        subscription_id, email = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkProblem(expired=True) from None
    except (BadSignature, ValueError, TypeError):
        raise LinkProblem(expired=False) from None
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None or subscription.email != email:
        return None
    return subscription


def subscription_to_confirm(token: str) -> Subscription | None:
    max_age = timedelta(days=current_app.config["TRACKING_CONFIRM_LINK_DAYS"]).total_seconds()
    return _subscription_from(token, CONFIRM_SALT, max_age)


def subscription_to_end(token: str) -> Subscription | None:
    return _subscription_from(token, UNSUBSCRIBE_SALT, None)


def find(council_slug: str, case_key: str, email: str) -> Subscription | None:
    return db.session.scalars(
        select(Subscription).filter_by(
            council_slug=council_slug, service_request_id=case_key, email=email.strip().lower()
        )
    ).one_or_none()


def subscribe(
    council_slug: str, case_key: str, email: str, *, resident_id: int | None, confirmed: bool
) -> Subscription:
    """Follow a request, or follow it again; a guest's subscription waits for them to confirm it, also when
    the address once confirmed and then unsubscribed (anyone can type an address into the form)."""
    email = email.strip().lower()
    subscription = find(council_slug, case_key, email)
    if subscription is None:
        subscription = Subscription(
            council_slug=council_slug, service_request_id=case_key, email=email, resident_id=resident_id
        )
        db.session.add(subscription)
    if confirmed:
        subscription.unsubscribed_at = None
    elif subscription.unsubscribed_at is not None:
        subscription.confirmed_at = None
    if resident_id is not None:
        subscription.resident_id = resident_id
    if confirmed and subscription.confirmed_at is None:
        subscription.confirmed_at = utcnow()
    db.session.flush()
    return subscription


def confirmation_sent_on(subscription: Subscription) -> datetime | None:
    """When the guest's still-working confirmation email was sent; None when none is waiting (never sent,
    already confirmed, or its link has expired), so that another may be sent."""
    sent = subscription.confirmation_sent_at
    if subscription.confirmed_at is not None or sent is None:
        return None
    sent = sent if sent.tzinfo else sent.replace(tzinfo=UTC)
    works_for = timedelta(days=current_app.config["TRACKING_CONFIRM_LINK_DAYS"])
    return sent if sent + works_for > utcnow() else None


def ensure_implicit_followers(council_slug: str, case_key: str) -> None:
    """The person who reported a request, and residents who chose to follow it instead of reporting it
    again, follow it without asking; unless they unsubscribed (the row is kept, so they stay off)."""
    reports = db.session.scalars(
        select(Report).filter_by(council_slug=council_slug, service_request_id=case_key)
    ).all()
    people: list[tuple[str, int | None]] = []
    for report in reports:
        resident = db.session.get(Resident, report.resident_id) if report.resident_id else None
        if resident is not None and not resident.contact_by_email:
            continue  # the resident's contact preference: no emails unless they follow it themselves
        email = resident.email if resident is not None and resident.email else report.email
        if email:
            people.append((email, report.resident_id))
    for followed in db.session.scalars(
        select(FollowedRequest).filter_by(council_slug=council_slug, service_request_id=case_key)
    ):
        resident = db.session.get(Resident, followed.resident_id) if followed.resident_id else None
        email = followed.email or (resident.email if resident is not None else None)
        if email:
            people.append((email, followed.resident_id))
    for email, resident_id in people:
        if find(council_slug, case_key, email) is None:
            subscribe(council_slug, case_key, email, resident_id=resident_id, confirmed=True)


def active_followers(council_slug: str, case_key: str) -> list[Subscription]:
    return [
        subscription
        for subscription in db.session.scalars(
            select(Subscription)
            .filter_by(council_slug=council_slug, service_request_id=case_key)
            .order_by(Subscription.id)
        )
        if subscription.active
    ]


def notify_followers(event: StatusEvent) -> int:
    """Queue one email per active follower about this change; returns how many were queued. A follower who
    was already told about this event (the unique constraint) is skipped."""
    ensure_implicit_followers(event.council_slug, event.case_key)
    queued = 0
    for subscription in active_followers(event.council_slug, event.case_key):
        try:
            with db.session.begin_nested():
                notification = Notification(event_id=event.id, subscription_id=subscription.id)
                db.session.add(notification)
                db.session.flush()
        except IntegrityError:
            continue
        report = _report_for(event.council_slug, event.case_key)
        # The worker has no request: the email's words and links are made as on the council's own site.
        with links_for(report.made_on if report else event.council_slug):
            email = change_email(event, subscription, report)
        message = queue_email(email, report_id=report.id if report else None, council=event.council_slug)
        db.session.flush()
        notification.outbox_message_id = message.id
        queued += 1
    return queued


def _report_for(council_slug: str, case_key: str) -> Report | None:
    return db.session.scalars(
        select(Report)
        .filter_by(council_slug=council_slug, service_request_id=case_key, status=ReportStatus.SENT)
        .order_by(Report.id)
    ).first()


# --- links and emails ---------------------------------------------------------------------------------------


def unsubscribe_url(subscription: Subscription, made_on: str | None = None) -> str:
    with links_for(made_on or subscription.council_slug):
        return url_for("requests.unsubscribe", token=unsubscribe_token(subscription), _external=True)


def case_url(subscription: Subscription, report: Report | None, source: str = EventSource.OPEN311) -> str:
    """Where the follower sees the request: their own case page (a portal report or a CRM case), a guest
    reporter's tracking link, or the public page of someone else's report."""
    made_on = report.made_on if report is not None else subscription.council_slug
    with links_for(made_on):
        if source == EventSource.CRM:
            case_id = f"{subscription.council_slug}:{subscription.service_request_id}"
            return url_for("requests.case", case_id=case_id, _external=True)
        if report is not None and subscription.resident_id and subscription.resident_id == report.resident_id:
            return url_for("requests.case", case_id=report.reference, _external=True)
        if report is not None and report.email == subscription.email:
            return links.tracking_url(report)
        return url_for(
            "requests.public_report",
            council=subscription.council_slug,
            request_id=subscription.service_request_id,
            _external=True,
        )


@dataclass(frozen=True)
class ChangeDescription:
    status: str
    text: str
    responsible: str | None


def describe(event: StatusEvent) -> ChangeDescription:
    """The change in a resident's words. A CRM event is a status (its label kept as the text) or a note."""
    if event.source == EventSource.CRM:
        if event.status == CRM_NOTE:
            return ChangeDescription(status=_("A new note"), text=event.description, responsible=None)
        return ChangeDescription(status=event.description, text="", responsible=None)
    return ChangeDescription(
        status=str(open311_meaning(event.status).label), text=event.description, responsible=event.responsible
    )


def change_email(event: StatusEvent, subscription: Subscription, report: Report | None) -> Email:
    council = themes().get(event.council_slug)
    reference = report.reference if report is not None else event.case_key
    change = describe(event)
    lines = [
        _("There is news about %(reference)s from %(council)s.", reference=reference, council=council.name),
        "",
        _("Status: %(status)s", status=change.status),
    ]
    if change.responsible:
        lines.append(_("Who is responsible now: %(organisation)s", organisation=change.responsible))
    if change.text:
        lines.extend(["", _("What the council said:"), change.text])
    stop = unsubscribe_url(subscription, report.made_on if report else None)
    lines.extend(
        [
            "",
            _("See the whole history: %(url)s", url=case_url(subscription, report, event.source)),
            "",
            _(
                "You get these emails because you follow this report. Stop them with one click: %(url)s",
                url=stop,
            ),
        ]
    )
    return Email(
        to=subscription.email,
        subject=_("Update on %(reference)s: %(status)s", reference=reference, status=change.status),
        body="\n".join(lines),
        unsubscribe_url=stop,
    )


def confirmation_email(subscription: Subscription, description: str) -> Email:
    council = themes().get(subscription.council_slug)
    with links_for(subscription.council_slug):
        confirm = url_for("requests.confirm_follow", token=confirm_token(subscription), _external=True)
    stop = unsubscribe_url(subscription)
    days = current_app.config["TRACKING_CONFIRM_LINK_DAYS"]
    return Email(
        to=subscription.email,
        subject=_("Confirm you want updates about a report to %(council)s", council=council.name),
        body="\n".join(
            [
                _("Someone asked for updates about this report to be sent to this email address:"),
                "",
                description,
                "",
                _(
                    "To start getting updates, confirm here within %(days)s days: %(url)s",
                    days=days,
                    url=confirm,
                ),
                "",
                _("If it was not you, ignore this email: you will not get any updates."),
                "",
                _("Stop emails about this report: %(url)s", url=stop),
            ]
        ),
        unsubscribe_url=stop,
    )
