"""The bins contract suite (docs/api/bins.yaml): every bins adapter passes it, against the sandbox and against
recorded answers."""

from datetime import timedelta
from itertools import pairwise

import pytest

from connectors.errors import NotAuthorised, NotFound
from connectors.models import BinCollection, ServiceKind
from tests.contract.conftest import DISTRICT_OF, RESIDENTS
from tests.contract.recorder import CONTRACT_DAY


@pytest.mark.parametrize("resident", RESIDENTS, ids=lambda resident: resident.given_name)
def test_every_resident_gets_typed_upcoming_collections_from_their_district(source_registry, resident):
    district = DISTRICT_OF[resident.district_gss]
    result = source_registry.bins(district).collections(resident.uprn)

    assert (result.council, result.kind, result.stale) == (district, ServiceKind.BINS, False)
    assert result.value and all(isinstance(collection, BinCollection) for collection in result.value)
    assert [c.next_date for c in result.value] == sorted(c.next_date for c in result.value), "soonest first"
    for collection in result.value:
        assert collection.next_date >= CONTRACT_DAY
        assert collection.upcoming[0] == collection.next_date
        assert list(collection.upcoming) == sorted(set(collection.upcoming)), (
            "upcoming dates in order, once each"
        )
        assert len(collection.upcoming) >= 4, "enough dates for a calendar"
        assert collection.last_date is None or collection.last_date < CONTRACT_DAY
        assert collection.name and collection.round


def test_rounds_are_real_weekly_and_fortnightly_rounds(source_registry):
    tom = next(resident for resident in RESIDENTS if resident.given_name == "Tom")
    bins = {
        collection.bin_type: collection
        for collection in source_registry.bins("norwich").collections(tom.uprn).value
    }

    def gaps(collection):
        return {later - earlier for earlier, later in pairwise(collection.upcoming)}

    assert gaps(bins["food"]) == {timedelta(days=7)}
    assert gaps(bins["refuse"]) == gaps(bins["recycling"]) == {timedelta(days=14)}
    assert abs(bins["refuse"].next_date - bins["recycling"].next_date) == timedelta(days=7), "alternate weeks"
    assert {collection.next_date.weekday() for collection in bins.values()} == {3}, (
        "Tom's bins go on Thursdays"
    )


def test_priyas_garden_waste_bin_was_missed_last_week(source_registry):
    priya = next(resident for resident in RESIDENTS if resident.given_name == "Priya")
    bins = {c.bin_type: c for c in source_registry.bins("south-norfolk").collections(priya.uprn).value}

    garden = bins["garden"]
    assert garden.last_collection_missed
    assert timedelta(days=7) <= CONTRACT_DAY - garden.last_date <= timedelta(days=13)
    assert not any(c.last_collection_missed for bin_type, c in bins.items() if bin_type != "garden")


def test_an_unknown_uprn_is_not_found_with_a_clear_message(source_registry):
    with pytest.raises(NotFound) as raised:
        source_registry.bins("south-norfolk").collections("999999999999")
    assert raised.value.message == "The council has no bin collections for this address"
    assert (raised.value.council, raised.value.kind) == ("south-norfolk", "bins")


def test_something_that_is_not_a_uprn_is_not_sent(source_registry):
    with pytest.raises(NotFound, match="not a property reference"):
        source_registry.bins("south-norfolk").collections("../../admin")


def test_a_back_office_that_leaves_optional_fields_out(recorded_registry):
    collections = recorded_registry.bins("breckland").collections("10000000001").value

    refuse, glass = collections
    assert (refuse.name, refuse.upcoming, refuse.last_date, refuse.round) == (
        "Grey bin",
        (refuse.next_date,),
        None,
        None,
    )
    assert (glass.bin_type, glass.last_collection_missed, glass.frequency) == ("glass", False, None)


def test_a_refused_key_is_not_authorised(recorded_registry):
    with pytest.raises(NotAuthorised):
        recorded_registry.bins("breckland").collections("10000000002")
