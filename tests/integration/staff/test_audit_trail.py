"""The audit trail: append-only and hash-chained (a changed or removed entry is found), kept for the retention
period, read by supervisors only, in the resident's "download my data"; parked deliveries, retried or
cancelled by supervisors."""

import re

import pytest
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models.reports import MessageKind, MessageStatus, OutboxMessage, Report
from app.models.staff import StaffAuditEntry
from app.staff import audit
from tests.integration.staff.conftest import (
    BRECKLAND_AGENT,
    NORWICH_AGENT,
    SUPERVISOR,
    audit_entries,
    open_record,
)


def _append(count: int) -> None:
    for number in range(count):
        audit.append("viewed", staff_subject="someone", detail={"n": number})
    db.session.commit()


def test_the_chain_holds_and_finds_a_changed_or_removed_entry(app_context):
    _append(5)
    assert audit.verify().intact and audit.verify().entries == 5
    entries = list(db.session.scalars(select(StaffAuditEntry).order_by(StaffAuditEntry.id)))
    # Removing one from the middle breaks the link of the one after it.
    db.session.execute(delete(StaffAuditEntry).where(StaffAuditEntry.id == entries[2].id))
    db.session.commit()
    assert audit.verify().broken_at == entries[3].id


def test_changing_an_entry_is_found_and_on_postgresql_refused(app_context):
    _append(3)
    first = db.session.scalars(select(StaffAuditEntry).order_by(StaffAuditEntry.id)).first()
    statement = update(StaffAuditEntry).where(StaffAuditEntry.id == first.id).values(reason_text="changed")
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(statement)
        db.session.rollback()
        return
    db.session.execute(statement)
    db.session.commit()
    assert audit.verify().broken_at == first.id


def test_removing_the_newest_entries_is_found(app_context):
    _append(3)
    newest = db.session.scalars(select(StaffAuditEntry).order_by(StaffAuditEntry.id.desc())).first()
    db.session.execute(delete(StaffAuditEntry).where(StaffAuditEntry.id == newest.id))
    db.session.commit()
    assert not audit.verify().intact


def test_the_chain_cannot_fork(app_context):
    _append(1)
    last = db.session.scalars(select(StaffAuditEntry)).one()
    db.session.add(
        StaffAuditEntry(
            staff_subject="forger",
            action="viewed",
            detail={},
            previous_hash=last.previous_hash,
            entry_hash="f" * 64,
        )
    )
    with pytest.raises(Exception, match="(?i)unique"):
        db.session.commit()
    db.session.rollback()


def test_entries_past_the_retention_period_go_and_the_chain_still_checks(app_context, monkeypatch):
    _append(4)
    last_hash = db.session.scalars(
        select(StaffAuditEntry.entry_hash).order_by(StaffAuditEntry.id.desc())
    ).first()
    monkeypatch.setitem(app_context.config, "STAFF_AUDIT_RETENTION_DAYS", 365)
    assert audit.purge_expired(now=audit.utcnow()) == 0
    assert audit.purge_expired(now=audit.utcnow() + audit.timedelta(days=366)) == 4
    remaining = list(db.session.scalars(select(StaffAuditEntry)))
    assert [entry.action for entry in remaining] == ["purged"]
    assert remaining[0].detail["removed"] == 4 and remaining[0].detail["through_hash"] == last_hash
    assert audit.verify().intact
    _append(1)
    assert audit.verify().intact and audit.verify().entries == 2


def test_a_supervisor_sees_the_look_with_its_reason_and_the_report_with_its_reference(app, staff, tom):
    agent = staff(NORWICH_AGENT)
    open_record(agent, tom.resident_id, "contact", "Tom phoned about his bins")
    supervisor = staff(SUPERVISOR)
    supervisor.submit("/staff/working-for", {"council": "norwich"})
    page = supervisor.page(f"/staff/audit?resident={tom.resident_id}&action=resident_viewed")
    rows = [row.get_text(" ", strip=True) for row in page.select("table.staff-audit tbody tr")]
    assert len(rows) == 1
    assert NORWICH_AGENT.email in rows[0] and "Tom phoned about his bins" in rows[0]
    assert "Looked at the resident's record" in rows[0] and "Norwich City Council" in rows[0]
    page = supervisor.page("/staff/audit?check=chain")
    assert "is intact" in page.get_text()
    viewed = audit_entries(app, "audit_viewed")[-1]
    assert viewed.staff_email == SUPERVISOR.email and viewed.detail["chain_checked"] is True


def test_agents_cannot_read_the_audit_log_or_parked_deliveries_and_asking_is_recorded(app, staff):
    agent = staff(BRECKLAND_AGENT)
    for path in ("/staff/audit", "/staff/deliveries"):
        response = agent.get(path)
        assert response.status_code == 403
        assert "Only supervisors" in response.get_data(as_text=True)
    refused = audit_entries(app, "refused")
    assert [entry.detail["page"] for entry in refused] == ["staff.audit_log", "staff.deliveries"]


