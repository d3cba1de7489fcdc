"""The counters the insights read instead of scanning every report or call.

Reports per day (insights_report_days) change in the same transaction as the reports they count: after each
flush, every report inserted adds one to its (day, council, type, channel) and every report deleted takes one
away, so the rollup always equals a GROUP BY over reports. A report's day, council, type and channel never
change once it is made. Reports written without the ORM (a bulk load, the benchmark's seed) are counted by
`flask insights rebuild-rollup`, which recomputes the whole table in one transaction.

Usage counters (insights_usage_days) are added to by one upsert per (day, council, measure, detail): emails in
the transaction that queues them; back-office calls and dashboard tiles, which happen on connector threads
outside any transaction, through an in-process tally that a request writes when the last write is ten seconds
old, the worker after each round and a process when it exits (UsageTally).
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime

import click
from flask import Flask, current_app, has_app_context
from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.insights import ReportDay, UsageDay, UsageMeasure
from app.models.reports import Channel, Report

# A request writes the counters only when the last write is at least this old: a write on every request would
# make every dashboard a database write transaction. `flask worker` writes them on each pass too.
TALLY_WRITE_SECONDS = 10.0


def channel_of(report: Report) -> str:
    if report.channel:
        return report.channel
    if report.staff_channel:
        return Channel.ASSISTED
    return Channel.SIGNED_IN if report.resident_id else Channel.GUEST


def utc_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def _upsert(connection, table, keys: list[str], amount_column: str, rows: list[dict]) -> None:
    """Add each row's amount to its key's, making the row when it is the first."""
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={amount_column: table.c[amount_column] + statement.excluded[amount_column]},
    )
    connection.execute(statement)


def _report_changes(session: Session) -> Counter:
    changes: Counter = Counter()
    for sign, objects in ((1, session.new), (-1, session.deleted)):
        for report in objects:
            if isinstance(report, Report) and report.created_at is not None:
                key = (
                    utc_day(report.created_at),
                    report.council_slug,
                    report.report_type,
                    channel_of(report),
                )
                changes[key] += sign
    return changes


def _after_flush(session: Session, _flush_context) -> None:
    changes = _report_changes(session)
    rows = [
        {"day": day, "council_slug": council, "report_type": kind, "channel": channel, "reports": amount}
        for (day, council, kind, channel), amount in sorted(changes.items())
        if amount
    ]
    _upsert(
        session.connection(),
        ReportDay.__table__,
        ["day", "council_slug", "report_type", "channel"],
        "reports",
        rows,
    )


event.listen(Session, "after_flush", _after_flush)


def _report_day():
    if db.engine.dialect.name == "postgresql":
        return func.date(func.timezone("UTC", Report.created_at))
    return func.date(Report.created_at)


def rebuild() -> int:
    """Recompute the whole rollup from reports; the number of rows it has."""
    day = _report_day()
    db.session.execute(delete(ReportDay))
    db.session.execute(
        insert(ReportDay).from_select(
            ["day", "council_slug", "report_type", "channel", "reports"],
            select(day, Report.council_slug, Report.report_type, Report.channel, func.count()).group_by(
                day, Report.council_slug, Report.report_type, Report.channel
            ),
        )
    )
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(ReportDay))


def count_usage(council: str, measure: str, detail: str = "", amount: int = 1, *, connection=None) -> None:
    """Add to today's counter, in the current transaction (or on ``connection``)."""
    _upsert(
        connection if connection is not None else db.session.connection(),
        UsageDay.__table__,
        ["day", "council_slug", "measure", "detail"],
        "count",
        [
            {
                "day": datetime.now(UTC).date(),
                "council_slug": council,
                "measure": measure,
                "detail": detail[:64],
                "count": amount,
            }
        ],
    )


class UsageTally:
    """Back-office calls and dashboard tiles counted in memory by any thread, written to insights_usage_days
    by ``write`` (one upsert per counter, in its own transaction)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._written_at = time.monotonic()

    def add(self, council: str, measure: str, detail: str) -> None:
        if not council:
            return
        with self._lock:
            self._counts[(datetime.now(UTC).date(), council, measure, detail[:64])] += 1

    def write_when_due(self) -> None:
        """Write the counters when the last write is TALLY_WRITE_SECONDS old (by any thread)."""
        with self._lock:
            due = time.monotonic() - self._written_at >= TALLY_WRITE_SECONDS and bool(self._counts)
        if due:
            self.write()

    def write(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._written_at = time.monotonic()
        if not counts:
            return
        rows = [
            {"day": day, "council_slug": council, "measure": measure, "detail": detail, "count": amount}
            for (day, council, measure, detail), amount in sorted(counts.items())
        ]
        try:
            with db.engine.begin() as connection:
                _upsert(
                    connection,
                    UsageDay.__table__,
                    ["day", "council_slug", "measure", "detail"],
                    "count",
                    rows,
                )
        except Exception:
            # Not lost: counted again on the next write.
            with self._lock:
                self._counts.update(counts)
            raise


def tally() -> UsageTally:
    return current_app.extensions["insights_tally"]


def count_backoffice_call(council: str, service: str, outcome: str) -> None:
    """Every back-office call (connectors.telemetry), from whichever thread made it: the dashboard's threads
    run in a copy of the request's context, so they know their app; others count for the newest app."""
    app_tally = tally() if has_app_context() else _process_tally
    if app_tally is not None:
        app_tally.add(council, UsageMeasure.BACKOFFICE_CALL, f"{service} {outcome}")


def count_tiles(tiles, services: dict[str, str]) -> None:
    """Each tile a dashboard showed, once for every council whose data it shows."""
    for tile in tiles:
        for council in tile.councils:
            tally().add(council, UsageMeasure.TILE, f"{services.get(tile.name, tile.name)} {tile.state}")


# The tally of the newest app, for calls made outside any app context (a process has one app in production).
_process_tally: UsageTally | None = None


@click.group("insights")
def insights_cli() -> None:
    """Council insights."""


@insights_cli.command("rebuild-rollup")
def rebuild_command() -> None:
    """Recompute reports per day from the reports table (after loading reports outside the portal)."""
    click.echo(f"insights_report_days: {rebuild()} rows")


def init_app(app: Flask) -> None:
    from connectors import telemetry

    global _process_tally
    app_tally = UsageTally()
    _process_tally = app_tally
    telemetry.add_listener(count_backoffice_call)
    app.extensions["insights_tally"] = app_tally
    app.cli.add_command(insights_cli)

    @app.teardown_request
    def _write_tally(_error=None):
        try:
            app_tally.write_when_due()
        except Exception:  # noqa: BLE001 - counting must never fail a resident's page
            app.logger.warning("insights usage counters not written; kept for the next request")

    def _write_tally_at_exit():
        # A worker process stopping (a deployment, gunicorn's max requests) writes what it has counted.
        with app.app_context(), contextlib.suppress(Exception):
            try:
                app_tally.write()  # a failure has no one to tell at exit: the counts are lost only then
            finally:
                db.engine.dispose()  # the process is ending: no connection is left for the collector

    atexit.register(_write_tally_at_exit)

    app.extensions.setdefault("worker_steps", []).append(lambda _worker: app_tally.write())
