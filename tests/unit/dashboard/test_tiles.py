"""How a tile's state follows from its back offices' answers, and how the budget bounds the wait."""

import threading
from concurrent.futures import Future
from datetime import UTC, date, datetime, timedelta

from app.dashboard import tiles
from app.dashboard.tiles import Outcome, TileState
from app.dashboard.types import Household, NotApplicableReason
from connectors.breaker import CircuitBreaker, InProcessBreakerStore
from connectors.errors import NotFound, Unavailable
from connectors.http import HttpClient, HttpPolicy, memo_key
from connectors.models import BinCollection, Case, Result, ServiceKind

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
HOME = Household(
    uprn="2630112001",
    address="12 Orchard Way, Wymondham, NR18 0SX",
    latitude=52.57,
    longitude=1.11,
    district="south-norfolk",
    county="norfolk",
    email="priya.shah@example.com",
    verified=False,
    council_tax_reference=None,
)
BINS = (BinCollection("refuse", "Black bin", date(2026, 11, 24)),)


class FakeRegistry:
    """Serves every council every service; each call answers as ``answer(council, kind)`` says."""

    def __init__(self, answer):
        self.answer = answer

    def serves(self, council, kind):
        return True

    def councils_serving(self, kind):
        return ["breckland", "norfolk", "south-norfolk"]

    def __getattr__(self, kind):
        registry = self

        class Connector:
            def __init__(self, council):
                self.council = council

            def __getattr__(self, method):
                return lambda *args, **kwargs: registry.answer(self.council, kind)

        return Connector


def result(value, *, kind=ServiceKind.BINS, stale=False, council="south-norfolk"):
    return Result(value, council, kind, NOW - timedelta(hours=3 if stale else 0), stale=stale)


def bins_tile(outcome):
    calls = tiles.plan("bins", HOME, FakeRegistry(None))
    return tiles.assemble("bins", HOME, calls, {"bins": outcome})


def test_fresh_answer_is_loaded_and_says_which_council():
    tile = bins_tile(Outcome(result=result(BINS)))
    assert tile.state is TileState.LOADED
    assert tile.councils == ("south-norfolk",)
    assert tile.data.collections == BINS


def test_stale_answer_is_stale_with_when_it_was_fetched():
    tile = bins_tile(Outcome(result=result(BINS, stale=True)))
    assert tile.state is TileState.STALE
    assert tile.fetched_at == NOW - timedelta(hours=3)


def test_no_answer_is_unavailable_and_unknown_address_is_not_applicable():
    assert bins_tile(Outcome(error=Unavailable("south-norfolk", "bins"))).state is TileState.UNAVAILABLE
    tile = bins_tile(Outcome(error=NotFound("south-norfolk", "bins")))
    assert (tile.state, tile.reason) == (TileState.NOT_APPLICABLE, NotApplicableReason.NOT_COLLECTED)


def test_a_call_not_asked_yet_leaves_the_tile_loading():
    assert bins_tile(tiles.NOT_ASKED_YET).state is TileState.LOADING


def test_council_tax_needs_verification_then_a_linked_account():
    tile = tiles.fetch(("council_tax",), HOME, FakeRegistry(None), 1)["council_tax"]
    assert (tile.state, tile.reason) == (TileState.NOT_APPLICABLE, NotApplicableReason.NOT_VERIFIED)
    verified = Household(**{**HOME.__dict__, "verified": True})
    tile = tiles.fetch(("council_tax",), verified, FakeRegistry(None), 1)["council_tax"]
    assert tile.reason is NotApplicableReason.NO_COUNCIL_TAX_LINK


def test_a_linked_council_tax_account_the_council_no_longer_knows_is_said_so():
    linked = Household(**{**HOME.__dict__, "verified": True, "council_tax_reference": "26099999"})

    def answer(council, kind):
        raise NotFound(council, kind)

    tile = tiles.fetch(("council_tax",), linked, FakeRegistry(answer), 1)["council_tax"]
    assert (tile.state, tile.reason) == (
        TileState.NOT_APPLICABLE,
        NotApplicableReason.COUNCIL_TAX_ACCOUNT_NOT_FOUND,
    )


def test_not_found_from_a_tile_that_gives_it_no_reason_is_unavailable():
    def answer(council, kind):
        raise NotFound(council, kind)

    tile = tiles.fetch(("cases",), HOME, FakeRegistry(answer), 1)["cases"]
    assert tile.state is TileState.UNAVAILABLE


def test_cases_from_every_council_with_the_ones_that_failed_named():
    case = Case("C1", "Noise", "noise", "open", "Open", NOW, NOW)

    def answer(council, kind):
        if council == "breckland":
            raise Unavailable(council, kind)
        return result((case,) if council == "norfolk" else (), kind=ServiceKind.CASES, council=council)

    tile = tiles.fetch(("cases",), HOME, FakeRegistry(answer), 1)["cases"]
    assert tile.state is TileState.LOADED
    assert [item.council for item in tile.data.cases] == ["norfolk"]
    assert tile.missing == ("breckland",)


