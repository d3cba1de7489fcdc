"""The resilient HTTP layer every HTTP adapter uses.

``HttpClient.get`` gives an adapter, for one (council, service):

- a cache (requests-cache's SQLite backend under the instance folder, or Redis when PORTAL_REDIS_URL is set)
  with a time-to-live per kind of service: a fresh cached answer is served without a call;
- a timeout on every call, and retries (short backoff) for reads only: connection failures and 502/503/504;
- stale-if-error: when the back office fails (unreachable, too slow, 5xx, malformed answer, breaker open) the
  last good answer is served as a stale ``Result`` with the time it was fetched;
- a circuit breaker: after repeated failures calls are refused at once until the breaker half-opens;
- typed errors: a body the adapter's ``parse`` cannot read (HTML instead of JSON, wrong shape) becomes
  ``BadData``, never an exception page.

Only answers the adapter parsed successfully are cached, so a malformed answer never replaces good data.

In front of the shared cache, each client keeps a small in-process memo of the fresh ``Result``s it parsed
(``ParsedMemo``), keyed by everything the request carries (path, query parameters, headers) and by the parse
function, and expiring when the cached answer does (or after ``MEMO_SECONDS``, whichever is first): a warm
read then costs neither a cache round trip nor parsing. Stale results are never memoised. Callers opt in with
``memoised()`` (the dashboard does); every other read sees the shared cache as it is, so clearing it is seen
at once. Within ``memo_only()`` a read the memo cannot answer raises ``NotMemoised`` before any I/O, so a
caller can answer warm reads on its own thread and send only the others to a pool. Within ``cache_only()`` a
read never reaches the back office: the cached answer, marked stale when expired, or ``Unavailable``; what a
page shows for a call still running when its time budget is spent.
``HttpClient.post`` is for non-idempotent calls: no cache and no retries on a status code. ``get_fresh`` reads
without the cache, for answers that must be current (a payment's state).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import threading
import types
import xml.etree.ElementTree as ElementTree
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import InvalidOperation
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests_cache import BaseCache, CachedResponse, RedisCache, SQLiteCache
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from connectors.breaker import CircuitBreaker
from connectors.clock import as_utc, utcnow
from connectors.errors import BadData, ConnectorError, NotAuthorised, NotFound, Unavailable
from connectors.models import Result, ServiceKind
from connectors.telemetry import backoffice_call, refused

T = TypeVar("T")
log = logging.getLogger(__name__)

USER_AGENT = "MyNorfolk-portal/1.0 (+https://github.com/my-norfolk)"
# A malformed answer surfaces as one of these from the adapter's parse function.
PARSE_ERRORS = (
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    ElementTree.ParseError,
    InvalidOperation,
)


# How long a parsed answer is kept in a process at most, even when its TTL is longer: an operator who clears
# the shared cache sees every worker ask the back offices again within this time.
MEMO_SECONDS = 60.0
MEMO_ENTRIES = 512
# Cache keys remembered per client (a client sends a few distinct requests; past this many, start again).
CACHE_KEYS = 1024


_memoised = contextvars.ContextVar("memoised", default=False)
_memo_only = contextvars.ContextVar("memo_only", default=False)
_cache_only = contextvars.ContextVar("cache_only", default=False)
_memo_expiries: contextvars.ContextVar[list[datetime] | None] = contextvars.ContextVar(
    "memo_expiries", default=None
)


class NotMemoised(Exception):
    """Raised within ``memo_only()`` by a read that would need the shared cache or the back office."""


@contextmanager
def memoised() -> Iterator[None]:
    """Reads within use the clients' memos (a pool's workers need a copy of this context to)."""
    token = _memoised.set(True)
    try:
        yield
    finally:
        _memoised.reset(token)


@contextmanager
def memo_only() -> Iterator[None]:
    """Reads within are answered by the memos or raise NotMemoised."""
    tokens = (_memoised.set(True), _memo_only.set(True))
    try:
        yield
    finally:
        _memo_only.reset(tokens[1])
        _memoised.reset(tokens[0])


_memo_drops = 0
_memo_drops_lock = threading.Lock()


def _count_memo_drop() -> None:
    global _memo_drops
    with _memo_drops_lock:
        _memo_drops += 1


def memo_drops() -> int:
    """How many times this process has dropped memo answers after a write (``HttpClient.forget``): a page
    built from memo answers is not shown again once the count has moved."""
    return _memo_drops


@contextmanager
def memo_expiries() -> Iterator[list[datetime]]:
    """Collects, for each read within that a memo answered, when that answer stops being fresh: what a page
    built from memo answers alone may be kept until (app/dashboard/page_cache.py)."""
    expiries: list[datetime] = []
    token = _memo_expiries.set(expiries)
    try:
        yield expiries
    finally:
        _memo_expiries.reset(token)


@contextmanager
def cache_only() -> Iterator[None]:
    """Reads within are answered from the cache, fresh or (marked stale) expired, or raise Unavailable."""
    token = _cache_only.set(True)
    try:
        yield
    finally:
        _cache_only.reset(token)


class MalformedResponse(ValueError):
    """Raised by a parse function when an answer does not follow the contract; the message is logged, and the
    resident sees BadData's safe message."""


