"""What a dashboard tile is made of, as plain data: the ``Household`` it is asked for, its ``TileKind`` (what
it asks of which council and how it assembles the answers), each ``Call`` it makes, and why it may not apply.

The tile modules (app/dashboard/tile_kinds/) are written in these terms; app/dashboard/tiles.py runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connectors.models import Result, ServiceKind
from connectors.registry import ConnectorRegistry


class NotApplicableReason(StrEnum):
    NOT_VERIFIED = "not_verified"
    NO_COUNCIL_TAX_LINK = "no_council_tax_link"
    COUNCIL_TAX_ACCOUNT_NOT_FOUND = "council_tax_account_not_found"
    NOT_OFFERED = "not_offered"
    NOT_COLLECTED = "not_collected"
    NO_EMAIL = "no_email"


@dataclass(frozen=True)
class OwnReport:
    council: str
    service_request_id: str


@dataclass(frozen=True)
class Household:
    """Everything the tiles need about the signed-in resident, as plain data."""

    uprn: str
    address: str
    latitude: float | None
    longitude: float | None
    district: str
    county: str
    email: str | None
    verified: bool
    council_tax_reference: str | None
    own_reports: tuple[OwnReport, ...] = ()


@dataclass(frozen=True)
class Call:
    """One connector call a tile needs: ``key`` names it within its tile."""

    tile: str
    key: str
    council: str
    kind: ServiceKind
    run: Callable[[ConnectorRegistry], Result]


@dataclass(frozen=True)
class TileKind:
    """One kind of tile, showing one ``service``: ``plan`` says which connector calls it needs for a
    household (none: it does not apply), ``data`` assembles what the template shows from the calls' results by
    key, ``councils`` whose data it shows; ``not_applicable`` says why a tile without calls does not apply,
    ``not_found`` why a NotFound answer means it does not apply (None: NotFound is a failure). Its partial is
    ``dashboard/_<name>.html``."""

    name: str
    position: int
    title: Any
    service: ServiceKind
    plan: Callable[[Household, ConnectorRegistry], list[Call]]
    data: Callable[[Mapping[str, Result]], Any]
    councils: Callable[[Household], tuple[str, ...]]
    not_applicable: Callable[[Household], NotApplicableReason] = lambda household: (
        NotApplicableReason.NOT_OFFERED
    )
    not_found: NotApplicableReason | None = None

    @property
    def template(self) -> str:
        return f"dashboard/_{self.name}.html"
