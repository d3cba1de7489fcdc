"""A guest reports a missed bin and a pothole on great-yarmouth.localhost with the keyboard only, in Chromium:
axe-core finds nothing on any page of the journey, the bin report reaches Great Yarmouth's back office, the
pothole the county's, and the acknowledgement is in the development mailbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app, gazetteer_import
from app.backoffice import use_registry
from app.extensions import db
from app.models.reports import MailboxMessage, Report, ReportStatus
from app.reports import outbox
from tests.browser.conftest import live_wsgi_server
from tests.support.sandbox import SandboxServer

AXE = Axe()
GAZETTEER = Path(__file__).resolve().parents[2] / "sandbox" / "data" / "gazetteer.csv"
MARGARET_UPRN = "100090201117"  # 7 Marine Parade, Great Yarmouth NR30 2EN
POLICY = outbox.DeliveryPolicy(
    max_failures=5,
    base_delay=outbox.timedelta(0),
    max_delay=outbox.timedelta(0),
    lease=outbox.timedelta(minutes=1),
)


@dataclass
class ReportingPortal:
    app: object
    sandbox: SandboxServer
    port: int

    def url(self, slug: str, path: str = "/") -> str:
        return f"http://{slug}.localhost:{self.port}{path}"


@pytest.fixture(scope="module")
def reporting_portal(tmp_path_factory, base_url) -> Iterator[ReportingPortal]:
    """A portal of its own, wired to a sandbox of its own, with the sandbox's gazetteer imported."""
    if base_url:
        pytest.skip("reports are sent to the local sandbox's back offices, not a live deployment's")
    instance = tmp_path_factory.mktemp("reports-portal")
    sandbox = SandboxServer.start(tmp_path_factory.mktemp("reports-sandbox"))
    app = create_app(
        "test", INSTANCE_DIR=instance, SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'portal.sqlite3'}"
    )
    with app.app_context():
        upgrade()
        gazetteer_import.import_file(GAZETTEER)
    use_registry(app, sandbox.registry(instance / "connector-cache"))
    with live_wsgi_server(app) as server:
        yield ReportingPortal(app=app, sandbox=sandbox, port=server.port)
    sandbox.stop()
    with app.app_context():
        db.engine.dispose()


def assert_accessible(page) -> None:
    violations = AXE.run(page).response["violations"]
    assert not violations, f"{page.url}: " + "; ".join(
        f"{violation['id']}: {[node['target'] for node in violation['nodes']]}" for violation in violations
    )


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement?.matches(selector) ?? false", selector):
            return
    raise AssertionError(f"the keyboard never reached {selector} on {page.url}")


def choose(page, name: str, value: str) -> None:
    """Select a radio with the keyboard: Tab into the group, then arrow keys, as a keyboard user does."""
    tab_to(page, f"input[type=radio][name='{name}']")
    for _ in range(40):
        if page.evaluate(
            "([name, value]) => document.activeElement.name === name"
            " && document.activeElement.value === value",
            [name, value],
        ):
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no radio {name}={value} on {page.url}")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def submit(page, expected_path_part: str | None = None) -> None:
    tab_to(page, "button[type=submit]:not(.govuk-button--secondary)")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".govuk-error-summary").count() == 0, page.locator(
        ".govuk-error-summary"
    ).inner_text()
    if expected_path_part:
        assert expected_path_part in page.url, page.url
    assert_accessible(page)


def answer_the_councils_questions(page, answers: dict[str, str]) -> None:
    while "/question/" in page.url:
        code = page.url.rsplit("/", 1)[1]
        if page.locator("input[type=radio]").count():
            choose(page, "answer", answers[code])
        elif code in answers:
            type_into(page, "#answer", answers[code])
        submit(page)


def report(page, start_url: str, kind: str, questions: dict[str, str]) -> str:
    page.goto(start_url)
    assert_accessible(page)
    tab_to(page, "a[href$='/report']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_accessible(page)

    choose(page, "report_type", kind)
    submit(page, "/postcode")
    type_into(page, "#postcode", "NR30 2EN")
    submit(page, "/address")
    choose(page, "uprn", MARGARET_UPRN)
    submit(page)
    if "/already-reported" in page.url:
        choose(page, "choice", "none")
        submit(page)
    answer_the_councils_questions(page, questions)
    assert "/details" in page.url
    type_into(page, "#description", "Reported with the keyboard only")
    submit(page, "/photo")
    submit(page, "/email")
    type_into(page, "#email", "keyboard.guest@example.com")
    submit(page, "/check")
    tab_to(page, "button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/confirmation")
    assert_accessible(page)
    return page.locator(".govuk-panel__body strong").inner_text().strip()


def test_a_guest_reports_a_missed_bin_and_a_pothole_with_the_keyboard_only(reporting_portal, page):
    start = reporting_portal.url("great-yarmouth")
    bin_reference = report(page, start, "missed-bin", {"bin_type": "recycling", "put_out_by_7am": "yes"})
    assert "Great Yarmouth Borough Council" in page.locator("main").inner_text()
    pothole_reference = report(
        page, start, "pothole", {"defect_type": "pothole", "location_on_road": "road", "depth": "deep"}
    )
    assert "Norfolk County Council" in page.locator("main").inner_text()
    assert bin_reference != pothole_reference

    app = reporting_portal.app
    with app.app_context():
        outbox.run_once("browser-test-worker", POLICY, batch=50)
        sent = {report.reference: report for report in db.session.scalars(select(Report))}
        assert {reference: report.status for reference, report in sent.items()} == {
            bin_reference: ReportStatus.SENT,
            pothole_reference: ReportStatus.SENT,
        }
        registry = app.extensions["connectors"]
        at_district = registry.street_reports("great-yarmouth").request(
            sent[bin_reference].service_request_id
        )
        at_county = registry.street_reports("norfolk").request(sent[pothole_reference].service_request_id)
        assert bin_reference in at_district.value.description
        assert pothole_reference in at_county.value.description
        subjects = [message.subject for message in db.session.scalars(select(MailboxMessage))]
        assert f"Your report to Great Yarmouth Borough Council: {bin_reference}" in subjects
        assert f"Your report to Norfolk County Council: {pothole_reference}" in subjects

    page.reload()
    assert "sent to Norfolk County Council" in page.locator("main").inner_text()
    page.goto(reporting_portal.url("great-yarmouth", "/_dev/mailbox"))
    assert bin_reference in page.locator("main").inner_text()
    assert_accessible(page)