@dataclass(frozen=True)
class HttpPolicy:
    ttl: timedelta
    timeout: float = 5.0
    retries: int = 1
    backoff: float = 0.1
    breaker_failures: int = 3
    breaker_reset_after: float = 30.0


def json_body(response) -> Any:
    """The JSON body of an answer, or MalformedResponse (HTML error pages, truncated bodies, empty bodies)."""
    content_type = response.headers.get("Content-Type", "")
    if "json" not in content_type:
        raise MalformedResponse(f"expected JSON, got {content_type or 'no content type'}")
    try:
        return response.json()
    except ValueError as error:
        raise MalformedResponse(f"invalid JSON: {error}") from None


def xml_body(response) -> ElementTree.Element:
    content_type = response.headers.get("Content-Type", "")
    if "xml" not in content_type:
        raise MalformedResponse(f"expected XML, got {content_type or 'no content type'}")
    try:
        # The body comes from a configured back office, and ElementTree does not resolve external entities.
        return ElementTree.fromstring(response.content)  # noqa: S314
    except ElementTree.ParseError as error:
        raise MalformedResponse(f"invalid XML: {error}") from None


def make_cache(
    instance_dir: Path, redis_url: str | None = None, *, keep_stale_for: timedelta = timedelta(days=7)
):
    """The cache every connector shares: Redis when configured (shared by every worker), else SQLite."""
    if redis_url:
        from redis import Redis

        return RedisCache(
            namespace="portal:connectors",
            connection=Redis.from_url(redis_url),
            ttl_offset=int(keep_stale_for.total_seconds()),
        )
    Path(instance_dir).mkdir(parents=True, exist_ok=True)
    return SQLiteCache(db_path=str(Path(instance_dir) / "connectors-cache.sqlite3"), wal=True)


def memo_key(
    path: str,
    params: Mapping[str, Any],
    headers: Mapping[str, str],
    parse: Callable[[Any], Any],
    body: Any = None,
) -> Hashable | None:
    """What identifies one read's parsed answer within one client, or None when it cannot be memoised.

    Query parameters, headers and a JSON body keep their order and their values' reprs, so two reads share
    an entry only when they would send the same request. ``parse`` is part of the key (one document may be
    parsed into different models); a closure is rebuilt per call and may depend on what it captured, so it is
    never memoised, while module functions and bound methods are.
    """
    if isinstance(parse, types.FunctionType) and parse.__closure__:
        return None
    key = (
        path,
        tuple((str(name), repr(value)) for name, value in params.items()),
        tuple((str(name), str(value)) for name, value in headers.items()),
        None if body is None else json.dumps(body, sort_keys=True, default=str),
        parse,
    )
    try:
        hash(key)
    except TypeError:  # a callable object that cannot be hashed
        return None
    return key


