"""Health checks and metrics answer on any Host header (a load balancer probes by IP address), hold no
personal data, and /metrics is only for the scraper."""

import pytest
from sqlalchemy import text, update

from app import create_app
from app.extensions import db
from app.models.reports import MessageKind, MessageStatus, OutboxMessage
from app.reports.mail import Email, queue_email

TOKEN = "a-scraper-token-for-tests"


@pytest.mark.parametrize(
    "host", ["10.0.0.5", "10.0.0.5:8000", "norwich.localhost", "staff.localhost", "unknown.example"]
)
def test_health_checks_answer_on_any_host_before_a_council_is_chosen(client, host):
    assert client.get("/healthz", headers={"Host": host}).json == {"status": "ok"}
    ready = client.get("/readyz", headers={"Host": host})
    assert ready.status_code == 200, ready.json
    assert ready.json == {"status": "ready", "checks": {"database": "ok", "assets": "ok"}}


def test_readyz_is_503_when_the_database_is_unreachable_but_healthz_stays_up(tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:9/none")
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "10.0.0.5"}).status_code == 200
    ready = client.get("/readyz", headers={"Host": "10.0.0.5"})
    assert ready.status_code == 503
    assert ready.json["checks"]["database"] == "unreachable"
    assert "nobody" not in ready.get_data(as_text=True), "no connection details"


def test_readyz_is_503_until_the_database_is_migrated_to_the_newest_revision(tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'new.sqlite3'}")
    ready = app.test_client().get("/readyz", headers={"Host": "10.0.0.5"})
    assert ready.status_code == 503 and ready.json["checks"]["database"] == "not migrated"


def test_readyz_checks_redis_when_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:9/0")
    ready = app.test_client().get("/readyz", headers={"Host": "10.0.0.5"})
    assert ready.status_code == 503 and ready.json["checks"]["redis"] == "unreachable"


def test_readyz_is_503_when_the_assets_are_not_built(app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    ready = app.test_client().get("/readyz", headers={"Host": "10.0.0.5"})
    assert ready.status_code == 503 and ready.json["checks"]["assets"] == "not built"


@pytest.fixture
def scraper(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "METRICS_ALLOW", ())
    return app.test_client()


def test_metrics_are_refused_without_the_token(scraper):
    assert scraper.get("/metrics", headers={"Host": "10.0.0.5"}).status_code == 401
    wrong = scraper.get("/metrics", headers={"Host": "10.0.0.5", "Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    assert "portal_" not in wrong.get_data(as_text=True)


def test_metrics_are_refused_when_no_token_is_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    response = app.test_client().get("/metrics", headers={"Host": "10.0.0.5", "Authorization": "Bearer "})
    assert response.status_code == 403


def test_metrics_are_open_to_the_allowed_networks(scraper, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ALLOW", ("10.20.0.0/16", "127.0.0.0/8"))
    assert scraper.get("/metrics", headers={"Host": "10.0.0.5"}).status_code == 200
    monkeypatch.setitem(app.config, "METRICS_ALLOW", ("10.20.0.0/16",))
    assert scraper.get("/metrics", headers={"Host": "10.0.0.5"}).status_code == 401


def _metrics(scraper) -> dict[str, float]:
    response = scraper.get("/metrics", headers={"Host": "10.0.0.5", "Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    values = {}
    for line in response.get_data(as_text=True).splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_metrics_show_the_outbox_the_requests_and_the_breakers(scraper, app):
    with app.app_context():
        for number in range(3):
            queue_email(Email(to=f"person{number}@example.com", subject="Subject", body="Body"))
        db.session.commit()
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == db.session.scalar(db.select(db.func.min(OutboxMessage.id))))
            .values(status=MessageStatus.PARKED)
        )
        db.session.commit()
    scraper.get("/privacy", headers={"Host": "norwich.localhost"})

    metrics = _metrics(scraper)

    assert metrics[f'portal_outbox_messages{{kind="{MessageKind.EMAIL}",status="pending"}}'] == 2
    assert metrics["portal_outbox_parked"] == 1
    assert metrics["portal_outbox_oldest_pending_seconds"] >= 0
    assert metrics["portal_database_up"] == 1
    latency = (
        'portal_request_duration_seconds_count{council="norwich",method="GET",route="/privacy",status="200"}'
    )
    assert metrics[latency] >= 1
    assert metrics['portal_backoffice_breaker_state{council="norwich",service="bins",state="closed"}'] == 1
    assert not any("example.com" in name for name in metrics), "no personal data in labels"


def test_old_app_servers_stay_ready_after_a_newer_migration_ran(app):
    with app.app_context():
        (current,) = db.session.scalars(text("SELECT version_num FROM alembic_version")).all()
        db.session.execute(text("UPDATE alembic_version SET version_num = 'from_a_newer_release'"))
        db.session.commit()
    try:
        ready = app.test_client().get("/readyz", headers={"Host": "10.0.0.5"})
        assert ready.status_code == 200, "the database is past this code's newest revision"
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
            db.session.commit()
        behind = app.test_client().get("/readyz", headers={"Host": "10.0.0.5"})
        assert behind.status_code == 503 and behind.json["checks"]["database"] == "not migrated"
    finally:
        with app.app_context():
            restore = text("UPDATE alembic_version SET version_num = :current")
            db.session.execute(restore, {"current": current})
            db.session.commit()


def test_guessing_the_metrics_token_is_rate_limited(scraper, app, monkeypatch):
    # The session's own limit is high (other tests scrape all session); this test's guesser has the
    # production limit and an address of its own, so nothing else counts against it.
    from app.extensions import limiter

    monkeypatch.setitem(app.config, "METRICS_REFUSALS_LIMIT", "20 per minute")
    limiter.reset()  # the run on the other database, a moment ago, guessed from the same address
    guesser = {"REMOTE_ADDR": "192.0.2.44"}
    headers = {"Host": "10.0.0.5", "Authorization": "Bearer a-guess"}
    statuses = [
        scraper.get("/metrics", headers=headers, environ_overrides=guesser).status_code for _ in range(21)
    ]
    assert statuses[:20] == [403] * 20 and statuses[20] == 429, statuses
    right = {"Host": "10.0.0.5", "Authorization": f"Bearer {TOKEN}"}
    right_address = {"REMOTE_ADDR": "192.0.2.45"}
    scrapes = {
        scraper.get("/metrics", headers=right, environ_overrides=right_address).status_code for _ in range(25)
    }
    assert scrapes == {200}, "successful scrapes never count against the limit"
