"""The Open311 contract suite: connectors/open311.py against the sandbox (JSON and XML), against answers
recorded from it, and against a server that sends only what GeoReport v2 requires (every optional field
absent). Record again with `.venv/bin/python -m tests.contract.open311_recorder`."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask, Response, request

from connectors import open311
from connectors.errors import BadData, NotAuthorised, NotFound, Unavailable
from connectors.models import (
    NewServiceRequest,
    Service,
    ServiceDefinition,
    ServiceKind,
    ServiceRequest,
    ServiceRequestUpdate,
)
from tests.contract.conftest import registry_for
from tests.support.live_server import LiveServer

RECORDINGS = Path(__file__).resolve().parent / "recordings" / "open311"
TOM_NEAR = (52.6268, 1.2787)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
SOURCES = ["sandbox-json", "sandbox-xml", "recorded-json", "recorded-xml", "minimal-json", "minimal-xml"]


def replay_app() -> Flask:
    """Serves recordings/open311/<variant>/<path>.<format>; POST requests answer POST-requests.<format>."""
    app = Flask(__name__)

    @app.route("/<variant>/<path:path>", methods=["GET", "POST"])
    def replay(variant: str, path: str):
        stem, _, fmt = path.rpartition(".")
        name = f"POST-{stem}.{fmt}" if request.method == "POST" else path
        file = (RECORDINGS / variant / name).resolve()
        if RECORDINGS not in file.parents or not file.is_file():
            body = '[{"code": 404, "description": "not found"}]'
            return Response(body, 404, mimetype="application/json")
        mimetype = "application/json" if fmt == "json" else "text/xml"
        return Response(file.read_bytes(), 201 if request.method == "POST" else 200, mimetype=mimetype)

    return app


@pytest.fixture(scope="module")
def open311_replay():
    server = LiveServer(replay_app())
    yield server
    server.stop()


def client_for(registry, council: str, fmt: str, base_url: str | None = None):
    settings = registry.settings(council, ServiceKind.STREET_REPORTS)
    settings = dataclasses.replace(
        settings, options={**settings.options, "format": fmt}, base_url=base_url or settings.base_url
    )
    return open311.build(settings, registry)


@pytest.fixture(params=SOURCES)
def source(request, tmp_path):
    """(name, Open311 client for the county) for each source."""
    kind, fmt = request.param.split("-")
    if kind == "sandbox":
        server = request.getfixturevalue("contract_sandbox")
        client = client_for(registry_for(server.url, tmp_path / "cache"), "norfolk", fmt)
    else:
        server = request.getfixturevalue("open311_replay")
        variant = "sandbox" if kind == "recorded" else "minimal"
        registry = registry_for(server.url, tmp_path / "cache")
        client = client_for(registry, "norfolk", fmt, base_url=f"{server.url}/{variant}")
    return request.param, client


@pytest.fixture(params=["json", "xml"])
def sandbox_client(request, contract_sandbox, tmp_path):
    yield client_for(
        registry_for(contract_sandbox.url, tmp_path / "cache", retries=0), "norfolk", request.param
    )
    contract_sandbox.clear_faults()


# --- every source -----------------------------------------------------------------------------------------


def test_services_are_typed_with_the_county_street_services(source):
    _, client = source
    result = client.services()
    assert (result.council, result.kind, result.stale) == ("norfolk", ServiceKind.STREET_REPORTS, False)
    assert all(isinstance(service, Service) and service.name for service in result.value)
    assert {service.code for service in result.value} == {"pothole", "street_light"}


def test_a_service_definition_lists_its_questions_in_order(source):
    _, client = source
    definition = client.service_definition("pothole").value
    assert isinstance(definition, ServiceDefinition) and definition.service_code == "pothole"
    assert [attribute.order for attribute in definition.attributes] == sorted(
        attribute.order for attribute in definition.attributes
    )
    defect = next(attribute for attribute in definition.attributes if attribute.code == "defect_type")
    assert defect.datatype == "singlevaluelist" and defect.required and defect.variable
    assert "pothole" in {value.key for value in defect.values}


def test_requests_are_typed_and_include_the_open_pothole_near_tom(source):
    _, client = source
    requests = client.requests(start_date=LONG_AGO).value
    assert requests and all(isinstance(item, ServiceRequest) for item in requests)
    assert all(item.status in ("open", "closed") for item in requests)
    pothole = next(item for item in requests if item.service_request_id == "NCC-000001")
    assert (pothole.status, pothole.service_code) == ("open", "pothole")
    assert pothole.distance_m(*TOM_NEAR) < 100


def test_one_request_by_id_and_an_unknown_id_is_not_found(source):
    _, client = source
    assert client.request("NCC-000001").value.service_request_id == "NCC-000001"
    with pytest.raises(NotFound):
        client.request("NCC-999999")


def test_requests_near_a_place_are_within_the_radius_nearest_first(source):
    _, client = source
    near = client.requests_near(*TOM_NEAR, radius_m=250, status=None).value
    assert "NCC-000001" in {item.service_request_id for item in near}
    distances = [item.distance_m(*TOM_NEAR) for item in near]
    assert distances == sorted(distances) and all(distance <= 250 for distance in distances)


def test_status_updates_are_typed(source):
    _, client = source
    updates = client.updates(start_date=LONG_AGO).value
    assert updates and all(isinstance(update, ServiceRequestUpdate) for update in updates)
    assert all(
        update.status == update.status.upper() and update.updated_datetime.tzinfo for update in updates
    )
    assert "NCC-000001" in {update.service_request_id for update in updates}


def test_creating_a_request_returns_an_id_or_a_token(source):
    _, client = source
    created = client.create_request(
        NewServiceRequest(
            service_code="street_light", latitude=52.9314, longitude=1.3006, attributes={"fault": "out"}
        )
    )
    assert created.service_request_id or created.token


# --- what each kind of server shows -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_optional_fields_absent_or_empty_become_none(open311_replay, tmp_path, fmt):
    client = client_for(
        registry_for(open311_replay.url, tmp_path / "cache"),
        "norfolk",
        fmt,
        base_url=f"{open311_replay.url}/minimal",
    )
    services = client.services().value
    assert all(
        (service.description, service.metadata, service.type, service.keywords, service.group)
        == ("", False, "realtime", (), None)
        for service in services
    )
    assert client.service_definition("street_light").value.attributes == ()
    closed = next(item for item in client.requests().value if item.status == "closed")
    assert closed.latitude is None and closed.longitude is None and closed.description is None
    assert closed.requested_datetime is None and closed.address is None and closed.agency_responsible is None
    assert (
        client.create_request(NewServiceRequest(service_code="pothole", address_string="x")).token
        == "T-12345"
    )


def test_json_and_xml_give_the_same_answers(contract_sandbox, tmp_path):
    registry = registry_for(contract_sandbox.url, tmp_path / "cache")
    as_json, as_xml = client_for(registry, "norfolk", "json"), client_for(registry, "norfolk", "xml")
    assert as_json.services().value == as_xml.services().value
    assert as_json.service_definition("pothole").value == as_xml.service_definition("pothole").value
    assert as_json.requests(start_date=LONG_AGO).value == as_xml.requests(start_date=LONG_AGO).value
    assert as_json.updates(start_date=LONG_AGO).value == as_xml.updates(start_date=LONG_AGO).value


def test_a_new_request_round_trips_with_its_answers(sandbox_client):
    created = sandbox_client.create_request(
        NewServiceRequest(
            service_code="pothole",
            latitude=52.62,
            longitude=1.29,
            description="Pothole by the bus stop",
            attributes={"defect_type": "pothole", "location_on_road": "road"},
            email="someone@example.com",
            device_id=f"outbox-{datetime.now(UTC).timestamp()}",
        )
    )
    fetched = sandbox_client.request(created.service_request_id).value
    assert (fetched.status, fetched.service_code, fetched.description) == (
        "open",
        "pothole",
        "Pothole by the bus stop",
    )
    assert fetched.latitude == pytest.approx(52.62)


def test_a_retried_delivery_with_the_same_device_id_makes_one_request(sandbox_client):
    report = NewServiceRequest(
        service_code="street_light",
        latitude=52.93,
        longitude=1.30,
        attributes={"fault": "flickering"},
        device_id=f"outbox-retry-{datetime.now(UTC).timestamp()}",
    )
    assert sandbox_client.create_request(report) == sandbox_client.create_request(report)


def test_a_multivalue_answer_is_sent_and_a_missing_required_answer_is_refused(contract_sandbox, tmp_path):
    client = client_for(registry_for(contract_sandbox.url, tmp_path / "cache"), "great-yarmouth", "xml")
    created = client.create_request(
        NewServiceRequest(
            service_code="fly_tipping",
            latitude=52.6,
            longitude=1.73,
            attributes={"waste_type": ("household", "tyres"), "amount": "van", "hazardous": "no"},
        )
    )
    assert created.service_request_id.startswith("GYB-")
    with pytest.raises(BadData, match="rejected"):
        client.create_request(NewServiceRequest(service_code="fly_tipping", latitude=52.6, longitude=1.73))


def test_a_wrong_api_key_is_not_authorised(contract_sandbox, tmp_path):
    client = client_for(registry_for(contract_sandbox.url, tmp_path / "cache"), "norfolk", "json")
    client.api_key = "not-the-key"
    with pytest.raises(NotAuthorised):
        client.create_request(NewServiceRequest(service_code="pothole", address_string="Unthank Road"))
    with pytest.raises(NotAuthorised):
        client.updates()


def test_a_resident_update_is_accepted_once(sandbox_client):
    first = sandbox_client.post_update("NCC-000001", "It has got bigger", update_id="portal-42")
    assert sandbox_client.post_update("NCC-000001", "It has got bigger", update_id="portal-42") == first


@pytest.mark.parametrize(
    ("mode", "error"), [("malformed", BadData), ("garbage", BadData), ("down", Unavailable)]
)
def test_a_failing_open311_server_is_a_typed_error(contract_sandbox, sandbox_client, mode, error):
    contract_sandbox.inject("open311", mode)
    with pytest.raises(error):
        sandbox_client.services()


def test_a_stopped_open311_server_leaves_cached_services_served_as_stale(tmp_path):
    from tests.support.sandbox import SandboxServer

    server = SandboxServer.start(tmp_path / "sandbox")
    registry = registry_for(server.url, tmp_path / "cache", ttl=0, retries=0)
    client = client_for(registry, "norfolk", "xml")
    fresh = client.services()
    server.stop()

    stale = client.services()
    assert stale.stale and stale.value == fresh.value and stale.fetched_at == fresh.fetched_at
    assert stale.problem
