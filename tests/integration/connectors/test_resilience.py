"""The resilient HTTP layer against a loopback back office whose behaviour each test scripts: caching with a
TTL, stale-if-error with the data's age, timeouts, retries for reads only, the circuit breaker (shared through
Redis when PORTAL_TEST_REDIS_URL is set), and malformed answers as BadData."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from flask import Flask, Response, jsonify

from connectors.breaker import CircuitBreaker, InProcessBreakerStore, RedisBreakerStore
from connectors.errors import BadData, NotAuthorised, NotFound, Unavailable
from connectors.http import (
    HttpClient,
    HttpPolicy,
    NotMemoised,
    cache_only,
    json_body,
    make_cache,
    memo_only,
    memoised,
)
from connectors.models import ServiceKind
from tests.support.live_server import LiveServer


class ScriptedBackOffice:
    """A back office that answers GET/POST /thing as ``self.mode`` says, counting the calls it gets."""

    def __init__(self):
        self.mode = "ok"
        self.delay = 0.0
        self.calls = {"GET": 0, "POST": 0}
        self.version = 1
        app = Flask(__name__)

        @app.route("/thing", methods=["GET", "POST"])
        def thing():
            from flask import request

            self.calls[request.method] += 1
            if self.delay:
                time.sleep(self.delay)
            if self.mode == "ok":
                return jsonify(name="bins", version=self.version)
            if self.mode == "wrong-shape":
                return jsonify(unexpected=True)
            if self.mode == "html":
                return Response("<html><h1>Down for maintenance</h1></html>", 200, mimetype="text/html")
            if self.mode == "garbage":
                return Response('{"name": "bi', 200, mimetype="application/json")
            status = {"500": 500, "503": 503, "404": 404, "403": 403, "400": 400}[self.mode]
            return Response("<html>error</html>", status, mimetype="text/html")

        self.server = LiveServer(app)
        self.url = self.server.url

    def stop(self):
        self.server.stop()


@pytest.fixture
def back_office():
    server = ScriptedBackOffice()
    yield server
    server.stop()


def parse_thing(response) -> tuple[str, int]:
    body = json_body(response)
    return body["name"], int(body["version"])


@pytest.fixture
def make_client(back_office, tmp_path):
    def make(*, ttl=timedelta(hours=1), timeout=2.0, retries=1, failures=3, store=None, cache=None, url=None):
        policy = HttpPolicy(
            ttl=ttl, timeout=timeout, retries=retries, backoff=0.01, breaker_failures=failures
        )
        return HttpClient(
            council="norwich",
            kind=ServiceKind.BINS,
            base_url=url or back_office.url,
            policy=policy,
            cache=cache or make_cache(tmp_path),
            breaker=CircuitBreaker(
                "norwich:bins", store or InProcessBreakerStore(), failures, reset_after=60
            ),
        )

    return make


def test_a_fresh_answer_is_typed_and_served_from_the_cache_within_its_ttl(back_office, make_client):
    client = make_client()
    first = client.get("thing", parse=parse_thing)
    back_office.version = 2
    second = client.get("thing", parse=parse_thing)

    assert first.value == second.value == ("bins", 1)
    assert (first.council, first.kind, first.stale) == ("norwich", ServiceKind.BINS, False)
    assert back_office.calls["GET"] == 1, "the second read came from the cache"


def test_an_expired_answer_is_fetched_again(back_office, make_client):
    client = make_client(ttl=timedelta(0))
    client.get("thing", parse=parse_thing)
    back_office.version = 2
    assert client.get("thing", parse=parse_thing).value == ("bins", 2)
    assert back_office.calls["GET"] == 2


@pytest.mark.parametrize("mode", ["503", "500", "html", "garbage", "wrong-shape", "timeout", "gone"])
def test_a_failing_back_office_leaves_the_last_answer_served_as_stale_with_its_age(
    back_office, make_client, mode
):
    client = make_client(ttl=timedelta(0), timeout=0.3, retries=0)
    fresh = client.get("thing", parse=parse_thing)
    time.sleep(0.05)
    if mode == "timeout":
        back_office.delay = 1.0
    elif mode == "gone":
        back_office.stop()
    else:
        back_office.mode = mode

    stale = client.get("thing", parse=parse_thing)

    assert stale.value == fresh.value
    assert stale.stale is True and stale.problem
    assert stale.fetched_at == pytest.approx(fresh.fetched_at, abs=timedelta(seconds=1))
    assert stale.age() >= timedelta(milliseconds=50)


def test_a_malformed_answer_never_replaces_good_cached_data(back_office, make_client):
    client = make_client(ttl=timedelta(0), retries=0)
    client.get("thing", parse=parse_thing)
    back_office.mode = "html"
    client.get("thing", parse=parse_thing)
    back_office.mode = "503"
    assert client.get("thing", parse=parse_thing).value == ("bins", 1)


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("html", BadData),
        ("garbage", BadData),
        ("wrong-shape", BadData),
        ("400", BadData),
        ("500", Unavailable),
        ("503", Unavailable),
        ("404", NotFound),
        ("403", NotAuthorised),
    ],
)
def test_without_cached_data_each_failure_is_a_typed_error_with_a_safe_message(
    back_office, make_client, mode, error
):
    back_office.mode = mode
    with pytest.raises(error) as raised:
        make_client(retries=0).get("thing", parse=parse_thing)
    assert (raised.value.council, raised.value.kind) == ("norwich", "bins")
    assert "<html>" not in raised.value.message and "Traceback" not in raised.value.message
    assert raised.value.message.startswith("The council's system")


def test_a_back_office_that_answers_nothing_times_out(back_office, make_client):
    back_office.delay = 2.0
    started = time.monotonic()
    with pytest.raises(Unavailable, match="did not answer in time"):
        make_client(timeout=0.3, retries=1).get("thing", parse=parse_thing)
    assert time.monotonic() - started < 1.5, "a read timeout is not retried"


def test_a_back_office_that_is_not_listening_is_unavailable(make_client):
    with pytest.raises(Unavailable, match="could not be reached"):
        make_client(url="http://127.0.0.1:9", retries=0).get("thing", parse=parse_thing)


def test_reads_are_retried_but_writes_never_are(back_office, make_client):
    back_office.mode = "503"
    client = make_client(retries=2)
    with pytest.raises(Unavailable):
        client.get("thing", parse=parse_thing)
    with pytest.raises(Unavailable):
        client.post("thing", parse=parse_thing, data={"a": "b"})
    assert back_office.calls == {"GET": 3, "POST": 1}


def test_the_breaker_opens_after_repeated_failures_and_then_short_circuits(back_office, make_client):
    client = make_client(retries=0, failures=3)
    back_office.mode = "503"
    for _ in range(3):
        with pytest.raises(Unavailable):
            client.get("thing", parse=parse_thing)
    assert client.breaker.state == "open"

    back_office.mode = "ok"
    started = time.monotonic()
    with pytest.raises(Unavailable):
        client.get("thing", parse=parse_thing)
    with pytest.raises(Unavailable):
        client.post("thing", parse=parse_thing)
    assert back_office.calls == {"GET": 3, "POST": 0}, "no call reached the back office while open"
    assert time.monotonic() - started < 0.1


def test_an_open_breaker_still_serves_the_last_known_data_as_stale(back_office, make_client):
    client = make_client(ttl=timedelta(0), retries=0, failures=1)
    client.get("thing", parse=parse_thing)
    back_office.mode = "503"
    client.get("thing", parse=parse_thing)
    assert client.breaker.state == "open"
    calls = back_office.calls["GET"]

    result = client.get("thing", parse=parse_thing)
    assert result.stale and result.value == ("bins", 1)
    assert back_office.calls["GET"] == calls


def test_the_breaker_is_shared_across_processes_through_redis(back_office, make_client, tmp_path):
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.skip("PORTAL_TEST_REDIS_URL is not set")
    from redis import Redis

    connection = Redis.from_url(url)
    prefix = f"test:shared-breaker:{os.getpid()}:"
    for key in connection.scan_iter(f"{prefix}*"):
        connection.delete(key)
    # Two clients with separate caches and separate Redis connections stand for two worker processes.
    worker_one = make_client(retries=0, store=RedisBreakerStore(Redis.from_url(url), prefix=prefix))
    worker_two = make_client(
        retries=0,
        store=RedisBreakerStore(Redis.from_url(url), prefix=prefix),
        cache=make_cache(tmp_path / "two"),
    )
    back_office.mode = "503"
    for _ in range(3):
        with pytest.raises(Unavailable):
            worker_one.get("thing", parse=parse_thing)

    back_office.mode = "ok"
    with pytest.raises(Unavailable):
        worker_two.get("thing", parse=parse_thing)
    assert back_office.calls["GET"] == 3, "the second worker did not call a back office the first found down"


def test_the_cache_is_shared_through_redis_when_configured(back_office, make_client):
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.skip("PORTAL_TEST_REDIS_URL is not set")
    cache = make_cache(None, url)
    cache.clear()
    make_client(cache=cache).get("thing", parse=parse_thing)
    assert make_client(cache=make_cache(None, url)).get("thing", parse=parse_thing).value == ("bins", 1)
    assert back_office.calls["GET"] == 1
    cache.clear()


class UnreadableCache:
    """Stands for a shared cache that is slow or gone: any read of it fails the test."""

    def __init__(self, cache):
        self.cache = cache

    def create_key(self, request):
        raise AssertionError("the shared cache was consulted")

    def get_response(self, key):
        raise AssertionError("the shared cache was consulted")


@pytest.fixture
def memo():
    """Reads in the test use the clients' memos, as the dashboard's do."""
    with memoised():
        yield


def test_a_warm_read_is_answered_by_the_memo_without_the_shared_cache(back_office, make_client, memo):
    client = make_client()
    first = client.get("thing", parse=parse_thing)
    client.cache = UnreadableCache(client.cache)

    again = client.get("thing", parse=parse_thing)

    assert again == first and not again.stale
    assert back_office.calls["GET"] == 1


def test_without_opting_in_every_read_sees_the_shared_cache_as_it_is(back_office, make_client):
    client = make_client()
    with memoised():
        client.get("thing", parse=parse_thing)
    client.cache.clear()
    back_office.version = 2

    assert client.get("thing", parse=parse_thing).value == ("bins", 2)
    assert back_office.calls["GET"] == 2


def test_a_read_from_the_shared_cache_fills_the_memo_until_the_cached_answer_expires(
    back_office, make_client, memo
):
    writer = make_client()
    writer.get("thing", parse=parse_thing)
    reader = make_client(cache=writer.cache)  # another worker sharing the cache
    reader.get("thing", parse=parse_thing)
    reader.cache = UnreadableCache(reader.cache)

    assert reader.get("thing", parse=parse_thing).value == ("bins", 1)
    assert back_office.calls["GET"] == 1


def test_the_memo_expires_with_the_services_ttl(back_office, make_client, memo):
    # Long enough for the first two reads to fit inside it on a busy machine.
    client = make_client(ttl=timedelta(seconds=1.5))
    client.get("thing", parse=parse_thing)
    back_office.version = 2
    assert client.get("thing", parse=parse_thing).value == ("bins", 1)

    time.sleep(1.6)

    assert client.get("thing", parse=parse_thing).value == ("bins", 2)
    assert back_office.calls["GET"] == 2


def test_the_memo_keeps_each_requests_answer_to_itself(back_office, make_client, memo):
    client = make_client()
    first = client.get("thing", parse=parse_thing, params={"email": "priya@example.com"})
    back_office.version = 2
    other = client.get("thing", parse=parse_thing, params={"email": "tom@example.com"})

    assert (first.value, other.value) == (("bins", 1), ("bins", 2))
    assert back_office.calls["GET"] == 2


def test_stale_data_is_never_memoised_so_a_recovered_back_office_is_asked_again(
    back_office, make_client, memo
):
    client = make_client(ttl=timedelta(seconds=0.2), retries=0)
    client.get("thing", parse=parse_thing)
    time.sleep(0.25)
    back_office.mode = "503"
    assert client.get("thing", parse=parse_thing).stale

    back_office.mode, back_office.version = "ok", 2
    fresh = client.get("thing", parse=parse_thing)

    assert (fresh.value, fresh.stale) == (("bins", 2), False)


def test_within_memo_only_a_cold_read_raises_before_any_io_and_a_warm_one_answers(back_office, make_client):
    client = make_client()
    with memo_only(), pytest.raises(NotMemoised):
        client.get("thing", parse=parse_thing)
    assert back_office.calls["GET"] == 0

    with memoised():
        client.get("thing", parse=parse_thing)
    with memo_only():
        assert client.get("thing", parse=parse_thing).value == ("bins", 1)
    assert back_office.calls["GET"] == 1


def test_within_cache_only_a_read_is_answered_from_the_cache_even_expired_and_never_by_the_back_office(
    back_office, make_client
):
    client = make_client(ttl=timedelta(0))
    with cache_only(), pytest.raises(Unavailable):
        client.get("thing", parse=parse_thing)
    assert back_office.calls["GET"] == 0

    client.get("thing", parse=parse_thing)  # cached, and expired at once
    with cache_only():
        late = client.get("thing", parse=parse_thing)
    assert (late.value, late.stale) == (("bins", 1), True)
    assert back_office.calls["GET"] == 1
