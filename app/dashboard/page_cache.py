"""Signed-in dashboards kept, whole, for the next request of the same session, while nothing they show has
changed.

Rendering a warm dashboard costs several times an anonymous page (docs/performance.md, "Signed-in
requests"), and a resident who comes back to it within a minute would get the same page. So each process keeps
the page it rendered, keyed by the session (its id and everything it holds), the host (the council), the
locale and whether the browser runs JavaScript, and serves it again, before the resident is loaded, only while
all of these hold:

- no write that could change it has been committed since it was rendered. Every committed write to a table a
  dashboard reads (``TRACKED_TABLES``) bumps a version in Redis, shared by every process and the worker: the
  resident's own (``resident:<id>``) when the write names whom it concerns (the ORM's flushed rows: their
  reports, by owner and by email; what they follow; their linked accounts; their row), else every resident's
  (``all``: bulk and Core statements, the gazetteer import). A page records the versions it was rendered
  under, read before the render's first query, so a write committed during the render is never hidden;
- every tile was fresh and answered from the connectors' memos, and the earliest of those answers is still
  fresh (``Tile.fresh_until``); no answer was dropped since, after a write to a back office
  (``connectors.http.memo_drops``), nor the connectors replaced; a page with a stale, unavailable or loading
  tile is never kept;
- it is the same day (the planning tile shows what is open for comment today), and at most
  ``DASHBOARD_PAGE_SECONDS`` old;
- the session holds no messages to show (flashes), and rendering the page did not change the session.

Without Redis (PORTAL_REDIS_URL unset) nothing is kept: there would be nowhere to share the versions with the
worker and the other processes. A kept page holds the resident's data in this process's memory only, until it
is replaced, expires or is pushed out (``DASHBOARD_PAGE_ENTRIES`` pages at most); a kept page is never served
once the resident's session has ended (the session is read first) or the resident is erased (their version
moves).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Flask, Response, current_app, has_app_context, request, session
from flask_babel import get_locale
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

from app.backoffice import registry
from app.dashboard.tiles import Tile
from app.extensions import db
from app.models.gazetteer import GazetteerAddress
from app.models.identity import LinkedCouncilAccount, Resident
from app.models.reports import FollowedRequest, Report
from app.sessions import USER_ID_KEY, hash_session_id
from connectors.clock import utcnow
from connectors.http import memo_drops
from connectors.registry import ConnectorRegistry

log = logging.getLogger(__name__)

EXTENSION_KEY = "dashboard_pages"
VERSION_PREFIX = "portal:dashboard-page:version:"
EVERY_RESIDENT = "all"
# A version key lives a day after its last bump; a kept page lives a minute or so, so a version that expired
# can never make an old page look current again.
VERSION_LIFETIME_SECONDS = 24 * 3600
# Every table a dashboard reads (tests/integration/test_dashboard_page_cache.py checks that a dashboard reads
# no other): a committed write to one of them moves a version.
TRACKED_TABLES = frozenset(
    {
        Resident.__tablename__,
        LinkedCouncilAccount.__tablename__,
        Report.__tablename__,
        FollowedRequest.__tablename__,
        GazetteerAddress.__tablename__,
    }
)
_SCOPES_KEY = "dashboard_page_scopes"
_FLASHES_KEY = "_flashes"


def resident_scope(resident_id: int) -> str:
    return f"resident:{resident_id}"


@dataclass(frozen=True)
class KeptPage:
    resident_id: int
    connectors: ConnectorRegistry
    body: bytes
    mimetype: str
    versions: tuple
    memo_drops: int
    day: date
    until: datetime
    tiles: tuple[Tile, ...]


class PageCache:
    """This process's kept pages (a bounded LRU) and the shared versions in Redis."""

    def __init__(self, redis_client, *, max_seconds: int, max_entries: int, prefix: str = VERSION_PREFIX):
        self.redis = redis_client
        self.prefix = prefix
        self.max_seconds = max_seconds
        self.max_entries = max_entries
        self._pages: OrderedDict[tuple, KeptPage] = OrderedDict()
        self._lock = threading.Lock()

    def versions(self, resident_id: int) -> tuple:
        keys = [self.prefix + EVERY_RESIDENT, self.prefix + resident_scope(resident_id)]
        return tuple(self.redis.mget(keys))

    def bump(self, scopes: Iterable[str]) -> None:
        pipeline = self.redis.pipeline(transaction=False)
        for scope in scopes:
            pipeline.incr(self.prefix + scope)
            pipeline.expire(self.prefix + scope, VERSION_LIFETIME_SECONDS)
        pipeline.execute()

    def get(self, key: tuple) -> KeptPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: KeptPage) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def drop(self, key: tuple) -> None:
        with self._lock:
            self._pages.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def forget(self, scopes: set[str]) -> None:
        """Drop at once this process's pages that the bumped scopes made unshowable (they would be dropped
        when next asked for; an erased resident's page should not wait in memory until then)."""
        if EVERY_RESIDENT in scopes:
            self.clear()
            return
        with self._lock:
            for key, page in list(self._pages.items()):
                if resident_scope(page.resident_id) in scopes:
                    del self._pages[key]

    def __len__(self) -> int:
        return len(self._pages)


def _cache() -> PageCache | None:
    return current_app.extensions.get(EXTENSION_KEY)


