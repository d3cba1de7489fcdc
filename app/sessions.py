"""Server-side sessions that really end, and flask-login's current resident.

The cookie carries only a random session id; the data lives in the database (by default) or in Redis (when
PORTAL_REDIS_URL is set), stored under the SHA-256 of the id. Ending a session deletes its record, so a copied
cookie stops working the moment its resident signs out, signs out everywhere, or the provider says so through
back-channel logout. Sessions expire after PORTAL_SESSION_IDLE_MINUTES without a request and at most
PORTAL_SESSION_ABSOLUTE_HOURS after they began; signing in starts a new session id; `flask worker` deletes
expired records (app/retention.py).

Each signed-in session also keeps what the resident needs to recognise it on their list of sessions
(app/views/account_sessions.py): the browser and system it was started in (a summary, never the whole
User-Agent), the council domain it was started on and when the resident last entered their password. The list
names a session by a handle derived from its stored key, never the key or the cookie.

A visitor who has only been shown a form (its CSRF token is all the session holds) gets no record: the token
travels in a signed cookie instead, and a record is made when the session holds anything more (a journey
started, a sign-in begun).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from flask import Flask, Request, Response, current_app, g, has_request_context, redirect
from flask import session as flask_session
from flask.sessions import SessionInterface, SessionMixin
from flask_login import LoginManager, current_user, login_url
from htmx_flask import make_response as htmx_response
from htmx_flask import request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.datastructures import CallbackDict

from app.database import answered_busy, busy_after_all, is_busy_error
from app.extensions import db
from app.models.identity import PersonalDataSource, PortalSession, Resident, register_personal_data
from connectors.clock import as_utc, utcnow

# Writing last-activity on every request would turn every page view into a database write.
ACTIVITY_WRITE_INTERVAL = timedelta(seconds=60)
USER_ID_KEY = "_user_id"
PROVIDER_SESSION_KEY = "provider_sid"
DEVICE_KEY = "device"
SIGNED_IN_ON_KEY = "signed_in_on"
# When the resident last entered their password at the provider (the ID token's auth_time, epoch seconds).
AUTH_TIME_KEY = "auth_time"
# How the page's navigation names the signed-in resident (app/templates/_service_navigation.html).
SIGNED_IN_AS_KEY = "signed_in_as"
# What a session may hold and still live in a signed cookie rather than a record (flask-wtf's CSRF token).
COOKIE_ONLY_KEYS = frozenset({"csrf_token"})
# A cookie holding the data itself starts with this; a record's random id never does.
COOKIE_ONLY_PREFIX = "c."

login_manager = LoginManager()


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass
class StoredSession:
    data: dict
    created_at: datetime
    last_active_at: datetime

    @property
    def resident_id(self) -> int | None:
        value = self.data.get(USER_ID_KEY)
        return int(value) if value is not None else None

    @property
    def provider_session_id(self) -> str | None:
        return self.data.get(PROVIDER_SESSION_KEY)


class SessionStore(Protocol):
    def load(self, id_hash: str) -> StoredSession | None: ...
    def save(self, id_hash: str, stored: StoredSession) -> None: ...
    def touch(self, id_hash: str, when: datetime) -> None: ...
    def delete(self, id_hash: str) -> None: ...
    def sessions_of_resident(self, resident_id: int) -> dict[str, StoredSession]: ...
    def delete_for_resident(
        self, resident_id: int, *, keep: str | None = None, commit: bool = True
    ) -> int: ...
    def delete_one_of_resident(self, resident_id: int, id_hash: str) -> bool: ...
    def delete_for_provider_session(self, provider_session_id: str) -> int: ...
    def delete_every_resident_session(self) -> int: ...


class DatabaseSessionStore:
    """Sessions in the portal_sessions table, read and written on the request's own connection (`db.session`):
    a request never needs a second one, so a pool of one connection per server thread always suffices
    (app/database.py). The session is saved once the request's own work is over: whatever the request left
    uncommitted is rolled back first (as the end of the request would), so a session is saved even when that
    work failed. Ending sessions (sign out everywhere, back-channel logout) commits at once."""

    table = PortalSession.__table__

    def load(self, id_hash: str) -> StoredSession | None:
        row = db.session.execute(select(self.table).where(self.table.c.id_hash == id_hash)).first()
        if row is None:
            return None
        return StoredSession(
            data=dict(row.data or {}),
            created_at=as_utc(row.created_at),
            last_active_at=as_utc(row.last_active_at),
        )

    def save(self, id_hash: str, stored: StoredSession) -> None:
        values = {
            "data": stored.data,
            "resident_id": stored.resident_id,
            "provider_session_id": stored.provider_session_id,
            "created_at": stored.created_at,
            "last_active_at": stored.last_active_at,
        }
        db.session.rollback()
        updated = db.session.execute(
            update(self.table).where(self.table.c.id_hash == id_hash).values(**values)
        )
        if updated.rowcount == 0:
            db.session.execute(insert(self.table).values(id_hash=id_hash, **values))
        db.session.commit()

    def touch(self, id_hash: str, when: datetime) -> None:
        db.session.rollback()
        db.session.execute(
            update(self.table).where(self.table.c.id_hash == id_hash).values(last_active_at=when)
        )
        db.session.commit()

    def delete(self, id_hash: str) -> None:
        db.session.rollback()
        db.session.execute(delete(self.table).where(self.table.c.id_hash == id_hash))
        db.session.commit()

    def sessions_of_resident(self, resident_id: int) -> dict[str, StoredSession]:
        rows = db.session.execute(select(self.table).where(self.table.c.resident_id == resident_id))
        return {
            row.id_hash: StoredSession(
                data=dict(row.data or {}),
                created_at=as_utc(row.created_at),
                last_active_at=as_utc(row.last_active_at),
            )
            for row in rows
        }

    def delete_for_resident(self, resident_id: int, *, keep: str | None = None, commit: bool = True) -> int:
        condition = self.table.c.resident_id == resident_id
        if keep is not None:
            condition = condition & (self.table.c.id_hash != keep)
        return self._delete(condition, commit=commit)

    def delete_one_of_resident(self, resident_id: int, id_hash: str) -> bool:
        return bool(
            self._delete((self.table.c.resident_id == resident_id) & (self.table.c.id_hash == id_hash))
        )

    def delete_for_provider_session(self, provider_session_id: str) -> int:
        return self._delete(self.table.c.provider_session_id == provider_session_id)

    def delete_every_resident_session(self) -> int:
        return self._delete(self.table.c.resident_id.is_not(None))

    def _delete(self, condition, *, commit: bool = True) -> int:
        deleted = db.session.execute(delete(self.table).where(condition)).rowcount
        if commit:
            db.session.commit()
        return deleted


class RedisSessionStore:
    """Sessions in Redis for several app servers. Each record expires on its own after the idle timeout;
    two index sets find every session of a resident and of a provider session."""

    def __init__(self, client, idle_timeout: timedelta, prefix: str = "portal:session:"):
        self.redis = client
        self.idle_seconds = max(1, int(idle_timeout.total_seconds()))
        self.prefix = prefix

    def _key(self, id_hash: str) -> str:
        return f"{self.prefix}{id_hash}"

    def _resident_key(self, resident_id: int) -> str:
        return f"{self.prefix}resident:{resident_id}"

    def _provider_key(self, provider_session_id: str) -> str:
        return f"{self.prefix}provider:{provider_session_id}"

    def load(self, id_hash: str) -> StoredSession | None:
        raw = self.redis.get(self._key(id_hash))
        if raw is None:
            return None
        record = json.loads(raw)
        return StoredSession(
            data=record["data"],
            created_at=datetime.fromisoformat(record["created_at"]),
            last_active_at=datetime.fromisoformat(record["last_active_at"]),
        )

    def save(self, id_hash: str, stored: StoredSession) -> None:
        record = {
            "data": stored.data,
            "created_at": stored.created_at.isoformat(),
            "last_active_at": stored.last_active_at.isoformat(),
        }
        pipeline = self.redis.pipeline()
        pipeline.set(self._key(id_hash), json.dumps(record), ex=self.idle_seconds)
        if stored.resident_id is not None:
            pipeline.sadd(self._resident_key(stored.resident_id), id_hash)
        if stored.provider_session_id:
            pipeline.sadd(self._provider_key(stored.provider_session_id), id_hash)
        pipeline.execute()

    def touch(self, id_hash: str, when: datetime) -> None:
        stored = self.load(id_hash)
        if stored is not None:
            stored.last_active_at = when
            self.save(id_hash, stored)

    def delete(self, id_hash: str) -> None:
        self.redis.delete(self._key(id_hash))

    def _members(self, index_key: str) -> list[str]:
        return [
            member.decode() if isinstance(member, bytes) else member
            for member in self.redis.smembers(index_key)
        ]

    def _delete_indexed(self, index_key: str) -> int:
        members = self._members(index_key)
        deleted = self.redis.delete(*(self._key(member) for member in members)) if members else 0
        self.redis.delete(index_key)
        return deleted

    def sessions_of_resident(self, resident_id: int) -> dict[str, StoredSession]:
        """The resident's sessions; index entries whose record has expired are dropped on the way."""
        index_key = self._resident_key(resident_id)
        found: dict[str, StoredSession] = {}
        for id_hash in self._members(index_key):
            stored = self.load(id_hash)
            if stored is None or stored.resident_id != resident_id:
                self.redis.srem(index_key, id_hash)
            else:
                found[id_hash] = stored
        return found

    def delete_for_resident(self, resident_id: int, *, keep: str | None = None, commit: bool = True) -> int:
        if keep is None:
            return self._delete_indexed(self._resident_key(resident_id))
        others = [id_hash for id_hash in self.sessions_of_resident(resident_id) if id_hash != keep]
        return sum(self.delete_one_of_resident(resident_id, id_hash) for id_hash in others)

    def delete_one_of_resident(self, resident_id: int, id_hash: str) -> bool:
        stored = self.load(id_hash)
        if stored is None or stored.resident_id != resident_id:
            return False
        self.redis.srem(self._resident_key(resident_id), id_hash)
        return bool(self.redis.delete(self._key(id_hash)))

    def delete_for_provider_session(self, provider_session_id: str) -> int:
        return self._delete_indexed(self._provider_key(provider_session_id))

    def delete_every_resident_session(self) -> int:
        ended = 0
        for index_key in self.redis.scan_iter(match=f"{self.prefix}resident:*"):
            ended += self._delete_indexed(index_key.decode() if isinstance(index_key, bytes) else index_key)
        return ended


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, session_id: str | None = None, stored: StoredSession | None = None):
        def on_update(_):
            self.modified = True

        super().__init__(initial, on_update)
        self.session_id = session_id
        self.stored = stored
        self.modified = False
        self.rotation_requested = False
        # Why the stored session could not be read (its database did not answer): the request is refused
        # (app/database.py) and nothing is saved.
        self.unavailable: Exception | None = None
        self.cookie_only = False

    @property
    def new(self) -> bool:
        return self.session_id is None

    def rotate(self) -> None:
        """Give this session a fresh id (and a fresh absolute lifetime) when the response is sent."""
        self.rotation_requested = True
        self.modified = True


