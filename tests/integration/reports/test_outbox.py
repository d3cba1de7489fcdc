"""The outbox and its worker against a scripted back office: retries, backoff, parking, the exactly-once
guard, and several workers sharing the queue."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models.reports import (
    DeliveryAttempt,
    MailboxMessage,
    MessageKind,
    MessageStatus,
    OutboxMessage,
    Report,
    ReportStatus,
)
from app.reports import backoffice, outbox
from app.reports.mail import Email, queue_email
from connectors.clock import as_utc
from connectors.errors import Unavailable

POLICY = outbox.DeliveryPolicy(
    max_failures=3, base_delay=timedelta(seconds=30), max_delay=timedelta(hours=1), lease=timedelta(minutes=2)
)


@dataclass
class ScriptedBackOffice:
    """Stands in for a council's Open311 server: keeps what it accepted; can be down, or accept and then time
    out before answering (the case the exactly-once guard exists for)."""

    down: bool = False
    time_out_after_accepting: bool = False
    accepted: list = field(default_factory=list)

    def create_request(self, council, request):
        if self.down:
            raise Unavailable(council, "street_reports", detail="connection refused")
        self.accepted.append((council, request))
        if self.time_out_after_accepting:
            self.time_out_after_accepting = False
            raise Unavailable(council, "street_reports", detail="read timed out")
        return f"SR-{len(self.accepted)}"

    def find_request_with_reference(self, council, service_code, reference, since):
        if self.down:
            raise Unavailable(council, "street_reports")
        for index, (_, request) in enumerate(self.accepted, start=1):
            if reference in request.description:
                return f"SR-{index}"
        return None


@pytest.fixture
def back_office(monkeypatch):
    office = ScriptedBackOffice()
    monkeypatch.setattr(backoffice, "create_request", office.create_request)
    monkeypatch.setattr(backoffice, "find_request_with_reference", office.find_request_with_reference)
    return office


def queue_report(key: str = "key-1", council: str = "great-yarmouth") -> Report:
    report = Report(
        report_type="missed-bin",
        council_slug=council,
        service_code="missed_bin",
        made_on="great-yarmouth",
        description="Blue bin missed",
        answers=[],
        idempotency_key=key,
    )
    db.session.add(report)
    db.session.flush()
    db.session.add(
        OutboxMessage(
            kind=MessageKind.OPEN311_CREATE,
            report_id=report.id,
            payload={
                "request": {
                    "service_code": "missed_bin",
                    "description": f"Blue bin\n\nMy Norfolk reference: {report.reference}",
                },
                "attributes": {"bin_type": "recycling"},
            },
        )
    )
    db.session.commit()
    return report


def make_due(report: Report) -> None:
    for message in report.messages:
        message.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()


def test_a_report_is_delivered_and_logged(app_context, back_office):
    report = queue_report()

    outcomes = outbox.run_once("worker-a", POLICY)

    assert [outcome.outcome for outcome in outcomes] == ["delivered"]
    db.session.refresh(report)
    assert report.status == ReportStatus.SENT
    assert report.service_request_id == "SR-1"
    council, request = back_office.accepted[0]
    assert council == "great-yarmouth"
    assert request.attributes == {"bin_type": "recycling"}
    assert report.reference in request.description
    assert db.session.scalar(select(DeliveryAttempt.outcome)) == "delivered"


def test_a_back_office_that_is_down_gets_retried_with_growing_delays(app_context, back_office):
    back_office.down = True
    report = queue_report()
    delays = []
    for _ in range(2):
        before = datetime.now(UTC)
        assert [outcome.outcome for outcome in outbox.run_once("worker-a", POLICY)] == ["failed"]
        message = db.session.scalar(select(OutboxMessage))
        delays.append(as_utc(message.next_attempt_at) - before)
        make_due(report)

    assert report.status == ReportStatus.WAITING
    assert timedelta(seconds=23) < delays[0] < timedelta(seconds=37)
    assert timedelta(seconds=47) < delays[1] < timedelta(seconds=73)

    back_office.down = False
    make_due(report)
    outbox.run_once("worker-a", POLICY)
    db.session.refresh(report)
    assert report.status == ReportStatus.SENT
    assert len(back_office.accepted) == 1


def test_nothing_is_claimed_before_it_is_due(app_context, back_office):
    back_office.down = True
    queue_report()
    outbox.run_once("worker-a", POLICY)
    assert outbox.run_once("worker-a", POLICY) == []


def test_after_too_many_failures_a_report_is_parked_and_an_operator_can_retry_it(
    app, app_context, back_office
):
    back_office.down = True
    report = queue_report()
    for _ in range(POLICY.max_failures):
        make_due(report)
        outbox.run_once("worker-a", POLICY)
    db.session.refresh(report)
    assert report.status == ReportStatus.PARKED

    runner = app.test_cli_runner()
    listed = runner.invoke(args=["reports", "parked"])
    assert report.reference in listed.output
    assert "not available" in listed.output

    back_office.down = False
    retried = runner.invoke(args=["reports", "retry", report.reference.lower()])
    assert retried.exit_code == 0, retried.output
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == ReportStatus.WAITING
    outbox.run_once("worker-a", POLICY)
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == ReportStatus.SENT
    assert "No parked reports" in runner.invoke(args=["reports", "parked"]).output


def test_retrying_an_unknown_or_unparked_report_says_so(app, app_context, back_office):
    runner = app.test_cli_runner()
    assert "No report has the reference" in runner.invoke(args=["reports", "retry", "NFK-0000-0000"]).output
    report = queue_report()
    assert "has nothing parked" in runner.invoke(args=["reports", "retry", report.reference]).output


def test_a_delivery_that_timed_out_after_the_back_office_accepted_it_is_not_sent_twice(
    app_context, back_office
):
    back_office.time_out_after_accepting = True
    report = queue_report()

    assert [outcome.outcome for outcome in outbox.run_once("worker-a", POLICY)] == ["failed"]
    make_due(report)
    assert [outcome.outcome for outcome in outbox.run_once("worker-a", POLICY)] == ["found"]

    db.session.refresh(report)
    assert report.status == ReportStatus.SENT
    assert report.service_request_id == "SR-1"
    assert len(back_office.accepted) == 1


def test_a_worker_that_died_mid_delivery_loses_its_lease_and_the_guard_prevents_a_duplicate(
    app_context, back_office
):
    report = queue_report()
    claimed = outbox.claim_due("worker-that-dies", 10, POLICY)
    assert claimed
    # It sent the report, then died before recording it.
    back_office.create_request("great-yarmouth", _request_for(report))
    assert outbox.claim_due("worker-b", 10, POLICY) == [], "the lease still holds"

    message = db.session.scalar(select(OutboxMessage))
    message.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    outcomes = outbox.run_once("worker-b", POLICY)

    assert [outcome.outcome for outcome in outcomes] == ["found"]
    assert len(back_office.accepted) == 1


def _request_for(report):
    from connectors.models import NewServiceRequest

    message = report.messages[0]
    return NewServiceRequest(**message.payload["request"])


def test_two_workers_never_claim_the_same_message(app_context, back_office):
    for number in range(6):
        queue_report(key=f"key-{number}")
    first = outbox.claim_due("worker-a", 4, POLICY)
    second = outbox.claim_due("worker-b", 4, POLICY)
    assert len(first) == 4
    assert len(second) == 2
    assert not set(first) & set(second)


def test_postgresql_workers_skip_rows_another_worker_has_locked(app, app_context, back_office):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SELECT ... FOR UPDATE SKIP LOCKED is PostgreSQL's (PORTAL_TEST_DATABASE_URL)")
    locked_report = queue_report(key="locked")
    free_report = queue_report(key="free")
    other_worker = db.engine.connect()
    transaction = other_worker.begin()
    try:
        other_worker.execute(
            text("SELECT id FROM outbox_messages WHERE report_id = :id FOR UPDATE"), {"id": locked_report.id}
        )
        claimed = outbox.claim_due("worker-a", 10, POLICY)
        free_message = db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.report_id == free_report.id)
        )
        assert claimed == [free_message]
    finally:
        transaction.rollback()
        other_worker.close()


def test_emails_go_to_the_development_mailbox_exactly_once(app_context, back_office):
    queue_email(Email(to="guest@example.com", subject="Your report", body="Reference NFK-TEST-0001"))
    db.session.commit()

    outbox.run_once("worker-a", POLICY)
    outbox.run_once("worker-a", POLICY)

    stored = db.session.scalars(select(MailboxMessage)).all()
    assert [(message.recipient, message.subject) for message in stored] == [
        ("guest@example.com", "Your report")
    ]
    assert db.session.scalar(select(OutboxMessage.status)) == MessageStatus.DELIVERED


def test_the_mailbox_command_prints_the_emails(app, app_context, back_office):
    queue_email(Email(to="guest@example.com", subject="Your report", body="Reference NFK-TEST-0001"))
    db.session.commit()
    outbox.run_once("worker-a", POLICY)

    output = app.test_cli_runner().invoke(args=["mailbox"]).output

    assert "to guest@example.com" in output
    assert "Reference NFK-TEST-0001" in output


def test_the_worker_command_delivers_what_is_due(app, app_context, back_office):
    report = queue_report()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == ReportStatus.SENT


def test_abandoned_journeys_and_their_unsent_photos_are_forgotten(app_context):
    from app.models.reports import Photo, ReportDraft

    old, recent = (
        ReportDraft(token=name, report_type="pothole", made_on="norwich", answers={}, idempotency_key=name)
        for name in ("old", "recent")
    )
    db.session.add_all([old, recent])
    db.session.flush()
    for draft in (old, recent):
        db.session.add(
            Photo(
                token=f"photo-{draft.token}",
                draft_id=draft.id,
                content_type="image/png",
                width=1,
                height=1,
                data=b"x",
            )
        )
    db.session.commit()
    db.session.execute(
        ReportDraft.__table__.update()
        .where(ReportDraft.id == old.id)
        .values(updated_at=datetime.now(UTC) - timedelta(days=31))
    )
    db.session.commit()

    assert outbox.purge_abandoned_drafts(timedelta(days=30)) == 1

    assert db.session.scalars(select(ReportDraft.token)).all() == ["recent"]
    assert db.session.scalars(select(Photo.token)).all() == ["photo-recent"]


def test_the_development_mailbox_page_shows_emails_as_text(app_context, client_request):
    queue_email(Email(to="guest@example.com", subject="Your report", body="<b>Reference</b> NFK-TEST-0001"))
    db.session.commit()
    outbox.run_once("worker-a", POLICY)

    page = client_request.get("/_dev/mailbox", host="localhost")

    assert page.select_one("h2").get_text(strip=True) == "Your report"
    assert "<b>Reference</b> NFK-TEST-0001" in page.select_one("pre").get_text()
    assert (
        client_request.get("/_dev/mailbox?to=someone.else@example.com", host="localhost").select_one("pre")
        is None
    )
