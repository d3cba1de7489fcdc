"""What back office statuses mean to a resident, and how the status sync backs off."""

from datetime import timedelta

import pytest

from app.tracking.status import Closure, crm_meaning, open311_meaning, open311_request_meaning
from app.tracking.sync import PollPolicy


@pytest.mark.parametrize(
    ("status", "closure"),
    [
        ("FIXED", Closure.FIXED),
        ("NO_FURTHER_ACTION", Closure.NO_ACTION),
        ("UNABLE_TO_FIX", Closure.NO_ACTION),
        ("INTERNAL_REFERRAL", Closure.PASSED_ON),
        ("NOT_COUNCILS_RESPONSIBILITY", Closure.NOT_RESPONSIBLE),
        ("not_councils_responsibility", Closure.NOT_RESPONSIBLE),
        ("CLOSED", Closure.CLOSED),
    ],
)
def test_every_closure_is_told_honestly(app_context, status, closure):
    meaning = open311_meaning(status)
    assert meaning.closed
    assert meaning.closure == closure


@pytest.mark.parametrize("status", ["OPEN", "INVESTIGATING", "IN_PROGRESS", "ACTION_SCHEDULED", "REOPENED"])
def test_work_in_progress_is_open(app_context, status):
    assert not open311_meaning(status).closed


def test_an_unknown_status_is_shown_in_the_councils_words_as_open(app_context):
    meaning = open311_meaning("WAITING_FOR_PARTS")
    assert meaning.label == "Waiting for parts"
    assert not meaning.closed


def test_a_requests_own_status_is_only_open_or_closed(app_context):
    assert open311_request_meaning("closed").closed
    assert not open311_request_meaning("open").closed


def test_crm_statuses_keep_the_councils_label(app_context):
    assert crm_meaning("waiting_for_you", "Waiting for your reply", False).label == "Waiting for your reply"
    assert crm_meaning("closed", "Closed", True).closed


def test_polling_backs_off_exponentially_up_to_a_limit():
    policy = PollPolicy(interval=timedelta(minutes=2), max_delay=timedelta(minutes=30))
    delays = [policy.delay_after(failures) for failures in range(1, 8)]
    assert timedelta(minutes=1.6) <= delays[0] <= timedelta(minutes=2.4)
    assert timedelta(minutes=6.4) <= delays[2] <= timedelta(minutes=9.6)
    assert all(delay <= timedelta(minutes=36) for delay in delays)
    assert delays[-1] >= timedelta(minutes=24)
