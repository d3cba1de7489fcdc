"""ASVS 7.4.5: a supervisor ends one resident's sessions from their single view (reason given, password
entered recently, audited); an agent cannot; an operator ends one resident's or every resident's sessions with
`flask sessions end`, never a staff member's."""

from __future__ import annotations

from app.models.audit import AuditEvent
from app.session_commands import sessions_cli
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.auth.conftest import Visitor
from tests.integration.staff.conftest import (
    NORWICH_AGENT,
    SUPERVISOR,
    audit_entries,
    open_record,
)

PRIYA = DEMO_RESIDENTS[0]


def signed_in(visitor) -> bool:
    return visitor.portal("/account").status_code == 200


def security_events(app, event: str) -> list[AuditEvent]:
    from app.extensions import db

    with app.app_context():
        found = list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.event == event)))
        db.session.expunge_all()
        return found


def test_a_supervisor_signs_a_resident_out_everywhere(app, staff, tom):
    browser = staff(SUPERVISOR)
    browser.submit("/staff/working-for", {"council": "norwich"})
    record = open_record(browser, tom.resident_id)
    section = record.select_one("#sessions").find_next("table")
    assert "Norwich City Council (norwich.localhost)" in section.get_text(" ", strip=True)
    link = record.find("a", string=lambda text: text and text.startswith("Sign Tom Blake out everywhere"))
    confirm = browser.page(link["href"])
    assert confirm.h1.get_text(strip=True) == "Sign the resident out everywhere"
    assert signed_in(tom), "opening the page ends nothing"

    response = browser.submit(link["href"], {})
    assert response.location == f"/staff/residents/{tom.resident_id}#sessions"
    assert not signed_in(tom)
    (entry,) = audit_entries(app, "resident_sessions_ended")
    assert entry.resident_id == tom.resident_id
    assert entry.staff_subject == SUPERVISOR.subject
    assert entry.reason_code == "contact"
    assert entry.detail == {"sessions_ended": 1}
    (event,) = security_events(app, "sessions_ended_by_council")
    assert event.actor == f"resident:{tom.resident_id}" and event.detail["council"] == "norwich"
    assert "Not signed in anywhere at the moment." in browser.page(f"/staff/residents/{tom.resident_id}").text


def test_an_agent_cannot_and_asking_is_recorded(app, staff, tom):
    browser = staff(NORWICH_AGENT)
    record = open_record(browser, tom.resident_id)
    assert "a supervisor can sign them out everywhere" in record.text
    path = f"/staff/residents/{tom.resident_id}/sessions/end"
    assert browser.get(path).status_code == 403
    assert browser.post(path, {"csrf_token": browser.csrf_token()}).status_code == 403
    assert signed_in(tom)
    assert [entry.detail["needs"] for entry in audit_entries(app, "refused")] == ["supervisor", "supervisor"]


def test_the_reason_for_the_look_comes_first(app, staff, tom):
    browser = staff(SUPERVISOR)
    browser.submit("/staff/working-for", {"council": "norwich"})
    path = f"/staff/residents/{tom.resident_id}/sessions/end"
    response = browser.post(path, {"csrf_token": browser.csrf_token()})
    assert response.location == f"/staff/residents/{tom.resident_id}/reason"
    assert signed_in(tom)


def test_a_password_entered_long_ago_is_asked_for_again(app, staff, tom, monkeypatch):
    browser = staff(SUPERVISOR)
    browser.submit("/staff/working-for", {"council": "norwich"})
    open_record(browser, tom.resident_id)
    monkeypatch.setitem(app.config, "STAFF_REAUTHENTICATE_MINUTES", -1)
    path = f"/staff/residents/{tom.resident_id}/sessions/end"
    response = browser.post(path, {"csrf_token": browser.csrf_token()})
    assert response.status_code == 302 and response.location.startswith("/staff/sign-in?")
    assert "again=1" in response.location
    assert signed_in(tom)
    assert audit_entries(app, "refused")[-1].detail == {"reauthenticate": True}


def test_the_operator_command_ends_every_residents_sessions_and_no_staff_session(app, staff, tom):
    priya = Visitor(app.test_client(), host="south-norfolk.localhost")
    assert priya.sign_in_at_sandbox(PRIYA).status_code == 302
    browser = staff(SUPERVISOR)
    browser.submit("/staff/working-for", {"council": "norwich"})

    refused = app.test_cli_runner().invoke(sessions_cli, ["end"])
    assert refused.exit_code == 2 and "Give either --all or --resident ID" in refused.output
    declined = app.test_cli_runner().invoke(sessions_cli, ["end", "--all"], input="n\n")
    assert declined.exit_code == 1 and signed_in(tom)

    result = app.test_cli_runner().invoke(sessions_cli, ["end", "--all"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Ended 2 sessions of every resident." in result.output
    assert not signed_in(tom) and not signed_in(priya)
    assert browser.get("/staff").status_code == 200, "staff stay signed in"
    (entry,) = audit_entries(app, "every_resident_session_ended")
    assert entry.staff_subject == "operator:flask sessions" and entry.detail == {"sessions_ended": 2}


def test_the_operator_command_ends_one_residents_sessions(app, portal, tom):
    priya = Visitor(app.test_client(), host="south-norfolk.localhost")
    assert priya.sign_in_at_sandbox(PRIYA).status_code == 302
    unknown = app.test_cli_runner().invoke(sessions_cli, ["end", "--resident", "999999", "--yes"])
    assert unknown.exit_code == 1 and "There is no resident 999999." in unknown.output

    result = app.test_cli_runner().invoke(sessions_cli, ["end", "--resident", str(tom.resident_id), "--yes"])
    assert result.exit_code == 0, result.output
    assert not signed_in(tom) and signed_in(priya)
    (entry,) = audit_entries(app, "resident_sessions_ended")
    assert entry.resident_id == tom.resident_id and entry.detail == {"sessions_ended": 1}
    assert security_events(app, "sessions_ended_by_operator")[0].actor == f"resident:{tom.resident_id}"
