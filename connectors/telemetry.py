"""What every call to a back office reports: a Prometheus histogram of its duration by council, service and
outcome, and an OpenTelemetry span (a no-op unless the portal set up tracing, app/observability/tracing.py)
named after the council and the service, around the HTTP client's own span."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from opentelemetry import trace
from prometheus_client import Histogram

BACKOFFICE_SECONDS = Histogram(
    "portal_backoffice_call_duration_seconds",
    "Calls to councils' back offices by council, service and outcome "
    "(ok, rejected, unavailable, timeout, unreachable, breaker_open).",
    ["council", "service", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10),
)
tracer = trace.get_tracer("connectors")
# Called with (council, service, outcome) after every call, from the thread that made it.
_listeners: list[Callable[[str, str, str], None]] = []


def add_listener(listener: Callable[[str, str, str], None]) -> None:
    """Also tell ``listener`` about every call (the portal counts them per day for its insights)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _tell(council: str, service: str, outcome: str) -> None:
    for listener in _listeners:
        listener(council, service, outcome)


class Call:
    """One call in progress; ``outcome`` is set by the caller when it knows better than "ok"."""

    def __init__(self, span):
        self.span = span
        self.outcome = "ok"

    def answered(self, status: int) -> None:
        self.span.set_attribute("http.response.status_code", status)
        if status >= 500 or status == 429:
            self.outcome = "unavailable"
        elif status >= 400 and status != 404:
            self.outcome = "rejected"


@contextmanager
def backoffice_call(council: str, service: str, method: str) -> Iterator[Call]:
    started = time.perf_counter()
    with tracer.start_as_current_span(
        f"{council} {service}",
        kind=trace.SpanKind.CLIENT,
        attributes={"portal.council": council, "portal.service": service, "http.request.method": method},
    ) as span:
        call = Call(span)
        try:
            yield call
        except Exception as error:
            call.outcome = "timeout" if "Timeout" in type(error).__name__ else "unreachable"
            raise
        finally:
            span.set_attribute("portal.outcome", call.outcome)
            BACKOFFICE_SECONDS.labels(council, service, call.outcome).observe(time.perf_counter() - started)
            _tell(council, service, call.outcome)


def refused(council: str, service: str) -> None:
    """A call the circuit breaker refused without asking the back office."""
    BACKOFFICE_SECONDS.labels(council, service, "breaker_open").observe(0)
    _tell(council, service, "breaker_open")
