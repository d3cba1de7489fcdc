"""The insights' aggregates, each one GROUP BY query over an indexed date range.

Every figure is counted by the database. Percentiles use percentile_cont on PostgreSQL; SQLite has none, so
there the durations of each council come back ordered and the same linear interpolation is done here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select

from app.extensions import db
from app.models.reports import MessageStatus, OutboxMessage, Report

SIGNED_IN = "signed_in"
GUEST = "guest"
ASSISTED = "assisted"
CHANNELS = {
    SIGNED_IN: _l("Online, signed in"),
    GUEST: _l("Online, as a guest"),
    ASSISTED: _l("Assisted by a council's contact centre"),
}


@dataclass(frozen=True)
class Range:
    """From the start of `first` to the end of `last` (both included), in UTC."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)


def _made_within(span: Range, councils: Iterable[str]):
    return (
        Report.created_at >= span.start,
        Report.created_at < span.end,
        Report.council_slug.in_(list(councils)),
    )


def _channel():
    return case(
        (Report.staff_channel.is_not(None), literal(ASSISTED)),
        (Report.resident_id.is_not(None), literal(SIGNED_IN)),
        else_=literal(GUEST),
    )


def _counts(query) -> dict[tuple[str, str], int]:
    return {(row[0], str(row[1])): int(row[2]) for row in db.session.execute(query)}


def reports_by_type(span: Range, councils: list[str]) -> dict[tuple[str, str], int]:
    """{(council, report type): reports made in the range}."""
    return _counts(
        select(Report.council_slug, Report.report_type, func.count())
        .where(*_made_within(span, councils))
        .group_by(Report.council_slug, Report.report_type)
    )


def reports_by_channel(span: Range, councils: list[str]) -> dict[tuple[str, str], int]:
    """{(council, channel): reports made in the range}: assisted (made by staff for someone), else online
    signed in or as a guest."""
    channel = _channel().label("channel")
    return _counts(
        select(Report.council_slug, channel, func.count())
        .where(*_made_within(span, councils))
        .group_by(Report.council_slug, channel)
    )


def _week_start():
    """The Monday (UTC) of the week a report was made, as YYYY-MM-DD text."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.date_trunc("week", func.timezone("UTC", Report.created_at)), "YYYY-MM-DD")
    return func.date(Report.created_at, "-6 days", "weekday 1")


def reports_by_week(span: Range, councils: list[str]) -> dict[tuple[str, str], int]:
    """{(council, Monday of the week): reports made in the range}."""
    week = _week_start().label("week")
    return _counts(
        select(Report.council_slug, week, func.count())
        .where(*_made_within(span, councils))
        .group_by(Report.council_slug, week)
    )


def _interpolated(values: list[float], fraction: float) -> float:
    position = (len(values) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(values) - 1)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


def delivery_seconds(span: Range, councils: list[str]) -> dict[str, tuple[int, float, float]]:
    """{council: (reports accepted, p50, p95 seconds)} from a report being made to the back office
    accepting it (the outbox's delivery), for reports made in the range."""
    accepted = (*_made_within(span, councils), Report.sent_at.is_not(None))
    if db.engine.dialect.name == "postgresql":
        seconds = func.extract("epoch", Report.sent_at - Report.created_at)
        query = (
            select(
                Report.council_slug,
                func.count(),
                func.percentile_cont(0.5).within_group(seconds),
                func.percentile_cont(0.95).within_group(seconds),
            )
            .where(*accepted)
            .group_by(Report.council_slug)
        )
        return {row[0]: (int(row[1]), float(row[2]), float(row[3])) for row in db.session.execute(query)}
    seconds = (func.julianday(Report.sent_at) - func.julianday(Report.created_at)) * 86400.0
    durations: dict[str, list[float]] = defaultdict(list)
    rows = db.session.execute(
        select(Report.council_slug, seconds).where(*accepted).order_by(Report.council_slug, seconds)
    )
    for council, value in rows:
        durations[council].append(float(value))
    return {
        council: (len(values), _interpolated(values, 0.5), _interpolated(values, 0.95))
        for council, values in durations.items()
    }


def parked_deliveries(councils: list[str]) -> dict[str, int]:
    """{council: reports and emails about reports parked now}, whatever the range: they wait for a person."""
    query = (
        select(Report.council_slug, func.count())
        .join(OutboxMessage, OutboxMessage.report_id == Report.id)
        .where(OutboxMessage.status == MessageStatus.PARKED, Report.council_slug.in_(councils))
        .group_by(Report.council_slug)
    )
    return {row[0]: int(row[1]) for row in db.session.execute(query)}
