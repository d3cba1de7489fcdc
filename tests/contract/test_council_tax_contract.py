"""The council tax contract suite (docs/api/council-tax.yaml), against the sandbox and recorded answers."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

from connectors.errors import NotFound
from connectors.models import (
    Bill,
    CouncilTaxAccount,
    CouncilTaxMatch,
    Instalment,
    PortalLinkNotice,
    ServiceKind,
)
from tests.contract.conftest import DISTRICT_OF, RESIDENTS, resident_named
from tests.contract.recorder import CONTRACT_DAY


@pytest.mark.parametrize("resident", RESIDENTS, ids=lambda resident: resident.given_name)
def test_every_residents_account_is_typed_and_consistent(source_registry, resident):
    district = DISTRICT_OF[resident.district_gss]
    council_tax = source_registry.council_tax(district)

    account = council_tax.account(resident.council_tax_reference)
    plan = council_tax.instalments(resident.council_tax_reference).value
    bills = council_tax.bills(resident.council_tax_reference).value

    assert (account.council, account.kind, account.stale) == (district, ServiceKind.COUNCIL_TAX, False)
    assert isinstance(account.value, CouncilTaxAccount)
    assert account.value.reference == resident.council_tax_reference
    assert resident.postcode in account.value.property_address
    assert all(isinstance(instalment, Instalment) for instalment in plan)
    assert [i.due_date for i in plan] == sorted(i.due_date for i in plan)
    unpaid = [instalment for instalment in plan if instalment.status != "paid"]
    assert account.value.balance == sum((i.amount for i in unpaid), Decimal(0))
    assert account.value.arrears == sum((i.amount for i in unpaid if i.status == "overdue"), Decimal(0))
    assert account.value.next_instalment == next((i for i in plan if i.status == "due"), None)
    assert bills and all(isinstance(bill, Bill) for bill in bills)
    assert account.value.latest_bill == bills[0]
    assert [bill.issued_on for bill in bills] == sorted((bill.issued_on for bill in bills), reverse=True)


def test_margaret_is_two_instalments_in_arrears_and_priya_is_up_to_date(source_registry):
    margaret = source_registry.council_tax("great-yarmouth").account(
        resident_named("Margaret").council_tax_reference
    )
    priya = source_registry.council_tax("south-norfolk").instalments(
        resident_named("Priya").council_tax_reference
    )

    assert margaret.value.in_arrears
    assert margaret.value.arrears == 2 * margaret.value.next_instalment.amount
    assert margaret.value.payment_method == "cash"
    assert {i.status for i in priya.value if i.due_date <= CONTRACT_DAY} == {"paid"}


def test_davids_new_account_starts_paying_next_month(source_registry):
    david = source_registry.council_tax("north-norfolk")
    reference = resident_named("David").council_tax_reference

    plan = david.instalments(reference).value
    (bill,) = david.bills(reference).value
    assert plan[0].due_date > CONTRACT_DAY and plan[0].due_date.day == 1
    assert bill.amount == sum((instalment.amount for instalment in plan), Decimal(0))


@pytest.mark.parametrize("resident", RESIDENTS, ids=lambda resident: resident.given_name)
def test_verification_answers_match_or_no_match_only(source_registry, resident):
    council_tax = source_registry.council_tax(DISTRICT_OF[resident.district_gss])
    reference, postcode = resident.council_tax_reference, resident.postcode

    assert council_tax.verify(reference, postcode, resident.family_name) == CouncilTaxMatch(
        reference=reference, uprn=resident.uprn
    )
    assert council_tax.verify(reference, postcode, "Smith") is None


def test_verification_forgives_case_and_spacing_but_not_a_different_postcode(contract_registry):
    margaret = resident_named("Margaret")
    council_tax = contract_registry.council_tax("great-yarmouth")

    assert council_tax.verify(f" {margaret.council_tax_reference} ", "nr302en", "  HILL ")
    assert not council_tax.verify(margaret.council_tax_reference, "NR30 2EP", "Hill")
    assert not council_tax.verify("99999999", margaret.postcode, "Hill"), (
        "an unknown reference is just no match"
    )
    assert not council_tax.verify(margaret.council_tax_reference, margaret.postcode, "")
    assert not contract_registry.council_tax("norwich").verify(
        margaret.council_tax_reference, margaret.postcode, "Hill"
    )


def test_the_council_tells_the_account_holder_of_a_portal_link_once(contract_registry, contract_sandbox):
    priya = resident_named("Priya")
    council_tax = contract_registry.council_tax("south-norfolk")
    notice = PortalLinkNotice(
        link_id="contract-17",
        linked_at=datetime(2026, 11, 30, 9, 14, 3, tzinfo=UTC),
        unlink_url="https://south-norfolk.example/account/council-tax/unlink/signed",
    )

    first = council_tax.tell_account_holder(priya.council_tax_reference, notice)
    assert council_tax.tell_account_holder(priya.council_tax_reference, notice) == first, "the same notice"
    with pytest.raises(NotFound):
        council_tax.tell_account_holder("99999999", notice)

    sent = requests.get(
        f"{contract_sandbox.url}/council-tax/south-norfolk/_admin/portal-links",
        headers={"X-API-Key": contract_sandbox.api_key},
        timeout=5,
    ).json()["notices"]
    [letter] = [sent_notice for sent_notice in sent if sent_notice["link_id"] == "contract-17"]
    assert (letter["notice_id"], letter["reference"], letter["unlink_url"]) == (
        first,
        priya.council_tax_reference,
        notice.unlink_url,
    )


def test_an_unknown_reference_is_not_found_with_a_clear_message(source_registry):
    with pytest.raises(NotFound) as raised:
        source_registry.council_tax("norwich").account("99999999")
    assert raised.value.message == "The council has no council tax account with this reference"


def test_a_back_office_that_leaves_optional_fields_out(recorded_registry):
    council_tax = recorded_registry.council_tax("breckland")

    account = council_tax.account("21000001").value
    assert (account.balance, account.next_instalment, account.latest_bill) == (Decimal("-12.50"), None, None)
    assert not account.in_arrears and account.payment_method is None
    assert council_tax.instalments("21000001").value == ()
    assert council_tax.bills("21000001").value == ()
