"""The sandbox's own infrastructure: fault injection (per service, per council) and persistence across a
restart."""

from __future__ import annotations

import time

import requests

from connectors.models import NewServiceRequest
from sandbox import faults
from tests.support.sandbox import SandboxServer


def services(server: SandboxServer, council: str) -> requests.Response:
    return requests.get(
        f"{server.url}/open311/v2/services.json", params={"jurisdiction_id": f"{council}.gov.uk"}, timeout=5
    )


def test_the_fault_endpoint_refuses_what_it_does_not_know(sandbox):
    assert (
        requests.post(
            f"{sandbox.url}/_faults", json={"service": "bins", "mode": "explode"}, timeout=5
        ).status_code
        == 400
    )
    assert (
        requests.post(
            f"{sandbox.url}/_faults", json={"service": "parking", "mode": "down"}, timeout=5
        ).status_code
        == 400
    )
    bad_delay = {"service": "bins", "mode": "slow", "delay": "soon"}
    assert requests.post(f"{sandbox.url}/_faults", json=bad_delay, timeout=5).status_code == 400


def test_a_fault_for_one_council_leaves_the_others_alone(sandbox):
    sandbox.inject("open311", "down", council="norwich")
    assert services(sandbox, "norwich").status_code == 503
    assert services(sandbox, "breckland").status_code == 200
    listed = requests.get(f"{sandbox.url}/_faults", timeout=5).json()["faults"]
    assert listed == [{"service": "open311", "mode": "down", "delay": 0.0, "council": "norwich"}]


def test_each_mode_answers_as_documented(sandbox):
    expectations = {"down": (503, "text/html"), "error": (500, "text/html"), "malformed": (200, "text/html"),
                    "garbage": (200, "application/json")}  # fmt: skip
    for mode, (status, mimetype) in expectations.items():
        with faults.injected(sandbox.url, "open311", mode):
            response = services(sandbox, "norfolk")
            assert (response.status_code, response.headers["Content-Type"].split(";")[0]) == (
                status,
                mimetype,
            )
    started = time.monotonic()
    with faults.injected(sandbox.url, "open311", "slow", delay=0.3):
        assert services(sandbox, "norfolk").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert services(sandbox, "norfolk").status_code == 200, "the context manager cleared the fault"


def test_clearing_one_service_keeps_the_others(sandbox):
    sandbox.inject("open311", "down")
    sandbox.inject("council-tax", "down")
    faults.clear(sandbox.url, "open311")
    assert [
        fault["service"] for fault in requests.get(f"{sandbox.url}/_faults", timeout=5).json()["faults"]
    ] == ["council_tax"]


def test_reports_survive_a_sandbox_restart(tmp_path):
    first = SandboxServer.start(tmp_path / "sandbox")
    try:
        county_reports = len(first.registry(tmp_path / "cache-1").street_reports("norfolk").requests().value)
        client = first.registry(tmp_path / "cache-1").street_reports("norwich")
        created = client.create_request(
            NewServiceRequest(
                service_code="abandoned_vehicle", address_string="Car park", attributes={"how_long": "weeks"}
            )
        )
    finally:
        first.stop()

    second = SandboxServer.start(tmp_path / "sandbox")
    try:
        client = second.registry(tmp_path / "cache-2").street_reports("norwich")
        assert client.request(created.service_request_id).value.service_code == "abandoned_vehicle"
        county = second.registry(tmp_path / "cache-2").street_reports("norfolk")
        assert len(county.requests().value) == county_reports, "the demo reports were not seeded twice"
    finally:
        second.stop()