def test_a_hung_back_office_costs_the_budget_and_no_more():
    release = threading.Event()

    def answer(council, kind):
        if kind == "planning":
            release.wait(5)
        return result(BINS if kind == "bins" else (), kind=ServiceKind(kind), council=council)

    found = tiles.fetch(("bins", "planning"), HOME, FakeRegistry(answer), 0.3)
    released_after_fetch = not release.is_set()
    release.set()
    # Had fetch waited for the hung call it would have answered "loaded": the hung call only returns now.
    # Nothing cached and no HTTP cache to ask (a fake connector): unavailable.
    assert released_after_fetch and found["planning"].state is TileState.UNAVAILABLE
    assert found["bins"].state is TileState.LOADED


def test_a_bug_in_one_call_makes_its_tile_unavailable_not_an_error_page():
    def answer(council, kind):
        raise RuntimeError("boom")

    assert tiles.fetch(("bins",), HOME, FakeRegistry(answer), 1)["bins"].state is TileState.UNAVAILABLE


class HttpRegistry:
    """Serves bins from connectors backed by a real HttpClient whose back office is never reachable: only its
    memo can answer."""

    def __init__(self):
        self.http = HttpClient(
            council="south-norfolk",
            kind=ServiceKind.BINS,
            base_url="http://127.0.0.1:9",
            policy=HttpPolicy(ttl=timedelta(hours=6)),
            cache=None,
            breaker=CircuitBreaker("south-norfolk:bins", InProcessBreakerStore(), 3, reset_after=30),
        )
        registry = self

        class Bins:
            http = registry.http

            def collections(self, uprn):
                return self.http.get(f"properties/{uprn}/collections", parse=parse_collections)

        self.bins_connector = Bins()

    def serves(self, council, kind):
        return kind == ServiceKind.BINS

    def connector(self, council, kind):
        return self.bins_connector

    def bins(self, council):
        return self.bins_connector


def parse_collections(response):
    return BINS


class RecordingPool:
    def __init__(self):
        self.submitted = []

    def submit(self, function, *arguments):
        call = arguments[-2]
        self.submitted.append(call.key)
        future = Future()
        future.set_result(Outcome(error=Unavailable(call.council, call.tile)))
        return future


def test_a_call_its_connectors_memo_answers_runs_on_the_request_thread(monkeypatch):
    registry, pool = HttpRegistry(), RecordingPool()
    monkeypatch.setattr(tiles, "_pool", pool)
    now = datetime.now(UTC)
    key = memo_key(f"properties/{HOME.uprn}/collections", {}, {}, parse_collections)
    registry.http.memo.put(key, result(BINS), now + timedelta(minutes=1), now)

    tile = tiles.fetch(("bins",), HOME, registry, 1)["bins"]

    assert tile.state is TileState.LOADED and tile.data.collections == BINS
    assert pool.submitted == []
    assert tile.fresh_until == now + timedelta(minutes=1), "as fresh as the memo's answer"


def test_a_call_the_memo_cannot_answer_goes_to_the_pool_without_blocking_the_request_thread(monkeypatch):
    registry, pool = HttpRegistry(), RecordingPool()
    monkeypatch.setattr(tiles, "_pool", pool)

    tile = tiles.fetch(("bins",), HOME, registry, 1)["bins"]

    assert pool.submitted == ["bins"]
    assert tile.state is TileState.UNAVAILABLE
    assert tile.fresh_until is None


def test_a_tile_that_asks_nothing_never_goes_out_of_date_and_one_with_any_other_answer_cannot_say(
    monkeypatch,
):
    registry, pool = HttpRegistry(), RecordingPool()
    monkeypatch.setattr(tiles, "_pool", pool)
    assert tiles.shell(("council_tax",), HOME, registry)["council_tax"].fresh_until == tiles.NEVER
    answered = {"bins": tiles.Outcome(result=result(BINS))}
    calls = tiles.plan("bins", HOME, registry)
    assert (
        tiles.assemble("bins", HOME, calls, {call.key: answered["bins"] for call in calls}).fresh_until
        is None
    )


def test_the_shell_asks_no_back_office_and_shows_what_the_memo_holds(monkeypatch):
    registry, pool = HttpRegistry(), RecordingPool()
    monkeypatch.setattr(tiles, "_pool", pool)

    waiting = tiles.shell(("bins", "council_tax"), HOME, registry)

    assert waiting["bins"].state is TileState.LOADING
    assert waiting["council_tax"].state is TileState.NOT_APPLICABLE
    now = datetime.now(UTC)
    key = memo_key(f"properties/{HOME.uprn}/collections", {}, {}, parse_collections)
    registry.http.memo.put(key, result(BINS), now + timedelta(minutes=1), now)
    assert tiles.shell(("bins",), HOME, registry)["bins"].state is TileState.LOADED
    assert pool.submitted == []
