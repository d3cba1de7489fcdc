"""Bad answers from a back office (issue 4, item 8), for every REST adapter: a 500 or 503 page, HTML instead
of JSON, a truncated body, no answer in time, nothing listening, a refused key. Each is a typed error with a
message a resident can read; a back office that fails after answering once serves the last answer, stale."""

import socket
from datetime import timedelta

import pytest

from connectors.errors import BadData, NotAuthorised, Unavailable
from tests.contract.conftest import registry_for, resident_named

TOM = resident_named("Tom")
CALLS = {
    "bins": lambda registry: registry.bins("norwich").collections(TOM.uprn),
    "council_tax": lambda registry: registry.council_tax("norwich").account(TOM.council_tax_reference),
    "planning": lambda registry: registry.planning("norwich").applications_near(52.62681, 1.27873),
    "cases": lambda registry: registry.cases("norfolk").cases_for_email(TOM.email),
}
FAULTS = {
    "error": (Unavailable, "The council's system is not available at the moment"),
    "down": (Unavailable, "The council's system is not available at the moment"),
    "malformed": (BadData, "The council's system sent something the portal could not understand"),
    "garbage": (BadData, "The council's system sent something the portal could not understand"),
}


@pytest.mark.parametrize("service", CALLS)
@pytest.mark.parametrize("mode", FAULTS)
def test_a_failing_back_office_is_a_typed_error_with_a_clear_message(faulty_sandbox, service, mode):
    sandbox, registry = faulty_sandbox
    sandbox.inject(service, mode)

    error, message = FAULTS[mode]
    with pytest.raises(error) as raised:
        CALLS[service](registry)
    assert raised.value.message == message
    assert raised.value.kind == service and raised.value.council in ("norwich", "norfolk")


@pytest.mark.parametrize("service", CALLS)
def test_a_back_office_too_slow_to_answer(faulty_sandbox, service):
    sandbox, registry = faulty_sandbox
    sandbox.inject(service, "slow", delay=1.5)  # the registry's timeout is 0.5 s

    with pytest.raises(Unavailable) as raised:
        CALLS[service](registry)
    assert raised.value.message == "The council's system did not answer in time"


@pytest.mark.parametrize("service", CALLS)
def test_nothing_listening(tmp_path, service):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    registry = registry_for(f"http://127.0.0.1:{port}", tmp_path, retries=0)

    with pytest.raises(Unavailable) as raised:
        CALLS[service](registry)
    assert raised.value.message == "The council's system could not be reached"


@pytest.mark.parametrize("service", CALLS)
def test_a_wrong_api_key_is_not_authorised(contract_sandbox, tmp_path, service):
    registry = registry_for(contract_sandbox.url, tmp_path, api_key="not-the-key")

    with pytest.raises(NotAuthorised):
        CALLS[service](registry)


@pytest.mark.parametrize("service", CALLS)
def test_a_back_office_that_fails_later_serves_the_last_answer_as_stale(faulty_sandbox, tmp_path, service):
    sandbox, _ = faulty_sandbox
    registry = registry_for(sandbox.url, tmp_path, ttl=0, retries=0, timeout=0.5)
    fresh = CALLS[service](registry)

    sandbox.inject(service, "down")
    stale = CALLS[service](registry)

    assert not fresh.stale and stale.stale
    assert stale.value == fresh.value
    assert abs(stale.fetched_at - fresh.fetched_at) < timedelta(seconds=1), "when the data was fetched"
    assert stale.problem == "The council's system is not available at the moment"
    assert stale.age() > timedelta(0), "the age to show beside stale data"
