"""Dashboard tiles: what each tile asks of which council, fetched concurrently within one time budget.

Flask's app and request contexts do not cross threads, so the request thread resolves everything that needs
them (the home address, the resident's linked accounts and reports) into a plain ``Household`` first. Worker
threads then only call connectors (thread-safe, from the registry) and return typed ``Outcome``s; the request
thread assembles each tile from its outcomes.

A tile is in exactly one ``TileState``. ``fetch`` waits for the back offices within the budget: a call still
running when it is spent is answered from the connectors' cache (stale, with its age) or is unavailable, and
goes on in the background, so its answer is cached for the next page. ``shell`` asks no back office at all:
the page a browser running JavaScript gets first, its LOADING tiles then arriving as htmx fragments.

Each tile is a ``TileKind`` (app/dashboard/types.py) in a module of its own under app/dashboard/tile_kinds/
(``TILES``, in page order).
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from app.dashboard.tile_kinds import discover
from app.dashboard.types import Call, Household, NotApplicableReason, TileKind
from connectors.errors import ConfigurationError, ConnectorError, NotFound, Unavailable
from connectors.http import HttpClient, NotMemoised, cache_only, memo_expiries, memo_only, memoised
from connectors.models import Result
from connectors.registry import ConnectorRegistry

log = logging.getLogger(__name__)

# Shared by every request of a process: a hung back office occupies a worker only until its connector's
# timeout, and the circuit breaker stops further calls to it.
_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="dashboard")


class TileState(StrEnum):
    LOADED = "loaded"
    STALE = "stale"
    UNAVAILABLE = "unavailable"
    NOT_APPLICABLE = "not_applicable"
    LOADING = "loading"


@dataclass(frozen=True)
class Outcome:
    """A call's answer or error. ``fresh_until``: when the memo answers it was made of stop being fresh (None
    when any part came from elsewhere)."""

    result: Result | None = None
    error: ConnectorError | None = None
    pending: bool = False
    fresh_until: datetime | None = None


NOT_ASKED_YET = Outcome(pending=True)


@dataclass(frozen=True)
class Tile:
    """A tile as the template shows it. ``councils`` are the councils whose data it shows (or would);
    ``missing`` those that could not answer when others did. ``fresh_until``: until when the tile, as
    assembled, is what the connectors' memos hold (for a tile that asks nothing, ``NEVER``); None when that
    cannot be known (an answer from the shared cache or a back office, or the tile is not fresh)."""

    name: str
    state: TileState
    councils: tuple[str, ...]
    data: Any = None
    fetched_at: datetime | None = None
    reason: NotApplicableReason | None = None
    missing: tuple[str, ...] = ()
    fresh_until: datetime | None = None


NEVER = datetime.max.replace(tzinfo=UTC)


# --- what each tile asks -----------------------------------------------------------------------------------


def plan(name: str, household: Household, registry: ConnectorRegistry) -> list[Call]:
    """The connector calls tile ``name`` needs for this household (none: the tile does not apply)."""
    return TILES[name].plan(household, registry)


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
    with memo_only(), memo_expiries() as expiries:
        try:
            outcome = _run(call, registry)
        except NotMemoised:
            return None
    return replace(outcome, fresh_until=min(expiries, default=None))


def _from_cache(call: Call, registry: ConnectorRegistry) -> Outcome:
    """A late call's outcome from its connector's cache, without waiting for the back office."""
    if _http_client_of(call, registry) is None:
        return Outcome(error=Unavailable(call.council, call.kind, detail="budget spent"))
    with cache_only():
        return _run(call, registry)


# --- assembling a tile from its outcomes -------------------------------------------------------------------


def assemble(name: str, household: Household, calls: Sequence[Call], outcomes: Mapping[str, Outcome]) -> Tile:
    kind = TILES[name]
    councils = kind.councils(household)
    if not calls:
        return Tile(
            name, TileState.NOT_APPLICABLE, councils, reason=kind.not_applicable(household), fresh_until=NEVER
        )
    if any(outcome.pending for outcome in outcomes.values()):
        return Tile(name, TileState.LOADING, councils)
    if kind.not_found is not None and any(
        isinstance(outcome.error, NotFound) for outcome in outcomes.values()
    ):
        return Tile(name, TileState.NOT_APPLICABLE, councils, reason=kind.not_found)
    answered = {key: outcome.result for key, outcome in outcomes.items() if outcome.result is not None}
    failed = tuple(
        dict.fromkeys(
            call.council
            for call in calls
            # A NotFound the tile gives no reason for is a failure like any other (see TileKind.not_found).
            if outcomes[call.key].error is not None
        )
    )
    if not answered and failed:
        return Tile(name, TileState.UNAVAILABLE, councils, missing=failed)
    stale = [result for result in answered.values() if result.stale]
    state = TileState.STALE if stale else TileState.LOADED
    # A stale tile says when its oldest data was fetched; a fresh one when it was fetched.
    fetched_at = min((result.fetched_at for result in (stale or answered.values())), default=None)
    fresh_until = None
    if state is TileState.LOADED and not failed:
        expiries = [outcome.fresh_until for outcome in outcomes.values()]
        fresh_until = None if None in expiries else min(expiries, default=None)
    return Tile(
        name, state, councils, kind.data(answered), fetched_at, missing=failed, fresh_until=fresh_until
    )


TILES: dict[str, TileKind] = {kind.name: kind for kind in discover()}
TILE_NAMES: tuple[str, ...] = tuple(TILES)
