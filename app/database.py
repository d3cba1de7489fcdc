"""How the portal holds its database connections, and what a resident sees when none is free.

A request uses one connection at a time, its own (`db.session`): the session store shares it
(app/sessions.py), and it is given back to the pool before the portal waits on a council's back office or
GOV.UK Notify (`release_connection`). So a process needs one connection per thread that serves requests, and
the pool holds exactly that many: PORTAL_DATABASE_POOL_SIZE when set, otherwise gunicorn's threads per worker
(gunicorn.conf.py passes them to each worker as PORTAL_SERVER_THREADS), otherwise 10 (the development server
starts a thread per request: beyond the pool, requests queue for a connection).

A request that cannot get a connection within PORTAL_DATABASE_WAIT_SECONDS, or (on SQLite) the write lock
within the same time, gets the "service is busy" page: a 503 with Retry-After, in the council's theme, never a
hang.

SQLite, the default set-up, runs in WAL mode so that readers never wait for the writer and the writer never
waits for readers; writers queue for the lock for up to the same wait (its busy timeout). Writes are kept
short: no transaction is open across a call to a back office or to Notify.
"""

from __future__ import annotations

import logging
import sqlite3

from flask import Flask, Response, current_app, g, render_template, request, session
from sqlalchemy import event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.extensions import db

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 10
BUSY_FLAG = "_database_busy"


class DatabaseUnavailable(Exception):
    """The request's session could not be read: its database did not answer in time."""

    def __init__(self, cause: Exception):
        super().__init__(str(cause))
        self.cause = cause


def engine_options(config) -> dict:
    """SQLAlchemy engine options for the configured database: the pool sized for the server's threads, a short
    wait for a connection, and SQLite's busy timeout."""
    options = {"pool_pre_ping": True}
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    wait = config["DATABASE_WAIT_SECONDS"]
    if url.get_backend_name() == "sqlite":
        # The sqlite3 module's timeout is SQLite's busy timeout: how long a writer waits for the write lock.
        options["connect_args"] = {"timeout": wait}
        if url.database in (None, "", ":memory:"):
            return options  # one shared in-memory connection (Flask-SQLAlchemy's StaticPool): no pool to size
    options.update(pool_size=config["DATABASE_POOL_SIZE"], max_overflow=0, pool_timeout=wait)
    return options


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    # Readers and the one writer no longer block each other; NORMAL is WAL's usual durability (a power cut may
    # lose the last transactions, never corrupt the file).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def release_connection() -> None:
    """Give this thread's connection back to the pool before waiting on something outside the portal (a back
    office, GOV.UK Notify): the wait may be seconds, and other requests need connections (and, on SQLite, the
    write lock) meanwhile. Ends the current transaction, which must have nothing unsaved. Objects already
    loaded stay as they were read, without asking the database again; what is changed afterwards is saved by
    the next commit, in a transaction of its own."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("release_connection() with unsaved changes: commit them first")
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit


def is_busy_error(error: Exception) -> bool:
    """No connection came from the pool in time, or SQLite's write lock did not."""
    if isinstance(error, PoolTimeout):
        return True
    original = getattr(error, "orig", None)
    return isinstance(original, sqlite3.OperationalError) and "locked" in str(original)


def answered_busy() -> bool:
    return g.get(BUSY_FLAG, False)


def _refuse_without_session():
    """The session store could not be read (app/sessions.py): nothing in this request can work without it."""
    problem = getattr(session, "unavailable", None)
    if problem is not None:
        raise DatabaseUnavailable(problem)


def _busy(error: Exception):
    cause = error.cause if isinstance(error, DatabaseUnavailable) else error
    if not is_busy_error(cause):
        raise cause
    setattr(g, BUSY_FLAG, True)
    db.session.rollback()
    log.warning("%s %s: no database connection within the wait (%s)", request.method, request.path, cause)
    login_manager = getattr(current_app, "login_manager", None)
    if login_manager is not None and "_login_user" not in g:
        # Templates ask flask-login for the resident, which would wait for the database again: this page is
        # shown without them.
        login_manager._update_request_context_with_user()
    response = current_app.make_response((render_template("errors/busy.html"), 503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def busy_after_all(response: Response, problem: Exception) -> None:
    """Make a response the busy page after it was built: the database did not answer at the very end of the
    request, when its session was to be saved (app/sessions.py), so the page would not work as built."""
    busy = _busy(problem)
    response.status_code = busy.status_code
    response.set_data(busy.get_data())
    response.mimetype = busy.mimetype
    response.headers.pop("Location", None)
    for name in ("Retry-After", "Cache-Control"):
        response.headers[name] = busy.headers[name]


def configure(app: Flask) -> None:
    """Engine options and the "service is busy" page; call before the extensions are bound, after the council
    is chosen (the busy page is the council's), so that a request whose session could not be read is refused
    before any other hook reads the session."""
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **engine_options(app.config),
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
    }
    app.before_request(_refuse_without_session)
    app.register_error_handler(PoolTimeout, _busy)
    app.register_error_handler(OperationalError, _busy)
    app.register_error_handler(DatabaseUnavailable, _busy)


def init_app(app: Flask) -> None:
    """SQLite's pragmas on every new connection; call once the engine exists."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
