"""What the sandbox's REST back offices (bins, council tax, planning, cases) share: the council path segment,
the API key, JSON errors exactly as docs/api/*.yaml describe them, and the sandbox's notion of today.

Each back office is a blueprint mounted at /<service>/<council>/..., so one sandbox process stands in for
every council's system; a council's base URL in connectors/sandbox.toml is e.g.
http://127.0.0.1:5001/bins/norwich, and a council is served the services that file gives it
(sandbox/councils.py). Faults injected for the service (sandbox/faults.py) come first, as a
failing back office fails before it looks at the request.
"""

from __future__ import annotations

import hmac
import zlib
from collections.abc import Callable
from datetime import date

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from sandbox import faults
from sandbox.councils import councils

API_KEY_HEADER = "X-API-Key"
DEFAULT_API_KEY = "sandbox-back-office-key"

ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid_parameter",
    500: "internal_error",
    503: "unavailable",
}


def today() -> date:
    """The back offices' today: SANDBOX_TODAY (a date, or a callable returning one) fixes it for tests."""
    configured = current_app.config.get("SANDBOX_TODAY")
    if callable(configured):
        return configured()
    return configured or date.today()


def error_response(status: int, message: str):
    response = jsonify({"error": {"code": ERROR_CODES.get(status, "error"), "message": message}})
    response.status_code = status
    return response


class InvalidParameter(HTTPException):
    code = 422


def back_office_blueprint(service: str) -> Blueprint:
    """A blueprint for one service (its sandbox/faults.py and connectors file name, e.g. "council_tax") at
    /<service>/<council>/... (e.g. /council-tax/norwich/...), refusing councils the connectors file does not
    give it."""
    path = service.replace("_", "-")
    blueprint = Blueprint(f"{service}_back_office", __name__, url_prefix=f"/{path}/<council>")

    @blueprint.url_value_preprocessor
    def take_council(endpoint, values):
        g.council = values.pop("council")

    faults.guard(blueprint, service, council=lambda: g.council)

    @blueprint.before_request
    def check_council_and_key():
        if not councils().serves(g.council, service):
            return error_response(404, f"No {service} service for council {g.council!r}.")
        expected = current_app.config.get("SANDBOX_API_KEY", DEFAULT_API_KEY)
        given = request.headers.get(API_KEY_HEADER, "")
        if not given:
            return error_response(401, f"Send the API key in the {API_KEY_HEADER} header.")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return error_response(401, "The API key is not valid.")
        return None

    @blueprint.errorhandler(HTTPException)
    def json_error(error: HTTPException):
        return error_response(error.code or 500, error.description or "Error.")

    return blueprint


def require(value: str | None, name: str, parse: Callable[[str], object] | None = None):
    """A query parameter the contract requires, parsed, or a 422 naming it."""
    if value is None or value == "":
        raise InvalidParameter(description=f"The {name} parameter is required.")
    if parse is None:
        return value
    try:
        return parse(value)
    except ValueError:
        raise InvalidParameter(description=f"The {name} parameter is not valid: {value!r}.") from None


def stable_number(text: str) -> int:
    """A number derived from text that is the same in every process (hash() is salted per process)."""
    return zlib.crc32(text.encode())
