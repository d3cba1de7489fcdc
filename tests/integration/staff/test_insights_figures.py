"""The insights' other figures agree with SQL over the tables they come from: the daily rollup with the
reports it counts (as reports are made, claimed, closed and deleted), time to close, the "not fixed" rate,
back-office availability and dashboard tiles, sign-ins and active residents, the guest share, each council's
use of the platform per month, and feedback scores with their moderated comments."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import DateTime, bindparam, delete, select, text, update

from app.extensions import db
from app.insights import rollup
from app.models.identity import Resident, personal_data_sources
from app.models.insights import ReportDay, SignIn, UsageDay
from app.models.reports import Feedback, FeedbackComment, Report
from app.models.tracking import CaseUpdate, CaseUpdateKind, StatusEvent
from app.reports.mail import Email, queue_email
from connectors.telemetry import backoffice_call, refused
from tests.integration.staff.conftest import NORWICH_AGENT, SUPERVISOR, audit_entries
from tests.integration.staff.test_insights import NAMES

NOW = datetime.now(UTC).replace(microsecond=0)
NORWICH = NAMES["norwich"]


def _report(council, kind, *, made, resident_id=None, assisted=False, request_id=None):
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
        service_request_id=request_id,
        sent_at=made + timedelta(minutes=1) if request_id else None,
        status="sent" if request_id else "waiting",
    )


def _rollup_from_reports() -> dict:
    """What the rollup should hold, by SQL over reports alone."""
    day = (
        "date(created_at AT TIME ZONE 'UTC')"
        if db.engine.dialect.name == "postgresql"
        else "date(created_at)"
    )
    rows = db.session.execute(
        text(
            f"SELECT {day}, council_slug, report_type, channel, COUNT(*) FROM reports "  # noqa: S608 - fixed
            f"GROUP BY {day}, council_slug, report_type, channel"
        )
    )
    return {(str(row[0]), row[1], row[2], row[3]): row[4] for row in rows}


def _rollup() -> dict:
    return {
        (str(row.day), row.council_slug, row.report_type, row.channel): row.reports
        for row in db.session.scalars(select(ReportDay))
        if row.reports
    }


def test_the_daily_rollup_stays_equal_to_the_reports(app, tom):
    with app.app_context():
        made = [
            _report("norwich", "missed-bin", made=NOW - timedelta(days=2)),
            _report("norwich", "missed-bin", made=NOW - timedelta(days=2), resident_id=tom.resident_id),
            _report("norwich", "fly-tipping", made=NOW, assisted=True),
            _report("breckland", "fly-tipping", made=NOW - timedelta(days=40)),
        ]
        db.session.add_all(made)
        db.session.commit()
        assert [report.channel for report in made] == ["guest", "signed_in", "assisted", "guest"]
        assert _rollup() == _rollup_from_reports()
        assert sum(_rollup().values()) == 4

        # Claiming a guest report does not change how it was made; closing one changes no count.
        db.session.execute(update(Report).where(Report.id == made[0].id).values(resident_id=tom.resident_id))
        db.session.add(
            StatusEvent(
                council_slug="norwich",
                source="open311",
                case_key="closed-1",
                external_id="1",
                status="FIXED",
                happened_at=NOW,
            )
        )
        db.session.add(_report("norwich", "missed-bin", made=NOW, request_id="closed-1"))
        db.session.commit()
        assert _rollup() == _rollup_from_reports()

        db.session.delete(db.session.get(Report, made[3].id))
        db.session.commit()
        assert _rollup() == _rollup_from_reports()
        assert ("breckland", "fly-tipping") not in {(key[1], key[2]) for key in _rollup()}

        # Reports loaded without the ORM are counted once the rollup is rebuilt.
        db.session.execute(
            text(
                "INSERT INTO reports (reference, report_type, council_slug, service_code, made_on, status, "
                "description, answers, idempotency_key, channel, created_at) VALUES ('NFK-LOAD-0001', "
                "'graffiti', 'west-norfolk', 'graffiti', 'west-norfolk', 'waiting', '', '[]', 'loaded-1', "
                "'guest', :made)"
            ).bindparams(bindparam("made", type_=DateTime(timezone=True))),
            {"made": NOW - timedelta(days=5)},
        )
        db.session.commit()
        assert _rollup() != _rollup_from_reports()
        rollup.rebuild()
        assert _rollup() == _rollup_from_reports()


def _close(council, request_id, after_made, made, *, status="FIXED"):
    return StatusEvent(
        council_slug=council,
        source="open311",
        case_key=request_id,
        external_id=f"{request_id}-{status}",
        status=status,
        happened_at=made + after_made,
    )


@pytest.fixture
def closed_reports(app, tom):
    """Norwich missed bins closed after 2, 4 and 9 hours (one of them also "in progress" first, one said
    not fixed after), a fly-tipping report closed after 30 hours, and one still open."""
    with app.app_context():
        made = NOW - timedelta(days=3)
        reports = [
            _report("norwich", "missed-bin", made=made, request_id=f"mb-{n}", resident_id=tom.resident_id)
            for n in range(3)
        ] + [
            _report("norwich", "fly-tipping", made=made, request_id="ft-0"),
            _report("norwich", "fly-tipping", made=made, request_id="ft-open"),
        ]
        db.session.add_all(reports)
        db.session.flush()
        db.session.add_all(
            [
                _close("norwich", "mb-0", timedelta(hours=1), made, status="IN_PROGRESS"),
                _close("norwich", "mb-0", timedelta(hours=2), made),
                _close("norwich", "mb-1", timedelta(hours=4), made, status="NO_FURTHER_ACTION"),
                _close("norwich", "mb-1", timedelta(hours=50), made, status="CLOSED"),
                _close("norwich", "mb-2", timedelta(hours=9), made),
                _close("norwich", "ft-0", timedelta(hours=30), made),
                _close("norwich", "ft-open", timedelta(hours=3), made, status="INVESTIGATING"),
                CaseUpdate(
                    report_id=reports[2].id, kind=CaseUpdateKind.NOT_FIXED, text="Still there", created_at=NOW
                ),
            ]
        )
        db.session.commit()
        return [report.id for report in reports]


def _supervisor_page(staff, path="/staff/insights"):
    browser = staff(SUPERVISOR)
    browser.submit("/staff/working-for", {"council": "norwich"})
    return browser, browser.page(path)


def _cells(page, caption):
    table = next(t for t in page.select("table") if t.caption and t.caption.get_text(strip=True) == caption)
    councils = [th.get_text(strip=True) for th in table.thead.select("th")[1:]]
    return {
        (council, row.th.get_text(strip=True)): cell.get_text(strip=True)
        for row in table.tbody.select("tr")
        for council, cell in zip(councils, row.select("td"), strict=True)
    }


def test_time_to_close_and_the_not_fixed_rate_agree_with_the_database(app, staff, closed_reports):
    with app.app_context():
        # The first closing change of each report, by SQL over the base tables.
        seconds = (
            "EXTRACT(EPOCH FROM first_closed - r.created_at)"
            if db.engine.dialect.name == "postgresql"
            else "(julianday(first_closed) - julianday(r.created_at)) * 86400"
        )
        rows = db.session.execute(
            text(
                f"SELECT r.report_type, {seconds} FROM reports r JOIN (SELECT council_slug, case_key, "  # noqa: S608
                "MIN(happened_at) AS first_closed FROM tracking_status_events WHERE UPPER(status) IN "
                "('FIXED', 'NO_FURTHER_ACTION', 'CLOSED') GROUP BY council_slug, case_key) c "
                "ON c.council_slug = r.council_slug AND c.case_key = r.service_request_id ORDER BY 2"
            )
        ).all()
        hours = {}
        for kind, duration in rows:
            hours.setdefault(kind, []).append(round(float(duration) / 3600, 1))
        not_fixed = db.session.scalar(
            text("SELECT COUNT(DISTINCT report_id) FROM tracking_case_updates WHERE kind = 'not_fixed'")
        )
    assert hours == {"missed-bin": [2.0, 4.0, 9.0], "fly-tipping": [30.0]}
    _browser, page = _supervisor_page(staff)
    close = _cells(page, "Time to close by type")
    assert close[(NORWICH, "Missed bin collection")] == "4.0"  # the median of 2, 4 and 9
    assert close[(NORWICH, "Fly-tipping")] == "30.0"
    assert close[(NORWICH, "Pothole or road defect")] == "no data"
    # 4 reports closed (the one only "being investigated" is open), 1 said not fixed: 25%.
    assert not_fixed == 1
    assert _cells(page, "Said not fixed after closing") == {(NORWICH, "Said not fixed (%)"): "25.0"}
    svg_values = [
        value.get_text()
        for value in page.select(
            "svg[aria-labelledby='close_time-title close_time-desc'] .insights-chart__value"
        )
    ]
    assert "4.0" in svg_values and "30.0" in svg_values and "no data" in svg_values


def test_availability_sign_ins_guest_share_and_monthly_use_agree_with_the_database(app, staff, tom):
    with app.app_context():
        for _ in range(3):
            with backoffice_call("norwich", "bins", "GET"):
                pass
        with pytest.raises(ConnectionError), backoffice_call("norwich", "bins", "GET"):
            raise ConnectionError("refused")
        refused("norwich", "street_reports")
        with backoffice_call("norwich", "street_reports", "POST") as call:
            call.answered(400)  # answered, saying no
        rollup.tally().add("norwich", "tile", "bins loaded")
        rollup.tally().add("norwich", "tile", "bins stale")
        rollup.tally().write()
        db.session.add_all(
            [
                _report("norwich", "missed-bin", made=NOW, resident_id=tom.resident_id),
                _report("norwich", "missed-bin", made=NOW),
                _report("norwich", "missed-bin", made=NOW),
                _report("norwich", "missed-bin", made=NOW),
                _report("norwich", "fly-tipping", made=NOW, assisted=True),
                _report("breckland", "missed-bin", made=NOW),
                SignIn(resident_id=tom.resident_id, council_slug="norwich"),
            ]
        )
        queue_email(Email(to="someone@example.com", subject="s", body="b"), council="norwich")
        db.session.commit()
        usage = {
            (row.measure, row.detail): row.count
            for row in db.session.scalars(select(UsageDay).where(UsageDay.council_slug == "norwich"))
        }
        sign_ins = db.session.execute(
            text(
                "SELECT COUNT(*), COUNT(DISTINCT resident_id) FROM resident_sign_ins WHERE council_slug = "
                "'norwich'"
            )
        ).one()
        reports = db.session.scalar(text("SELECT COUNT(*) FROM reports WHERE council_slug = 'norwich'"))
        all_reports = db.session.scalar(text("SELECT COUNT(*) FROM reports"))
    assert usage[("backoffice_call", "bins ok")] == 3
    assert usage[("backoffice_call", "bins unreachable")] == 1
    assert usage[("backoffice_call", "street_reports breaker_open")] == 1
    assert usage[("backoffice_call", "street_reports rejected")] == 1
    assert usage[("email", "")] == 1
    # Tom signed in once through the identity provider (the fixture) and once more here.
    assert tuple(sign_ins) == (2, 1)

    _browser, page = _supervisor_page(staff)
    assert _cells(page, "Back-office availability")[(NORWICH, "Bin collections")] == "75.0"
    assert _cells(page, "Back-office availability")[(NORWICH, "Street reports")] == "50.0"
    assert _cells(page, "Dashboard tiles up to date")[(NORWICH, "Bin collections")] == "50.0"
    assert _cells(page, "Sign-ins and active residents") == {
        (NORWICH, "Sign-ins"): "2",
        (NORWICH, "Active residents"): "1",
    }
    # Online: 1 signed in, 3 as guests (the assisted one is not online).
    assert _cells(page, "Signed in or as a guest") == {
        (NORWICH, "Signed in (%)"): "25.0",
        (NORWICH, "As a guest (%)"): "75.0",
    }
    month = f"{NOW:%B %Y}"
    use = _cells(page, "Platform use by month")
    assert use[(NORWICH, f"{month}: reports")] == str(reports) == "5"
    assert use[(NORWICH, f"{month}: sign-ins")] == "2"
    assert use[(NORWICH, f"{month}: emails")] == "1"
    share = _cells(page, "Share of platform use by month")
    assert share[(NORWICH, f"{month}: reports")] == f"{100 * reports / all_reports:.1f}" == "83.3"
    assert share[(NORWICH, f"{month}: sign-ins")] == "100.0"


def test_feedback_scores_and_comments_seen_only_once_approved(app, staff, tom):
    with app.app_context():
        reports = [_report("norwich", "missed-bin", made=NOW) for _ in range(3)]
        db.session.add_all(reports)
        db.session.flush()
        db.session.add_all(
            [
                Feedback(
                    report_id=reports[0].id,
                    rating="very-satisfied",
                    comment="Quick and easy, thank you",
                    comment_status=FeedbackComment.PENDING,
                ),
                Feedback(
                    report_id=reports[1].id,
                    rating="dissatisfied",
                    comment="My neighbour at number 4 did it",
                    comment_status=FeedbackComment.PENDING,
                ),
                Feedback(report_id=reports[2].id, rating="very-satisfied"),
            ]
        )
        db.session.commit()
        ratings = dict(
            db.session.execute(text("SELECT rating, COUNT(*) FROM report_feedback GROUP BY rating")).all()
        )
    assert ratings == {"very-satisfied": 2, "dissatisfied": 1}
    browser, page = _supervisor_page(staff)
    scores = _cells(page, "Feedback scores")
    assert scores[(NORWICH, "Very satisfied")] == "2"
    assert scores[(NORWICH, "Dissatisfied")] == "1"
    assert scores[(NORWICH, "Satisfied")] == "0"

    agent = staff(NORWICH_AGENT)
    agent_page = agent.page("/staff/feedback")
    assert "Quick and easy" not in agent_page.get_text()
    assert "Waiting for you to read" not in agent_page.get_text()
    assert agent.post("/staff/feedback/1/approve", {"csrf_token": agent.csrf_token()}).status_code == 403

    page = browser.page("/staff/feedback")
    waiting = [blockquote.get_text(strip=True) for blockquote in page.select("blockquote")]
    assert waiting == ["My neighbour at number 4 did it", "Quick and easy, thank you"]
    with app.app_context():
        kind_ids = dict(db.session.execute(select(Feedback.comment, Feedback.id)).all())
    token = browser.csrf_token()
    approve = f"/staff/feedback/{kind_ids['Quick and easy, thank you']}/approve"
    reject = f"/staff/feedback/{kind_ids['My neighbour at number 4 did it']}/reject"
    assert browser.post(approve, {"csrf_token": token}).status_code == 302
    assert browser.post(reject, {"csrf_token": token}).status_code == 302
    assert browser.post(approve, {"csrf_token": token}).status_code == 404  # already moderated
    assert len(audit_entries(app, "feedback_approved")) == 1
    assert len(audit_entries(app, "feedback_rejected")) == 1

    seen = agent.page("/staff/feedback").get_text()
    assert "Quick and easy, thank you" in seen
    assert "My neighbour at number 4" not in seen
    with app.app_context():
        db.session.execute(delete(Feedback))
        db.session.commit()


def test_sign_ins_are_in_the_residents_data_and_erasing_them_keeps_the_count(app, tom):
    with app.app_context():
        [source] = [source for source in personal_data_sources if source.name == "sign_ins"]
        resident = db.session.get(Resident, tom.resident_id)
        [exported] = source.export(resident)
        assert exported["council"] == "norwich"
        source.delete(resident)
        db.session.commit()
        assert source.export(resident) == []
        assert db.session.execute(
            text("SELECT COUNT(*), COUNT(resident_id) FROM resident_sign_ins WHERE council_slug = 'norwich'")
        ).one() == (1, 0)
