"""Acknowledgements through GOV.UK Notify, tested against a loopback fake of its API that checks what the real
one checks: the JWT signed with the API key's secret, the template and the personalisation."""

import threading
import uuid

import jwt
import pytest
from flask import Flask, jsonify, request
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.models.reports import MailboxMessage, MessageStatus, OutboxMessage
from app.reports import outbox
from app.reports.mail import Email, queue_email
from tests.support.calls_out import calls_out
from tests.support.production import PRODUCTION_SETTINGS

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"my_norfolk_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = str(uuid.uuid4())
POLICY = outbox.DeliveryPolicy(
    max_failures=3,
    base_delay=outbox.timedelta(seconds=30),
    max_delay=outbox.timedelta(hours=1),
    lease=outbox.timedelta(minutes=2),
)


def fake_notify(received: list, refuse: dict) -> Flask:
    fake = Flask("fake-notify")

    @fake.post("/v2/notifications/email")
    def send_email():
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        except jwt.PyJWTError:
            return jsonify(errors=[{"error": "AuthError", "message": "Invalid token"}], status_code=403), 403
        if claims["iss"] != SERVICE_ID:
            return jsonify(
                errors=[{"error": "AuthError", "message": "Invalid service"}], status_code=403
            ), 403
        if refuse.get("status"):
            status = refuse["status"]
            return jsonify(errors=[{"error": "Error", "message": "refused"}], status_code=status), status
        body = request.get_json()
        if body["template_id"] != TEMPLATE_ID:
            return jsonify(
                errors=[{"error": "BadRequestError", "message": "Template not found"}], status_code=400
            ), 400
        received.append(body)
        return jsonify(id=str(uuid.uuid4()), reference=None, content={}, uri="", template={}), 201

    return fake


@pytest.fixture
def notify(app, monkeypatch):
    received, refuse = [], {}
    server = make_server("127.0.0.1", 0, fake_notify(received, refuse), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "NOTIFY_API_KEY", API_KEY)
    monkeypatch.setitem(app.config, "NOTIFY_TEMPLATE_ID", TEMPLATE_ID)
    monkeypatch.setitem(app.config, "NOTIFY_BASE_URL", f"http://127.0.0.1:{server.server_port}")
    yield received, refuse
    server.shutdown()
    server.server_close()


def test_with_a_notify_key_email_goes_through_notify_not_the_mailbox(app_context, notify):
    received, _ = notify
    queue_email(Email(to="guest@example.com", subject="Your report NFK-AAAA-BBBB", body="What you reported"))
    db.session.commit()

    with calls_out() as calls:
        outcomes = outbox.run_once("worker-a", POLICY)

    assert [outcome.outcome for outcome in outcomes] == ["delivered"]
    # No database connection is held while Notify answers.
    assert [call.holding_connection for call in calls] == [False]
    assert received == [
        {
            "email_address": "guest@example.com",
            "template_id": TEMPLATE_ID,
            "personalisation": {"subject": "Your report NFK-AAAA-BBBB", "body": "What you reported"},
        }
    ]
    assert db.session.scalars(select(MailboxMessage)).all() == []


def test_a_notify_outage_delays_the_email_and_it_is_sent_later(app_context, notify):
    received, refuse = notify
    refuse["status"] = 500
    queue_email(Email(to="guest@example.com", subject="Subject", body="Body"))
    db.session.commit()

    assert [outcome.outcome for outcome in outbox.run_once("worker-a", POLICY)] == ["failed"]
    message = db.session.scalar(select(OutboxMessage))
    assert message.status == MessageStatus.PENDING

    refuse.clear()
    message.next_attempt_at = outbox.utcnow()
    db.session.commit()
    assert [outcome.outcome for outcome in outbox.run_once("worker-a", POLICY)] == ["delivered"]
    assert len(received) == 1


def test_an_email_notify_rejects_is_parked_at_once(app_context, notify):
    _, refuse = notify
    refuse["status"] = 400
    queue_email(Email(to="guest@example.com", subject="Subject", body="Body"))
    db.session.commit()

    assert [outcome.outcome for outcome in outbox.run_once("worker-a", POLICY)] == ["parked"]


def test_outside_development_email_goes_only_through_notify_and_the_worker_needs_it(tmp_path):
    from app import create_app
    from app.reports.mail import DevelopmentMailbox, MailNotConfigured, NotifyMailer, mailer

    production = create_app(
        "production",
        **PRODUCTION_SETTINGS,
        INSTANCE_DIR=tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        NOTIFY_API_KEY=None,
    )
    with production.app_context():
        with pytest.raises(MailNotConfigured):
            mailer()
        result = production.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code != 0 and "PORTAL_NOTIFY_API_KEY" in result.output

    production.config.update(NOTIFY_API_KEY=API_KEY, NOTIFY_TEMPLATE_ID=None)
    with production.app_context(), pytest.raises(MailNotConfigured, match="PORTAL_NOTIFY_TEMPLATE_ID"):
        mailer()
    production.config.update(NOTIFY_TEMPLATE_ID=TEMPLATE_ID)
    with production.app_context():
        assert isinstance(mailer(), NotifyMailer)

    development = create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://", NOTIFY_API_KEY=None)
    with development.app_context():
        assert isinstance(mailer(), DevelopmentMailbox)
