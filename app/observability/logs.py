"""JSON-lines logs on standard output, one configuration for the web app, the worker and the CLI.

Every line is one JSON object: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, the
request's ``request_id`` and ``council`` when there is a request, ``exception`` when one is logged, and the
fields a caller passes as ``extra={"fields": {...}}``. Each request is logged once when it ends (``route`` is
the URL rule, never the path, which may carry a tracking token; ``method``, ``status``, ``duration_ms``).
Nothing logged may carry personal data: the formatter also removes email addresses, long tokens and query
strings from every message in case a library's message holds one.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's request id is used only when it looks like one: no room for a log injection or personal data.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# Values that must never reach a log line, whatever a message or a library's exception says.
REDACTIONS = (
    # SQLAlchemy's errors quote the statement's parameters: anything a resident typed
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: redacted]"),
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\?[^\s\"']*"), "?[query]"),  # query strings: api keys, tokens, search terms
    (re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]+"), r"\1 [secret]"),
    # session ids, tracking tokens, keys: long runs of letters with digits (not identifiers in a traceback)
    (re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{24,}"), "[token]"),
)
# Keys of the WSGI environ through which a request's id, council and route reach gunicorn's access log.
ENVIRON_REQUEST_ID = "portal.request_id"
ENVIRON_ROUTE = "portal.route"
ENVIRON_COUNCIL = "portal.council"
# Fields the portal itself makes, which look like tokens and are none.
UNREDACTED_FIELDS = frozenset({"request_id"})

_configured = False


def redact(text: str) -> str:
    for pattern, replacement in REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if has_request_context():
            line["request_id"] = g.get("request_id")
            theme = g.get("theme")
            line["council"] = theme.slug if theme else None
        fields = getattr(record, "fields", None)
        if fields:
            line.update(
                {
                    key: redact(value) if isinstance(value, str) and key not in UNREDACTED_FIELDS else value
                    for key, value in fields.items()
                }
            )
        if record.exc_info:
            kind, error, trace = record.exc_info
            line["exception"] = redact(
                "".join(traceback.format_exception(kind, error, trace))
                if trace
                else f"{kind.__name__}: {error}"
            )
        return json.dumps(line, default=str)


def configure(level: str | None = None) -> None:
    """Send every logger's records to standard output as JSON lines (once per process)."""
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("PORTAL_LOG_LEVEL") or "INFO").upper())
    # The development server's own access lines carry the whole path (a tracking token, a search): the
    # portal logs each request itself.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    _configured = True


def _request_id() -> str:
    from flask import current_app

    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if current_app.config["PROXY_HOPS"] and REQUEST_ID_PATTERN.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def _start_request() -> None:
    g.request_id = _request_id()
    g.request_started = time.perf_counter()
    request.environ[ENVIRON_REQUEST_ID] = g.request_id


def route() -> str:
    """The request's URL rule (``/track/<token>``), never its path."""
    return request.url_rule.rule if request.url_rule is not None else "(no route)"


def _end_request(response):
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    theme = g.get("theme")
    request.environ[ENVIRON_ROUTE] = route()
    request.environ[ENVIRON_COUNCIL] = theme.slug if theme else ""
    started = g.get("request_started")
    duration = time.perf_counter() - started if started else 0.0
    logging.getLogger("portal.request").info(
        "request",
        extra={
            "fields": {
                "route": route(),
                "method": request.method,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 1),
            }
        },
    )
    return response


def init_app(app: Flask) -> None:
    configure(app.config.get("LOG_LEVEL"))
    app.before_request(_start_request)
    app.after_request(_end_request)
