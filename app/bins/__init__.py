"""Bin collection days for any Norfolk address: the collections of the district that empties its bins, as
the public bin days pages, the calendar feed and the reminders use them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from flask import request
from flask_babel import _

from app import address_problems, routing
from app.backoffice import registry
from app.council_services import CouncilService
from app.dashboard import calendar
from app.theming import themes
from connectors.errors import ConnectorError, NotFound
from connectors.models import Address, BinCollection

log = logging.getLogger(__name__)


class BinsUnavailable(Exception):
    """The council's bin system could not answer and nothing it said before is kept."""

    def __init__(self, council: str):
        self.council = council
        super().__init__(council)


@dataclass(frozen=True)
class BinDays:
    address: Address
    council: str  # the slug of the district that collects the bins
    collections: tuple[BinCollection, ...]
    fetched_at: datetime
    stale: bool = False


def bin_days(uprn: str) -> BinDays:
    """The next collections at this address. Raises an AddressProblem (app/address_problems.py) for an address
    the portal does not know (or outside Norfolk), BinsUnavailable when the council's system cannot answer."""
    responsibility = routing.council_for(CouncilService.BINS, uprn=uprn)
    council = responsibility.council
    try:
        result = registry().bins(council).collections(responsibility.address.uprn)
    except NotFound:
        return BinDays(responsibility.address, council, (), datetime.now(UTC))
    except ConnectorError:
        raise BinsUnavailable(council) from None
    collections = tuple(sorted(result.value, key=lambda collection: (collection.next_date, collection.name)))
    return BinDays(responsibility.address, council, collections, result.fetched_at, result.stale)


def collections_on(day: date, uprn: str, reminder: str, resident_id: int) -> tuple[BinDays, list[str]] | None:
    """The home's bin days and the names of the bins emptied on ``day``; None when none are, or when the
    address or the council's system cannot say (logged as this resident's ``reminder`` not checked)."""
    try:
        days = bin_days(uprn)
    except (address_problems.AddressProblem, BinsUnavailable) as problem:
        log.warning("%s for resident %s not checked: %s", reminder, resident_id, type(problem).__name__)
        return None
    names = [
        collection.name
        for collection in days.collections
        if day in (collection.next_date, *collection.upcoming)
    ]
    return (days, names) if names else None


def calendar_text(days: BinDays) -> str:
    """The collections as an iCalendar file: the same dates the bin days page and the dashboard tile show."""
    council = themes().get(days.council)
    return calendar.bin_calendar(
        days.collections,
        uprn=days.address.uprn,
        calendar_name=_("Bin collections (%(council)s)", council=council.name),
        uid_domain=council.domains[0] if council.domains else urlsplit(request.host_url).hostname,
        generated_at=days.fetched_at,
    )
