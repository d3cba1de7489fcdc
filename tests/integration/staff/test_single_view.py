"""Finding a resident, the reason for every look, the single view, contact notes, council tax only for the
billing district's staff, guessed ids, CSRF and the per-agent search limit."""

import pytest

from tests.integration.staff.conftest import (
    BRECKLAND_AGENT,
    NORWICH_AGENT,
    TOM,
    audit_entries,
    open_record,
)


def results(browser, query: str) -> list[str]:
    page = browser.page(f"/staff/search?q={query}")
    return [link["href"] for link in page.select(".staff-results a")]


@pytest.mark.parametrize(
    "query",
    [
        "NR2 2PE",
        "nr22pe",
        "41 NR2 2PE",
        "41 Unthank Road NR2 2PE",
        "Blake",
        "tom b",
        TOM.email.upper(),
        TOM.council_tax_reference,
    ],
)
def test_an_agent_finds_a_resident_by_what_a_caller_says(app, staff, tom, query):
    assert results(staff(NORWICH_AGENT), query) == [f"/staff/residents/{tom.resident_id}/reason"]


def test_a_search_that_matches_no_one_says_so_and_a_different_house_does_not_match(app, staff, tom):
    browser = staff(NORWICH_AGENT)
    assert results(browser, "43 NR2 2PE") == []
    assert results(browser, "Nobody Of That Name") == []
    page = browser.page("/staff/search?q=Nobody")
    assert page.h1.get_text(strip=True) == "0 residents found"
    empty = browser.get("/staff/search?q=")
    assert (
        empty.status_code == 400
        and "Enter a name, email address, postcode or reference" in empty.get_data(as_text=True)
    )


def test_every_search_is_recorded_with_its_terms(app, staff, tom):
    browser = staff(NORWICH_AGENT)
    results(browser, "NR2 2PE")
    searched = audit_entries(app, "searched")[-1]
    assert searched.detail == {"kind": "postcode", "terms": "NR2 2PE", "page": 1, "results": 1}
    assert searched.staff_email == NORWICH_AGENT.email and searched.council_slug == "norwich"


def test_a_record_opens_only_after_the_reason_is_given(app, staff, tom):
    browser = staff(NORWICH_AGENT)
    response = browser.get(f"/staff/residents/{tom.resident_id}")
    assert response.status_code == 302 and response.location.endswith("/reason")
    page = browser.page(f"/staff/residents/{tom.resident_id}/reason")
    assert page.select("input[name=reason]")
    # "Another reason" needs saying what it is.
    response = browser.submit(
        f"/staff/residents/{tom.resident_id}/reason", {"reason": "other", "detail": " "}, expected_status=400
    )
    assert "Enter the reason for opening this record" in response.get_data(as_text=True)
    response = browser.submit(f"/staff/residents/{tom.resident_id}/reason", {}, expected_status=400)
    assert "Select why you are opening this record" in response.get_data(as_text=True)
    page = open_record(browser, tom.resident_id, "contact", "Tom phoned about his bins")
    assert page.h1.get_text(strip=True) == "Tom Blake"
    viewed = audit_entries(app, "resident_viewed")[-1]
    assert (viewed.resident_id, viewed.reason_code, viewed.reason_text) == (
        tom.resident_id,
        "contact",
        "Tom phoned about his bins",
    )


def test_the_single_view_shows_the_residents_tiles_cases_and_accounts_to_a_norwich_agent(app, staff, tom):
    page = open_record(staff(NORWICH_AGENT), tom.resident_id)
    text = page.get_text(" ", strip=True)
    assert "41 Unthank Road" in text
    bins = page.select_one("#tile-bins")
    assert bins["data-state"] == "loaded" and "From Norwich City Council" in bins.get_text(" ", strip=True)
    council_tax = page.select_one("#tile-council_tax")
    assert council_tax["data-state"] == "loaded"
    assert f"Account {TOM.council_tax_reference}" in council_tax.get_text(" ", strip=True)
    # His cases with every council: the county's highways case is in the CRM for his email.
    assert "NCC-HW-2026-114502" in text
    assert "Norfolk County Council" in text
    # Links are staff links only: nothing points at a resident's page.
    assert not page.select("a[href^='/dashboard'], a[href^='/requests'], a[href^='/account']")
    assert not audit_entries(app, "council_tax_refused")


def test_a_breckland_agent_sees_the_record_but_not_the_norwich_households_council_tax(app, staff, tom):
    page = open_record(staff(BRECKLAND_AGENT), tom.resident_id, "follow_up", "Breckland case")
    council_tax = page.select_one("#tile-council_tax").get_text(" ", strip=True)
    assert "Only staff working for Norwich City Council" in council_tax
    assert TOM.council_tax_reference not in page.get_text()
    assert page.select_one("#tile-bins")
    refused = audit_entries(app, "council_tax_refused")[-1]
    assert refused.staff_email == BRECKLAND_AGENT.email and refused.council_slug == "breckland"
    assert refused.resident_id == tom.resident_id and refused.detail == {"billing_council": "norwich"}
    assert refused.reason_text == "Breckland case"


def test_guessed_resident_ids_are_not_found_and_recorded(app, staff, tom):
    browser = staff(NORWICH_AGENT)
    for path in (
        f"/staff/residents/{tom.resident_id + 1000}",
        f"/staff/residents/{tom.resident_id + 1000}/reason",
    ):
        assert browser.get(path).status_code == 404
    assert browser.get("/staff/residents/abc").status_code == 404
    assert len(audit_entries(app, "not_found")) == 2


def test_an_agent_adds_a_contact_note_with_its_channel(app, staff, tom):
    browser = staff(NORWICH_AGENT)
    open_record(browser, tom.resident_id)
    path = f"/staff/residents/{tom.resident_id}"
    response = browser.submit(path, {"channel": "phone", "summary": "Asked when his bins are collected."})
    assert response.location.endswith("#notes")
    notes = (
        browser.page(path)
        .select_one("#notes")
        .find_next("div", class_="govuk-inset-text")
        .get_text(" ", strip=True)
    )
    assert (
        "Phone" in notes and "Asked when his bins are collected." in notes and "Norwich City Council" in notes
    )
    assert audit_entries(app, "contact_note_added")[-1].detail == {"channel": "phone"}
    response = browser.submit(path, {"channel": "", "summary": ""}, expected_status=400)
    assert "Select how the resident is contacting you" in response.get_data(as_text=True)
    # Without the CSRF token nothing is added.
    forged = browser.post(f"{path}/notes", {"channel": "phone", "summary": "forged"})
    assert forged.status_code == 400
    assert "forged" not in browser.page(path).get_text()


def test_searches_are_rate_limited_per_agent_and_the_refusal_is_recorded(app, staff, tom, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_SEARCH_RATE_LIMIT", "3 per minute")
    norwich, breckland = staff(NORWICH_AGENT), staff(BRECKLAND_AGENT)
    for _ in range(3):
        assert norwich.get("/staff/search?q=Blake").status_code == 200
    assert norwich.get("/staff/search?q=Blake").status_code == 429
    # Another agent (from the same contact centre address) is not held up.
    assert breckland.get("/staff/search?q=Blake").status_code == 200
    refused = audit_entries(app, "refused")[-1]
    assert refused.staff_email == NORWICH_AGENT.email and refused.detail["why"] == "rate_limited"
