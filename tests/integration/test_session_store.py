"""Both session stores (the database's table and Redis) list a resident's sessions and end one, all but one,
or every resident's, never touching another resident's or a staff session."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

import pytest

from app.extensions import db
from app.models.identity import Resident
from app.sessions import DatabaseSessionStore, RedisSessionStore, StoredSession
from connectors.clock import utcnow


@pytest.fixture(params=["database", "redis"])
def store(request, app_context):
    if request.param == "database":
        yield DatabaseSessionStore()
        return
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.skip("PORTAL_TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(url)
    prefix = f"test-sessions-{secrets.token_hex(4)}:"
    yield RedisSessionStore(client, timedelta(minutes=30), prefix=prefix)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def residents(app_context):
    found = [Resident(issuer="https://idp.example", subject=subject) for subject in ("first", "second")]
    db.session.add_all(found)
    db.session.commit()
    return [resident.id for resident in found]


def save(store, data: dict) -> str:
    id_hash = secrets.token_hex(32)
    now = utcnow()
    store.save(id_hash, StoredSession(data=data, created_at=now, last_active_at=now))
    return id_hash


def test_listing_and_ending_one_two_or_all(store, residents):
    first, second = residents
    mine = [save(store, {"_user_id": str(first), "device": f"browser {n}"}) for n in range(3)]
    theirs = save(store, {"_user_id": str(second)})
    staff = save(store, {"staff": {"subject": "agent"}})

    assert set(store.sessions_of_resident(first)) == set(mine)
    assert store.sessions_of_resident(first)[mine[1]].data["device"] == "browser 1"
    assert set(store.sessions_of_resident(second)) == {theirs}

    assert store.delete_one_of_resident(first, theirs) is False, "only the resident's own"
    assert store.load(theirs) is not None
    assert store.delete_one_of_resident(first, mine[0]) is True
    assert store.load(mine[0]) is None

    assert store.delete_for_resident(first, keep=mine[1]) == 1
    assert set(store.sessions_of_resident(first)) == {mine[1]}

    assert store.delete_every_resident_session() == 2
    assert store.load(mine[1]) is None and store.load(theirs) is None
    assert store.load(staff) is not None, "staff sessions are not residents'"
