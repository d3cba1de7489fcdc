"""The county-wide insights page at real size: one million reports on PostgreSQL.

Seeds a database of its own (my_norfolk_bench_insights, made afresh) with 1,000,000 reports over the last year
across every council, type and channel (INSERT ... SELECT generate_series: a few seconds, no row goes through
Python), most accepted by the back office after a few minutes and some parked, recomputes the daily rollup
(app.insights.rollup.rebuild, as after any load outside the portal), vacuums, then asks for /staff/insights
for all councils side by side as a supervisor of every council, through the Flask test client, and prints
the median of five requests after one warm-up.

    make bench-insights        # PostgreSQL at 127.0.0.1:5432 (PORTAL_BENCH_POSTGRES to change)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.insights import rollup  # noqa: E402
from app.reports.types import REPORT_TYPES  # noqa: E402
from app.staff.identity import SESSION_KEY, SUPERVISOR, StaffMember  # noqa: E402
from app.theming import themes  # noqa: E402

SERVER = os.environ.get("PORTAL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE = "my_norfolk_bench_insights"
REPORTS = 1_000_000
STAFF_HOST = "staff.localhost"

SEED = """
INSERT INTO reports (reference, report_type, council_slug, service_code, made_on, status, description,
                     answers, idempotency_key, resident_id, staff_channel, staff_council_slug, channel,
                     created_at, sent_at)
SELECT 'B' || lpad(i::text, 10, '0'),
       (:types)[1 + i % cardinality(:types)],
       (:councils)[1 + (i / 7) % cardinality(:councils)],
       'bench', 'bench', CASE WHEN i % 50 = 0 THEN 'waiting' ELSE 'sent' END, '', '[]',
       md5(i::text), NULL,
       CASE WHEN i % 10 = 0 THEN 'phone' END,
       CASE WHEN i % 10 = 0 THEN (:councils)[1 + (i / 7) % cardinality(:councils)] END,
       CASE WHEN i % 10 = 0 THEN 'assisted' ELSE 'guest' END,
       made, CASE WHEN i % 50 = 0 THEN NULL ELSE made + (i % 600) * interval '1 second' END
FROM generate_series(1, :count) AS i,
     LATERAL (SELECT now() - (i % 365) * interval '1 day' - (i % 86400) * interval '1 second' AS made) AS m
"""
PARKED = """
INSERT INTO outbox_messages (kind, report_id, council_slug, payload, status, attempts, failures,
                             next_attempt_at, created_at)
SELECT 'open311_create', id, council_slug, '{}', 'parked', 5, 5, now(), created_at FROM reports
WHERE status = 'waiting'
  AND id % 20 = 0
"""

# The reports table's indexes that back no constraint (unique and primary keys stay while seeding).
PLAIN_INDEXES = """
SELECT indexname, indexdef FROM pg_indexes
WHERE tablename = 'reports'
  AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'reports'::regclass)
  AND indexdef NOT LIKE 'CREATE UNIQUE%'
"""


def fresh_database() -> str:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    return f"{SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{DATABASE}"


def main() -> None:
    started = time.perf_counter()
    instance = Path(tempfile.mkdtemp(prefix="bench-insights-"))
    # --reuse times the pages again over the database the last run seeded (while working on the queries).
    reuse = "--reuse" in sys.argv
    database = (
        f"{SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{DATABASE}"
        if reuse
        else fresh_database()
    )
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database, INSTANCE_DIR=instance)
    with app.app_context():
        councils = [theme.slug for theme in themes()]
    if not reuse:
        seed(app, councils)
    time_pages(app, councils)
    print(f"whole benchmark (s): {time.perf_counter() - started:.1f}")


def seed(app, councils: list[str]) -> None:
    with app.app_context():
        upgrade()
        types = [kind.slug for kind in REPORT_TYPES]
        seeding = time.perf_counter()
        # As for any bulk load: the table's plain indexes are dropped and made again, from their own
        # definitions, once the rows are in (one sort each rather than a million insertions each).
        indexes = db.session.execute(text(PLAIN_INDEXES)).all()
        for name, _definition in indexes:
            db.session.execute(text(f'DROP INDEX "{name}"'))
        db.session.execute(
            text(
                SEED.replace(":types", "CAST(:types AS text[])").replace(
                    ":councils", "CAST(:councils AS text[])"
                )
            ),
            {"types": types, "councils": councils, "count": REPORTS},
        )
        db.session.execute(text(PARKED))
        for _name, definition in indexes:
            db.session.execute(text(definition))
        db.session.commit()
        print(f"seeded reports: {REPORTS:,} in {time.perf_counter() - seeding:.1f} s")
        # Loaded without the ORM, so the daily rollup is recomputed as `flask insights rebuild-rollup` does.
        rolled = time.perf_counter()
        rows = rollup.rebuild()
        print(f"rebuilt the daily rollup: {rows:,} rows in {time.perf_counter() - rolled:.1f} s")
    # VACUUM as autovacuum would have by now on a live database: it sets the visibility map that lets
    # PostgreSQL answer the durations from the covering index alone.
    with psycopg.connect(f"{SERVER}/{DATABASE}", autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def time_pages(app, councils: list[str]) -> None:
    with app.app_context():
        member = StaffMember(
            subject="bench-supervisor",
            issuer="bench",
            name="Bench Supervisor",
            email="bench@staff.example",
            grants=dict.fromkeys(councils, SUPERVISOR),
            working_for=councils[0],
            auth_time=int(time.time()),
        )
    client = app.test_client()
    with client.session_transaction(headers={"Host": STAFF_HOST}) as session:
        session[SESSION_KEY] = member.to_session()
    # The default range: the last 30 days including today.
    last = datetime.now(UTC).date()
    first = last - timedelta(days=29)
    page = (
        f"/staff/insights?council=all&first={first.day}&first={first.month}&first={first.year}"
        f"&last={last.day}&last={last.month}&last={last.year}"
    )
    timings = []
    for attempt in range(6):
        began = time.perf_counter()
        response = client.get(page, headers={"Host": STAFF_HOST})
        elapsed = time.perf_counter() - began
        if response.status_code != 200 or "Broadland" not in response.get_data(as_text=True):
            raise SystemExit(f"the insights page answered {response.status_code}")
        if attempt:
            timings.append(elapsed)
    print(f"insights page time (s): {statistics.median(timings):.3f} (goal under 0.5)")


if __name__ == "__main__":
    main()
