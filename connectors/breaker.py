"""A circuit breaker per (council, service): after repeated failures, stop calling a back office for a while.

Closed: calls go through; each failure counts, a success resets the count. After ``failure_threshold``
consecutive failures the breaker opens for ``reset_after`` seconds: calls are refused at once (the caller
serves stale data or "unavailable") so a page never waits for a back office already known to be down. When
that time is up the breaker is half-open: exactly one caller (across every process) is let through as a trial;
its success closes the breaker, its failure opens it again.

State lives in a ``BreakerStore``: in-process by default, or Redis (PORTAL_REDIS_URL) so that every worker and
every app server shares it. Times are wall-clock seconds because they are compared across processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

BreakerState = Literal["closed", "open", "half-open"]


class BreakerStore(Protocol):
    def add_failure(self, name: str) -> int:
        """Count a failure; return the consecutive failures so far."""
        ...

    def open(self, name: str, until: float) -> None: ...

    def opened_until(self, name: str) -> float | None: ...

    def claim_trial(self, name: str, hold_for: float) -> bool:
        """True for exactly one caller per ``hold_for`` seconds."""
        ...

    def reset(self, name: str) -> None: ...


class InProcessBreakerStore:
    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._open_until: dict[str, float] = {}
        self._trial_until: dict[str, float] = {}

    def add_failure(self, name: str) -> int:
        with self._lock:
            self._failures[name] = self._failures.get(name, 0) + 1
            return self._failures[name]

    def open(self, name: str, until: float) -> None:
        with self._lock:
            self._open_until[name] = until
            self._trial_until.pop(name, None)

    def opened_until(self, name: str) -> float | None:
        return self._open_until.get(name)

    def claim_trial(self, name: str, hold_for: float) -> bool:
        with self._lock:
            now = self._clock()
            if self._trial_until.get(name, 0) > now:
                return False
            self._trial_until[name] = now + hold_for
            return True

    def reset(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)
            self._open_until.pop(name, None)
            self._trial_until.pop(name, None)


class RedisBreakerStore:
    """Breaker state shared by every process that uses the same Redis. Keys expire on their own."""

    def __init__(self, redis, prefix: str = "portal:breaker:", keep_for: int = 24 * 3600):
        self._redis = redis
        self._prefix = prefix
        self._keep_for = keep_for

    def _key(self, name: str, part: str) -> str:
        return f"{self._prefix}{name}:{part}"

    def add_failure(self, name: str) -> int:
        key = self._key(name, "failures")
        pipeline = self._redis.pipeline()
        pipeline.incr(key)
        pipeline.expire(key, self._keep_for)
        return int(pipeline.execute()[0])

    def open(self, name: str, until: float) -> None:
        pipeline = self._redis.pipeline()
        pipeline.set(self._key(name, "open_until"), repr(until), ex=self._keep_for)
        pipeline.delete(self._key(name, "trial"))
        pipeline.execute()

    def opened_until(self, name: str) -> float | None:
        value = self._redis.get(self._key(name, "open_until"))
        return float(value) if value is not None else None

    def claim_trial(self, name: str, hold_for: float) -> bool:
        return bool(self._redis.set(self._key(name, "trial"), "1", nx=True, px=max(int(hold_for * 1000), 1)))

    def reset(self, name: str) -> None:
        self._redis.delete(*(self._key(name, part) for part in ("failures", "open_until", "trial")))


@dataclass
class CircuitBreaker:
    name: str
    store: BreakerStore
    failure_threshold: int = 3
    reset_after: float = 30.0
    clock: Callable[[], float] = time.time

    @property
    def state(self) -> BreakerState:
        until = self.store.opened_until(self.name)
        if until is None:
            return "closed"
        return "open" if self.clock() < until else "half-open"

    def allow(self) -> bool:
        """Whether a call may go to the back office now. In half-open state only one caller gets True."""
        state = self.state
        if state == "closed":
            return True
        if state == "open":
            return False
        return self.store.claim_trial(self.name, hold_for=self.reset_after)

    def record_success(self) -> None:
        self.store.reset(self.name)

    def record_failure(self) -> None:
        failures = self.store.add_failure(self.name)
        if failures >= self.failure_threshold or self.state == "half-open":
            self.store.open(self.name, self.clock() + self.reset_after)
