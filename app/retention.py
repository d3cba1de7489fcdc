"""Deleting what the portal keeps no longer than it needs, on the worker's schedules (the privacy notice
states the periods; README, "Configuration", the settings):

- sessions past their idle or absolute lifetime (PORTAL_SESSION_IDLE_MINUTES, PORTAL_SESSION_ABSOLUTE_HOURS):
  a session ends for the resident at once, and its row is deleted here (Redis expires its own records);
- report journeys left unfinished, with photos never sent, and waste orders never paid for, after
  PORTAL_DRAFT_DAYS;
- district portal password hashes brought in by `flask accounts migrate` and not used at a first sign-in
  within PORTAL_LEGACY_HASH_DAYS (docs/migration.md);
- requests to follow a report that were never confirmed, once their confirmation link has expired
  (PORTAL_TRACKING_CONFIRM_LINK_DAYS): the email address they hold is of no further use.

Each runs every PORTAL_RETENTION_<NAME>_MINUTES in `flask worker`; with several workers each deletion is one
idempotent statement, so running twice does no harm.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_

from app.extensions import db
from app.models.identity import PortalSession
from app.models.tracking import Subscription
from app.reports import outbox
from connectors.clock import utcnow

log = logging.getLogger("portal.retention")


def purge_expired_sessions(idle: timedelta, absolute: timedelta) -> int:
    now = utcnow()
    with db.engine.begin() as connection:
        return connection.execute(
            delete(PortalSession.__table__).where(
                or_(
                    PortalSession.last_active_at < now - idle,
                    PortalSession.created_at < now - absolute,
                )
            )
        ).rowcount


def purge_unconfirmed_followers(confirm_link_life: timedelta) -> int:
    purged = db.session.execute(
        delete(Subscription)
        .where(Subscription.confirmed_at.is_(None), Subscription.created_at < utcnow() - confirm_link_life)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return purged


def _sessions() -> int:
    config = current_app.config
    return purge_expired_sessions(
        timedelta(minutes=config["SESSION_IDLE_MINUTES"]), timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])
    )


def _drafts() -> int:
    from app.waste.orders import purge_abandoned_orders

    days = timedelta(days=current_app.config["DRAFT_DAYS"])
    return outbox.purge_abandoned_drafts(days) + purge_abandoned_orders(days)


def _followers() -> int:
    return purge_unconfirmed_followers(timedelta(days=current_app.config["TRACKING_CONFIRM_LINK_DAYS"]))


def _legacy_hashes() -> int:
    from app.migration.accounts import purge_old_legacy_hashes

    return purge_old_legacy_hashes(timedelta(days=current_app.config["LEGACY_HASH_DAYS"]))


TASKS: dict[str, Callable[[], int]] = {
    "sessions": _sessions,
    "legacy_hashes": _legacy_hashes,
    "drafts": _drafts,
    "unconfirmed_followers": _followers,
}


@dataclass
class Schedule:
    """When each retention task is next due (monotonic seconds); every task is due at start."""

    every: dict[str, float]
    next_due: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_config(cls) -> Schedule:
        config = current_app.config
        return cls({name: config[f"RETENTION_{name.upper()}_MINUTES"] * 60.0 for name in TASKS})

    def run_due(self) -> dict[str, int]:
        done = {}
        for name, task in TASKS.items():
            if time.monotonic() < self.next_due.get(name, 0.0):
                continue
            try:
                done[name] = task()
            except Exception:  # noqa: BLE001 - a failed purge is tried again next time; deliveries go on
                db.session.rollback()
                log.exception("retention task %s failed", name)
                continue
            finally:
                self.next_due[name] = time.monotonic() + self.every[name]
            if done[name]:
                log.info("deleted %s expired %s", done[name], name, extra={"fields": {"deleted": done[name]}})
        return done
