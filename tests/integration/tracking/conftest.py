"""Tracking against the sandbox's back offices over real HTTP, with residents signed in through the sandbox
identity provider."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from app.backoffice import use_registry
from app.extensions import db, limiter
from app.models.identity import Resident
from app.models.reports import MailboxMessage, MessageKind, MessageStatus, OutboxMessage, Report, ReportStatus
from app.reports import outbox
from app.tracking import sync
from connectors.models import NewServiceRequest
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.auth.conftest import Visitor, sandbox_idp, with_sandbox_idp  # noqa: F401 - fixtures
from tests.support.sandbox import SandboxServer

PRIYA, TOM = DEMO_RESIDENTS[0], DEMO_RESIDENTS[1]
HOST = "south-norfolk.localhost"
DELIVERY = outbox.DeliveryPolicy(
    max_failures=5, base_delay=timedelta(0), max_delay=timedelta(0), lease=timedelta(minutes=2)
)
POLICY = sync.PollPolicy(interval=timedelta(minutes=2), max_delay=timedelta(hours=1))


def sign_in(app, demo_resident, host: str = HOST) -> Visitor:
    visitor = Visitor(app.test_client(), host=host)
    assert visitor.sign_in_at_sandbox(demo_resident).status_code == 302
    return visitor


def resident_called(email: str) -> Resident:
    return db.session.scalars(select(Resident).filter_by(email=email)).one()


@dataclass(frozen=True)
class SentReport:
    id: int
    reference: str
    service_request_id: str


class InApp:
    """The portal's side of a test, each call in its own app context: requests made by the test clients must
    get their own (a shared `g` would carry one visitor's signed-in resident into another's request)."""

    def __init__(self, app, registry):
        self.app = app
        self.registry = registry

    def __call__(self, function, *args, **kwargs):
        with self.app.app_context():
            result = function(*args, **kwargs)
            db.session.expunge_all()
            return result

    def sent_pothole(self, email: str | None, *, resident_email: str | None = None) -> SentReport:
        def make():
            resident = resident_called(resident_email) if resident_email else None
            report = sent_pothole(self.registry, resident=resident, email=email)
            return SentReport(report.id, report.reference, report.service_request_id)

        return self(make)

    def poll(self):
        return self(poll_everything)

    def deliver(self):
        return self(deliver_all)

    def mailbox(self, email: str):
        return self(mailbox_for, email)


def sent_pothole(
    registry, *, resident: Resident | None, email: str | None, made_on: str = "south-norfolk"
) -> Report:
    """A pothole report the portal already delivered to the county's Open311 back office."""
    reference = f"NFK-{secrets.choice('ABCDEFGH')}{secrets.randbelow(999):03d}-TEST"
    created = registry.street_reports("norfolk").create_request(
        NewServiceRequest(
            service_code="pothole",
            description=f"A deep pothole by the bus stop.\n\nMy Norfolk reference: {reference}",
            latitude=52.6271,
            longitude=1.2805,
            attributes={"defect_type": "pothole", "location_on_road": "road"},
            email=email,
        )
    )
    report = Report(
        reference=reference,
        report_type="pothole",
        council_slug="norfolk",
        service_code="pothole",
        made_on=made_on,
        status=ReportStatus.SENT,
        description="A deep pothole by the bus stop.",
        answers=[{"code": "defect_type", "question": "What is the problem?", "display": "A pothole"}],
        address="Unthank Road, Norwich",
        email=email,
        resident_id=resident.id if resident else None,
        idempotency_key=secrets.token_hex(16),
        service_request_id=created.service_request_id,
        sent_at=datetime.now(UTC),
    )
    db.session.add(report)
    db.session.flush()
    request = {
        "service_code": "pothole",
        "description": f"A deep pothole by the bus stop.\n\nMy Norfolk reference: {reference}",
        "latitude": 52.6271,
        "longitude": 1.2805,
        "address_string": "Unthank Road, Norwich",
        "address_id": None,
        "email": email,
        "first_name": None,
        "last_name": None,
        "phone": None,
        "media_url": None,
        "device_id": reference,
        "account_id": None,
    }
    db.session.add(
        OutboxMessage(
            kind=MessageKind.OPEN311_CREATE,
            report_id=report.id,
            payload={
                "request": request,
                "attributes": {"defect_type": "pothole", "location_on_road": "road"},
            },
            status=MessageStatus.DELIVERED,
            delivered_at=datetime.now(UTC),
        )
    )
    db.session.commit()
    return report


def council_changes(sandbox, service_request_id: str, **change) -> None:
    """An officer changes the request in the council's back office (the sandbox's admin side)."""
    answer = requests.post(
        f"{sandbox.url}/open311/_admin/requests/{service_request_id}", json=change, timeout=5
    )
    assert answer.status_code == 200, answer.text


def officer_changes_case(sandbox, council: str, reference: str, **change) -> datetime:
    """An officer changes a case in the council's CRM (the sandbox's admin side); the moment it happened."""
    answer = requests.post(
        f"{sandbox.url}/cases/{council}/_admin/cases/{reference}",
        json=change,
        headers={"X-API-Key": sandbox.api_key},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    return datetime.fromisoformat(answer.json()["at"].replace("Z", "+00:00"))


def once_past(moment: datetime) -> None:
    """Wait until the second of ``moment`` is over: a changes feed lists a second's changes once it is over
    (more may still come within it), as docs/api/cases.yaml has it."""
    time.sleep(max((moment + timedelta(seconds=1) - datetime.now(UTC)).total_seconds(), 0))


def back_office_view(sandbox, service_request_id: str) -> dict:
    answer = requests.get(f"{sandbox.url}/open311/_admin/requests/{service_request_id}", timeout=5)
    assert answer.status_code == 200
    return answer.json()


def poll_everything() -> list[sync.PollOutcome]:
    return sync.poll_due("test-worker", POLICY, force=True)


def mailbox_for(email: str) -> list[MailboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(MailboxMessage).filter_by(recipient=email).order_by(MailboxMessage.id))
    )


def link_in(body: str, path_part: str) -> str:
    """The path of the first link in an email containing path_part."""
    url = re.search(rf"https?://[^\s]*{re.escape(path_part)}[^\s]*", body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture(scope="module")
def tracking_sandbox(tmp_path_factory):
    """A sandbox of these tests' own: the requests they make and change never show up in others' tests."""
    server = SandboxServer.start(tmp_path_factory.mktemp("tracking-sandbox"))
    yield server
    server.stop()


@pytest.fixture
def sandbox(tracking_sandbox):
    yield tracking_sandbox
    tracking_sandbox.clear_faults()


@pytest.fixture
def back_offices(app, sandbox, tmp_path):
    """The portal talks to this module's sandbox, with a fresh connector cache."""
    connector_registry = sandbox.registry(tmp_path / "connector-cache")
    use_registry(app, connector_registry)
    yield connector_registry
    use_registry(app, None)


def deliver_all() -> list[outbox.DeliveryOutcome]:
    return outbox.run_once("test-worker", DELIVERY, batch=50)


@pytest.fixture
def priya(app, with_sandbox_idp, back_offices):  # noqa: F811 - the imported fixture
    return sign_in(app, PRIYA)


@pytest.fixture
def portal(app, back_offices):
    limiter.reset()
    return InApp(app, back_offices)
