"""Server-side sessions: idle timeout, absolute lifetime, the database store and the Redis store."""

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models.identity import PortalSession
from app.sessions import RedisSessionStore, StoredSession, hash_session_id


@pytest.fixture
def signed_in(app, visitor, scripted):
    assert visitor.sign_in_at_scripted().location == "/dashboard"
    return visitor


def age_session(app, **ages):
    now = datetime.now(UTC)
    with app.app_context():
        db.session.execute(
            update(PortalSession)
            .where(PortalSession.resident_id.is_not(None))
            .values(**{column: now - age for column, age in ages.items()})
        )
        db.session.commit()


def stored_sessions(app):
    with app.app_context():
        found = list(db.session.scalars(select(PortalSession)))
        db.session.expunge_all()
        return found


def test_the_cookie_holds_a_random_id_and_the_table_only_its_hash(app, signed_in):
    cookie = signed_in.client.get_cookie("portal_session", domain="south-norfolk.localhost")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    (stored,) = stored_sessions(app)
    assert stored.id_hash == hash_session_id(cookie.value)
    assert cookie.value not in str(stored.data)


def test_idle_sessions_end(app, signed_in):
    age_session(app, last_active_at=timedelta(minutes=31))
    assert signed_in.portal("/account").status_code == 302
    assert not [stored for stored in stored_sessions(app) if stored.resident_id]


def test_activity_keeps_a_session_alive(app, signed_in):
    age_session(app, last_active_at=timedelta(minutes=29))
    assert signed_in.portal("/account").status_code == 200
    (stored,) = stored_sessions(app)
    assert datetime.now(UTC) - stored.last_active_at.replace(tzinfo=UTC) < timedelta(minutes=1)


def test_sessions_end_after_their_absolute_lifetime_however_active(app, signed_in):
    age_session(app, created_at=timedelta(hours=12, minutes=1), last_active_at=timedelta(minutes=1))
    assert signed_in.portal("/account").status_code == 302


def test_the_timeouts_are_configurable(app, signed_in, monkeypatch):
    interface = app.session_interface
    monkeypatch.setattr(interface, "idle_timeout", timedelta(minutes=5))
    age_session(app, last_active_at=timedelta(minutes=6))
    assert signed_in.portal("/account").status_code == 302


def test_an_unknown_cookie_is_a_fresh_anonymous_session(app, client):
    client.set_cookie("portal_session", "made-up", domain="south-norfolk.localhost")
    assert client.get("/dashboard", headers={"Host": "south-norfolk.localhost"}).status_code == 302
    assert not stored_sessions(app)


def test_visiting_without_signing_in_stores_nothing(app, client):
    assert client.get("/", headers={"Host": "south-norfolk.localhost"}).status_code == 200
    assert not stored_sessions(app)


@pytest.fixture
def redis_store():
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.skip("PORTAL_TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(url)
    store = RedisSessionStore(client, timedelta(minutes=30), prefix="portal-test:session:")
    yield store
    for key in client.scan_iter("portal-test:session:*"):
        client.delete(key)


def test_the_redis_store(redis_store):
    now = datetime.now(UTC)
    for name, resident_id in (("a", 1), ("b", 1), ("c", 2)):
        redis_store.save(
            name, StoredSession({"_user_id": str(resident_id), "provider_sid": f"p{resident_id}"}, now, now)
        )
    assert redis_store.load("a").data["_user_id"] == "1"
    assert redis_store.redis.ttl("portal-test:session:a") == 30 * 60
    later = now + timedelta(minutes=2)
    redis_store.touch("a", later)
    assert redis_store.load("a").last_active_at == later
    assert redis_store.delete_for_resident(1) == 2
    assert redis_store.load("a") is None and redis_store.load("b") is None
    assert redis_store.delete_for_provider_session("p2") == 1
    assert redis_store.load("c") is None
    redis_store.save("d", StoredSession({}, now, now))
    redis_store.delete("d")
    assert redis_store.load("d") is None


def test_the_portal_uses_redis_when_configured(tmp_path):
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.skip("PORTAL_TEST_REDIS_URL is not set")
    from app import create_app

    redis_app = create_app("test", REDIS_URL=url, INSTANCE_DIR=tmp_path, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert isinstance(redis_app.session_interface.store, RedisSessionStore)
