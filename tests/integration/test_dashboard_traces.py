"""Traces: a dashboard request's spans say which council's back office, for which service, took how long."""

import pytest
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from app import create_app
from app.backoffice import use_registry
from app.observability import tracing
from tests.integration.auth.conftest import Visitor
from tests.integration.conftest import GAZETTEER
from tests.integration.test_dashboard import PRIYA

pytestmark = pytest.mark.database_independent

HOST = "south-norfolk.localhost"


def test_a_dashboard_request_traces_each_council_s_back_office_calls(
    app,
    connector_registry,
    sandbox_idp,  # noqa: F811 - the imported fixture
    tmp_path,
):
    from sqlalchemy import select

    from app import gazetteer_import
    from app.extensions import db
    from app.models.identity import Resident

    traced = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        INSTANCE_DIR=tmp_path,
        OIDC_DISCOVERY_URL=f"{sandbox_idp.url}/idp/.well-known/openid-configuration",
    )
    exporter = InMemorySpanExporter()
    assert tracing.init_app(traced, exporter=exporter)
    use_registry(traced, connector_registry)
    try:
        with traced.app_context():
            gazetteer_import.import_file(GAZETTEER)
        client = traced.test_client()
        assert Visitor(client, host=HOST).sign_in_at_sandbox(PRIYA).status_code == 302
        with traced.app_context():
            resident = db.session.scalar(select(Resident).where(Resident.subject == PRIYA.subject))
            resident.home_uprn = PRIYA.uprn
            db.session.commit()
        exporter.clear()

        assert client.get("/dashboard", headers={"Host": HOST}).status_code == 200
    finally:
        RequestsInstrumentor().uninstrument()

    spans = exporter.get_finished_spans()
    page = next(span for span in spans if span.kind == SpanKind.SERVER)
    assert page.attributes["portal.council"] == "south-norfolk"
    back_office = [span for span in spans if "portal.service" in (span.attributes or {})]
    assert {
        (span.attributes["portal.council"], span.attributes["portal.service"]) for span in back_office
    } >= {
        ("south-norfolk", "bins"),
        ("norfolk", "street_reports"),
    }
    assert all(span.context.trace_id == page.context.trace_id for span in back_office), "one trace per page"
    http_calls = [
        span for span in spans if span.kind == SpanKind.CLIENT and "portal.service" not in span.attributes
    ]
    assert http_calls, "the requests library's own spans sit under each back-office span"
    queries = [span for span in spans if "db.system" in (span.attributes or {})]
    assert any(span.context.trace_id == page.context.trace_id for span in queries), "the page's queries"
