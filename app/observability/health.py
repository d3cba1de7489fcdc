"""Health checks for load balancers and container orchestrators, answered on any Host header (a probe asks by
IP address) before a council is chosen, and holding no personal data.

- ``/healthz``: the process is alive and serving; no dependency is asked (a database outage must not get every
  app server restarted).
- ``/readyz``: this app server can serve residents: the database answers and is migrated to the newest
  revision, Redis answers when one is configured, and the stylesheets and scripts are built. 503 otherwise,
  naming the failed check (never a connection string or an error text). When PORTAL_CLAMD_ADDRESS is set, the
  virus scanner's answer to PING is reported too, as `antivirus`, without counting towards readiness: one
  scanner serves every app server, and while it is down only photos are refused (app/reports/photos.py), so
  it must not take every app server out of the load balancer. Alert on it instead.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.config import PROJECT_ROOT
from app.extensions import db

MIGRATIONS = PROJECT_ROOT / "migrations"
READY_TIMEOUT_SECONDS = 2


@cache
def migrations() -> ScriptDirectory:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def migrated(current: frozenset[str]) -> bool:
    """At this code's newest revision, or past it: during an upgrade the migration runs first, and the old
    app servers (which do not know the new revision) keep serving."""
    script = migrations()
    if current == frozenset(script.get_heads()):
        return True
    known = set(script.get_revisions(script.get_heads()))
    for head in script.get_heads():
        known.update(script.iterate_revisions(head, "base"))
    known_ids = {revision.revision for revision in known if revision is not None}
    return bool(current) and not current & known_ids


def _database() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            try:
                with connection.begin_nested():
                    current = frozenset(connection.scalars(text("SELECT version_num FROM alembic_version")))
            except DBAPIError:
                current = frozenset()  # no alembic_version table: never migrated
    except Exception:  # noqa: BLE001 - any failure to reach the database means not ready
        return "unreachable"
    return "ok" if migrated(current) else "not migrated"


def _redis() -> str | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    import redis

    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=READY_TIMEOUT_SECONDS, socket_timeout=READY_TIMEOUT_SECONDS
        )
        client.ping()
        client.close()
    except redis.RedisError:
        return "unreachable"
    return "ok"


def required_assets(app: Flask) -> list[Path]:
    dist = Path(app.static_folder) / "dist"
    stylesheets = [dist / "portal.css", *(dist / f"{theme.slug}.css" for theme in app.extensions["themes"])]
    return [*stylesheets, dist / "htmx.min.js", dist / "govuk-frontend.min.js", dist / "portal.mjs"]


def _assets() -> str:
    missing = [path for path in required_assets(current_app) if not path.is_file()]
    return "ok" if not missing else "not built"


def _antivirus() -> str | None:
    from app.reports.photos import scanner

    chosen = scanner()
    if chosen is None:
        return None
    chosen.timeout = min(chosen.timeout, READY_TIMEOUT_SECONDS)
    return "ok" if chosen.ping() else "unreachable"


def healthz():
    return {"status": "ok"}


def readyz():
    checks = {"database": _database(), "assets": _assets()}
    redis_state = _redis()
    if redis_state is not None:
        checks["redis"] = redis_state
    ready = all(state == "ok" for state in checks.values())
    antivirus_state = _antivirus()
    if antivirus_state is not None:
        checks["antivirus"] = antivirus_state
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503


def init_app(app: Flask) -> None:
    from app.theming import any_host

    app.add_url_rule("/healthz", "healthz", any_host(healthz))
    app.add_url_rule("/readyz", "readyz", any_host(readyz))
