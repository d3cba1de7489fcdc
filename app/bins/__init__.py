"""Bin collection days for any Norfolk address: the collections of the district that empties its bins, as
the public bin days pages, the calendar feed and the reminders use them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import request
from flask_babel import _

from app import routing
from app.backoffice import registry
from app.council_services import CouncilService
from app.dashboard import calendar
from app.theming import themes
from connectors.errors import ConnectorError, NotFound
from connectors.models import Address, BinCollection


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
