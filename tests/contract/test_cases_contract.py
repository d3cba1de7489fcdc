"""The cases (CRM) contract suite (docs/api/cases.yaml), against the sandbox and recorded answers."""

from datetime import UTC, datetime

import pytest

from connectors.errors import NotFound
from connectors.models import Case, CaseChange, CaseChanges, CaseDetail, ServiceKind
from tests.contract.conftest import DISTRICT_OF, RESIDENTS, resident_named

CONTRACT_NOON = datetime(2026, 11, 21, 12, tzinfo=UTC)  # the contract sandbox's now

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


def test_the_cases_changed_since_a_moment_anyones_oldest_first(source_registry):
    since = datetime(2026, 11, 19, 12, tzinfo=UTC)
    result = source_registry.cases("norfolk").changes(since)

    assert (result.council, result.kind, result.stale) == ("norfolk", ServiceKind.CASES, False)
    assert isinstance(result.value, CaseChanges)
    assert result.value.changes == (
        CaseChange(
            "NCC-SL-2026-118730", resident_named("David").email, datetime(2026, 11, 20, 6, tzinfo=UTC)
        ),
        CaseChange("NCC-HW-2026-114502", resident_named("Tom").email, datetime(2026, 11, 20, 16, tzinfo=UTC)),
    )
    assert (result.value.until, result.value.more) == (CONTRACT_NOON, False)


def test_changes_come_in_pages_that_together_are_the_whole_answer(source_registry):
    cases = source_registry.cases("norfolk")
    since = datetime(2026, 11, 1, tzinfo=UTC)
    whole = cases.changes(since).value
    # Someone else's case is in the feed too: the portal, not the CRM, picks its own residents' ones.
    assert "someone.else@example.org" in {change.email for change in whole.changes}

    paged = []
    while True:
        page = cases.changes(since, limit=1).value
        assert len(page.changes) == 1
        assert all(since <= change.updated_at < page.until for change in page.changes)
        paged += page.changes
        if not page.more:
            break
        assert page.until > since  # every page moves on
        since = page.until
    assert tuple(paged) == whole.changes and len(paged) == 3
    assert page.until == whole.until == CONTRACT_NOON


def test_a_case_asked_as_of_a_change_is_the_same_case(contract_registry):
    tom = resident_named("Tom")
    cases = contract_registry.cases("norfolk")
    plain = cases.case("NCC-HW-2026-114502", tom.email).value

    assert cases.case("NCC-HW-2026-114502", tom.email, as_of=plain.case.updated_at).value == plain
