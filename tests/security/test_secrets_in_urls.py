"""Issue 11, item 9: no secret or personal data in a URL where the protocol allows otherwise. URLs end up in
access logs, proxies and caches. Open311's key goes in a header on GET (in the form body on POST, as GeoReport
v2 defines); a server that reads only the query parameter is a deliberate, documented setting. The CRM is
asked about a resident's cases by POST, the email address in the body, and caches each answer by its body."""

import dataclasses
import logging

import pytest
from flask import Flask, request

from connectors import open311
from connectors.errors import ConfigurationError
from connectors.models import NewServiceRequest, ServiceKind
from tests.contract.conftest import registry_for
from tests.support.live_server import LiveServer

KEY = "sandbox-api-key"


@pytest.fixture(scope="module")
def recorder():
    """An Open311 server that writes down what each request carried."""
    app = Flask("open311_recorder")
    app.seen = []

    @app.route("/<path:path>", methods=["GET", "POST"])
    def anything(path):
        app.seen.append(
            {
                "url": request.full_path,
                "header": request.headers.get("X-Api-Key"),
                "form": request.form.get("api_key"),
            }
        )
        if request.method == "POST":
            return [{"service_request_id": "R-1"}]
        return {"service_requests_updates": []} if "servicerequestupdates" in path else []

    server = LiveServer(app)
    yield server
    server.stop()


def client(recorder, tmp_path, **options):
    registry = registry_for(recorder.url, tmp_path / "cache", api_key=KEY, retries=0)
    settings = registry.settings("norfolk", ServiceKind.STREET_REPORTS)
    settings = dataclasses.replace(
        settings, options={**settings.options, "format": "json", **options}, base_url=recorder.url
    )
    return open311.build(settings, registry)


def test_open311_keys_travel_in_a_header_on_get_and_the_body_on_post(recorder, tmp_path, caplog):
    recorder.app.seen.clear()
    caplog.set_level(logging.DEBUG)
    reports = client(recorder, tmp_path)
    reports.updates()
    reports.services()
    reports.create_request(NewServiceRequest(service_code="pothole", address_string="Unthank Road"))
    updates, services, created = recorder.app.seen
    assert updates["header"] == KEY
    assert services["header"] is None, "reads that need no key do not carry one"
    assert created["form"] == KEY
    for seen in recorder.app.seen:
        assert KEY not in seen["url"]
    assert KEY not in caplog.text


def test_a_server_that_reads_only_the_parameter_is_a_deliberate_setting(recorder, tmp_path):
    recorder.app.seen.clear()
    client(recorder, tmp_path, api_key_on_get="query").updates()
    (updates,) = recorder.app.seen
    assert f"api_key={KEY}" in updates["url"]
    assert updates["header"] is None
    with pytest.raises(ConfigurationError, match="api_key_on_get"):
        client(recorder, tmp_path, api_key_on_get="cookie")


@pytest.fixture(scope="module")
def crm():
    """A CRM that writes down what each request carried and answers each email with its own case."""
    app = Flask("crm_recorder")
    app.seen = []

    @app.route("/<path:path>", methods=["GET", "POST"])
    def anything(path):
        body = request.get_json(silent=True) or {}
        app.seen.append({"method": request.method, "url": request.full_path, "body": body})
        email = body.get("email", "")
        case = {
            "reference": f"REF-{email.split('@')[0]}",
            "title": "Pothole",
            "category": "pothole",
            "status": "open",
            "status_label": "Received",
            "opened_at": "2026-11-17T12:00:00Z",
            "updated_at": "2026-11-17T12:00:00Z",
            "closed": False,
        }
        if path.endswith("/lookup"):
            return {**case, "description": "A pothole", "notes": [], "status_history": []}
        return {"cases": [case]}

    server = LiveServer(app)
    yield server
    server.stop()


def test_crm_questions_carry_the_email_in_the_body_never_the_url(crm, tmp_path, caplog):
    crm.app.seen.clear()
    caplog.set_level(logging.DEBUG)
    cases = registry_for(crm.url, tmp_path / "cache").cases("norfolk")
    (tom,) = cases.cases_for_email("Tom.Blake@example.com").value
    (priya,) = cases.cases_for_email("priya.shah@example.com").value
    assert cases.case("REF-tom.blake", "tom.blake@example.com").value.case.reference == "REF-tom.blake"
    assert [seen["method"] for seen in crm.app.seen] == ["POST", "POST", "POST"]
    assert crm.app.seen[0]["body"] == {"email": "tom.blake@example.com"}
    for seen in crm.app.seen:
        assert "@" not in seen["url"] and "example.com" not in seen["url"]
    assert "example.com" not in caplog.text


def test_one_residents_cached_cases_are_never_anothers(crm, tmp_path):
    """A search by POST is cached by its body: each email address has its own entry."""
    crm.app.seen.clear()
    cases = registry_for(crm.url, tmp_path / "cache").cases("norfolk")
    assert cases.cases_for_email("tom.blake@example.com").value[0].reference == "REF-tom.blake"
    assert cases.cases_for_email("priya.shah@example.com").value[0].reference == "REF-priya.shah"
    assert cases.cases_for_email("tom.blake@example.com").value[0].reference == "REF-tom.blake"
    assert len(crm.app.seen) == 2, "the third answer came from the cache"
