"""Dashboard tiles: what each tile asks of which council, fetched concurrently within one time budget.

Flask's app and request contexts do not cross threads, so the request thread resolves everything that needs
them (the home address, the resident's linked accounts and reports) into a plain ``Household`` first. Worker
threads then only call connectors (thread-safe, from the registry) and return typed ``Outcome``s; the request
thread assembles each tile from its outcomes.

A tile is in exactly one ``TileState``. ``fetch`` waits for the back offices within the budget: a call still
running when it is spent is answered from the connectors' cache (stale, with its age) or is unavailable, and
goes on in the background, so its answer is cached for the next page. ``shell`` asks no back office at all:
the page a browser running JavaScript gets first, its LOADING tiles then arriving as htmx fragments.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from connectors.errors import ConfigurationError, ConnectorError, NotFound, Unavailable
from connectors.http import HttpClient, NotMemoised, cache_only, memo_only, memoised
from connectors.models import (
    BinCollection,
    Case,
    CouncilTaxAccount,
    PlanningApplication,
    Result,
    ServiceKind,
    ServiceRequest,
)
from connectors.registry import ConnectorRegistry

log = logging.getLogger(__name__)

TILE_NAMES = ("bins", "council_tax", "planning", "street_reports", "cases")
PLANNING_RADIUS_M = 500
STREET_REPORTS_RADIUS_M = 400
MAX_PLANNING_APPLICATIONS = 5
MAX_NEARBY_REPORTS = 5

# Shared by every request of a process: a hung back office occupies a worker only until its connector's
# timeout, and the circuit breaker stops further calls to it.
_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="dashboard")


class TileState(StrEnum):
    LOADED = "loaded"
    STALE = "stale"
    UNAVAILABLE = "unavailable"
    NOT_APPLICABLE = "not_applicable"
    LOADING = "loading"


class NotApplicableReason(StrEnum):
    NOT_VERIFIED = "not_verified"
    NO_COUNCIL_TAX_LINK = "no_council_tax_link"
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
class Outcome:
    result: Result | None = None
    error: ConnectorError | None = None
    pending: bool = False


NOT_ASKED_YET = Outcome(pending=True)


@dataclass(frozen=True)
class Tile:
    """A tile as the template shows it. ``councils`` are the councils whose data it shows (or would);
    ``missing`` those that could not answer when others did."""

    name: str
    state: TileState
    councils: tuple[str, ...]
    data: Any = None
    fetched_at: datetime | None = None
    reason: NotApplicableReason | None = None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class BinsData:
    collections: tuple[BinCollection, ...]


@dataclass(frozen=True)
class CouncilTaxData:
    account: CouncilTaxAccount


@dataclass(frozen=True)
class PlanningData:
    applications: tuple[PlanningApplication, ...]


@dataclass(frozen=True)
class CouncilReport:
    council: str
    request: ServiceRequest


@dataclass(frozen=True)
class StreetReportsData:
    own: tuple[CouncilReport, ...]
    nearby: tuple[CouncilReport, ...]


@dataclass(frozen=True)
class CouncilCase:
    council: str
    case: Case


@dataclass(frozen=True)
class CasesData:
    cases: tuple[CouncilCase, ...]


# --- what each tile asks -----------------------------------------------------------------------------------


def _serves(registry: ConnectorRegistry, council: str, kind: ServiceKind) -> bool:
    return registry.serves(council, kind)


def plan(name: str, household: Household, registry: ConnectorRegistry) -> list[Call]:
    """The connector calls tile ``name`` needs for this household (none: the tile does not apply)."""
    h = household
    if name == "bins":
        if not _serves(registry, h.district, ServiceKind.BINS):
            return []
        return [
            Call(name, "bins", h.district, ServiceKind.BINS, lambda r: r.bins(h.district).collections(h.uprn))
        ]
    if name == "council_tax":
        if not (h.verified and h.council_tax_reference) or not _serves(
            registry, h.district, ServiceKind.COUNCIL_TAX
        ):
            return []
        reference = h.council_tax_reference
        return [
            Call(
                name,
                "account",
                h.district,
                ServiceKind.COUNCIL_TAX,
                lambda r: r.council_tax(h.district).account(reference),
            )
        ]
    if name == "planning":
        if h.latitude is None or not _serves(registry, h.district, ServiceKind.PLANNING):
            return []
        return [
            Call(
                name,
                "near",
                h.district,
                ServiceKind.PLANNING,
                lambda r: r.planning(h.district).applications_near(
                    h.latitude, h.longitude, PLANNING_RADIUS_M
                ),
            )
        ]
    if name == "street_reports":
        calls = []
        councils = [c for c in (h.county, h.district) if _serves(registry, c, ServiceKind.STREET_REPORTS)]
        if h.latitude is not None:
            for council in councils:
                calls.append(
                    Call(
                        name,
                        f"near:{council}",
                        council,
                        ServiceKind.STREET_REPORTS,
                        lambda r, c=council: r.street_reports(c).requests_near(
                            h.latitude, h.longitude, STREET_REPORTS_RADIUS_M, status="open"
                        ),
                    )
                )
        by_council: dict[str, list[str]] = {}
        for report in h.own_reports:
            by_council.setdefault(report.council, []).append(report.service_request_id)
        for council, ids in sorted(by_council.items()):
            if _serves(registry, council, ServiceKind.STREET_REPORTS):
                calls.append(
                    Call(
                        name,
                        f"own:{council}",
                        council,
                        ServiceKind.STREET_REPORTS,
                        lambda r, c=council, i=tuple(ids): r.street_reports(c).requests(
                            service_request_ids=i
                        ),
                    )
                )
        return calls
    if name == "cases":
        if not h.email:
            return []
        # The county first, then the districts: every council the resident may have contacted.
        councils = [
            h.county,
            *sorted(c for c in registry.councils_serving(ServiceKind.CASES) if c != h.county),
        ]
        return [
            Call(
                name,
                council,
                council,
                ServiceKind.CASES,
                lambda r, c=council: r.cases(c).cases_for_email(h.email),
            )
            for council in councils
            if _serves(registry, council, ServiceKind.CASES)
        ]
    raise ValueError(f"unknown tile {name!r}")


def councils_of(name: str, household: Household) -> tuple[str, ...]:
    """The councils a tile shows data from, before any call is made."""
    if name in ("bins", "council_tax", "planning"):
        return (household.district,)
    if name == "street_reports":
        return (household.county, household.district)
    return (household.county, household.district)


def not_applicable_reason(name: str, household: Household) -> NotApplicableReason:
    if name == "council_tax":
        if not household.verified:
            return NotApplicableReason.NOT_VERIFIED
        if not household.council_tax_reference:
            return NotApplicableReason.NO_COUNCIL_TAX_LINK
    if name == "cases" and not household.email:
        return NotApplicableReason.NO_EMAIL
    return NotApplicableReason.NOT_OFFERED


# --- running the calls -------------------------------------------------------------------------------------


def _run(call: Call, registry: ConnectorRegistry) -> Outcome:
    try:
        return Outcome(result=call.run(registry))
    except ConnectorError as error:
        return Outcome(error=error)
    except NotMemoised:
        raise
    except ConfigurationError as error:
        log.error("dashboard %s for %s: %s", call.tile, call.council, error)
        return Outcome(error=ConnectorError(call.council, call.tile, detail="configuration"))
    except Exception as error:  # noqa: BLE001 - one tile's bug must not take the whole page down
        log.exception("dashboard %s for %s failed", call.tile, call.council)
        return Outcome(error=ConnectorError(call.council, call.tile, detail=type(error).__name__))


def fetch(
    names: Sequence[str], household: Household, registry: ConnectorRegistry, budget_seconds: float
) -> dict[str, Tile]:
    """Every named tile, their calls run concurrently; a call that has not answered within the budget is
    answered from the connectors' cache, stale, or is unavailable.

    Calls to HTTP connectors whose in-process memo holds the answer are run on this thread (they cost
    microseconds, less than handing them to a worker); the others go to the pool together and share the
    budget."""
    deadline = time.monotonic() + budget_seconds
    plans = {name: plan(name, household, registry) for name in names}
    with memoised():
        answered, unanswered = _answers_from_memos(plans, registry)
        # Each worker runs in its own copy of this context, so what it fetches fills the memo.
        futures = {
            key: _pool.submit(contextvars.copy_context().run, _run, call, registry)
            for key, call in unanswered.items()
        }
    wait(list(futures.values()), timeout=max(deadline - time.monotonic(), 0))
    for key, future in futures.items():
        answered[key] = future.result() if future.done() else _from_cache(unanswered[key], registry)
    return _assemble_all(plans, household, answered)


def shell(names: Sequence[str], household: Household, registry: ConnectorRegistry) -> dict[str, Tile]:
    """Every named tile as far as it can be shown without asking a back office: not applicable, or answered
    by the connectors' in-process memos; the others LOADING, not yet asked."""
    plans = {name: plan(name, household, registry) for name in names}
    answered, unanswered = _answers_from_memos(plans, registry)
    answered.update(dict.fromkeys(unanswered, NOT_ASKED_YET))
    return _assemble_all(plans, household, answered)


