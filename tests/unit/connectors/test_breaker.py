"""The circuit breaker: closed -> open after N failures -> half-open lets exactly one trial through."""

import os

import pytest

from connectors.breaker import CircuitBreaker, InProcessBreakerStore, RedisBreakerStore


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def redis_store():
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.skip("PORTAL_TEST_REDIS_URL is not set")
    from redis import Redis

    connection = Redis.from_url(url)
    prefix = f"test:breaker:{os.getpid()}:"
    for key in connection.scan_iter(f"{prefix}*"):
        connection.delete(key)
    return RedisBreakerStore(connection, prefix=prefix)


@pytest.fixture(params=["in-process", "redis"])
def make_breaker(request):
    clock = Clock()
    store = InProcessBreakerStore(clock=clock) if request.param == "in-process" else redis_store()

    def make(name="norwich:bins", **kwargs):
        return CircuitBreaker(
            name=name, store=store, failure_threshold=3, reset_after=30, clock=clock, **kwargs
        )

    make.clock = clock
    return make


def test_stays_closed_below_the_threshold_and_a_success_resets_the_count(make_breaker):
    breaker = make_breaker()
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed" and breaker.allow()


def test_opens_after_consecutive_failures_and_refuses_calls(make_breaker):
    breaker = make_breaker()
    for _ in range(3):
        breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()


def test_half_open_lets_one_trial_through_whose_success_closes_it(make_breaker):
    breaker = make_breaker()
    for _ in range(3):
        breaker.record_failure()
    make_breaker.clock.now += 31
    assert breaker.state == "half-open"
    assert breaker.allow() is True
    assert breaker.allow() is False, "only one trial at a time"
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_a_failed_trial_opens_it_again_at_once(make_breaker):
    breaker = make_breaker()
    for _ in range(3):
        breaker.record_failure()
    make_breaker.clock.now += 31
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()


def test_breakers_are_per_council_and_service(make_breaker):
    norwich_bins, norwich_tax = make_breaker("norwich:bins"), make_breaker("norwich:council_tax")
    for _ in range(3):
        norwich_bins.record_failure()
    assert norwich_bins.state == "open"
    assert norwich_tax.state == "closed"


def test_state_is_shared_by_every_breaker_on_the_same_store(make_breaker):
    """Two workers' breakers for the same (council, service), sharing one store (Redis across processes)."""
    worker_one, worker_two = make_breaker(), make_breaker()
    worker_one.record_failure()
    worker_two.record_failure()
    worker_one.record_failure()
    assert worker_two.state == "open" and not worker_two.allow()