class ServerSessionInterface(SessionInterface):
    def __init__(self, store: SessionStore, idle_timeout: timedelta, absolute_lifetime: timedelta):
        self.store = store
        self.idle_timeout = idle_timeout
        self.absolute_lifetime = absolute_lifetime

    def is_expired(self, stored: StoredSession, now: datetime) -> bool:
        return (
            now - stored.last_active_at > self.idle_timeout
            or now - stored.created_at > self.absolute_lifetime
        )

    def _cookie_serializer(self, app: Flask) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(app.secret_key, salt="portal-cookie-only-session")

    def _open_cookie_only(self, app: Flask, value: str) -> ServerSession:
        try:
            data = self._cookie_serializer(app).loads(
                value.removeprefix(COOKIE_ONLY_PREFIX), max_age=self.absolute_lifetime.total_seconds()
            )
        except BadSignature:
            return ServerSession()
        session = ServerSession({key: data[key] for key in COOKIE_ONLY_KEYS & data.keys()})
        session.cookie_only = True
        return session

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        session_id = request.cookies.get(self.get_cookie_name(app))
        if not session_id:
            return ServerSession()
        if session_id.startswith(COOKIE_ONLY_PREFIX):
            return self._open_cookie_only(app, session_id)
        id_hash = hash_session_id(session_id)
        try:
            stored = self.store.load(id_hash)
        except (PoolTimeout, OperationalError) as problem:
            # Raised here, it would escape Flask's error pages (the session is opened before them).
            unavailable = ServerSession()
            unavailable.unavailable = problem
            return unavailable
        if stored is None:
            return ServerSession()
        if self.is_expired(stored, utcnow()):
            self.store.delete(id_hash)
            return ServerSession()
        return ServerSession(stored.data, session_id=session_id, stored=stored)

    def _set_cookie(self, app: Flask, response: Response, value: str) -> None:
        response.set_cookie(
            self.get_cookie_name(app),
            value,
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            httponly=self.get_cookie_httponly(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        if session.unavailable is not None or answered_busy():
            return
        try:
            self._save(app, session, response)
        except (PoolTimeout, OperationalError) as problem:
            if not is_busy_error(problem):
                raise
            # The page was built for a session that is not saved: it would not work (a form's CSRF token, a
            # journey's drafts), so the resident is asked to try again instead.
            busy_after_all(response, problem)

    def _save(self, app: Flask, session: ServerSession, response: Response) -> None:
        cookie_name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        now = utcnow()
        if not session:
            if session.session_id is not None:
                self.store.delete(hash_session_id(session.session_id))
            if session.session_id is not None or session.cookie_only:
                response.delete_cookie(cookie_name, domain=domain, path=path)
            return
        if (
            session.session_id is None
            and session.keys() <= COOKIE_ONLY_KEYS
            and not session.rotation_requested
        ):
            if session.modified or not session.cookie_only:
                value = COOKIE_ONLY_PREFIX + self._cookie_serializer(app).dumps(dict(session))
                self._set_cookie(app, response, value)
            return
        if session.rotation_requested and session.session_id is not None:
            self.store.delete(hash_session_id(session.session_id))
            session.session_id = None
        if session.session_id is None:
            session.session_id = secrets.token_urlsafe(32)
            self.store.save(
                hash_session_id(session.session_id),
                StoredSession(data=dict(session), created_at=now, last_active_at=now),
            )
            self._set_cookie(app, response, session.session_id)
            return
        if session.modified:
            self.store.save(
                hash_session_id(session.session_id),
                StoredSession(data=dict(session), created_at=session.stored.created_at, last_active_at=now),
            )
        elif now - session.stored.last_active_at > ACTIVITY_WRITE_INTERVAL:
            self.store.touch(hash_session_id(session.session_id), now)


def session_interface() -> ServerSessionInterface:
    return current_app.session_interface


def end_sessions_of_resident(resident_id: int) -> int:
    return session_interface().store.delete_for_resident(resident_id)


def session_handle(id_hash: str) -> str:
    """How the list of sessions names one: derived from the stored key, so neither the key nor the cookie
    appears in a page or a URL."""
    return hashlib.sha256(f"portal-session-handle:{id_hash}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ActiveSession:
    """One of a resident's sessions as they see it on their list."""

    handle: str
    device: str | None
    signed_in_on: dict | None
    created_at: datetime
    last_active_at: datetime
    is_current: bool

    def export(self) -> dict:
        return {
            "device": self.device,
            "signed_in_on": self.signed_in_on,
            "started_at": self.created_at.isoformat(),
            "last_active_at": self.last_active_at.isoformat(),
        }


def _current_id_hash() -> str | None:
    if not has_request_context():
        return None
    session_id = getattr(flask_session, "session_id", None)
    return hash_session_id(session_id) if session_id else None


def active_sessions_of_resident(resident_id: int) -> list[ActiveSession]:
    """The resident's sessions that have not expired, this browser's first, then the most recently used.
    Expiry is the residents' timeouts wherever this is asked (a staff host's shorter one is for staff)."""
    interface = session_interface()
    now = utcnow()
    current = _current_id_hash()
    found = [
        ActiveSession(
            handle=session_handle(id_hash),
            device=stored.data.get(DEVICE_KEY),
            signed_in_on=stored.data.get(SIGNED_IN_ON_KEY),
            created_at=stored.created_at,
            last_active_at=stored.last_active_at,
            is_current=id_hash == current,
        )
        for id_hash, stored in interface.store.sessions_of_resident(resident_id).items()
        if not ServerSessionInterface.is_expired(interface, stored, now)
    ]
    return sorted(found, key=lambda active: (not active.is_current, -active.last_active_at.timestamp()))


def end_session_of_resident(resident_id: int, handle: str) -> bool:
    """End the resident's session with this handle; False when they have none such (a handle of another
    resident's session finds nothing: only their own are looked at)."""
    store = session_interface().store
    for id_hash in store.sessions_of_resident(resident_id):
        if secrets.compare_digest(session_handle(id_hash), handle):
            return store.delete_one_of_resident(resident_id, id_hash)
    return False


def end_other_sessions_of_resident(resident_id: int) -> int:
    """End every session of the resident but this browser's."""
    return session_interface().store.delete_for_resident(resident_id, keep=_current_id_hash())


def end_every_resident_session() -> int:
    return session_interface().store.delete_every_resident_session()


def forget_sessions_of_resident(resident_id: int) -> None:
    """Erasure: the sessions go with the rest of the resident's data, in the same transaction where they are
    in the database."""
    session_interface().store.delete_for_resident(resident_id, commit=False)


def end_sessions_of_provider_session(provider_session_id: str) -> int:
    return session_interface().store.delete_for_provider_session(provider_session_id)


def _store_for(app: Flask, idle_timeout: timedelta) -> SessionStore:
    if app.config.get("REDIS_URL"):
        import redis

        return RedisSessionStore(redis.Redis.from_url(app.config["REDIS_URL"]), idle_timeout)
    return DatabaseSessionStore()


def _export_sessions(resident: Resident) -> list[dict]:
    return [active.export() for active in active_sessions_of_resident(resident.id)]


register_personal_data(
    PersonalDataSource(
        "signed_in_sessions", _export_sessions, lambda resident: forget_sessions_of_resident(resident.id)
    )
)


@login_manager.user_loader
def _load_resident(resident_id: str) -> Resident | None:
    # The resident's own row only: their linked council accounts are loaded by the pages that read them
    # (whether the resident is verified, app.auth.assurance; the dashboard; the account pages), one small
    # query there, rather than joined into every signed-in request.
    resident = db.session.get(Resident, int(resident_id))
    if not has_request_context():
        return resident
    if resident is None:
        flask_session.pop(SIGNED_IN_AS_KEY, None)
    else:
        remember_signed_in_as(resident)
    return resident


@dataclass(frozen=True)
class SignedInAs:
    """Who the page says is signed in: the resident's name, else their email; empty when they have neither."""

    label: str


def remember_signed_in_as(resident: Resident) -> None:
    """Keep in the session how the navigation names the resident, refreshed whenever a request loads their
    row (and so after their name or email changes at sign-in)."""
    label = resident.name or resident.email or ""
    if flask_session.get(SIGNED_IN_AS_KEY) != label:
        flask_session[SIGNED_IN_AS_KEY] = label


def resident_loaded() -> bool:
    """Whether this request has already asked flask-login for the resident (so reading them costs nothing)."""
    return "_login_user" in g


def signed_in_as() -> SignedInAs | None:
    """The signed-in resident for the page's navigation, or None. Read from the session, so that a page which
    needs nothing else of the resident (the start page, a guest journey's pages) makes no query for them; a
    request that has loaded the resident anyway answers from their row."""
    if resident_loaded() or (USER_ID_KEY in flask_session and SIGNED_IN_AS_KEY not in flask_session):
        if not current_user.is_authenticated:
            return None
        return SignedInAs(current_user.name or current_user.email or "")
    if USER_ID_KEY not in flask_session:
        return None
    return SignedInAs(flask_session[SIGNED_IN_AS_KEY])


def _template_context() -> dict:
    # flask-login's own context processor loads the resident for every page rendered; the proxy loads them
    # only for a template that reads them.
    return {"current_user": current_user, "signed_in_as": signed_in_as}


@login_manager.unauthorized_handler
def _sign_in_first() -> Response:
    """To the sign-in page, coming back afterwards. htmx follows a redirect itself and would put the sign-in
    page inside the element that asked, so an htmx request moves the whole page, to come back to that page."""
    if request.htmx:
        came_from = request.htmx.current_url or request.url
        return htmx_response(redirect=login_url(login_manager.login_view, next_url=came_from))
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def init_app(app: Flask) -> None:
    idle_timeout = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    absolute_lifetime = timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
    app.session_interface = ServerSessionInterface(
        _store_for(app, idle_timeout), idle_timeout, absolute_lifetime
    )
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(_template_context)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = None
    # The server-side session already ends when it should; flask-login's remember-me cookie is never used.
    login_manager.session_protection = None