def _answers_from_memos(
    plans: Mapping[str, Sequence[Call]], registry: ConnectorRegistry
) -> tuple[dict[tuple[str, str], Outcome], dict[tuple[str, str], Call]]:
    """The outcomes the memos hold, and the calls they cannot answer, each by (tile, key)."""
    answered: dict[tuple[str, str], Outcome] = {}
    unanswered: dict[tuple[str, str], Call] = {}
    for calls in plans.values():
        for call in calls:
            outcome = _run_from_memo(call, registry)
            if outcome is None:
                unanswered[(call.tile, call.key)] = call
            else:
                answered[(call.tile, call.key)] = outcome
    return answered, unanswered


def _assemble_all(
    plans: Mapping[str, Sequence[Call]], household: Household, answered: Mapping[tuple[str, str], Outcome]
) -> dict[str, Tile]:
    return {
        name: assemble(name, household, calls, {call.key: answered[(name, call.key)] for call in calls})
        for name, calls in plans.items()
    }


def _http_client_of(call: Call, registry: ConnectorRegistry) -> HttpClient | None:
    """The call's connector's HttpClient, when all its I/O goes through one (only then can a memo or cache
    read promise not to reach the back office)."""
    try:
        connector = registry.connector(call.council, call.kind)
    except Exception:  # noqa: BLE001 - the pool's run reports it as the tile's error
        return None
    client = getattr(connector, "http", None)
    return client if isinstance(client, HttpClient) else None


