"""The back office goes away: reports wait with a reference, nothing is lost, and each arrives exactly once
when it returns, even when a delivery timed out after the back office had accepted it."""

import dataclasses
import time
from datetime import UTC, datetime

import pytest

from app.backoffice import use_registry
from app.extensions import db
from app.models.reports import OutboxMessage, ReportStatus
from connectors.breaker import InProcessBreakerStore
from connectors.http import make_cache
from connectors.registry import ConnectorRegistry
from tests.integration.reports.conftest import deliver_all, gazetteer_home, reports
from tests.support.sandbox import SandboxServer

MARGARET = gazetteer_home("100090201117")
CLIENT_TIMEOUT = 1.0


@pytest.fixture
def own_sandbox(app, tmp_path, back_offices):
    """A sandbox this test may stop and start again (on the same port, keeping its data)."""
    server = SandboxServer.start(tmp_path / "sandbox")
    state = {"server": server, "port": server.port}

    deployment = server.deployment()
    deployment = dataclasses.replace(
        deployment,
        defaults={**deployment.defaults, "timeout": CLIENT_TIMEOUT, "retries": 0, "breaker_reset_after": 0.1},
    )
    use_registry(
        app,
        ConnectorRegistry(
            deployment,
            cache=make_cache(tmp_path / "cache", None),
            breakers=InProcessBreakerStore(),
            environ={"PORTAL_SANDBOX_API_KEY": server.api_key},
        ),
    )

    class Control:
        registry = staticmethod(lambda: app.extensions["connectors"])

        @staticmethod
        def stop():
            state["server"].stop()
            state["server"] = None

        @staticmethod
        def start():
            state["server"] = SandboxServer.start(tmp_path / "sandbox", port=state["port"])

        @staticmethod
        def server():
            return state["server"]

    yield Control
    if state["server"] is not None:
        state["server"].clear_faults()
        state["server"].stop()


def report_missed_bin_and_pothole(journey):
    walks = []
    for report_type, answers in (
        ("missed-bin", {"bin_type": "refuse", "put_out_by_7am": "yes"}),
        ("pothole", {"defect_type": "pothole", "location_on_road": "road", "depth": "deep"}),
    ):
        walk = journey("great-yarmouth.localhost").start(report_type)
        walk.answer({"postcode": MARGARET.postcode})
        walk.answer({"uprn": MARGARET.uprn})
        if walk.at("already-reported"):
            walk.answer({"choice": "none"})
        walk.answer_questions(answers)
        walk.answer({"description": "Reported while the council's system was down"})
        walk.answer({})
        walk.answer({"email": "guest@example.com"})
        walks.append(walk)
    return walks


def make_all_due():
    db.session.execute(db.update(OutboxMessage).values(next_attempt_at=db.func.now()))
    db.session.commit()
    time.sleep(0.2)  # past the breaker's reset time, and past "now" on every clock


def copies_at_back_office(registry, report) -> int:
    found = (
        registry.street_reports(report.council_slug)
        .requests(service_code=report.service_code, end_date=datetime.now(UTC))
        .value
    )
    return sum(report.reference in (request.description or "") for request in found)


def test_reports_wait_while_the_back_office_is_stopped_and_arrive_once_it_restarts(
    journey, own_sandbox, app_context
):
    walks = report_missed_bin_and_pothole(journey)
    own_sandbox.stop()

    for walk in walks:
        walk.send()
        page = walk.page()
        assert page.select_one(".govuk-panel__body strong").get_text(strip=True).startswith("NFK-")
        assert "Waiting to be sent" in page.get_text()
    assert {outcome.outcome for outcome in deliver_all()} == {"failed", "delivered"}  # the emails still go
    assert [report.status for report in reports()] == [ReportStatus.WAITING, ReportStatus.WAITING]

    own_sandbox.start()
    make_all_due()
    deliver_all()

    bin_report, pothole_report = reports()
    assert (bin_report.status, bin_report.council_slug) == (ReportStatus.SENT, "great-yarmouth")
    assert (pothole_report.status, pothole_report.council_slug) == (ReportStatus.SENT, "norfolk")
    for report in (bin_report, pothole_report):
        assert copies_at_back_office(own_sandbox.registry(), report) == 1


def test_the_back_office_dies_mid_flight_and_every_report_arrives_exactly_once(
    journey, own_sandbox, app_context
):
    walks = report_missed_bin_and_pothole(journey)
    for walk in walks:
        walk.send()

    # The back office accepts each report only after the portal has given up waiting for its answer...
    own_sandbox.server().inject("open311", "slow", delay=CLIENT_TIMEOUT + 0.5)
    outcomes = [outcome.outcome for outcome in deliver_all()]
    assert outcomes.count("failed") == 2
    time.sleep(1.0)  # ...and is killed straight after writing them.
    own_sandbox.stop()

    make_all_due()
    deliver_all()  # refused: nothing is listening
    assert {report.status for report in reports()} == {ReportStatus.WAITING}

    own_sandbox.start()
    make_all_due()
    outcomes = [outcome.outcome for outcome in deliver_all()]

    assert outcomes.count("found") == 2, outcomes
    for report in reports():
        assert report.status == ReportStatus.SENT
        assert copies_at_back_office(own_sandbox.registry(), report) == 1
