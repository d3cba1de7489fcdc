"""A resident's private bin calendar feed: a URL with a secret token that calendar apps poll.

The token is shown once, when it is made; only its SHA-256 is kept. Making a new one (a reset) replaces the
old, so a link that was shared or lost stops working; stopping the feed deletes it.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, select

from app.extensions import db
from app.models.audit import utcnow
from app.models.bins import BinCalendarFeed
from app.models.identity import PersonalDataSource, Resident, register_personal_data

TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def feed_of(resident: Resident) -> BinCalendarFeed | None:
    return db.session.scalar(select(BinCalendarFeed).where(BinCalendarFeed.resident_id == resident.id))


def new_token(resident: Resident) -> str:
    """Make the resident's feed, or give it a new token; returns the token (the only time it is known)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = feed_of(resident)
    if feed is None:
        feed = BinCalendarFeed(resident_id=resident.id)
        db.session.add(feed)
    feed.token_hash = _hash(token)
    feed.created_at = utcnow()
    feed.last_fetched_at = None
    return token


def stop(resident: Resident) -> None:
    db.session.execute(delete(BinCalendarFeed).where(BinCalendarFeed.resident_id == resident.id))


def resident_for(token: str) -> Resident | None:
    """Whose feed this token opens, noting when it was fetched; None for a token that is not (or no longer)
    a feed's."""
    if not token or len(token) > 100:
        return None
    feed = db.session.scalar(select(BinCalendarFeed).where(BinCalendarFeed.token_hash == _hash(token)))
    if feed is None:
        return None
    feed.last_fetched_at = utcnow()
    return db.session.get(Resident, feed.resident_id)


def _export(resident: Resident) -> dict | None:
    feed = feed_of(resident)
    if feed is None:
        return None
    return {
        "created_at": feed.created_at.isoformat(),
        "last_fetched_at": feed.last_fetched_at.isoformat() if feed.last_fetched_at else None,
        "token": "kept only as a SHA-256 hash",
    }


register_personal_data(PersonalDataSource("bin_calendar_feed", _export, stop))
