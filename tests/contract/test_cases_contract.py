"""The cases (CRM) contract suite (docs/api/cases.yaml), against the sandbox and recorded answers."""

import pytest

from connectors.errors import NotFound
from connectors.models import Case, CaseDetail, ServiceKind
from tests.contract.conftest import DISTRICT_OF, RESIDENTS, resident_named

STORIES = {
    "Priya": ("south-norfolk", "missed_bin", "in_progress"),
    "Tom": ("norfolk", "pothole", "in_progress"),
    "Margaret": ("great-yarmouth", "fly_tipping", "closed"),
    "David": ("norfolk", "street_light", "open"),
}


@pytest.mark.parametrize("resident", RESIDENTS, ids=lambda resident: resident.given_name)
def test_every_residents_cases_with_the_county_and_their_district(source_registry, resident):
    found = {}
    for council in ("norfolk", DISTRICT_OF[resident.district_gss]):
        result = source_registry.cases(council).cases_for_email(resident.email)
        assert (result.council, result.kind, result.stale) == (council, ServiceKind.CASES, False)
        assert all(isinstance(case, Case) for case in result.value)
        found.update({case.reference: (council, case) for case in result.value})

    council, category, status = STORIES[resident.given_name]
    ((where, case),) = found.values()
    assert (where, case.category, case.status, case.closed) == (council, category, status, status == "closed")
    assert case.opened_at <= case.updated_at and case.opened_at.tzinfo is not None


def test_a_case_in_full_with_public_notes_and_history(source_registry):
    tom = resident_named("Tom")
    detail = source_registry.cases("norfolk").case("NCC-HW-2026-114502", tom.email).value

    assert isinstance(detail, CaseDetail)
    assert detail.case.title == "Pothole on Unthank Road"
    assert [change.status for change in detail.history] == ["open", "in_progress"]
    assert [note.created_at for note in detail.notes] == sorted(note.created_at for note in detail.notes)
    assert detail.notes and all(note.author for note in detail.notes)


def test_someone_elses_case_is_answered_like_an_unknown_one(source_registry):
    tom = resident_named("Tom")
    cases = source_registry.cases("norfolk")

    for reference in ("NCC-CT-2026-110001", "NCC-XX-0000"):
        with pytest.raises(NotFound) as raised:
            cases.case(reference, tom.email)
        assert raised.value.message == "The council has no case with this reference for you"


def test_email_addresses_are_compared_without_case(contract_registry):
    tom = resident_named("Tom")
    assert contract_registry.cases("norfolk").cases_for_email(tom.email.upper()).value


def test_a_back_office_that_leaves_optional_fields_out(recorded_registry):
    cases = recorded_registry.cases("breckland")

    (case,) = cases.cases_for_email("someone@example.net").value
    detail = cases.case("BDC-1", "someone@example.net").value
    assert case.status == "waiting_for_you" and not case.closed
    assert (detail.notes, detail.history, detail.description) == ((), (), None)
