"""Report journeys against the sandbox's back offices over real HTTP."""

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from app import gazetteer_import
from app.backoffice import use_registry
from app.extensions import db, limiter
from app.models.reports import Report
from app.reports import outbox
from tests.support.sandbox import SandboxServer

GAZETTEER = Path(__file__).resolve().parents[3] / "sandbox" / "data" / "gazetteer.csv"
POLICY = outbox.DeliveryPolicy(
    max_failures=5,
    base_delay=outbox.timedelta(0),
    max_delay=outbox.timedelta(0),
    lease=outbox.timedelta(minutes=2),
)


@pytest.fixture(scope="module")
def reports_sandbox(tmp_path_factory):
    """A sandbox of these tests' own: the reports they send never show up in other features' tests."""
    server = SandboxServer.start(tmp_path_factory.mktemp("reports-sandbox"))
    yield server
    server.stop()


@pytest.fixture
def back_offices(app, reports_sandbox, tmp_path):
    """The portal talks to the reports sandbox, and its gazetteer holds the sandbox's addresses."""
    connector_registry = reports_sandbox.registry(tmp_path / "connector-cache")
    use_registry(app, connector_registry)
    limiter.reset()
    with app.app_context():
        gazetteer_import.import_file(GAZETTEER)
    yield connector_registry
    reports_sandbox.clear_faults()
    use_registry(app, None)


@dataclass(frozen=True)
class Home:
    uprn: str
    line: str
    postcode: str
    latitude: float
    longitude: float


def gazetteer_home(uprn: str) -> Home:
    with GAZETTEER.open(encoding="utf-8", newline="") as file:
        row = next(row for row in csv.DictReader(file) if row["uprn"] == uprn)
    return Home(uprn, row["address_line_1"], row["postcode"], float(row["latitude"]), float(row["longitude"]))


class Journey:
    """Walks a report journey as a browser without JavaScript would, checking every page on the way."""

    def __init__(self, client_request, host: str):
        self.client_request = client_request
        self.host = host
        self.path = None

    def start(self, report_type: str) -> "Journey":
        response = self.client_request.post_form("/report", {"report_type": report_type}, host=self.host)
        self.path = response.location
        return self

    @property
    def token(self) -> str:
        return re.match(r"^/report/([^/]+)/", self.path).group(1)

    def page(self):
        return self.client_request.get(self.path, host=self.host)

    def answer(self, data: dict, expected_status: int = 302, **kwargs):
        response = self.client_request.post_form(
            self.path, data, host=self.host, expected_status=expected_status, **kwargs
        )
        if expected_status == 302:
            self.path = response.location
        return response

    def go(self, step: str) -> None:
        self.path = f"/report/{self.token}/{step}"

    def at(self, step: str) -> bool:
        return self.path.endswith(f"/{step}")

    def answer_questions(self, answers: dict) -> None:
        while "/question/" in self.path:
            code = self.path.rsplit("/", 1)[1]
            self.answer({"answer": answers[code]} if code in answers else {})

    def send(self):
        assert self.at("check"), self.path
        response = self.answer({})
        assert self.at("confirmation"), self.path
        return response


@pytest.fixture
def journey(client_request):
    return lambda host="great-yarmouth.localhost": Journey(client_request, host)


def reports() -> list[Report]:
    db.session.expire_all()
    return list(db.session.scalars(select(Report).order_by(Report.id)))


def deliver_all() -> list:
    return outbox.run_once("test-worker", POLICY, batch=50)


# Signing in through the sandbox's identity provider, as tests/integration/auth does.
from tests.integration.auth.conftest import sandbox_idp, visitor, with_sandbox_idp  # noqa: E402,F401
