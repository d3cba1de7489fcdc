"""The CRM status sync reads each council's changes feed (docs/api/cases.yaml): a pass asks about the cases
that changed, never about every resident; a change reaches its resident once; a CRM that is down is backed off
and the cursor waits for a pass that works."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import request, request_started
from sqlalchemy import select

from app.backoffice import registry
from app.extensions import db
from app.models.identity import Resident
from app.models.tracking import EventSource, PollCursor, StatusEvent
from app.tracking import sync
from connectors.clock import as_utc, utcnow
from tests.integration.tracking.conftest import POLICY, PRIYA, TOM, officer_changes_case, once_past
from tests.support.calls_out import calls_out
from tests.support.sandbox import SandboxServer

PRIYA_CASE = "SNC-MB-2026-08841"
TOMS_CASE, DAVIDS_CASE = "NCC-HW-2026-114502", "NCC-SL-2026-118730"
SOMEONE_ELSES_CASE = "NCC-CT-2026-110001"  # the county's; its contact is no resident of the portal
CRM_KEY = ("south-norfolk", EventSource.CRM)


@pytest.fixture
def tracking_sandbox(tmp_path):
    """A sandbox for each test: one test's change would be in the next one's feed (a minute's overlap)."""
    server = SandboxServer.start(tmp_path / "sandbox")
    yield server
    server.stop()


@contextmanager
def crm_calls_at(sandbox) -> Iterator[Counter]:
    """The CRM calls the sandbox answers meanwhile, by operation: the changes feed, a case in full, and the
    cases of one email address."""
    calls: Counter = Counter()

    def answered(sender, **extra):
        parts = request.path.strip("/").split("/")  # cases/<council>/cases[/<reference or "changes">]
        if parts[0] != "cases" or parts[2:3] != ["cases"]:
            return  # not the CRM contract (another back office, or the officer's _admin side)
        if len(parts) == 3:
            calls["cases_for_email"] += 1
        else:
            calls["changes" if parts[3] == "changes" else "case"] += 1

    request_started.connect(answered, sender=sandbox.app)
    try:
        yield calls
    finally:
        request_started.disconnect(answered, sender=sandbox.app)


def residents(count: int, *emails: str) -> None:
    """Priya, residents with these addresses and ``count`` others, each with a verified email address."""
    for email in (PRIYA.email, *emails):
        db.session.add(Resident(issuer="https://idp.example", subject=email, email=email))
    db.session.add_all(
        Resident(issuer="https://idp.example", subject=f"r{number}", email=f"resident{number}@example.net")
        for number in range(count)
    )
    db.session.commit()


def cursor() -> PollCursor:
    return db.session.get(PollCursor, CRM_KEY)


def crm_outcomes(portal) -> dict[str, sync.PollOutcome]:
    return {outcome.council_slug: outcome for outcome in portal.poll() if outcome.source == EventSource.CRM}


@pytest.mark.parametrize("others", [0, 2000])
def test_a_pass_asks_about_changed_cases_not_about_every_resident(portal, sandbox, back_offices, others):
    portal(residents, others)
    portal.poll()  # the first pass finds where each feed is
    changed = officer_changes_case(sandbox, "south-norfolk", PRIYA_CASE, note=f"Crew booked ({others}).")
    officer_changes_case(sandbox, "norfolk", SOMEONE_ELSES_CASE, status="in_progress")
    once_past(changed)
    # As in most passes at a pass every two minutes, nothing the CRM said is cached any more.
    back_offices.cache.clear()

    with crm_calls_at(sandbox) as calls:
        outcomes = crm_outcomes(portal)

    # One feed call per council, and a detail call only for the changed case of a resident: however many
    # residents there are (before the feed, the sync asked at least one call per resident per council).
    assert len(outcomes) == len(portal(registry).councils_serving("cases")) == 8
    assert calls == Counter(changes=8, case=1)
    assert all(outcome.error is None for outcome in outcomes.values())
    assert outcomes["south-norfolk"].new_events == 1
    assert outcomes["norfolk"].new_events == 0


def test_a_crm_change_is_recorded_once_and_its_older_history_is_not_news(portal, sandbox):
    portal(residents, 0)
    portal.poll()
    portal.deliver()
    assert portal.mailbox(PRIYA.email) == []
    assert portal(lambda: db.session.scalars(select(StatusEvent).filter_by(case_key=PRIYA_CASE)).all()) == []

    changed = officer_changes_case(
        sandbox, "south-norfolk", PRIYA_CASE, status="waiting_for_you", note="Which side of the road?"
    )
    once_past(changed)
    with calls_out() as calls:
        first = crm_outcomes(portal)
    second = crm_outcomes(portal)
    # The CRM's feed and the changed case are read without a database connection held.
    assert any(PRIYA_CASE in call.url for call in calls)
    assert [call for call in calls if call.holding_connection] == []
    portal.deliver()

    assert (first["south-norfolk"].new_events, second["south-norfolk"].new_events) == (2, 0)
    news = [message for message in portal.mailbox(PRIYA.email) if PRIYA_CASE in message.subject]
    assert len(news) == 2
    assert any("Which side of the road?" in message.body for message in news)
    # The case's history from before the sync first saw it is recorded, silently.
    recorded = portal(lambda: db.session.scalars(select(StatusEvent).filter_by(case_key=PRIYA_CASE)).all())
    assert len(recorded) > len(news)


def test_a_crm_that_is_down_is_backed_off_and_its_cursor_waits(portal, sandbox):
    portal(residents, 0)
    portal.poll()
    before = portal(cursor).last_seen_at
    changed = officer_changes_case(sandbox, "south-norfolk", PRIYA_CASE, note="Rearranged for Friday.")
    once_past(changed)

    sandbox.inject("cases", "down", council="south-norfolk")
    outcomes = crm_outcomes(portal)
    assert outcomes["south-norfolk"].error
    assert not outcomes["norfolk"].error
    stuck = portal(cursor)
    assert (stuck.failures, stuck.last_seen_at) == (1, before)
    assert as_utc(stuck.next_poll_at) > utcnow()
    due = portal(sync.poll_due, "test", POLICY)
    assert CRM_KEY not in {(outcome.council_slug, outcome.source) for outcome in due}

    sandbox.clear_faults()
    again = crm_outcomes(portal)
    assert again["south-norfolk"].error is None and again["south-norfolk"].new_events == 1
    moved = portal(cursor)
    assert moved.failures == 0 and as_utc(moved.last_seen_at) > as_utc(before)
    portal.deliver()
    assert [message for message in portal.mailbox(PRIYA.email) if "Rearranged for Friday." in message.body]


def test_a_long_feed_is_read_page_by_page_within_a_pass(portal, sandbox, monkeypatch):
    portal(residents, 0, TOM.email.upper())  # an address is matched without case
    portal.poll()
    monkeypatch.setattr(sync, "CRM_PAGE", 1)
    first = officer_changes_case(sandbox, "norfolk", DAVIDS_CASE, status="in_progress")
    once_past(first)  # the county's two changes at two moments: two pages of one
    second = officer_changes_case(sandbox, "norfolk", TOMS_CASE, note="Patched; resurfacing in spring.")
    once_past(second)

    with crm_calls_at(sandbox) as calls:
        outcomes = crm_outcomes(portal)

    assert all(outcome.error is None for outcome in outcomes.values())
    assert calls == Counter(changes=8 + 1, case=1)  # David is no resident here: only Tom's case in detail
    assert outcomes["norfolk"].new_events == 1
    county = portal(lambda: db.session.get(PollCursor, ("norfolk", EventSource.CRM)))
    assert as_utc(county.last_seen_at) > second
