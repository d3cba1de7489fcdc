"""The portal's own data. Each feature keeps its models in a module here; all share one metadata."""

from app.models.audit import AuditEvent
from app.models.bins import BinCalendarFeed, BinReminder, SentBinReminder
from app.models.boundaries import CouncilBoundary, TrunkRoad
from app.models.gazetteer import GazetteerAddress
from app.models.identity import LinkedCouncilAccount, PortalSession, Resident, UsedLogoutToken
from app.models.insights import ReportDay, SignIn, UsageDay
from app.models.migration import MigratedAccount
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
from app.models.staff import ContactNote, StaffAuditEntry, StaffAuditHead
from app.models.tracking import CaseUpdate, Notification, PollCursor, StatusEvent, Subscription
from app.models.waste import OrderPayment, WasteOrder

__all__ = [
    "AuditEvent",
    "BinCalendarFeed",
    "BinReminder",
    "CaseUpdate",
    "ContactNote",
    "CouncilBoundary",
    "DeliveryAttempt",
    "Feedback",
    "FollowedRequest",
    "GazetteerAddress",
    "LinkedCouncilAccount",
    "MailboxMessage",
    "MigratedAccount",
    "Notification",
    "OrderPayment",
    "OutboxMessage",
    "Photo",
    "PollCursor",
    "PortalSession",
    "Report",
    "ReportDay",
    "ReportDraft",
    "Resident",
    "SentBinReminder",
    "SignIn",
    "StaffAuditEntry",
    "StaffAuditHead",
    "StatusEvent",
    "Subscription",
    "TrunkRoad",
    "UsageDay",
    "UsedLogoutToken",
    "WasteOrder",
]
