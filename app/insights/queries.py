"""The insights' aggregates, each one GROUP BY query: report counts over the daily rollup, durations over the
reports' covering index (ix_reports_insights), the rest over their own small tables.

Every figure is counted by the database. Percentiles use percentile_cont on PostgreSQL; SQLite has none, so
there the durations come back ordered and the same linear interpolation is done here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text

from app.extensions import db
from app.models.insights import ReportDay, SignIn, UsageDay, UsageMeasure
from app.models.reports import Channel, Feedback, MessageStatus, OutboxMessage, Report
from app.models.tracking import CaseUpdate, CaseUpdateKind, EventSource, StatusEvent
from app.tracking.status import OPEN311_STATUSES

SIGNED_IN = Channel.SIGNED_IN
GUEST = Channel.GUEST
ASSISTED = Channel.ASSISTED
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


def tune_for_aggregates() -> None:
    """For this transaction on PostgreSQL: sort the durations in memory rather than on disk, and do not
    compile the queries (JIT costs more than these few-millisecond aggregates gain from it)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '32MB'"))
        db.session.execute(text("SET LOCAL jit = off"))


def _made_within(span: Range, councils: Iterable[str]):
    return (
        Report.created_at >= span.start,
        Report.created_at < span.end,
        Report.council_slug.in_(list(councils)),
    )


@dataclass(frozen=True)
class ReportCounts:
    """Reports made in a range, from the daily rollup (app.insights.rollup): {(council, key): reports}."""

    by_type: dict[tuple[str, str], int]
    by_channel: dict[tuple[str, str], int]
    by_week: dict[tuple[str, str], int]


def report_counts(span: Range, councils: list[str]) -> ReportCounts:
    rows = db.session.execute(
        select(
            ReportDay.day, ReportDay.council_slug, ReportDay.report_type, ReportDay.channel, ReportDay.reports
        ).where(ReportDay.day >= span.first, ReportDay.day <= span.last, ReportDay.council_slug.in_(councils))
    )
    by_type: Counter = Counter()
    by_channel: Counter = Counter()
    by_week: Counter = Counter()
    for day, council, kind, channel, reports in rows:
        if not reports:
            continue
        by_type[(council, kind)] += reports
        by_channel[(council, channel)] += reports
        by_week[(council, (day - timedelta(days=day.weekday())).isoformat())] += reports
    return ReportCounts(dict(by_type), dict(by_channel), dict(by_week))


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
        # date_part is double precision, which sorts far faster than extract's numeric.
        seconds = func.date_part("epoch", Report.sent_at - Report.created_at)
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
    """{council: reports and emails for the council parked now}, whatever the range: they wait for a
    person."""
    query = (
        select(OutboxMessage.council_slug, func.count())
        .where(OutboxMessage.status == MessageStatus.PARKED, OutboxMessage.council_slug.in_(councils))
        .group_by(OutboxMessage.council_slug)
    )
    return {row[0]: int(row[1]) for row in db.session.execute(query)}


def _percentiles(keys: list, seconds, where) -> dict[tuple, tuple[int, float, float]]:
    """{key values: (how many, p50, p95)} of ``seconds`` over the rows ``where`` selects, grouped by
    ``keys``."""
    if db.engine.dialect.name == "postgresql":
        query = (
            select(
                *keys,
                func.count(),
                func.percentile_cont(0.5).within_group(seconds),
                func.percentile_cont(0.95).within_group(seconds),
            )
            .where(*where)
            .group_by(*keys)
        )
        return {
            tuple(row[: len(keys)]): (int(row[-3]), float(row[-2]), float(row[-1]))
            for row in db.session.execute(query)
        }
    durations: dict[tuple, list[float]] = defaultdict(list)
    for row in db.session.execute(select(*keys, seconds).where(*where).order_by(*keys, seconds)):
        durations[tuple(row[:-1])].append(float(row[-1]))
    return {
        key: (len(values), _interpolated(values, 0.5), _interpolated(values, 0.95))
        for key, values in durations.items()
    }


