"""The sandbox back offices' data stay true on every day of the year: bin rounds always look ahead, Priya's
garden bin was always missed last week, council tax instalments always add up."""

from datetime import date, timedelta
from itertools import pairwise

import pytest

from sandbox import bins, council_tax, create_sandbox_app
from sandbox.councils import councils
from sandbox.demo_residents import DEMO_RESIDENTS

DAYS = [date(2026, 1, 1) + timedelta(days=offset) for offset in range(0, 731, 3)]
PRIYA = next(resident for resident in DEMO_RESIDENTS if resident.given_name == "Priya")


@pytest.fixture(scope="module", autouse=True)
def sandbox_context(tmp_path_factory):
    """The sandbox's councils (its themes and connectors file) for the back offices' functions."""
    with create_sandbox_app(tmp_path_factory.mktemp("sandbox")).app_context():
        yield


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_every_collection_looks_ahead_on_its_round(day):
    for resident in DEMO_RESIDENTS:
        for entry in bins.collections("south-norfolk", resident.uprn, day):
            dates = [date.fromisoformat(entry["next_date"])] + [
                date.fromisoformat(d) for d in entry["following_dates"]
            ]
            last = date.fromisoformat(entry["last_collection"]["date"])
            step = timedelta(days=7 if entry["frequency"] == "weekly" else 14)
            assert last < day <= dates[0] and dates[0] - last == step
            assert {later - earlier for earlier, later in pairwise(dates)} == {step}


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_priyas_garden_bin_was_missed_in_the_week_before(day):
    (garden,) = [
        entry for entry in bins.collections("south-norfolk", PRIYA.uprn, day) if entry["bin_type"] == "garden"
    ]
    missed = date.fromisoformat(garden["last_collection"]["date"])

    assert garden["last_collection"]["outcome"] == "missed"
    assert day - timedelta(days=day.weekday() + 7) <= missed < day - timedelta(days=day.weekday())


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_council_tax_statements_add_up(day):
    for account in council_tax.ACCOUNTS.values():
        statement = council_tax.statement(account, day)
        plan = statement["instalments"]
        assert sum(item["amount_pence"] for item in plan) == statement["annual_charge_pence"]
        assert statement["balance_pence"] == sum(i["amount_pence"] for i in plan if i["status"] != "paid")
        overdue = [item for item in plan if item["status"] == "overdue"]
        past = [item for item in plan if date.fromisoformat(item["due_date"]) <= day]
        assert len(overdue) == min(account.instalments_overdue, len(past))
        assert all(date.fromisoformat(item["due_date"]) > day for item in plan if item["status"] == "due")
        if account.opened_days_ago is not None:
            assert statement["annual_charge_pence"] <= council_tax.band_charge(
                account, councils().district_for_gss(account.district_gss).demo.band_d_pence
            )
        assert statement["latest_bill"]["amount_pence"] == statement["annual_charge_pence"]
