"""Email to residents: through GOV.UK Notify when PORTAL_NOTIFY_API_KEY is set, otherwise, in development and
tests only, into the development mailbox (a table in the portal's database, read with `flask mailbox` or at
/_dev/mailbox), never dropped. In production without Notify, sending fails (and the worker will not start), so
emails wait in the outbox until Notify is configured.

Emails leave through the outbox like reports do, so a Notify outage delays an email rather than losing it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Protocol

from flask import current_app
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient
from sqlalchemy import insert

from app.extensions import db
from app.insights.rollup import count_usage
from app.models.insights import UsageMeasure
from app.models.reports import MailboxMessage, MessageKind, OutboxMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    # One-click unsubscribe (RFC 8058): GOV.UK Notify sends it as the List-Unsubscribe header.
    unsubscribe_url: str | None = None


class PermanentEmailFailure(Exception):
    """The email can never be sent as it is (a bad address, a rejected template): retrying will not help."""


class Mailer(Protocol):
    def send(self, email: Email) -> str: ...


class DevelopmentMailbox:
    """Keeps every email in the portal's database for the developer to read."""

    def send(self, email: Email) -> str:
        message = MailboxMessage(recipient=email.to, subject=email.subject, body=email.body)
        db.session.add(message)
        db.session.flush()
        return f"mailbox-{message.id}"


class NotifyMailer:
    """GOV.UK Notify, through one general-purpose template with ((subject)) and ((body)) placeholders."""

    def __init__(self, api_key: str, template_id: str, base_url: str):
        self.client = NotificationsAPIClient(api_key, base_url=base_url)
        self.template_id = template_id

    def send(self, email: Email) -> str:
        try:
            response = self.client.send_email_notification(
                email_address=email.to,
                template_id=self.template_id,
                personalisation={"subject": email.subject, "body": email.body},
                one_click_unsubscribe_url=email.unsubscribe_url,
            )
        except HTTPError as error:
            # Notify's 400s (a bad address, a missing template) will fail the same way every time.
            if error.status_code == 400 or error.status_code == 403:
                raise PermanentEmailFailure(f"GOV.UK Notify refused the email: {error.status_code}") from None
            raise
        return str(response["id"])


class MailNotConfigured(RuntimeError):
    """Production without GOV.UK Notify: there is nowhere to send email."""


def mailer() -> Mailer:
    api_key = current_app.config.get("NOTIFY_API_KEY")
    if api_key:
        if not current_app.config.get("NOTIFY_TEMPLATE_ID"):
            raise MailNotConfigured("Set PORTAL_NOTIFY_TEMPLATE_ID as well as PORTAL_NOTIFY_API_KEY")
        return NotifyMailer(
            api_key, current_app.config["NOTIFY_TEMPLATE_ID"], current_app.config["NOTIFY_BASE_URL"]
        )
    if current_app.config.get("DEV_MAILBOX"):
        return DevelopmentMailbox()
    raise MailNotConfigured(
        "Set PORTAL_NOTIFY_API_KEY and PORTAL_NOTIFY_TEMPLATE_ID: outside development the portal sends email "
        "only through GOV.UK Notify"
    )


def queue_email(email: Email, report_id: int | None = None, *, council: str | None = None) -> OutboxMessage:
    """Add the email to the outbox in the caller's transaction: it is sent once that transaction commits.
    ``council``, the council it is sent for, is counted in the same transaction for its share of the
    platform's use (app.insights)."""
    message = OutboxMessage(kind=MessageKind.EMAIL, report_id=report_id, payload=asdict(email))
    if council:
        message.council_slug = council
    db.session.add(message)
    if council:
        count_usage(council, UsageMeasure.EMAIL)
    return message


def queue_emails(emails: Iterable[Email], *, council: str) -> None:
    """Many emails for ``council`` into the outbox in one statement, in the caller's transaction, counted
    for its share of the platform's use as queue_email does."""
    rows = [
        {"kind": MessageKind.EMAIL, "council_slug": council, "payload": asdict(email)} for email in emails
    ]
    if rows:
        db.session.execute(insert(OutboxMessage), rows)
        count_usage(council, UsageMeasure.EMAIL, amount=len(rows))


def mailbox(recipient: str | None = None, limit: int = 50) -> list[MailboxMessage]:
    query = db.select(MailboxMessage).order_by(MailboxMessage.id.desc()).limit(limit)
    if recipient:
        query = query.where(MailboxMessage.recipient == recipient.strip().lower())
    return list(db.session.scalars(query))
