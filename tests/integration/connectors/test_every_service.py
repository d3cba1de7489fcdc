"""The issue's "done when": for each demo resident's UPRN, every service's data through the registry, typed
and from the right council; with the sandbox stopped, the same data served as stale with its age."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from app import addresses
from app.backoffice import everything_at, use_registry
from connectors.breaker import InProcessBreakerStore
from connectors.http import make_cache
from connectors.models import ServiceKind
from connectors.registry import ConnectorRegistry
from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.gazetteer import GAZETTEER_CSV
from tests.support.sandbox import SandboxServer

DISTRICTS = {
    "E07000145": "great-yarmouth",
    "E07000147": "north-norfolk",
    "E07000148": "norwich",
    "E07000149": "south-norfolk",
}
EXPECTED_LABELS = ["bins", "planning near home", "council tax", "street reports near home", "cases"]


def registry_without_cache_life(server: SandboxServer, cache_dir) -> ConnectorRegistry:
    """Every answer expires at once, so the second ask goes to the back office (or finds it gone)."""
    deployment = server.deployment()
    deployment = dataclasses.replace(
        deployment,
        ttl=dict.fromkeys(ServiceKind, timedelta(0)),
        defaults={**deployment.defaults, "retries": 0, "timeout": 2},
    )
    return ConnectorRegistry(
        deployment,
        cache=make_cache(cache_dir),
        breakers=InProcessBreakerStore(),
        environ={"PORTAL_SANDBOX_API_KEY": server.api_key},
    )


@pytest.fixture
def live(app, tmp_path):
    server = SandboxServer.start(tmp_path / "sandbox")
    with app.test_request_context("/", headers={"Host": "norfolk.localhost"}):
        addresses.import_rows(addresses._csv_rows(GAZETTEER_CSV))
        use_registry(app, registry_without_cache_life(server, tmp_path / "cache"))
        yield server
        use_registry(app, None)
    server.stop()


def test_every_service_answers_for_every_resident_then_serves_stale_data_when_the_sandbox_stops(live):
    fresh = {}
    for resident in DEMO_RESIDENTS:
        answers = everything_at(
            resident.uprn, email=resident.email, council_tax_reference=resident.council_tax_reference or None
        )
        assert [answer.error for answer in answers] == [None] * len(answers), [a.error for a in answers]
        assert {answer.label for answer in answers} >= set(EXPECTED_LABELS) - (
            set() if resident.council_tax_reference else {"council tax"}
        )
        district = DISTRICTS[resident.district_gss]
        for answer in answers:
            assert answer.result.council == answer.council
            assert answer.council in (district, "norfolk")
            assert not answer.result.stale
        assert {answer.council for answer in answers if answer.label == "bins"} == {district}
        fresh[resident.uprn] = answers

    tom = next(resident for resident in DEMO_RESIDENTS if resident.given_name == "Tom")
    county_reports = next(
        a for a in fresh[tom.uprn] if a.label == "street reports near home" and a.council == "norfolk"
    )
    assert any(
        report.service_code == "pothole" and report.status == "open" for report in county_reports.result.value
    )

    live.stop()
    for resident in DEMO_RESIDENTS:
        answers = everything_at(
            resident.uprn, email=resident.email, council_tax_reference=resident.council_tax_reference or None
        )
        for before, after in zip(fresh[resident.uprn], answers, strict=True):
            assert after.error is None, after.error
            assert after.result.stale and after.result.value == before.result.value
            assert after.result.fetched_at == before.result.fetched_at and after.result.age() > timedelta(0)
            assert after.result.problem
