"""The time, always in UTC, for the portal and its connectors alike (app/ builds on connectors/, so both use
this one module)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """The moment with its time zone: SQLite hands back naive datetimes for timezone-aware columns, and
    everything the portal stores is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