class PageRequest:
    """One dashboard request that may be answered by a kept page, or may leave its page to be kept. Made
    before anything of the resident is read: the versions it holds are those the render starts from."""

    def __init__(self, cache: PageCache, key: tuple, resident_id: int):
        self.cache = cache
        self.key = key
        self.resident_id = resident_id
        self.connectors = registry()
        self.session_state = key[-1]
        self.versions = cache.versions(resident_id)
        self.memo_drops = memo_drops()
        self.day = utcnow().date()

    def kept(self) -> KeptPage | None:
        """The kept page, if it may still be shown."""
        page = self.cache.get(self.key)
        if page is None:
            return None
        if (
            page.versions != self.versions
            or page.connectors is not self.connectors  # replaced (tests, benchmarks): other memos
            or page.memo_drops != self.memo_drops
            or page.day != self.day
            or utcnow() >= page.until
        ):
            self.cache.drop(self.key)
            return None
        return page

    def keep(self, response: Response, tiles: Iterable[Tile]) -> None:
        """Keep the page just rendered, if everything on it may be shown again as it is."""
        tiles = tuple(tiles)
        now = utcnow()
        if (
            response.status_code != 200
            or any(tile.fresh_until is None for tile in tiles)
            or _session_state() != self.session_state
            or now.date() != self.day
        ):
            return
        until = min([now + timedelta(seconds=self.cache.max_seconds), *(tile.fresh_until for tile in tiles)])
        if until <= now:
            return
        self.cache.put(
            self.key,
            KeptPage(
                resident_id=self.resident_id,
                connectors=self.connectors,
                body=response.get_data(),
                mimetype=response.mimetype,
                versions=self.versions,
                memo_drops=self.memo_drops,
                day=self.day,
                until=until,
                tiles=tiles,
            ),
        )


def _session_state() -> str:
    return json.dumps(dict(session), sort_keys=True, default=str)


def page_request(runs_javascript: bool) -> PageRequest | None:
    """This request's PageRequest, or None when no page may be kept for it or served to it: no cache (no
    Redis), no signed-in session, messages to show, or a query string (``?javascript=off``, ``?lang=``)."""
    cache = _cache()
    session_id = getattr(session, "session_id", None)
    if (
        cache is None
        or session_id is None
        or USER_ID_KEY not in session
        or _FLASHES_KEY in session
        or request.args
        or request.headers.get("HX-Request")
    ):
        return None
    key = (hash_session_id(session_id), request.host, str(get_locale()), runs_javascript, _session_state())
    try:
        return PageRequest(cache, key, int(session[USER_ID_KEY]))
    except Exception:  # noqa: BLE001 - without the versions the page is rendered as if nothing were kept
        log.exception("dashboard page versions unavailable")
        return None


# --- which writes move which versions ----------------------------------------------------------------------


def _after_flush(flushing: Session, _context) -> None:
    """Note whose dashboards the flushed rows concern, for after the commit."""
    if not _keeping_pages():
        return
    scopes: set[str] = flushing.info.setdefault(_SCOPES_KEY, set())
    emails: set[str] = set()
    for instance in (*flushing.new, *flushing.dirty, *flushing.deleted):
        if isinstance(instance, Resident):
            scopes.add(resident_scope(instance.id))
        elif isinstance(instance, (LinkedCouncilAccount, FollowedRequest, Report)):
            scopes.update(resident_scope(value) for value in _before_and_after(instance, "resident_id"))
            if isinstance(instance, Report):
                # A guest report with a resident's email is counted on their dashboard.
                emails.update(value.strip().lower() for value in _before_and_after(instance, "email"))
        elif getattr(instance, "__tablename__", None) in TRACKED_TABLES:
            scopes.add(EVERY_RESIDENT)
    if emails:
        residents = flushing.connection().execute(
            select(Resident.id).where(func.lower(func.trim(Resident.email)).in_(emails))
        )
        scopes.update(resident_scope(resident_id) for (resident_id,) in residents)


def _before_and_after(instance, attribute: str) -> set:
    """The attribute's values in this flush: what it was (a claimed report's owner: none) and what it is."""
    history = inspect(instance).attrs[attribute].history
    return {value for value in (*history.sum(), getattr(instance, attribute)) if value is not None}


def _on_execute(state: ORMExecuteState) -> None:
    """A bulk or Core write through the session names no rows: every resident's dashboard may change."""
    if not (state.is_insert or state.is_update or state.is_delete) or not _keeping_pages():
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in TRACKED_TABLES:
        state.session.info.setdefault(_SCOPES_KEY, set()).add(EVERY_RESIDENT)


def _keeping_pages() -> bool:
    return has_app_context() and _cache() is not None


def _after_commit(committed: Session) -> None:
    if committed.in_nested_transaction():
        return  # a savepoint released: its writes are committed with the outer transaction, bumped then
    scopes = committed.info.pop(_SCOPES_KEY, None)
    if not scopes or not has_app_context() or (cache := _cache()) is None:
        return
    cache.forget(scopes)
    try:
        cache.bump(scopes)
    except Exception:  # noqa: BLE001 - the write is committed; this process at least forgets its pages
        log.exception("dashboard page versions not moved")
        cache.clear()


_LISTENERS = (
    ("after_flush", _after_flush),
    ("do_orm_execute", _on_execute),
    # Scopes noted by a flush that is rolled back are bumped with the next commit: a page rendered again for
    # nothing, where forgetting them at a savepoint's rollback could hide the outer transaction's writes.
    ("after_commit", _after_commit),
)


def _listen() -> None:
    for name, listener in _LISTENERS:
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


def init_app(app: Flask) -> None:
    _listen()
    if app.config.get("REDIS_URL") and app.config["DASHBOARD_PAGE_SECONDS"] > 0:
        import redis

        app.extensions[EXTENSION_KEY] = PageCache(
            redis.Redis.from_url(app.config["REDIS_URL"]),
            max_seconds=app.config["DASHBOARD_PAGE_SECONDS"],
            max_entries=app.config["DASHBOARD_PAGE_ENTRIES"],
        )
