"""Production refuses to start half-configured; the worker deletes what has outlived its retention period and
says it is alive; a visitor who only looks at a form leaves no session record."""

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app import create_app
from app.extensions import db
from app.models.identity import PortalSession
from app.models.tracking import Subscription
from app.retention import Schedule
from tests.support.production import PRODUCTION_SETTINGS


def test_production_lists_every_missing_setting_at_once(monkeypatch):
    monkeypatch.setenv("PORTAL_SANDBOX_API_KEY", "sandbox-back-office-key")
    with pytest.raises(RuntimeError) as refused:
        create_app(
            "production",
            SECRET_KEY="development-only-secret-key",
            SQLALCHEMY_DATABASE_URI="sqlite:///portal.sqlite3",
            REDIS_URL=None,
            APP_SERVERS=2,
            WEB_WORKERS=4,
            OIDC_CLIENT_SECRET="development-only-client-secret",
            METRICS_TOKEN="development-metrics-token",
        )
    message = str(refused.value)
    for expected in (
        "PORTAL_SECRET_KEY is the development value",
        "PORTAL_OIDC_CLIENT_SECRET is the development value",
        "PORTAL_METRICS_TOKEN is the development value",
        "PORTAL_DATABASE_URL is not a PostgreSQL URL",
        "PORTAL_REDIS_URL is not set, and 8 processes",
        "PORTAL_SANDBOX_API_KEY is the development value",
        "PORTAL_CLAMD_ADDRESS is not set",
    ):
        assert expected in message


def test_production_starts_on_postgresql_and_redis_with_several_processes():
    app = create_app(
        "production",
        **{**PRODUCTION_SETTINGS, "SQLITE_IN_PRODUCTION": False, "WEB_WORKERS": 4},
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://portal@db.internal/portal",
        REDIS_URL="redis://redis.internal:6379/0",
    )
    assert app.config["ENVIRONMENT"] == "production"


def test_sqlite_in_production_only_when_asked_for_and_one_process():
    create_app("production", **PRODUCTION_SETTINGS)
    with pytest.raises(RuntimeError, match="PORTAL_DATABASE_URL"):
        create_app("production", **{**PRODUCTION_SETTINGS, "SQLITE_IN_PRODUCTION": False})
    with pytest.raises(RuntimeError, match="PORTAL_REDIS_URL"):
        create_app("production", **{**PRODUCTION_SETTINGS, "WEB_WORKERS": 2})


def _ago(**kwargs) -> datetime:
    return datetime.now(UTC) - timedelta(**kwargs)


def test_the_worker_deletes_expired_sessions_and_unconfirmed_follow_requests(app, app_context):
    db.session.add_all(
        [
            PortalSession(id_hash="idle", data={}, created_at=_ago(hours=1), last_active_at=_ago(minutes=31)),
            PortalSession(
                id_hash="too-old", data={}, created_at=_ago(hours=13), last_active_at=_ago(minutes=1)
            ),
            PortalSession(id_hash="live", data={}, created_at=_ago(hours=1), last_active_at=_ago(minutes=5)),
            Subscription(council_slug="norwich", service_request_id="1", email="stale@example.com"),
            Subscription(council_slug="norwich", service_request_id="2", email="fresh@example.com"),
            Subscription(
                council_slug="norwich",
                service_request_id="3",
                email="confirmed@example.com",
                confirmed_at=_ago(days=30),
            ),
        ]
    )
    db.session.commit()
    db.session.execute(
        update(Subscription)
        .where(Subscription.email.in_(["stale@example.com", "confirmed@example.com"]))
        .values(created_at=_ago(days=8))
    )
    db.session.commit()

    done = Schedule.from_config().run_due()

    assert done == {
        "sessions": 2,
        "drafts": 0,
        "unconfirmed_followers": 1,
        "staff_audit": 0,
        "legacy_hashes": 0,
    }
    assert db.session.scalars(select(PortalSession.id_hash)).all() == ["live"]
    assert sorted(db.session.scalars(select(Subscription.email))) == [
        "confirmed@example.com",
        "fresh@example.com",
    ]


def test_each_retention_task_runs_on_its_own_schedule(app, app_context, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_SESSIONS_MINUTES", 0)
    schedule = Schedule.from_config()
    assert set(schedule.run_due()) == {
        "sessions",
        "drafts",
        "unconfirmed_followers",
        "staff_audit",
        "legacy_hashes",
    }
    assert set(schedule.run_due()) == {"sessions"}, "the others wait for their next hour"


def test_the_worker_heartbeat_and_its_check(app, app_context, tmp_path, monkeypatch):
    heartbeat = tmp_path / "worker.heartbeat"
    monkeypatch.setitem(app.config, "WORKER_HEARTBEAT_FILE", heartbeat)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["worker", "--check"]).exit_code != 0, "no heartbeat yet"
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert heartbeat.is_file()
    assert runner.invoke(args=["worker", "--check"]).exit_code == 0
    stale = time.time() - app.config["WORKER_HEARTBEAT_STALE_SECONDS"] - 5
    os.utime(heartbeat, (stale, stale))
    result = runner.invoke(args=["worker", "--check"])
    assert result.exit_code != 0 and "old" in result.output


def _session_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PortalSession))


def test_a_visitor_who_only_looks_at_a_form_leaves_no_session_record(app, client, client_request):
    host = "norwich.localhost"
    page = client_request.get("/report", host=host)
    assert page.select_one("form input[name=csrf_token]") is not None
    client_request.get("/report", host=host)
    assert _session_rows(app) == 0
    cookie = client.get_cookie("portal_session", domain=host)
    assert cookie is not None and cookie.value.startswith("c."), "the form's token is in a signed cookie"

    form = client_request.post_form("/report", {"report_type": "pothole"}, host=host)
    assert form.status_code == 302
    assert _session_rows(app) == 1, "starting the form keeps the journey in a session record"
    assert not client.get_cookie("portal_session", domain=host).value.startswith("c.")


def test_a_tampered_cookie_only_session_is_ignored(app, client):
    client.set_cookie(
        "portal_session", "c.eyJjc3JmX3Rva2VuIjoiZm9yZ2VkIn0.forged.signature", domain="norwich.localhost"
    )
    response = client.post("/report", data={"report_type": "pothole"}, headers={"Host": "norwich.localhost"})
    assert response.status_code == 400, "the forged token is no CSRF token"
    assert _session_rows(app) == 0


def test_the_privacy_notice_states_the_retention_periods(app, client_request, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 20)
    monkeypatch.setitem(app.config, "DRAFT_DAYS", 14)
    monkeypatch.setitem(app.config, "TRACKING_CONFIRM_LINK_DAYS", 7)
    text = client_request.get("/privacy").select_one("main").get_text(" ", strip=True)
    assert "signed out after 20 minutes without using the portal" in text
    assert "is deleted after 14 days" in text
    assert "do not confirm by email within 7 days, we delete your email address" in text
