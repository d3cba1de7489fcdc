"""Remembering which back-channel logout tokens were already acted on, so that a captured token cannot be
replayed. Shared by every process of the portal: in Redis when PORTAL_REDIS_URL is set, otherwise in the
database. An entry is kept only as long as its token could still be accepted (app.auth.tokens refuses older
ones), so the cache stays small."""

from __future__ import annotations

import hashlib
import math
import time
from abc import ABC, abstractmethod
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.identity import UsedLogoutToken

EXTENSION_KEY = "logout_token_replay_cache"


def replay_key(issuer: str, token_id: str) -> str:
    return hashlib.sha256(f"{issuer}\0{token_id}".encode()).hexdigest()


class ReplayCache(ABC):
    @abstractmethod
    def first_use(self, key: str, keep_until: float) -> bool:
        """Record `key` until the Unix time `keep_until`; False when it was already recorded."""


class RedisReplayCache(ReplayCache):
    def __init__(self, client, prefix: str = "portal:used-logout-token:"):
        self.redis = client
        self.prefix = prefix

    def first_use(self, key: str, keep_until: float) -> bool:
        seconds = max(1, math.ceil(keep_until - time.time()))
        return bool(self.redis.set(f"{self.prefix}{key}", b"1", nx=True, ex=seconds))


class DatabaseReplayCache(ReplayCache):
    def first_use(self, key: str, keep_until: float) -> bool:
        now = datetime.now(UTC)
        db.session.execute(delete(UsedLogoutToken).where(UsedLogoutToken.expires_at < now))
        db.session.add(UsedLogoutToken(key=key, expires_at=datetime.fromtimestamp(keep_until, UTC)))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return False
        return True


def replay_cache() -> ReplayCache:
    return current_app.extensions[EXTENSION_KEY]


def init_app(app: Flask) -> None:
    if app.config.get("REDIS_URL"):
        import redis

        app.extensions[EXTENSION_KEY] = RedisReplayCache(redis.Redis.from_url(app.config["REDIS_URL"]))
    else:
        app.extensions[EXTENSION_KEY] = DatabaseReplayCache()
