"""OpenTelemetry traces: each request's span, its database queries, and every call to a council's back office
(a span named after the council and the service, connectors/telemetry.py, around the requests library's own
HTTP span), so a slow dashboard shows which council's back office spent the budget.

Off unless the standard variables ask for it: OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (spans go there by OTLP over HTTP), with OTEL_TRACES_EXPORTER=none
to switch it off again; OTEL_SERVICE_NAME (default ``my-norfolk``), OTEL_RESOURCE_ATTRIBUTES,
OTEL_EXPORTER_OTLP_HEADERS and the rest are read by the SDK.
Tests give ``init_app`` an exporter of their own.
"""

from __future__ import annotations

import os
import threading

from flask import Flask, g
from opentelemetry import trace

_lock = threading.Lock()
_provider = None


def wanted() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    if os.environ.get("OTEL_TRACES_EXPORTER", "").lower() == "none":
        return False
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _tracer_provider(exporter=None):
    """One provider per process, set as the global one (the connectors' spans use it)."""
    global _provider
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    with _lock:
        if _provider is None:
            resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "my-norfolk")})
            _provider = TracerProvider(resource=resource)
            trace.set_tracer_provider(_provider)
        if not RequestsInstrumentor().is_instrumented_by_opentelemetry:
            RequestsInstrumentor().instrument(tracer_provider=_provider)
        if exporter is not None:
            _provider.add_span_processor(SimpleSpanProcessor(exporter))
        elif wanted():
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        return _provider


def _council_attribute(response):
    theme = g.get("theme")
    span = trace.get_current_span()
    if theme is not None and span.is_recording():
        span.set_attribute("portal.council", theme.slug)
    return response


def init_app(app: Flask, exporter=None) -> bool:
    """Trace this app when OTEL_* asks for it (or into ``exporter``); True when tracing."""
    if exporter is None and not wanted():
        return False
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    provider = _tracer_provider(exporter)
    # Health checks and scrapes would be most of the spans and say nothing.
    FlaskInstrumentor().instrument_app(app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics")
    app.after_request(_council_attribute)
    with app.app_context():
        from app.extensions import db

        # The instrumentation declares support up to SQLAlchemy 2.0; the engine events it uses are 2.1's too
        # (tests/integration/test_dashboard_traces.py checks the query spans).
        SQLAlchemyInstrumentor().instrument(engine=db.engine, tracer_provider=provider, skip_dep_check=True)
    return True
