"""Prometheus metrics at /metrics, on any host, for a scraper holding PORTAL_METRICS_TOKEN (as a Bearer token)
or calling from a network in PORTAL_METRICS_ALLOW.

Under gunicorn every worker process counts into files in PROMETHEUS_MULTIPROC_DIR and a scrape adds them up
(prometheus-client's multiprocess mode; gunicorn.conf.py prepares the directory). What the database and Redis
already know (the outbox, reports, breakers, the status sync) is read when scraped, so every app server
answers the same. The metric names and example alert rules are in docs/operating.md.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from datetime import UTC, datetime

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.dashboard.tiles import TILES
from app.extensions import limiter
from app.insights import rollup
from app.observability.logs import route
from app.theming import any_host

log = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "portal_request_duration_seconds",
    "Time to answer a request, by URL rule and council.",
    ["route", "council", "method", "status"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10),
)
SIGN_INS = Counter("portal_sign_ins_total", "Residents who signed in, by council.", ["council"])
DASHBOARD_TILES = Counter(
    "portal_dashboard_tiles_total",
    "Dashboard tiles shown, by council, tile and state (loaded, stale, unavailable, ...).",
    ["council", "tile", "state"],
)


def _dialect_now(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; everything stored is UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class DatabaseCollector:
    """The outbox, reports and the status sync as the database holds them at scrape time."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        from app.extensions import db
        from app.models.reports import MessageKind, MessageStatus, OutboxMessage, Report
        from app.models.tracking import PollCursor

        now = datetime.now(UTC)
        depth = GaugeMetricFamily(
            "portal_outbox_messages", "Outbox messages by kind and status.", labels=["kind", "status"]
        )
        oldest = GaugeMetricFamily(
            "portal_outbox_oldest_pending_seconds", "Age of the oldest message waiting for delivery."
        )
        parked = GaugeMetricFamily("portal_outbox_parked", "Messages parked for an operator.")
        reports = CounterMetricFamily(
            "portal_reports", "Reports made, by council and type.", labels=["council", "type"]
        )
        lag = GaugeMetricFamily(
            "portal_status_sync_lag_seconds",
            "Time since the status sync last asked each back office what changed.",
            labels=["council", "source"],
        )
        with self.app.app_context():
            try:
                counts = db.session.execute(
                    select(OutboxMessage.kind, OutboxMessage.status, func.count()).group_by(
                        OutboxMessage.kind, OutboxMessage.status
                    )
                ).all()
                first_pending = db.session.scalar(
                    select(func.min(OutboxMessage.created_at)).where(
                        OutboxMessage.status == MessageStatus.PENDING
                    )
                )
                made = db.session.execute(
                    select(Report.council_slug, Report.report_type, func.count()).group_by(
                        Report.council_slug, Report.report_type
                    )
                ).all()
                cursors = db.session.execute(
                    select(PollCursor.council_slug, PollCursor.source, PollCursor.last_polled_at)
                ).all()
            except SQLAlchemyError:
                log.warning("the database did not answer the metrics scrape")
                yield GaugeMetricFamily("portal_database_up", "Whether the database answered.", value=0)
                return
            finally:
                db.session.remove()
        yield GaugeMetricFamily("portal_database_up", "Whether the database answered.", value=1)
        by_kind_and_status = {
            (kind, status): 0
            for kind in (MessageKind.OPEN311_CREATE, MessageKind.EMAIL, MessageKind.TEXT_MESSAGE)
            for status in (MessageStatus.PENDING, MessageStatus.PARKED)
        }
        by_kind_and_status.update({(kind, status): count for kind, status, count in counts})
        for (kind, status), count in sorted(by_kind_and_status.items()):
            depth.add_metric([kind, status], count)
        parked_count = sum(
            count for (_, status), count in by_kind_and_status.items() if status == MessageStatus.PARKED
        )
        parked.add_metric([], parked_count)
        first_pending = _dialect_now(first_pending)
        oldest.add_metric([], (now - first_pending).total_seconds() if first_pending else 0)
        for council, report_type, count in made:
            reports.add_metric([council, report_type], count)
        for council, source, polled_at in cursors:
            polled_at = _dialect_now(polled_at)
            if polled_at is not None:
                lag.add_metric([council, source], (now - polled_at).total_seconds())
        yield from (depth, oldest, parked, reports, lag)


class BreakerCollector:
    """Each (council, service) circuit breaker's state, one-hot (shared by every process when on Redis)."""

    STATES = ("closed", "half-open", "open")

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        from app.backoffice import registry
        from connectors.breaker import CircuitBreaker
        from connectors.registry import ADDRESSES_SECTION

        family = GaugeMetricFamily(
            "portal_backoffice_breaker_state",
            "Circuit breaker state per council and service (1 for the current state).",
            labels=["council", "service", "state"],
        )
        connectors = registry(self.app)
        for council, kind in sorted(connectors.deployment.sections):
            if council == ADDRESSES_SECTION:
                continue
            breaker = CircuitBreaker(name=f"{council}:{kind.value}", store=connectors.breakers)
            try:
                state = breaker.state
            except Exception:  # noqa: BLE001 - Redis unreachable: say nothing rather than fail the scrape
                log.warning("breaker states unreadable", exc_info=True)
                return
            for candidate in self.STATES:
                family.add_metric([council, kind.value, candidate], 1 if candidate == state else 0)
        yield family


def exposition(app: Flask) -> bytes:
    """Every metric: this process's (or, under gunicorn, every worker's) and what is read at scrape time."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        prometheus_multiprocess.MultiProcessCollector(registry)
        live = b""
    else:
        from prometheus_client import REGISTRY

        live = generate_latest(REGISTRY)
    registry.register(DatabaseCollector(app))
    registry.register(BreakerCollector(app))
    return live + generate_latest(registry)


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    offered = request.headers.get("Authorization", "")
    if token and offered.startswith("Bearer ") and hmac.compare_digest(offered[7:].encode(), token.encode()):
        return True
    networks = current_app.config.get("METRICS_ALLOW", ())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


# Guessing the token: an address that keeps being refused is refused outright for a while. Declared once, at
# import, so that an app made a second time in one process does not count each refusal twice.
@any_host
@limiter.limit(
    lambda: current_app.config["METRICS_REFUSALS_LIMIT"],
    deduct_when=lambda response: response.status_code in (401, 403),
)
def metrics_view():
    if not _allowed():
        abort(401 if "Authorization" not in request.headers else 403)
    return Response(exposition(current_app._get_current_object()), mimetype=CONTENT_TYPE_LATEST)


def _observe_request(response):
    started = g.get("request_started")
    if started is not None and request.endpoint != "metrics":
        theme = g.get("theme")
        REQUEST_SECONDS.labels(
            route=route(),
            council=theme.slug if theme else "",
            method=request.method,
            status=str(response.status_code),
        ).observe(time.perf_counter() - started)
    return response


def count_sign_in() -> None:
    theme = g.get("theme")
    SIGN_INS.labels(council=theme.slug if theme else "").inc()


def count_tiles(tiles) -> None:
    tiles = list(tiles)
    rollup.count_tiles(tiles, {name: str(kind.service) for name, kind in TILES.items()})
    theme = g.get("theme")
    for tile in tiles:
        DASHBOARD_TILES.labels(
            council=theme.slug if theme else "", tile=tile.name, state=str(tile.state)
        ).inc()


def init_app(app: Flask) -> None:
    app.add_url_rule("/metrics", "metrics", metrics_view)
    app.after_request(_observe_request)