def _run_from_memo(call: Call, registry: ConnectorRegistry) -> Outcome | None:
    """The call's outcome when its connector's memo answers it, else None. Only a connector whose I/O all goes
    through an HttpClient can promise not to block this thread; any other always goes to the pool."""
    if _http_client_of(call, registry) is None:
        return None
    with memo_only():
        try:
            return _run(call, registry)
        except NotMemoised:
            return None


def _from_cache(call: Call, registry: ConnectorRegistry) -> Outcome:
    """A late call's outcome from its connector's cache, without waiting for the back office."""
    if _http_client_of(call, registry) is None:
        return Outcome(error=Unavailable(call.council, call.kind, detail="budget spent"))
    with cache_only():
        return _run(call, registry)


# --- assembling a tile from its outcomes -------------------------------------------------------------------


def assemble(name: str, household: Household, calls: Sequence[Call], outcomes: Mapping[str, Outcome]) -> Tile:
    councils = councils_of(name, household)
    if not calls:
        return Tile(name, TileState.NOT_APPLICABLE, councils, reason=not_applicable_reason(name, household))
    if any(outcome.pending for outcome in outcomes.values()):
        return Tile(name, TileState.LOADING, councils)
    if name == "bins":
        outcome = outcomes["bins"]
        if isinstance(outcome.error, NotFound):
            return Tile(name, TileState.NOT_APPLICABLE, councils, reason=NotApplicableReason.NOT_COLLECTED)
    answered = {key: outcome.result for key, outcome in outcomes.items() if outcome.result is not None}
    failed = tuple(
        dict.fromkeys(
            call.council
            for call in calls
            if outcomes[call.key].error is not None and not isinstance(outcomes[call.key].error, NotFound)
        )
    )
    if not answered and failed:
        return Tile(name, TileState.UNAVAILABLE, councils, missing=failed)
    stale = [result for result in answered.values() if result.stale]
    state = TileState.STALE if stale else TileState.LOADED
    # A stale tile says when its oldest data was fetched; a fresh one when it was fetched.
    fetched_at = min((result.fetched_at for result in (stale or answered.values())), default=None)
    return Tile(name, state, councils, _data(name, answered), fetched_at, missing=failed)


def _data(name: str, answered: Mapping[str, Result]) -> Any:
    if name == "bins":
        return BinsData(tuple(sorted(answered["bins"].value, key=lambda bin: bin.next_date)))
    if name == "council_tax":
        return CouncilTaxData(answered["account"].value)
    if name == "planning":
        return PlanningData(tuple(answered["near"].value)[:MAX_PLANNING_APPLICATIONS])
    if name == "street_reports":
        own = [
            CouncilReport(key.split(":", 1)[1], request)
            for key, result in answered.items()
            if key.startswith("own:")
            for request in result.value
        ]
        own_ids = {report.request.service_request_id for report in own}
        nearby = [
            CouncilReport(key.split(":", 1)[1], request)
            for key, result in answered.items()
            if key.startswith("near:")
            for request in result.value
            if request.service_request_id not in own_ids
        ]
        return StreetReportsData(tuple(own), tuple(nearby[:MAX_NEARBY_REPORTS]))
    if name == "cases":
        cases = [CouncilCase(council, case) for council, result in answered.items() for case in result.value]
        cases.sort(key=lambda item: (item.case.closed, -item.case.updated_at.timestamp()))
        return CasesData(tuple(cases))
    raise ValueError(f"unknown tile {name!r}")
