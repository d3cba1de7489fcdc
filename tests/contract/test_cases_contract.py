"""The cases (CRM) contract suite (docs/api/cases.yaml), against the sandbox and recorded answers."""

from datetime import UTC, datetime

import pytest
import requests

from connectors.errors import NotFound
from connectors.models import (
    Case,
    CaseAccepts,
    CaseChange,
    CaseChanges,
    CaseDetail,
    CaseUpdateReceipt,
    NewCaseUpdate,
    ServiceKind,
    UpdateNotAccepted,
)
from tests.contract.conftest import DISTRICT_OF, RESIDENTS, registry_for, resident_named
from tests.contract.recorder import CONTRACT_DAY, UPDATE_TEXT
from tests.support.sandbox import SandboxServer

CONTRACT_NOON = datetime(2026, 11, 21, 12, tzinfo=UTC)  # the contract sandbox's now

STORIES = {
    "Priya": {("south-norfolk", "missed_bin", "in_progress")},
    "Tom": {("norfolk", "pothole", "in_progress"), ("norwich", "graffiti", "closed")},
    "Margaret": {("great-yarmouth", "fly_tipping", "closed")},
    "David": {("norfolk", "street_light", "open")},
}


@pytest.mark.parametrize("resident", RESIDENTS, ids=lambda resident: resident.given_name)
def test_every_residents_cases_with_the_county_and_their_district(source_registry, resident):
    found = {}
    for council in ("norfolk", DISTRICT_OF[resident.district_gss]):
        result = source_registry.cases(council).cases_for_email(resident.email)
        assert (result.council, result.kind, result.stale) == (council, ServiceKind.CASES, False)
        assert all(isinstance(case, Case) for case in result.value)
        found.update({case.reference: (council, case) for case in result.value})

    assert {(where, case.category, case.status) for where, case in found.values()} == STORIES[
        resident.given_name
    ]
    for _where, case in found.values():
        assert case.closed == (case.status == "closed")
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


# --- what residents add to their cases ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def writable_sandbox(tmp_path_factory):
    """A contract sandbox of these tests' own: updates change cases that the other tests read."""
    server = SandboxServer.start(tmp_path_factory.mktemp("cases-writes"), SANDBOX_TODAY=CONTRACT_DAY)
    yield server
    server.stop()


@pytest.fixture(params=["sandbox", "recorded"])
def writable_registry(request, tmp_path):
    server = request.getfixturevalue("writable_sandbox" if request.param == "sandbox" else "replay_server")
    return registry_for(server.url, tmp_path / "cache")


def _update(kind: str, update_id: str, email: str | None = None) -> NewCaseUpdate:
    return NewCaseUpdate(
        email=email or resident_named("Tom").email, kind=kind, text=UPDATE_TEXT, update_id=update_id
    )


def test_each_case_says_what_updates_it_accepts(source_registry):
    tom = resident_named("Tom")
    pothole = source_registry.cases("norfolk").case("NCC-HW-2026-114502", tom.email).value
    graffiti = source_registry.cases("norwich").case("NCC-GR-2026-03317", tom.email).value
    assert pothole.accepts == CaseAccepts(update=True, not_fixed=False)  # open: an update, nothing to reopen
    assert graffiti.accepts == CaseAccepts(update=False, not_fixed=True)  # closed two days ago


def test_a_crm_that_says_nothing_about_updates_accepts_none(recorded_registry):
    detail = recorded_registry.cases("breckland").case("BDC-1", "someone@example.net").value
    assert detail.accepts == CaseAccepts(update=False, not_fixed=False)


def test_an_update_on_an_open_case(writable_registry):
    receipt = writable_registry.cases("norfolk").add_update(
        "NCC-HW-2026-114502", _update("update", "contract-1")
    )
    assert receipt == CaseUpdateReceipt(
        "NCC-HW-2026-114502", "NCC-HW-2026-114502-U1", "in_progress", "Being dealt with"
    )


def test_not_fixed_reopens_a_closed_case(writable_registry):
    receipt = writable_registry.cases("norwich").add_update(
        "NCC-GR-2026-03317", _update("not_fixed", "contract-2")
    )
    assert (receipt.reference, receipt.status) == ("NCC-GR-2026-03317", "open")


def test_what_a_case_does_not_accept_is_refused(writable_registry):
    cases = writable_registry.cases("norfolk")
    with pytest.raises(UpdateNotAccepted):
        cases.add_update("NCC-HW-2026-114502", _update("not_fixed", "contract-3"))  # open: nothing to reopen
    # A CRM that takes no updates from the portal refuses them all.
    margaret = resident_named("Margaret").email
    with pytest.raises(UpdateNotAccepted):
        writable_registry.cases("great-yarmouth").add_update(
            "GYBC-FT-2026-02211", _update("not_fixed", "contract-4", margaret)
        )


def test_someone_elses_case_cannot_be_updated(writable_registry):
    with pytest.raises(NotFound) as raised:
        writable_registry.cases("norfolk").add_update("NCC-CT-2026-110001", _update("update", "contract-5"))
    assert raised.value.message == "The council has no case with this reference for you"


def test_an_update_sent_again_is_recorded_once_and_the_case_is_read_afresh(writable_sandbox, tmp_path):
    """No other test changes David's case: its last change is the one this update makes."""
    cases = registry_for(writable_sandbox.url, tmp_path / "cache").cases("norfolk")
    david = resident_named("David").email
    update = NewCaseUpdate(
        email=david.upper(), kind="update", text="Still dark at night", update_id="contract-again"
    )
    before = cases.case("NCC-SL-2026-118730", david).value  # now in the cache

    first = cases.add_update("NCC-SL-2026-118730", update)
    assert cases.add_update("NCC-SL-2026-118730", update) == first
    # Not the cached answer: the case as the CRM has it now, changed by the update.
    assert cases.case("NCC-SL-2026-118730", david).value.case.updated_at > before.case.updated_at
    received = requests.get(
        f"{writable_sandbox.url}/cases/norfolk/_admin/cases/NCC-SL-2026-118730/updates",
        headers={"X-API-Key": writable_sandbox.api_key},
        timeout=5,
    ).json()["updates"]
    assert [item["text"] for item in received if item["update_id"] == "contract-again"] == [
        "Still dark at night"
    ]


def test_a_cases_contact_for_council_staff(source_registry):
    cases = source_registry.cases("norfolk")
    assert cases.contact_email("NCC-HW-2026-114502") == resident_named("Tom").email
    with pytest.raises(NotFound):
        cases.contact_email("NCC-XX-0000")
