"""The outbox: everything that must leave the portal is committed here first and delivered by `flask worker`.

Delivery is at least once towards the back office, and made exactly once by a guard: before sending a report
again, the worker asks the back office whether a report carrying the portal reference already arrived (the
earlier attempt may have timed out after the back office accepted it).

Several workers can share the queue. A worker claims due messages with a conditional UPDATE that only one can
win (on PostgreSQL the candidates are first picked with SELECT ... FOR UPDATE SKIP LOCKED so workers do not
queue behind each other's locks), and holds a lease: if it dies mid-delivery, the lease runs out and another
worker retries the message.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import joinedload

from app.database import release_connection
from app.extensions import db
from app.models.reports import (
    DeliveryAttempt,
    MessageKind,
    MessageStatus,
    OutboxMessage,
    Photo,
    Report,
    ReportDraft,
    ReportStatus,
)
from app.reports import backoffice
from app.reports.mail import Email, PermanentEmailFailure, mailer
from app.reports.personal_data import forget_report_content
from connectors.clock import as_utc, utcnow
from connectors.models import NewServiceRequest

log = logging.getLogger(__name__)
# How far back to look for an earlier delivery of the same report, before the report's own creation time.
CLOCK_SKEW = timedelta(hours=1)
MINIMUM_RETRY_DELAY = timedelta(seconds=2)


@dataclass(frozen=True)
class DeliveryPolicy:
    max_failures: int
    base_delay: timedelta
    max_delay: timedelta
    lease: timedelta

    @classmethod
    def from_config(cls) -> DeliveryPolicy:
        config = current_app.config
        return cls(
            max_failures=config["DELIVERY_MAX_ATTEMPTS"],
            base_delay=timedelta(seconds=config["DELIVERY_BASE_DELAY_SECONDS"]),
            max_delay=timedelta(seconds=config["DELIVERY_MAX_DELAY_SECONDS"]),
            lease=timedelta(seconds=config["DELIVERY_LEASE_SECONDS"]),
        )

    def delay_after(self, failures: int) -> timedelta:
        """Exponential backoff with jitter, so workers do not all retry a recovering back office at once."""
        exponential = self.base_delay * (2 ** max(failures - 1, 0))
        # At least two seconds: the exactly-once look-up asks for requests up to "now" (to the second),
        # so two attempts in the same second could otherwise share a cached answer.
        return max(min(exponential, self.max_delay) * random.uniform(0.8, 1.2), MINIMUM_RETRY_DELAY)


Handler = Callable[[OutboxMessage], str]
_HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Declares the function that delivers the outbox's messages of ``kind``: it returns what happened (kept
    as the delivery attempt's outcome) or raises, PermanentFailure when trying again cannot help."""

    def register(handler: Handler) -> Handler:
        if _HANDLERS.setdefault(kind, handler) is not handler:
            raise ValueError(f"outbox messages of kind {kind!r} already have a handler")
        return handler

    return register


class PermanentFailure(Exception):
    """Retrying cannot help: park the message for an operator straight away."""


@dataclass(frozen=True)
class DeliveryOutcome:
    message_id: int
    outcome: str  # delivered | found | failed | parked
    error: str | None = None


