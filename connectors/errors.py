"""The errors every connector raises, whatever protocol it speaks.

Each carries the council (its slug), the kind of service, and a ``message`` that is safe to show a resident or
write to a log: it never holds credentials, personal data or a raw response body. ``detail`` is for operators'
logs only (a status code, a URL without its query string).
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class: a back office could not give the portal what it asked for."""

    default_message = "The council's system could not answer"

    def __init__(
        self,
        council: str,
        kind: str,
        message: str | None = None,
        *,
        detail: str | None = None,
        code: str | None = None,
    ):
        self.council = council
        # The back office's own error code for a refused request ("slot_unavailable", GOV.UK Pay's "P0604").
        self.code = code
        self.kind = str(kind)
        self.message = message or self.default_message
        self.detail = detail
        super().__init__(f"[{council}/{self.kind}] {self.message}" + (f" ({detail})" if detail else ""))


class NotFound(ConnectorError):
    """The back office has no such thing: an unknown UPRN, account reference, application or request."""

    default_message = "The council's system has no record of this"


class NotAuthorised(ConnectorError):
    """The back office refused: wrong or missing credentials, or the resident may not see this record."""

    default_message = "The council's system refused the request"


class Unavailable(ConnectorError):
    """The back office did not answer in time, could not be reached, answered with a server error, or its
    circuit breaker is open. Callers show the last known data (a stale Result) when they have it."""

    default_message = "The council's system is not available at the moment"


class BadData(ConnectorError):
    """The back office answered, but not with what its contract promises: HTML instead of JSON, a truncated
    body, a missing field, a date that is not a date, or a request the back office rejected as malformed."""

    default_message = "The council's system sent something the portal could not understand"


class ConfigurationError(ValueError):
    """The deployment file (PORTAL_CONNECTORS_FILE) is wrong: an unknown adapter, a missing base_url, or a
    credential variable it names that is not set. Raised when the registry builds a connector."""
