"""Insights for supervisors: the charts, their tables and their exports agree with the database, counted here
independently by SQL."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import DateTime, String, bindparam, text

from app.extensions import db
from app.models.reports import MessageStatus, OutboxMessage, Report
from tests.integration.staff.conftest import NORWICH_AGENT, SUPERVISOR, audit_entries

NOW = datetime.now(UTC).replace(microsecond=0)


def _report(council, kind, *, days_ago=0, resident_id=None, assisted=False, accepted_after=None):
    made = NOW - timedelta(days=days_ago, minutes=1)
    return Report(
        report_type=kind,
        council_slug=council,
        service_code=kind,
        made_on=council,
        idempotency_key=uuid.uuid4().hex,
        resident_id=resident_id,
        staff_channel="phone" if assisted else None,
        staff_council_slug=council if assisted else None,
        created_at=made,
        sent_at=made + accepted_after if accepted_after else None,
        status="sent" if accepted_after else "waiting",
    )


@pytest.fixture
def reports(app, tom):
    rows = (
        [
            _report("norwich", "missed-bin", days_ago=n % 20, accepted_after=timedelta(minutes=n + 1))
            for n in range(7)
        ]
        + [_report("norwich", "fly-tipping", resident_id=tom.resident_id) for _ in range(6)]
        + [_report("norwich", "fly-tipping", assisted=True) for _ in range(2)]
        + [_report("norwich", "missed-bin", days_ago=31) for _ in range(3)]  # outside the default range
        + [_report("breckland", "missed-bin", days_ago=3) for _ in range(5)]
        + [_report("broadland", "fly-tipping", days_ago=28) for _ in range(8)]
    )
    with app.app_context():
        db.session.add_all(rows)
        db.session.flush()
        db.session.add(
            OutboxMessage(kind="open311_create", report_id=rows[8].id, status=MessageStatus.PARKED)
        )
        db.session.commit()


def _sql_counts(app, council=None):
    """{(council, type): count} over the last 30 days including today, by plain SQL."""
    start = (NOW - timedelta(days=29)).replace(hour=0, minute=0, second=0)
    with app.app_context():
        query = text(
            "SELECT council_slug, report_type, COUNT(*) FROM reports WHERE created_at >= :start"
            " AND (:council IS NULL OR council_slug = :council) GROUP BY council_slug, report_type"
        ).bindparams(bindparam("start", type_=DateTime(timezone=True)), bindparam("council", type_=String))
        rows = db.session.execute(query, {"start": start, "council": council})
        return {(row[0], row[1]): row[2] for row in rows}


def _table(page, caption):
    table = next(t for t in page.select("table") if t.caption and t.caption.get_text(strip=True) == caption)
    councils = [th.get_text(strip=True) for th in table.thead.select("th")[1:]]
    return {
        (council, row.th.get_text(strip=True)): int(cell.get_text(strip=True).replace(",", ""))
        for row in table.tbody.select("tr")
        for council, cell in zip(councils, row.select("td"), strict=True)
    }


def _svg(page, key):
    return {
        (bar["data-series"], bar["data-row"]): int(
            bar.select_one(".insights-chart__value").get_text().replace(",", "")
        )
        for bar in page.select(f"svg[aria-labelledby='{key}-title {key}-desc'] g.insights-chart__bar")
    }


TYPE_TITLES = {"missed-bin": "Missed bin collection", "fly-tipping": "Fly-tipping"}
NAMES = {
    "norwich": "Norwich City Council",
    "breckland": "Breckland Council",
    "broadland": "Broadland District Council",
}


def test_norwich_insights_agree_with_the_database(app, staff, reports):
    browser = staff(SUPERVISOR)
    browser.submit("/staff/working-for", {"council": "norwich"})
    page = browser.page("/staff/insights")
    first_caption = page.select_one("table caption").get_text(strip=True)
    assert first_caption == "Reports by type"
    expected = _sql_counts(app, "norwich")
    assert expected == {("norwich", "missed-bin"): 7, ("norwich", "fly-tipping"): 8}
    table = _table(page, "Reports by type")
    for (council, kind), count in expected.items():
        assert table[(NAMES[council], TYPE_TITLES[kind])] == count
    assert sum(table.values()) == sum(expected.values())
    svg = _svg(page, "by_type")
    assert {key: value for key, value in svg.items() if value} == expected
    channels = _table(page, "Reports by channel")
    assert channels[("Norwich City Council", "Online, signed in")] == 6
    assert channels[("Norwich City Council", "Assisted by a council's contact centre")] == 2
    assert channels[("Norwich City Council", "Online, as a guest")] == 7
    assert _table(page, "Parked deliveries now") == {("Norwich City Council", "Parked"): 1}
    # Accepted after 1 to 7 minutes: the median is 4, the 95th percentile 6.7 (linear interpolation).
    delivery = page.select_one("table:has(caption#delivery-caption)")
    cells = [td.get_text(strip=True) for td in delivery.tbody.select("td")]
    assert cells == ["4.0", "6.7"]
    assert audit_entries(app, "insights_viewed")

    link = page.find("a", string="Download “Reports by type” as CSV")["href"]
    exported = browser.get(link)
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0] == ["Type of problem", "Norwich City Council"]
    from_csv = {row[0]: row[1] for row in rows[1:]}
    assert from_csv["Missed bin collection"] == "7"
    assert from_csv["Fly-tipping"] == "8"
    assert audit_entries(app, "insights_exported")


def test_all_councils_side_by_side_and_small_counts_suppressed_in_exports(app, staff, reports):
    browser = staff(SUPERVISOR)
    browser.submit("/staff/working-for", {"council": "norwich"})
    too_long = f"council=all&first=1&first=1&first=2000&last={NOW.day}&last={NOW.month}&last={NOW.year}"
    page = browser.page(f"/staff/insights?{too_long}", expected_status=400)
    assert (
        page.select_one(".govuk-error-summary a").get_text(strip=True)
        == "The range must be 366 days or fewer"
    )
    first = NOW - timedelta(days=29)
    query = (
        f"council=all&first={first.day}&first={first.month}&first={first.year}"
        f"&last={NOW.day}&last={NOW.month}&last={NOW.year}"
    )
    page = browser.page(f"/staff/insights?{query}")
    table = _table(page, "Reports by type")
    expected = _sql_counts(app)
    assert {(c, k): table[(NAMES[c], TYPE_TITLES[k])] for c, k in expected} == expected
    assert len(page.select_one("table").thead.select("th")) == 1 + 8
    json_export = browser.get(f"/staff/insights/export?chart=by_type&format=json&{query}").get_json()
    values = {(row["key"], value["council"]): value for row in json_export["rows"] for value in row["values"]}
    assert values[("fly-tipping", "broadland")] == {"council": "broadland", "value": 8, "suppressed": False}
    assert values[("fly-tipping", "breckland")] == {"council": "breckland", "value": 0, "suppressed": False}
    assert values[("fly-tipping", "norwich")]["value"] == 8
    csv_rows = list(
        csv.reader(
            io.StringIO(
                browser.get(f"/staff/insights/export?chart=by_channel&format=csv&{query}").get_data(
                    as_text=True
                )
            )
        )
    )
    assisted = next(row for row in csv_rows if row[0].startswith("Assisted"))
    header = csv_rows[0]
    assert assisted[header.index("Norwich City Council")] == "[c]"  # 2 reports: suppressed


def test_date_errors_follow_the_gov_uk_pattern(app, staff, reports):
    browser = staff(SUPERVISOR)
    browser.submit("/staff/working-for", {"council": "norwich"})
    page = browser.page(
        "/staff/insights?council=norwich&first=31&first=2&first=2026&last=1&last=&last=2026",
        expected_status=400,
    )
    errors = [a.get_text(strip=True) for a in page.select(".govuk-error-summary a")]
    assert errors == ["From must be a real date", "To must include a day, month and year"]
    assert page.select_one("#first-day")["value"] == "31"  # what was typed is kept
    assert not page.select("svg.insights-chart__svg")
    page = browser.page(
        "/staff/insights?council=norwich&first=2&first=2&first=2026&last=1&last=2&last=2026",
        expected_status=400,
    )
    assert [a.get_text(strip=True) for a in page.select(".govuk-error-summary a")] == [
        "To must be the same as or after From"
    ]


def test_a_council_not_supervised_is_refused(app, staff, reports):
    browser = staff(NORWICH_AGENT)
    assert browser.get("/staff/insights").status_code == 403
    assert browser.get("/staff/insights/export?chart=by_type&format=csv").status_code == 403
