"""The portal's own data. Each feature keeps its models in a module here; all share one metadata."""

from app.models.audit import AuditEvent
from app.models.gazetteer import GazetteerAddress
from app.models.identity import LinkedCouncilAccount, PortalSession, Resident

__all__ = ["AuditEvent", "GazetteerAddress", "LinkedCouncilAccount", "PortalSession", "Resident"]
