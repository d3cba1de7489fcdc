"""Limits on how often something may happen to one target, where flask-limiter's per-request limits (by
client address, on a view) are not enough: emails to one recipient, council tax guesses by one resident or at
one account reference, photo uploads that failed a check. They count in flask-limiter's storage (Redis in
production), so every app server counts together.

Identities are keyed by an HMAC of the value, never the value itself: no email address or account reference
is written to the rate limit storage.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from flask import current_app
from flask_babel import format_datetime
from limits import parse_many

from app.extensions import limiter


def _key(name: str, identity: tuple[str, ...]) -> tuple[str, str]:
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), "\x1f".join(identity).encode(), hashlib.sha256
    ).hexdigest()
    return name, digest


def blocked_until(name: str, *identity: str) -> datetime | None:
    """When the limit named by the setting `name` has room again for this identity, if it is used up now;
    None when there is room."""
    strategy = limiter.limiter
    until = None
    for item in parse_many(current_app.config[name]):
        if not strategy.test(item, *_key(name, identity)):
            stats = strategy.get_window_stats(item, *_key(name, identity))
            reset = datetime.fromtimestamp(stats.reset_time, UTC)
            until = reset if until is None else max(until, reset)
    return until


def count(name: str, *identity: str) -> None:
    strategy = limiter.limiter
    for item in parse_many(current_app.config[name]):
        strategy.hit(item, *_key(name, identity))


def take(name: str, *identity: str) -> datetime | None:
    """Count one use when the limit has room and return None; otherwise return when to try again (and count
    nothing, so waiting is enough to be let in)."""
    until = blocked_until(name, *identity)
    if until is None:
        count(name, *identity)
    return until


def when(moment: datetime) -> str:
    """A time to try again, as people say it: "10:45 am on 30 November 2026" (in the portal's time zone)."""
    return format_datetime(moment, "h:mm a 'on' d MMMM y")
