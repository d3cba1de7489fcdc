"""Logs are JSON lines with a request id on every request, and no line holds anything personal: a signed-in
resident and a guest reporter go through the portal carrying names, emails, addresses, tokens and tracking
links in forms, paths, query strings and headers, and every log line is searched for them."""

import io
import json
import logging
import re
import subprocess
import sys

import pytest

from app.observability.logs import JsonFormatter
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.auth.conftest import Visitor
from tests.integration.reports.conftest import deliver_all
from tests.integration.reports.test_journey import HOST, described_pothole

pytestmark = pytest.mark.database_independent

PRIYA = DEMO_RESIDENTS[0]
SECRET_TOKEN = "tok3nThatMustNeverBeLogged0123456789abc"


@pytest.fixture
def log_lines():
    """Every record any logger emits at DEBUG and above, formatted as the portal formats them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lambda: stream.getvalue().splitlines()
    root.removeHandler(handler)
    root.setLevel(previous_level)


def test_no_log_line_holds_personal_data(
    app, client, journey, back_offices, with_sandbox_idp, app_context, log_lines
):
    walk = described_pothole(journey, description="Outside Priya Shah's house at 12 Orchard Way, NR18 0AB")
    walk.go("check")
    walk.send()
    confirmation = walk.page()
    tracking_link = confirmation.select_one("a[href*='/track/']")["href"]
    tracking_token = tracking_link.rsplit("/", 1)[1]
    assert client.get(tracking_link, headers={"Host": HOST}).status_code == 200, tracking_link
    deliver_all()

    Visitor(client, host=HOST).sign_in_at_sandbox(PRIYA)
    client.get("/dashboard", headers={"Host": HOST})
    client.get(
        f"/report/{SECRET_TOKEN}/place?email={PRIYA.email}&name={PRIYA.given_name}&postcode=NR18+0AB",
        headers={"Host": HOST, "X-Request-ID": PRIYA.email, "Authorization": f"Bearer {SECRET_TOKEN}"},
    )
    client.get(f"/report/track/{SECRET_TOKEN}", headers={"Host": HOST})
    client.get(f"/{PRIYA.email}", headers={"Host": "10.0.0.5"})

    lines = log_lines()
    assert lines, "the requests above were logged"
    forbidden = [
        "guest@example.com",
        PRIYA.email,
        PRIYA.given_name,
        PRIYA.family_name,
        PRIYA.address[0],
        "Orchard Way",
        "NR18 0AB",
        "NR18+0AB",
        tracking_token,
        tracking_token.split(".")[0],
        SECRET_TOKEN,
        "track/ey",
    ]
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= record.keys()
        for value in forbidden:
            assert value.lower() not in line.lower(), (value, line)
    requests_logged = [json.loads(line) for line in lines if '"logger": "portal.request"' in line]
    assert {record["route"] for record in requests_logged} >= {"/report/track/<signed>", "/dashboard"}
    assert all(re.fullmatch(r"[0-9a-f]{32}", record["request_id"]) for record in requests_logged)
    assert all(
        record["council"] == "great-yarmouth" for record in requests_logged if record["route"] == "/dashboard"
    )


def test_logs_are_json_lines_on_standard_output_with_a_request_id():
    program = (
        "from app import create_app\n"
        "app = create_app('development', PROXY_HOPS=1)\n"
        "client = app.test_client()\n"
        "client.get('/healthz', headers={'Host': '10.0.0.5', 'X-Request-ID': 'lb-request-0001'})\n"
        "client.get('/privacy', headers={'Host': 'norwich.localhost'})\n"
        "app.logger.warning('a warning from the app')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True
    )
    records = [json.loads(line) for line in run.stdout.splitlines()]
    requests_logged = [record for record in records if record["logger"] == "portal.request"]
    assert requests_logged[0]["request_id"] == "lb-request-0001", "a trusted proxy's request id is kept"
    assert requests_logged[0]["route"] == "/healthz" and requests_logged[0]["status"] == 200
    assert requests_logged[1]["council"] == "norwich" and requests_logged[1]["duration_ms"] >= 0
    assert any(
        record["level"] == "warning" and record["message"] == "a warning from the app" for record in records
    )


def test_a_request_id_from_an_untrusted_client_is_replaced(client):
    response = client.get("/healthz", headers={"Host": "10.0.0.5", "X-Request-ID": "chosen-by-the-client"})
    assert response.headers["X-Request-ID"] != "chosen-by-the-client"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_database_errors_lose_their_parameters_and_messages_their_secrets():
    from app.observability.logs import redact

    error = (
        "(psycopg.errors.UniqueViolation) duplicate key\n"
        "[SQL: INSERT INTO reports (description) VALUES (%(d)s)]\n"
        "[parameters: {'d': 'Outside number 12, call Priya on 07700 900123'}]\n(Background on this error)"
    )
    assert "Priya" not in redact(error) and "[SQL: INSERT INTO reports" in redact(error)
    assert redact("GET /x?api_key=abc&q=NR1 1AA") == "GET /x?[query] 1AA" or "abc" not in redact(
        "GET /x?api_key=abc"
    )
    assert "[email]" in redact("to priya.shah@example.com") and "priya" not in redact(
        "to priya.shah@example.com"
    )
    assert redact("Authorization: Bearer s3cr3t-t0ken") == "Authorization: Bearer [secret]"


def test_gunicorn_s_access_line_is_json_with_the_request_s_id_and_route_only(app, log_lines):
    """(``app`` first: the portal has configured logging before this test listens to it.)"""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from app.observability import logs
    from app.observability.gunicorn_logger import JsonLogger

    config = Config()
    config.set("accesslog", "-")
    logger = JsonLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/report/track/eyJyZWYiOiJOTkMtMTIzNCJ9.secret-signature",
        "QUERY_STRING": f"email={PRIYA.email}",
        "REMOTE_ADDR": "203.0.113.9",
        logs.ENVIRON_REQUEST_ID: "0123456789abcdef0123456789abcdef",
        logs.ENVIRON_ROUTE: "/report/track/<signed>",
        logs.ENVIRON_COUNCIL: "norwich",
    }
    logger.access(SimpleNamespace(status_code=200, sent=512), None, environ, timedelta(milliseconds=12))

    [line] = [json.loads(line) for line in log_lines() if '"gunicorn.access"' in line]
    assert line["request_id"] == "0123456789abcdef0123456789abcdef"
    assert (line["route"], line["council"], line["status"], line["duration_ms"]) == (
        "/report/track/<signed>",
        "norwich",
        200,
        12.0,
    )
    assert "203.0.113.9" not in json.dumps(line) and PRIYA.email not in json.dumps(line)
    assert "secret-signature" not in json.dumps(line)
