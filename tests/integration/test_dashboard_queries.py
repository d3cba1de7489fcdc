"""What the signed-in dashboard asks the database on every request: the resident's newest reports and a count
of the guest reports they could claim (not every report they ever made), and the requests they sent or follow
in one query."""

from __future__ import annotations

import secrets
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, text

from app.dashboard.household import own_reports
from app.dashboard.types import OwnReport
from app.extensions import db
from app.models.identity import Resident
from app.models.reports import FollowedRequest, Report
from app.reports import claims

NOW = datetime.now(UTC).replace(microsecond=0)


def _report(minutes_ago: int, *, resident=None, email=None, request_id=None) -> Report:
    return Report(
        report_type="pothole",
        council_slug="norfolk",
        service_code="pothole",
        made_on="norfolk",
        idempotency_key=uuid.uuid4().hex,
        resident_id=resident.id if resident else None,
        email=email,
        service_request_id=request_id,
        created_at=NOW - timedelta(minutes=minutes_ago),
    )


def _resident(email: str | None) -> Resident:
    resident = Resident(issuer="https://idp.example", subject=secrets.token_hex(8), email=email)
    db.session.add(resident)
    db.session.flush()
    return resident


@contextmanager
def statements_made():
    made: list[str] = []

    def record(connection, cursor, statement, *args):
        made.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield made
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_the_dashboard_lists_the_newest_five_reports_and_counts_the_claimable_ones(app_context):
    priya, someone_else = _resident("Priya.Shah@example.com"), _resident("someone@example.com")
    own = [_report(minutes, resident=priya) for minutes in (50, 10, 40, 20, 60, 30, 70)]
    guest = [_report(5, email="PRIYA.SHAH@example.com"), _report(6, email="priya.shah@example.com")]
    others = [
        _report(7, email="someone@example.com"),
        _report(8, resident=someone_else, email="priya.shah@example.com"),  # claimed by its owner already
    ]
    db.session.add_all([*own, *guest, *others])
    db.session.commit()
    newest = [report.reference for report in sorted(own, key=lambda report: report.created_at, reverse=True)]
    db.session.refresh(priya)  # loaded as the signed-in resident is, before the dashboard asks

    with statements_made() as made:
        summary = claims.summary(priya)

    assert [report.reference for report in summary["reports"]] == newest[:5]
    assert summary["claimable"] == 2 == len(claims.claimable(priya))
    assert len(made) == 2, made
    latest, count = made
    assert "LIMIT" in latest.upper(), "only the five newest rows are read"
    assert "count(*)" in count.lower(), "the guest reports are counted"
    assert "reports.id" not in count, "not read"
    assert claims.summary(_resident(None))["claimable"] == 0


def test_the_claimable_count_uses_the_lower_email_index(app_context):
    query = "SELECT count(*) FROM reports WHERE resident_id IS NULL AND lower(email) = 'priya@example.com'"
    if db.engine.dialect.name == "sqlite":
        # SQLite's choice between two equally good-looking indexes on an empty, unanalysed table is arbitrary:
        # INDEXED BY fails ("no query solution") unless this index can answer the query.
        indexed = query.replace("FROM reports", "FROM reports INDEXED BY ix_reports_lower_email")
        plan = " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {indexed}")))
    else:
        # An empty table is read whole whatever the indexes: forbid that to see which index would answer.
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {query}")))
    db.session.rollback()
    assert "ix_reports_lower_email" in plan, plan


def test_the_requests_a_resident_sent_or_follows_come_in_one_query(app_context):
    priya, someone_else = _resident("priya@example.com"), _resident("someone@example.com")
    db.session.add_all(
        [
            _report(1, resident=priya, request_id="SR-1"),
            _report(2, resident=priya),  # not sent yet: no request at the council
            _report(3, resident=someone_else, request_id="SR-2"),
            FollowedRequest(council_slug="norwich", service_request_id="SR-9", resident_id=priya.id),
            FollowedRequest(council_slug="norfolk", service_request_id="SR-1", resident_id=priya.id),
            FollowedRequest(council_slug="norwich", service_request_id="SR-8", resident_id=someone_else.id),
        ]
    )
    db.session.commit()
    priya_id = priya.id

    with statements_made() as made:
        own = own_reports(priya_id)

    assert own == (OwnReport("norfolk", "SR-1"), OwnReport("norwich", "SR-9"))
    assert len(made) == 1, made
