"""The in-process memo of parsed Results in front of the connectors' shared cache: it expires with the cached
answer (and within MEMO_SECONDS), keeps every request's answer to itself, and never holds stale data."""

from datetime import UTC, datetime, timedelta

from connectors.http import ParsedMemo, memo_drops, memo_key
from connectors.models import Result, ServiceKind

NOW = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


def parse_cases(response):
    return response


def result(value, *, stale=False):
    return Result(value, "norfolk", ServiceKind.CASES, NOW, stale=stale)


def test_an_entry_is_served_until_its_expiry_and_not_after():
    memo = ParsedMemo()
    memo.put("key", result(1), NOW + timedelta(seconds=30), NOW)

    assert memo.entry("key", NOW + timedelta(seconds=29)) == (NOW + timedelta(seconds=30), result(1))
    assert memo.entry("key", NOW + timedelta(seconds=30)) is None
    assert len(memo) == 0, "an expired entry is dropped"


def test_an_entry_lives_no_longer_than_the_memo_allows_even_with_a_longer_ttl():
    memo = ParsedMemo(max_seconds=60)
    memo.put("bins", result(1), NOW + timedelta(hours=6), NOW)

    assert memo.entry("bins", NOW + timedelta(seconds=59)) is not None
    assert memo.entry("bins", NOW + timedelta(seconds=60)) is None


def test_stale_and_already_expired_results_are_never_memoised():
    memo = ParsedMemo()
    memo.put("stale", result(1, stale=True), NOW + timedelta(minutes=5), NOW)
    memo.put("expired", result(2), NOW, NOW)

    assert memo.entry("stale", NOW) is None
    assert memo.entry("expired", NOW) is None


def test_the_memo_is_bounded_and_forgets_the_least_recently_used():
    memo = ParsedMemo(max_entries=2)
    later = NOW + timedelta(minutes=1)
    memo.put("a", result("a"), later, NOW)
    memo.put("b", result("b"), later, NOW)
    memo.entry("a", NOW)
    memo.put("c", result("c"), later, NOW)

    assert memo.entry("b", NOW) is None
    assert [memo.entry(key, NOW)[1].value for key in ("a", "c")] == ["a", "c"]


def test_the_key_includes_everything_the_request_carries():
    base = memo_key("cases", {"email": "priya@example.com"}, {"Authorization": "Bearer 1"}, parse_cases)

    assert base == memo_key(
        "cases", {"email": "priya@example.com"}, {"Authorization": "Bearer 1"}, parse_cases
    )
    assert base != memo_key("cases", {"email": "tom@example.com"}, {"Authorization": "Bearer 1"}, parse_cases)
    assert base != memo_key(
        "cases", {"email": "priya@example.com"}, {"Authorization": "Bearer 2"}, parse_cases
    )
    assert base != memo_key(
        "other", {"email": "priya@example.com"}, {"Authorization": "Bearer 1"}, parse_cases
    )
    assert base != memo_key("cases", {"email": "priya@example.com"}, {"Authorization": "Bearer 1"}, repr)
    assert memo_key("cases", {"ids": ["1", "2"]}, {}, parse_cases) != memo_key(
        "cases", {"ids": ["1", "3"]}, {}, parse_cases
    )


def test_one_residents_answer_is_never_anothers():
    memo = ParsedMemo()
    priya = memo_key("cases", {"email": "priya@example.com"}, {}, parse_cases)
    tom = memo_key("cases", {"email": "tom@example.com"}, {}, parse_cases)
    memo.put(priya, result("priya's cases"), NOW + timedelta(minutes=5), NOW)

    assert memo.entry(tom, NOW) is None
    assert memo.entry(priya, NOW)[1].value == "priya's cases"


def test_a_parse_function_that_captures_state_is_never_memoised():
    radius = 500

    def parse_near(response):
        return (response, radius)

    assert memo_key("near", {}, {}, parse_near) is None
    assert memo_key("near", {}, {}, lambda response: (response, radius)) is None


def test_a_bound_method_is_memoised_per_object():
    class Adapter:
        def parse(self, response):
            return response

    first, second = Adapter(), Adapter()
    assert memo_key("requests", {}, {}, first.parse) == memo_key("requests", {}, {}, first.parse)
    assert memo_key("requests", {}, {}, first.parse) != memo_key("requests", {}, {}, second.parse)


def test_dropping_answers_is_counted_for_the_pages_built_from_them():
    memo = ParsedMemo()
    before = memo_drops()
    memo.drop(lambda key: True)
    assert memo_drops() == before + 1
