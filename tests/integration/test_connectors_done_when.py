"""Issue 4's "done when": for each demo resident's UPRN, every service's data comes through the registry,
typed, from the right council (the district for bins, council tax and planning; the county and the district
for street reports; every council's CRM for cases, as the dashboard asks); with the sandbox stopped, the
cached answers are served as stale with their age. The same through `flask connectors check`."""

import dataclasses

import pytest

from app.backoffice import use_registry
from app.connectors_check import check_property
from app.gazetteer_import import import_file
from connectors.breaker import InProcessBreakerStore
from connectors.http import make_cache
from connectors.models import BinCollection, Case, CouncilTaxAccount, PlanningApplication, ServiceKind
from connectors.registry import ConnectorRegistry, Deployment
from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.gazetteer import GAZETTEER_CSV
from tests.support.sandbox import API_KEY, SANDBOX_FILE_ORIGIN, districts_by_gss

pytestmark = pytest.mark.database_independent

DISTRICT_OF = districts_by_gss()
TYPES = {
    ServiceKind.BINS: BinCollection,
    ServiceKind.COUNCIL_TAX: CouncilTaxAccount,
    ServiceKind.PLANNING: PlanningApplication,
    ServiceKind.CASES: Case,
}


@pytest.fixture
def asking_registry(app, stoppable_sandbox, tmp_path):
    """The sandbox deployment pointed at this test's sandbox, reading through to it on every call (no TTL),
    with the gazetteer imported into the portal's database for address lookup and routing."""
    deployment = Deployment.load(None, rebase=(SANDBOX_FILE_ORIGIN, stoppable_sandbox.url), environ={})
    registry = ConnectorRegistry(
        dataclasses.replace(deployment, defaults={**deployment.defaults, "ttl": 0, "retries": 0}),
        cache=make_cache(tmp_path / "cache"),
        breakers=InProcessBreakerStore(),
        environ={"PORTAL_SANDBOX_API_KEY": API_KEY},
    )
    with app.app_context():
        import_file(GAZETTEER_CSV)
    use_registry(app, registry)
    yield registry
    use_registry(app, None)


def _expected_councils(resident, registry):
    """As the dashboard asks: cases from every council's CRM, since a resident may have contacted any."""
    district = DISTRICT_OF[resident.district_gss]
    return {
        (ServiceKind.BINS, district),
        (ServiceKind.COUNCIL_TAX, district),
        (ServiceKind.PLANNING, district),
        (ServiceKind.STREET_REPORTS, "norfolk"),
        (ServiceKind.STREET_REPORTS, district),
        *((ServiceKind.CASES, council) for council in registry.councils_serving(ServiceKind.CASES)),
    }


def _check(app, registry, resident):
    with app.app_context():
        return check_property(
            registry, resident.uprn, reference=resident.council_tax_reference, email=resident.email
        )


def test_every_service_for_every_resident_then_stale_when_the_sandbox_stops(
    app, asking_registry, stoppable_sandbox
):
    first = {resident.given_name: _check(app, asking_registry, resident) for resident in DEMO_RESIDENTS}

    for resident in DEMO_RESIDENTS:
        checks = first[resident.given_name]
        expected = _expected_councils(resident, asking_registry)
        assert {(check.kind, check.council) for check in checks} == expected
        for check in checks:
            assert check.error is None and check.skipped is None, (check.kind, check.council, check.error)
            assert (check.result.council, check.result.kind, check.result.stale) == (
                check.council,
                check.kind,
                False,
            )
            value = check.result.value
            items = value if isinstance(value, tuple) else (value,)
            assert all(isinstance(item, TYPES.get(check.kind, object)) for item in items)
        cases = [item for check in checks if check.kind is ServiceKind.CASES for item in check.result.value]
        # Tom has two (his pothole with the county, graffiti with the city); everyone else one.
        assert len(cases) == (2 if resident.given_name == "Tom" else 1), "the demo residents' cases"

    stoppable_sandbox.stop()

    for resident in DEMO_RESIDENTS:
        again = _check(app, asking_registry, resident)
        for before, after in zip(first[resident.given_name], again, strict=True):
            assert after.error is None, (after.kind, after.council, after.error)
            assert after.result.stale and after.result.problem
            assert after.result.value == before.result.value
            assert after.result.age().total_seconds() > 0


def test_the_check_command_prints_each_council_and_freshness(app, asking_registry, stoppable_sandbox):
    tom = next(resident for resident in DEMO_RESIDENTS if resident.given_name == "Tom")
    runner = app.test_cli_runner()
    about_tom = ["--uprn", tom.uprn, "--reference", tom.council_tax_reference, "--email", tom.email]

    fresh = runner.invoke(args=["connectors", "check", *about_tom, "--cached"])
    stoppable_sandbox.stop()
    stale = runner.invoke(args=["connectors", "check", *about_tom, "--cached"])

    assert fresh.exit_code == 0, fresh.output
    assert "41 Unthank Road" in fresh.output
    assert (
        "Norwich City Council (norwich)" in fresh.output
        and "Norfolk County Council (norfolk)" in fresh.output
    )
    assert "26/01187/HH" in fresh.output and "Pothole on Unthank Road" in fresh.output
    assert "fresh, fetched" in fresh.output and "STALE" not in fresh.output
    assert stale.exit_code == 0, stale.output
    assert stale.output.count("STALE, fetched") == len(_expected_councils(tom, asking_registry))
    assert "The council's system could not be reached" in stale.output


def test_the_check_command_explains_an_unknown_uprn(app, asking_registry):
    result = app.test_cli_runner().invoke(args=["connectors", "check", "--uprn", "999999999999"])

    assert result.exit_code == 1
    assert "We could not find that address" in result.output