def _seconds_between(earlier, later):
    if db.engine.dialect.name == "postgresql":
        return func.date_part("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


CLOSING_STATUSES = sorted(status for status, meaning in OPEN311_STATUSES.items() if meaning.closed)


def _first_closed():
    """Each Open311 request's first closing change: (council, request id, when)."""
    return (
        select(
            StatusEvent.council_slug,
            StatusEvent.case_key,
            func.min(StatusEvent.happened_at).label("closed_at"),
        )
        .where(
            StatusEvent.source == EventSource.OPEN311, func.upper(StatusEvent.status).in_(CLOSING_STATUSES)
        )
        .group_by(StatusEvent.council_slug, StatusEvent.case_key)
        .subquery()
    )


def _closed_reports():
    """The first closings, and how a report joins to its own."""
    closed = _first_closed()
    joined = (Report.council_slug == closed.c.council_slug) & (Report.service_request_id == closed.c.case_key)
    return closed, joined


def close_seconds_by_type(
    span: Range, councils: list[str]
) -> dict[tuple[str, str], tuple[int, float, float]]:
    """{(council, report type): (reports closed, p50, p95 seconds)} from a report being made to the council
    first closing it (an Open311 closing status: fixed, no action, passed on...), for reports made in the
    range; a back office's clock a little behind the portal's counts as nought."""
    closed, joined = _closed_reports()
    seconds = func.greatest if db.engine.dialect.name == "postgresql" else func.max
    duration = seconds(_seconds_between(Report.created_at, closed.c.closed_at), 0.0)
    rows = _percentiles(
        [Report.council_slug, Report.report_type],
        duration,
        [*_made_within(span, councils), joined],
    )
    return {(key[0], key[1]): value for key, value in rows.items()}


def not_fixed(span: Range, councils: list[str]) -> dict[str, tuple[int, int]]:
    """{council: (reports closed, of which the resident said "this is not fixed")} for reports made in the
    range."""
    closed, joined = _closed_reports()
    said_not_fixed = (
        select(CaseUpdate.report_id).where(CaseUpdate.kind == CaseUpdateKind.NOT_FIXED).distinct().subquery()
    )
    query = (
        select(Report.council_slug, func.count(), func.count(said_not_fixed.c.report_id))
        .select_from(Report)
        .join(closed, joined)
        .outerjoin(said_not_fixed, said_not_fixed.c.report_id == Report.id)
        .where(*_made_within(span, councils))
        .group_by(Report.council_slug)
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in db.session.execute(query)}


def _usage(span: Range, councils: list[str], measure: str) -> dict[tuple[str, str], int]:
    query = (
        select(UsageDay.council_slug, UsageDay.detail, func.sum(UsageDay.count))
        .where(
            UsageDay.measure == measure,
            UsageDay.day >= span.first,
            UsageDay.day <= span.last,
            UsageDay.council_slug.in_(councils),
        )
        .group_by(UsageDay.council_slug, UsageDay.detail)
    )
    return {(row[0], row[1]): int(row[2]) for row in db.session.execute(query)}


# A back office that answered, even to say no, was available; the others are why it was not.
ANSWERED = ("ok", "rejected")
SHOWN_UP_TO_DATE = ("loaded",)
TILE_OUTCOMES = ("loaded", "stale", "unavailable")


def _shares(counts: dict[tuple[str, str], int], good: tuple[str, ...], considered=None):
    """{(council, service): (good, all)} from counters whose detail is "<service> <outcome>"."""
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (council, detail), count in counts.items():
        service, _space, outcome = detail.rpartition(" ")
        if considered is not None and outcome not in considered:
            continue
        totals[(council, service)][1] += count
        if outcome in good:
            totals[(council, service)][0] += count
    return {key: (value[0], value[1]) for key, value in totals.items()}


def backoffice_availability(span: Range, councils: list[str]) -> dict[tuple[str, str], tuple[int, int]]:
    """{(council, service): (calls the back office answered, all calls)}, a call the circuit breaker refused
    counting as not answered."""
    return _shares(_usage(span, councils, UsageMeasure.BACKOFFICE_CALL), ANSWERED)


def tiles_up_to_date(span: Range, councils: list[str]) -> dict[tuple[str, str], tuple[int, int]]:
    """{(council, service): (dashboard tiles shown with fresh data, all shown fresh, stale or
    unavailable)}."""
    return _shares(_usage(span, councils, UsageMeasure.TILE), SHOWN_UP_TO_DATE, TILE_OUTCOMES)


def sign_ins(span: Range, councils: list[str]) -> dict[str, tuple[int, int]]:
    """{council: (sign-ins, residents who signed in)} on the council's domain in the range."""
    query = (
        select(SignIn.council_slug, func.count(), func.count(SignIn.resident_id.distinct()))
        .where(
            SignIn.signed_in_at >= span.start,
            SignIn.signed_in_at < span.end,
            SignIn.council_slug.in_(councils),
        )
        .group_by(SignIn.council_slug)
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in db.session.execute(query)}


def _month(column, *, timestamp: bool):
    if db.engine.dialect.name == "postgresql":
        moment = func.timezone("UTC", column) if timestamp else column
        return func.to_char(moment, "YYYY-MM")
    return func.strftime("%Y-%m", column)


SIGN_INS, REPORTS, BACKOFFICE_CALLS, EMAILS = "sign_ins", "reports", "backoffice_calls", "emails"


def monthly_use(span: Range) -> dict[tuple[str, str, str], int]:
    """{(month YYYY-MM, measure, council): count} in the range for every council, for cost sharing:
    sign-ins, reports made, back-office calls and emails."""
    use: dict[tuple[str, str, str], int] = {}
    month = _month(SignIn.signed_in_at, timestamp=True)
    for row in db.session.execute(
        select(month, SignIn.council_slug, func.count())
        .where(SignIn.signed_in_at >= span.start, SignIn.signed_in_at < span.end)
        .group_by(month, SignIn.council_slug)
    ):
        use[(row[0], SIGN_INS, row[1])] = int(row[2])
    month = _month(ReportDay.day, timestamp=False)
    for row in db.session.execute(
        select(month, ReportDay.council_slug, func.sum(ReportDay.reports))
        .where(ReportDay.day >= span.first, ReportDay.day <= span.last)
        .group_by(month, ReportDay.council_slug)
    ):
        use[(row[0], REPORTS, row[1])] = int(row[2])
    month = _month(UsageDay.day, timestamp=False)
    measures = {UsageMeasure.BACKOFFICE_CALL: BACKOFFICE_CALLS, UsageMeasure.EMAIL: EMAILS}
    for row in db.session.execute(
        select(month, UsageDay.measure, UsageDay.council_slug, func.sum(UsageDay.count))
        .where(UsageDay.day >= span.first, UsageDay.day <= span.last, UsageDay.measure.in_(list(measures)))
        .group_by(month, UsageDay.measure, UsageDay.council_slug)
    ):
        use[(row[0], measures[row[1]], row[2])] = int(row[3])
    return {key: value for key, value in use.items() if value}


def feedback_ratings(span: Range, councils: list[str]) -> dict[tuple[str, str], int]:
    """{(council, rating): feedback given in the range} about reports made to the council."""
    query = (
        select(Report.council_slug, Feedback.rating, func.count())
        .join(Report, Report.id == Feedback.report_id)
        .where(
            Feedback.created_at >= span.start,
            Feedback.created_at < span.end,
            Report.council_slug.in_(councils),
        )
        .group_by(Report.council_slug, Feedback.rating)
    )
    return {(row[0], row[1]): int(row[2]) for row in db.session.execute(query)}