def claim_due(worker: str, limit: int, policy: DeliveryPolicy) -> list[int]:
    now = utcnow()
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == MessageStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = []
    for message_id in db.session.scalars(due).all():
        won = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == MessageStatus.PENDING,
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
            )
            .values(locked_until=now + policy.lease, locked_by=worker, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount == 1:
            claimed.append(message_id)
    db.session.commit()
    return claimed


def deliver(message_id: int, worker: str, policy: DeliveryPolicy) -> DeliveryOutcome:
    message = db.session.get(OutboxMessage, message_id, options=[joinedload(OutboxMessage.report)])
    if message is None or message.status != MessageStatus.PENDING or message.locked_by != worker:
        db.session.rollback()
        return DeliveryOutcome(message_id, "skipped")
    # The message (and its report) stay loaded, but no connection or lock is held while the back office or
    # GOV.UK Notify answers: the lease keeps the message this worker's meanwhile.
    release_connection()
    try:
        outcome = _HANDLERS[message.kind](message)
    except Exception as error:  # noqa: BLE001 - any failure is recorded and retried, never lost
        db.session.rollback()
        message = db.session.get(OutboxMessage, message_id)
        return _failed(message, worker, policy, error)
    message.status = MessageStatus.DELIVERED
    message.delivered_at = utcnow()
    message.locked_until = None
    message.last_error = None
    db.session.add(DeliveryAttempt(message_id=message.id, worker=worker, outcome=outcome))
    if message.report is not None and message.report.forgotten_at is not None:
        db.session.flush()
        forget_report_content(message.report)
    db.session.commit()
    return DeliveryOutcome(message_id, outcome)


def _failed(message: OutboxMessage, worker: str, policy: DeliveryPolicy, error: Exception) -> DeliveryOutcome:
    description = f"{type(error).__name__}: {error}"[:2000]
    message.failures += 1
    message.last_error = description
    message.locked_until = None
    permanent = isinstance(error, PermanentFailure | PermanentEmailFailure)
    if permanent or message.failures >= policy.max_failures:
        message.status = MessageStatus.PARKED
        if message.report is not None and message.kind == MessageKind.OPEN311_CREATE:
            message.report.status = ReportStatus.PARKED
        outcome = "parked"
        log.error(
            "Outbox message %s (%s) parked after %s failures: %s",
            message.id,
            message.kind,
            message.failures,
            description,
        )
    else:
        message.next_attempt_at = utcnow() + policy.delay_after(message.failures)
        outcome = "failed"
        log.warning(
            "Outbox message %s (%s) failed, retrying at %s: %s",
            message.id,
            message.kind,
            message.next_attempt_at,
            description,
        )
    db.session.add(DeliveryAttempt(message_id=message.id, worker=worker, outcome=outcome, error=description))
    db.session.commit()
    return DeliveryOutcome(message.id, outcome, description)


@handles(MessageKind.OPEN311_CREATE)
def _deliver_report(message: OutboxMessage) -> str:
    report = message.report
    if report is None:
        raise PermanentFailure("the report this message delivers no longer exists")
    request = NewServiceRequest(**{**message.payload["request"], "attributes": _attributes(message.payload)})
    outcome = "delivered"
    service_request_id = None
    if message.attempts > 1:
        since = as_utc(report.created_at) - CLOCK_SKEW
        service_request_id = backoffice.find_request_with_reference(
            report.council_slug, report.service_code, report.reference, since
        )
        outcome = "found" if service_request_id else outcome
    if service_request_id is None:
        service_request_id = backoffice.create_request(report.council_slug, request)
    report.status = ReportStatus.SENT
    report.service_request_id = service_request_id
    report.sent_at = utcnow()
    return outcome


def _attributes(payload: dict) -> dict:
    return {
        code: tuple(value) if isinstance(value, list) else value
        for code, value in payload["attributes"].items()
    }


@handles(MessageKind.EMAIL)
def _deliver_email(message: OutboxMessage) -> str:
    mailer().send(Email(**message.payload))
    return "delivered"


def run_once(worker: str, policy: DeliveryPolicy, batch: int = 10) -> list[DeliveryOutcome]:
    return [deliver(message_id, worker, policy) for message_id in claim_due(worker, batch, policy)]


def parked_reports() -> list[Report]:
    return list(
        db.session.scalars(
            select(Report).where(Report.status == ReportStatus.PARKED).order_by(Report.created_at)
        )
    )


def retry(reference: str) -> int:
    """Put a report's parked messages back in the queue, due now; returns how many."""
    report = db.session.scalars(select(Report).filter_by(reference=reference.strip().upper())).one_or_none()
    if report is None:
        raise LookupError(reference)
    parked = [message for message in report.messages if message.status == MessageStatus.PARKED]
    for message in parked:
        message.status = MessageStatus.PENDING
        message.failures = 0
        message.next_attempt_at = utcnow()
        if message.kind == MessageKind.OPEN311_CREATE:
            report.status = ReportStatus.WAITING
    db.session.commit()
    return len(parked)


def purge_abandoned_drafts(older_than: timedelta) -> int:
    """Forget journeys nobody has touched for a while, with any photos that were never sent."""
    cutoff = utcnow() - older_than
    old_drafts = select(ReportDraft.id).where(ReportDraft.updated_at < cutoff)
    db.session.execute(
        delete(Photo)
        .where(Photo.report_id.is_(None), Photo.draft_id.in_(old_drafts))
        .execution_options(synchronize_session=False)
    )
    purged = db.session.execute(
        delete(ReportDraft)
        .where(ReportDraft.updated_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return purged
