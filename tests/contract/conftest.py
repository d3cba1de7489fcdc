"""Fixtures for the shared contract suites: every adapter of a kind must pass its kind's suite, against the
sandbox over loopback HTTP and against recorded back-office answers replayed over loopback HTTP.

The contract sandbox runs on a fixed day (CONTRACT_DAY) so that its answers equal the recordings made from it
(tests/contract/recorder.py), and one set of expectations holds for both sources.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from connectors.breaker import InProcessBreakerStore
from connectors.http import make_cache
from connectors.registry import ConnectorRegistry, Deployment
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.contract.recorder import CONTRACT_DAY, RECORDINGS, replay_app
from tests.support.live_server import LiveServer
from tests.support.sandbox import (
    API_KEY,
    SANDBOX_FILE_ORIGIN,
    SandboxServer,
    districts_by_gss,
    sandbox_environ,
)

RESIDENTS = DEMO_RESIDENTS
DISTRICT_OF = districts_by_gss()


def resident_named(given_name: str):
    return next(resident for resident in RESIDENTS if resident.given_name == given_name)


def registry_for(origin: str, cache_dir: Path, *, api_key: str = API_KEY, **defaults) -> ConnectorRegistry:
    """connectors/sandbox.toml pointed at ``origin``, its [defaults] overridden (e.g. a short timeout)."""
    deployment = Deployment.load(None, rebase=(SANDBOX_FILE_ORIGIN, origin), environ={})
    deployment = dataclasses.replace(deployment, defaults={**deployment.defaults, **defaults})
    return ConnectorRegistry(
        deployment,
        cache=make_cache(cache_dir),
        breakers=InProcessBreakerStore(),
        environ=sandbox_environ(api_key),
    )


@pytest.fixture(scope="session")
def contract_sandbox(tmp_path_factory):
    server = SandboxServer.start(tmp_path_factory.mktemp("contract-sandbox"), SANDBOX_TODAY=CONTRACT_DAY)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def replay_server():
    server = LiveServer(replay_app(RECORDINGS, api_key=API_KEY))
    yield server
    server.stop()


@pytest.fixture(params=["sandbox", "recorded"])
def source_registry(request, tmp_path):
    """A registry whose back offices are the contract sandbox, or the recorded answers replayed."""
    server = request.getfixturevalue("contract_sandbox" if request.param == "sandbox" else "replay_server")
    yield registry_for(server.url, tmp_path / "cache")
    if request.param == "sandbox":
        server.clear_faults()


@pytest.fixture
def contract_registry(contract_sandbox, tmp_path):
    """For what only a live back office can show (the recordings hold a fixed set of answers)."""
    return registry_for(contract_sandbox.url, tmp_path / "cache")


@pytest.fixture
def recorded_registry(replay_server, tmp_path):
    """For answers only the hand-written recordings hold (other back offices, within the contract)."""
    return registry_for(replay_server.url, tmp_path / "cache")


@pytest.fixture
def faulty_sandbox(contract_sandbox, tmp_path):
    """The contract sandbox with faults to inject, and a registry with a short timeout and no retries."""
    yield contract_sandbox, registry_for(contract_sandbox.url, tmp_path / "cache", timeout=0.5, retries=0)
    contract_sandbox.clear_faults()