def test_download_my_data_lists_which_council_looked_when_and_why(app, staff, tom):
    open_record(staff(NORWICH_AGENT), tom.resident_id, "follow_up", "His missed bin report")
    open_record(staff(BRECKLAND_AGENT), tom.resident_id, "complaint", "")
    response = tom.client.get("/account/your-data.json", headers={"Host": "norwich.localhost"})
    looks = response.get_json()["council_staff_looks"]
    assert [(look["council"], look["what"]) for look in looks] == [
        ("Norwich City Council", "Looked at the resident's record"),
        ("Breckland Council", "Looked at the resident's record"),
        ("Breckland Council", "Was refused the resident's council tax"),
    ]
    assert looks[0]["reason"] == "Following up the resident's enquiry, report or case His missed bin report"
    assert looks[1]["reason"] == "Looking into a complaint"
    assert re.match(r"^\d{4}-\d\d-\d\dT", looks[0]["when"])
    # Never which member of staff.
    assert NORWICH_AGENT.email not in response.get_data(as_text=True)


def test_parked_deliveries_are_retried_or_cancelled_by_a_supervisor_and_audited(app, staff, tom):
    with app.app_context():
        report = Report(
            report_type="missed-bin",
            council_slug="norwich",
            service_code="missed_bin",
            made_on="norwich",
            status="parked",
            resident_id=tom.resident_id,
            idempotency_key="parked-1",
        )
        db.session.add(report)
        db.session.flush()
        for kind in ("open311_create", "email"):
            db.session.add(
                OutboxMessage(
                    kind=kind,
                    report_id=report.id,
                    payload={},
                    status=MessageStatus.PARKED,
                    last_error="HTTP 500",
                )
            )
        db.session.commit()
        reference = report.reference
        create, email = db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
    supervisor = staff(SUPERVISOR)
    supervisor.submit("/staff/working-for", {"council": "norwich"})
    page = supervisor.page("/staff/deliveries")
    assert reference in page.get_text() and "HTTP 500" in page.get_text()
    token = page.select_one("input[name=csrf_token]")["value"]
    assert supervisor.post(f"/staff/deliveries/{create}/retry", {"csrf_token": token}).status_code == 302
    assert supervisor.post(f"/staff/deliveries/{email}/cancel", {"csrf_token": token}).status_code == 302
    # Without a token, or for a message that is not parked (or does not exist), nothing happens.
    assert supervisor.post(f"/staff/deliveries/{email}/retry", {}).status_code == 400
    assert supervisor.post(f"/staff/deliveries/{create}/retry", {"csrf_token": token}).status_code == 404
    assert supervisor.post("/staff/deliveries/99999/retry", {"csrf_token": token}).status_code == 404
    with app.app_context():
        statuses = db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)).all()
        assert statuses == [MessageStatus.PENDING, MessageStatus.CANCELLED]
        assert db.session.scalars(select(Report.status)).one() == "waiting"
    retried, cancelled = (
        audit_entries(app, "delivery_retried")[-1],
        audit_entries(app, "delivery_cancelled")[-1],
    )
    assert (retried.reference, cancelled.reference) == (reference, reference)
    assert retried.staff_email == SUPERVISOR.email
    # Agents have no parked deliveries page at all.
    assert staff(BRECKLAND_AGENT).get("/staff/deliveries").status_code == 403


def test_the_worker_purges_the_trail_on_the_retention_schedule(app_context, monkeypatch):
    from app import retention

    _append(2)
    monkeypatch.setitem(app_context.config, "STAFF_AUDIT_RETENTION_DAYS", -1)
    done = retention.Schedule.from_config().run_due()
    assert done["staff_audit"] == 2
    assert [entry.action for entry in db.session.scalars(select(StaffAuditEntry))] == ["purged"]


def test_a_parked_text_message_is_shown_with_its_council_and_can_be_retried(app, staff):
    with app.app_context():
        message = OutboxMessage(
            kind=MessageKind.TEXT_MESSAGE,
            payload={
                "sent_reminder_id": 1,
                "council": "norwich",
                "reference": "bin-reminder-x",
                "body": "...",
            },
            status=MessageStatus.PARKED,
            last_error="PermanentFailure: GOV.UK Notify refused the text: BadRequestError",
        )
        db.session.add(message)
        db.session.commit()
        message_id = message.id
    supervisor = staff(SUPERVISOR)
    supervisor.submit("/staff/working-for", {"council": "norwich"})
    page = supervisor.page("/staff/deliveries")
    row = page.select_one("main tbody tr").get_text(" ", strip=True)
    assert "Text message · Norwich City Council" in row and "BadRequestError" in row
    assert page.select_one("main button[aria-label='Retry text message']")
    token = page.select_one("input[name=csrf_token]")["value"]
    assert supervisor.post(f"/staff/deliveries/{message_id}/retry", {"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == MessageStatus.PENDING
