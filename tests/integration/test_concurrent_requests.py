"""More residents at once than the database pool has connections, over real HTTP (the portal threaded, as the
development server and gunicorn's threads serve it): each request needs one connection at a time, so they
queue briefly and all complete; a request that waits too long gets the busy page, never a hang."""

import os
import re
import runpy
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import event, func, select, text

from app import create_app
from app.extensions import db
from app.models.reports import ReportDraft
from tests.conftest import ClientRequest
from tests.support.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[2]
HOST = "great-yarmouth.localhost"
POOL = 3
GUESTS = 4 * POOL


def portal_sharing(app, **config):
    """Another portal on the test database, configured differently."""
    return create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        INSTANCE_DIR=app.config["INSTANCE_DIR"],
        **config,
    )


@pytest.fixture
def small_pool(app):
    # Set as SQLAlchemy options, so that the same pool is asked for whatever the portal's own settings are.
    portal = portal_sharing(
        app, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": POOL, "max_overflow": 0, "pool_timeout": 20}
    )
    with LiveServer(portal) as server:
        yield server
    with portal.app_context():
        db.engine.dispose()


def start_a_report(base_url: str, http: requests.Session | None = None) -> list[int]:
    """A guest's first three pages of the report journey; the status of each."""
    if http is None:
        http = requests.Session()
        http.headers["Host"] = HOST
    form = http.get(f"{base_url}/report", timeout=60)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text).group(1)
    started = http.post(
        f"{base_url}/report",
        data={"csrf_token": token, "report_type": "pothole"},
        allow_redirects=False,
        timeout=60,
    )
    statuses = [form.status_code, started.status_code]
    if started.status_code == 302:
        statuses.append(http.get(base_url + started.headers["Location"], timeout=60).status_code)
    return statuses


def test_requests_beyond_the_pool_size_all_complete(app, small_pool):
    barrier = threading.Barrier(GUESTS)
    results: list = [None] * GUESTS

    def guest(index: int) -> None:
        barrier.wait(timeout=30)
        try:
            results[index] = start_a_report(small_pool.url)
        except requests.RequestException as problem:
            results[index] = repr(problem)

    started = time.monotonic()
    threads = [threading.Thread(target=guest, args=(index,)) for index in range(GUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [[200, 302, 200]] * GUESTS
    # Each request holds its one connection briefly: nobody waits anywhere near the pool's timeout.
    assert time.monotonic() - started < 20
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportDraft)) == GUESTS


def test_a_request_holds_one_connection_at_a_time(app):
    """The session store works on the request's own connection: reading the session, the page's own work
    (committed, then read again), and saving the session never take a second one."""
    portal = portal_sharing(app)
    held: dict[int, int] = {}
    most: list[int] = [0]

    def checked_out(*_):
        thread = threading.get_ident()
        held[thread] = held.get(thread, 0) + 1
        most[0] = max(most[0], held[thread])

    def checked_in(*_):
        held[threading.get_ident()] -= 1

    with portal.app_context():
        event.listen(db.engine, "checkout", checked_out)
        event.listen(db.engine, "checkin", checked_in)
    try:
        with LiveServer(portal) as server:
            assert start_a_report(server.url) == [200, 302, 200]
    finally:
        with portal.app_context():
            db.engine.dispose()
    assert most[0] == 1


def test_the_pool_is_sized_from_the_servers_threads(app, monkeypatch):
    portal = portal_sharing(app, DATABASE_POOL_SIZE=4)
    with portal.app_context():
        assert db.engine.pool.size() == 4
        assert db.engine.pool._max_overflow == 0
        db.engine.dispose()
    # gunicorn.conf.py tells each worker its threads before the app loads; the config sizes its pool by them.
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    monkeypatch.setenv("PORTAL_SERVER_THREADS", "")  # put back as it was afterwards
    settings["post_fork"](SimpleNamespace(cfg=SimpleNamespace(threads=6)), None)
    assert os.environ["PORTAL_SERVER_THREADS"] == "6"
    environment = {name: value for name, value in os.environ.items() if name != "PORTAL_DATABASE_POOL_SIZE"}
    sized = subprocess.run(
        [sys.executable, "-c", "from app.config import Config; print(Config.DATABASE_POOL_SIZE)"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert sized.stdout.strip() == "6"


@pytest.fixture
def one_connection(app):
    portal = portal_sharing(app, DATABASE_POOL_SIZE=1, DATABASE_WAIT_SECONDS=0.5)
    with LiveServer(portal) as server:
        yield portal, server
    with portal.app_context():
        db.engine.dispose()


def test_a_request_that_gets_no_connection_in_time_is_asked_to_try_again(one_connection):
    portal, server = one_connection
    http = requests.Session()
    http.headers["Host"] = HOST
    assert start_a_report(server.url, http) == [200, 302, 200]
    assert http.cookies.get("portal_session"), "starting a report started a session"
    guest = requests.Session()
    guest.headers["Host"] = HOST
    form = guest.get(f"{server.url}/report", timeout=30)
    guest_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text).group(1)
    with portal.app_context():
        held = db.engine.connect()  # the pool's only connection
        try:
            # With a session (its store cannot be read) and without one (starting a report waits).
            for send, page_to_try_again in (
                (lambda: http.get(f"{server.url}/report", timeout=30), "/report"),
                (
                    lambda: guest.post(
                        f"{server.url}/report",
                        data={"csrf_token": guest_token, "report_type": "pothole"},
                        allow_redirects=False,
                        timeout=30,
                    ),
                    None,  # a form sent: the resident sends it again from the page they are on
                ),
            ):
                started = time.monotonic()
                busy = send()
                assert time.monotonic() - started < 5
                assert busy.status_code == 503
                assert busy.headers["Retry-After"] == "10"
                assert busy.headers["Cache-Control"] == "no-store"
                page = ClientRequest.check_page(
                    SimpleNamespace(get_data=lambda as_text, text=busy.text: text)
                )
                assert page.h1.get_text(strip=True) == "Sorry, the service is busy"
                assert (
                    page.title.get_text(strip=True)
                    == "Sorry, the service is busy – Great Yarmouth Borough Council"
                )
                link = page.select_one("main a.govuk-link")
                assert (link["href"] if link else None) == page_to_try_again
        finally:
            held.close()
    assert http.get(f"{server.url}/report", timeout=30).status_code == 200
    assert guest.get(f"{server.url}/report", timeout=30).status_code == 200


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite only")
    portal = portal_sharing(app, DATABASE_WAIT_SECONDS=3)
    with portal.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 3000
        db.engine.dispose()
