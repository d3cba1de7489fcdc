"""The county-wide insights page at real size: one million reports on PostgreSQL.

Seeds a database of its own (my_norfolk_bench_insights, made afresh) with 1,000,000 reports over the last year
across every council, type and channel (INSERT ... SELECT generate_series: a few seconds, no row goes through
Python), most accepted by the back office after a few minutes and some parked, then asks for /staff/insights
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
from app.reports.types import REPORT_TYPES  # noqa: E402
from app.staff.identity import SESSION_KEY, SUPERVISOR, StaffMember  # noqa: E402
from app.theming import themes  # noqa: E402

SERVER = os.environ.get("PORTAL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE = "my_norfolk_bench_insights"
REPORTS = 1_000_000
STAFF_HOST = "staff.localhost"

SEED = """
INSERT INTO reports (reference, report_type, council_slug, service_code, made_on, status, description,
                     answers, idempotency_key, resident_id, staff_channel, staff_council_slug, created_at,
                     sent_at)
SELECT 'B' || lpad(i::text, 10, '0'),
       (:types)[1 + i % cardinality(:types)],
       (:councils)[1 + (i / 7) % cardinality(:councils)],
       'bench', 'bench', CASE WHEN i % 50 = 0 THEN 'waiting' ELSE 'sent' END, '', '[]',
       md5(i::text), NULL,
       CASE WHEN i % 10 = 0 THEN 'phone' END,
       CASE WHEN i % 10 = 0 THEN (:councils)[1 + (i / 7) % cardinality(:councils)] END,
       made, CASE WHEN i % 50 = 0 THEN NULL ELSE made + (i % 600) * interval '1 second' END
FROM generate_series(1, :count) AS i,
     LATERAL (SELECT now() - (i % 365) * interval '1 day' - (i % 86400) * interval '1 second' AS made) AS m
"""
PARKED = """
INSERT INTO outbox_messages (kind, report_id, payload, status, attempts, failures, next_attempt_at,
                             created_at)
SELECT 'open311_create', id, '{}', 'parked', 5, 5, now(), created_at FROM reports WHERE status = 'waiting'
  AND id % 20 = 0
"""


def fresh_database() -> str:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    return f"{SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{DATABASE}"


def main() -> None:
    started = time.perf_counter()
    instance = Path(tempfile.mkdtemp(prefix="bench-insights-"))
    app = create_app("test", SQLALCHEMY_DATABASE_URI=fresh_database(), INSTANCE_DIR=instance)
    with app.app_context():
        upgrade()
        councils = [theme.slug for theme in themes()]
        types = [kind.slug for kind in REPORT_TYPES]
        seed = time.perf_counter()
        db.session.execute(
            text(
                SEED.replace(":types", "CAST(:types AS text[])").replace(
                    ":councils", "CAST(:councils AS text[])"
                )
            ),
            {"types": types, "councils": councils, "count": REPORTS},
        )
        db.session.execute(text(PARKED))
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        print(f"seeded reports: {REPORTS:,} in {time.perf_counter() - seed:.1f} s")
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
    print(f"whole benchmark (s): {time.perf_counter() - started:.1f}")


if __name__ == "__main__":
    main()
