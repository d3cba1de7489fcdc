"""The portal's own data. Each feature keeps its models in a module here; all share one metadata."""

from app.models.audit import AuditEvent
from app.models.identity import LinkedCouncilAccount, PortalSession, Resident
from app.models.reports import (
    DeliveryAttempt,
    Feedback,
    FollowedRequest,
    MailboxMessage,
    OutboxMessage,
    Photo,
    Report,
    ReportDraft,
)

__all__ = [
    "AuditEvent",
    "DeliveryAttempt",
    "Feedback",
    "FollowedRequest",
    "LinkedCouncilAccount",
    "MailboxMessage",
    "OutboxMessage",
    "Photo",
    "PortalSession",
    "Report",
    "ReportDraft",
    "Resident",
]