class ParsedMemo:
    """Fresh parsed Results by memo key, each until its expiry (a bounded LRU). Thread-safe."""

    def __init__(self, max_entries: int = MEMO_ENTRIES, max_seconds: float = MEMO_SECONDS):
        self.max_entries = max_entries
        self.max_seconds = max_seconds
        self._entries: OrderedDict[Hashable, tuple[datetime, Result]] = OrderedDict()
        self._lock = threading.Lock()

    def entry(self, key: Hashable, now: datetime) -> tuple[datetime, Result] | None:
        """The fresh answer under ``key`` and when it expires, or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if now >= entry[0]:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, result: Result, expires: datetime, now: datetime) -> None:
        if result.stale:
            return
        expires = min(expires, now + timedelta(seconds=self.max_seconds))
        if now >= expires:
            return
        with self._lock:
            self._entries[key] = (expires, result)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def drop(self, wanted: Callable[[Hashable], bool]) -> None:
        with self._lock:
            for key in [key for key in self._entries if wanted(key)]:
                del self._entries[key]
        _count_memo_drop()

    def __len__(self) -> int:
        return len(self._entries)


def _session(policy: HttpPolicy, base_url: str) -> requests.Session:
    session = requests.Session()
    # What requests would take from the environment on every call (proxies and NO_PROXY, a CA bundle,
    # ~/.netrc) is read once here for this client's one origin: re-reading the whole process environment per
    # call cost about a millisecond of CPU under the interpreter lock, for settings fixed at start-up.
    session.trust_env = False
    session.proxies = requests.utils.get_environ_proxies(base_url)
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.auth = requests.utils.get_netrc_auth(base_url)
    retry = Retry(
        total=policy.retries,
        connect=policy.retries,
        read=0,  # a back office too slow to answer once will not be quicker the second time
        status=policy.retries,
        other=0,
        status_forcelist=(502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        backoff_factor=policy.backoff,
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


class HttpClient:
    """HTTP for one (council, service). Thread-safe: one instance serves every request of a process."""

    def __init__(
        self,
        *,
        council: str,
        kind: ServiceKind,
        base_url: str,
        policy: HttpPolicy,
        cache: BaseCache,
        breaker: CircuitBreaker,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ):
        self.council = council
        self.kind = ServiceKind(kind)
        self.base_url = base_url.rstrip("/") + "/"
        self.policy = policy
        self.cache = cache
        self.breaker = breaker
        self._headers = dict(headers or {})
        self._params = dict(params or {})
        self._session = _session(policy, self.base_url)
        self._lock = threading.Lock()
        self.memo = ParsedMemo()
        self._cache_keys: dict[tuple, str] = {}

    def url(self, path: str) -> str:
        return self.base_url + path.lstrip("/")

    def _cache_key(self, prepared: requests.PreparedRequest) -> str:
        """The shared cache's key for a prepared request, remembered per exact request: requests-cache's
        normalisation (parsing and re-encoding the URL, sorting parameters, hashing) costs more CPU than the
        rest of preparing a call, and one client sends the same few requests over and over."""
        exact = (prepared.method, prepared.url, tuple(prepared.headers.items()), prepared.body)
        key = self._cache_keys.get(exact)
        if key is None:
            key = self.cache.create_key(prepared)
            if len(self._cache_keys) >= CACHE_KEYS:
                self._cache_keys.clear()
            self._cache_keys[exact] = key
        return key

    def _describe(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.netloc}{parts.path}"  # never the query string: it may hold an api_key

    def _result(self, value: T, fetched_at: datetime, *, problem: ConnectorError | None = None) -> Result[T]:
        return Result(
            value=value,
            council=self.council,
            kind=self.kind,
            fetched_at=fetched_at,
            stale=problem is not None,
            problem=problem.message if problem else None,
        )

    def get(
        self,
        path: str,
        *,
        parse: Callable[[Any], T],
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        question: Mapping[str, Any] | None = None,
    ) -> Result[T]:
        """Read ``path`` (relative to base_url) and return ``parse(response)`` as a Result.

        With ``question``, the read is sent as a POST whose JSON body is the question: for questions that name
        a person (an email address), which must not be in a URL, where access logs and proxies keep them.
        It is cached and memoised like any read, keyed by the body too.

        ``parse`` receives a requests Response (or a cached one: same interface) and returns typed models; it
        raises MalformedResponse (or any ValueError, KeyError, TypeError) when the body breaks the contract.
        404 raises NotFound and 401/403 NotAuthorised (never cached, never stale).
        """
        all_params = {**self._params, **(params or {})}
        all_headers = {**self._headers, **(headers or {})}
        memo_as = memo_key(path, all_params, all_headers, parse, question) if _memoised.get() else None
        if memo_as is not None and (memoised := self.memo.entry(memo_as, utcnow())) is not None:
            expires, result = memoised
            if (expiries := _memo_expiries.get()) is not None:
                expiries.append(expires)
            return result
        if _memo_only.get():
            raise NotMemoised(path)
        method = "GET" if question is None else "POST"
        request = requests.Request(
            method, self.url(path), params=all_params, headers=all_headers, json=question
        )
        prepared = self._session.prepare_request(request)
        key = self._cache_key(prepared)
        cached = self._cached(key)
        if cached is not None and not cached.is_expired:
            try:
                result = self._result(parse(cached), as_utc(cached.created_at))
            except PARSE_ERRORS:
                log.warning("discarding an unreadable cached answer for %s", self._describe(prepared.url))
                cached = None
            else:
                if memo_as is not None and cached.expires is not None:
                    self.memo.put(memo_as, result, as_utc(cached.expires), utcnow())
                return result

        if _cache_only.get():
            error = Unavailable(
                self.council, self.kind, "The council's system did not answer in time", detail="budget spent"
            )
            return self._stale_or_raise(cached, parse, error)
        if not self.breaker.allow():
            refused(self.council, self.kind.value)
            return self._stale_or_raise(
                cached, parse, Unavailable(self.council, self.kind, detail="breaker open")
            )

        try:
            with backoffice_call(self.council, self.kind.value, "GET") as call:
                response = self._session.send(prepared, timeout=self.policy.timeout)
                call.answered(response.status_code)
        except requests.Timeout:
            self.breaker.record_failure()
            error = Unavailable(
                self.council, self.kind, "The council's system did not answer in time", detail="timeout"
            )
            return self._stale_or_raise(cached, parse, error)
        except requests.RequestException as exc:
            self.breaker.record_failure()
            error = Unavailable(self.council, self.kind, _unreachable_message(exc), detail=type(exc).__name__)
            return self._stale_or_raise(cached, parse, error)

        fetched_at = utcnow()
        try:
            self._raise_for_status(response, prepared.url)
        except Unavailable as error:
            self.breaker.record_failure()
            return self._stale_or_raise(cached, parse, error)
        except ConnectorError:
            self.breaker.record_success()  # it answered: the back office is up
            raise
        try:
            value = parse(response)
        except PARSE_ERRORS as exc:
            self.breaker.record_failure()
            log.warning("malformed answer from %s: %s", self._describe(prepared.url), exc)
            return self._stale_or_raise(
                cached, parse, BadData(self.council, self.kind, detail=str(exc)[:200])
            )
        self.breaker.record_success()
        self._save(response, key, fetched_at)
        result = self._result(value, fetched_at)
        if memo_as is not None:
            self.memo.put(memo_as, result, fetched_at + self.policy.ttl, utcnow())
        return result

    def forget(self, path: str, *, question: Mapping[str, Any] | None = None) -> None:
        """Drop the cached answer to one read (``get`` with the same path and question), in the shared cache
        and this process's memo, after a write that changed what it says: the next read asks again."""
        method = "GET" if question is None else "POST"
        prepared = self._session.prepare_request(
            requests.Request(
                method, self.url(path), params=self._params, headers=self._headers, json=question
            )
        )
        try:
            self.cache.delete(self._cache_key(prepared))
        except Exception:  # noqa: BLE001 - the write succeeded; an answer kept a little longer is no failure
            log.exception("connector cache delete failed")
        body = None if question is None else json.dumps(question, sort_keys=True, default=str)
        self.memo.drop(lambda key: key[0] == path and key[3] == body)

    def get_fresh(
        self,
        path: str,
        *,
        parse: Callable[[Any], T],
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """Read ``path`` straight from the back office, never from or into the cache (a payment's state, a
        booking that must not be made twice): the answer now, or an error. Retried like ``get``."""
        return self._send("GET", path, parse=parse, params=params, headers=headers)

    def post(
        self,
        path: str,
        *,
        parse: Callable[[Any], T],
        data: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """Send a non-idempotent call (create a report, verify an account). Never cached; a status code is
        never retried; the breaker refuses it at once when open. The caller decides about retrying."""
        return self._send("POST", path, parse=parse, data=data, json=json, params=params, headers=headers)

    def _send(
        self,
        method: str,
        path: str,
        *,
        parse: Callable[[Any], T],
        data: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        if not self.breaker.allow():
            refused(self.council, self.kind.value)
            raise Unavailable(self.council, self.kind, detail="breaker open")
        url = self.url(path)
        try:
            with backoffice_call(self.council, self.kind.value, method) as call:
                response = self._session.request(
                    method,
                    url,
                    data=data,
                    json=json,
                    params={**self._params, **(params or {})},
                    headers={**self._headers, **(headers or {})},
                    timeout=self.policy.timeout,
                )
                call.answered(response.status_code)
        except requests.Timeout:
            self.breaker.record_failure()
            raise Unavailable(
                self.council, self.kind, "The council's system did not answer in time", detail="timeout"
            ) from None
        except requests.RequestException as exc:
            self.breaker.record_failure()
            raise Unavailable(
                self.council, self.kind, _unreachable_message(exc), detail=type(exc).__name__
            ) from None
        try:
            self._raise_for_status(response, url)
        except Unavailable:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        try:
            return parse(response)
        except PARSE_ERRORS as exc:
            log.warning("malformed answer from %s: %s", self._describe(url), exc)
            raise BadData(self.council, self.kind, detail=str(exc)[:200]) from None

    def _raise_for_status(self, response: requests.Response, url: str) -> None:
        status = response.status_code
        detail = f"HTTP {status} from {self._describe(url)}"
        if status < 400:
            return
        if status == 404:
            raise NotFound(self.council, self.kind, detail=detail)
        if status in (401, 403):
            raise NotAuthorised(self.council, self.kind, detail=detail)
        if status >= 500 or status == 429:
            raise Unavailable(self.council, self.kind, detail=detail)
        code = _error_code(response)
        raise BadData(
            self.council,
            self.kind,
            "The council's system rejected the request",
            detail=f"{detail} ({code})" if code else detail,
            code=code,
        )

    def _stale_or_raise(
        self, cached: CachedResponse | None, parse: Callable[[Any], T], error: ConnectorError
    ):
        if cached is not None:
            try:
                return self._result(parse(cached), as_utc(cached.created_at), problem=error)
            except PARSE_ERRORS:
                pass
        raise error

    def _cached(self, key: str) -> CachedResponse | None:
        try:
            return self.cache.get_response(key)
        except Exception:  # noqa: BLE001 - a broken cache must not break the page: fetch instead
            log.exception("connector cache read failed")
            return None

    def _save(self, response: requests.Response, key: str, fetched_at: datetime) -> None:
        try:
            # Stamped with the moment this answer was fetched, so that stale data reports its true age.
            cached = CachedResponse.from_response(response, created_at=fetched_at)
            self.cache.save_response(cached, key, fetched_at + self.policy.ttl)
        except Exception:  # noqa: BLE001 - the answer is good; failing to cache it must not lose it
            log.exception("connector cache write failed")


def _error_code(response: requests.Response) -> str | None:
    """The error code a refusal carries: ``{"error": {"code": ...}}`` in My Norfolk's contracts, ``{"code":
    ...}`` in GOV.UK Pay's, the first error's name in GOV.UK Notify's; None when the body says none."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("errors"), list) and body["errors"] and isinstance(body["errors"][0], dict):
        code = body["errors"][0].get("error")  # GOV.UK Notify's {"errors": [{"error": ..., "message": ...}]}
    elif isinstance(body.get("error"), dict):
        code = body["error"].get("code")
    else:
        code = body.get("code")
    return code[:64] if isinstance(code, str) else None


def _unreachable_message(exc: requests.RequestException) -> str:
    # With a urllib3 Retry mounted, a read timeout comes as ConnectionError(MaxRetryError(ReadTimeoutError)),
    # not requests.Timeout; a back office too slow to answer must still be told apart from one not listening.
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, ReadTimeoutError):
        return "The council's system did not answer in time"
    return "The council's system could not be reached"
