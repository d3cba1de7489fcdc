"""Latency and failure injection for the sandbox's back-office services, for tests and benchmarks.

Each service blueprint calls ``guard(blueprint, "<service>")``. A fault is set per service, optionally for one
council only, over HTTP (the sandbox runs as its own process) or with the helpers below:

    POST   /_faults  {"service": "bins", "mode": "slow", "delay": 0.2, "council": "norwich"}   (JSON or form)
    GET    /_faults  the faults in force
    DELETE /_faults  clear every fault (or ?service=bins to clear one service's)

Services: open311, bins, council_tax (or council-tax), planning, cases, waste, pay (GOV.UK Pay's API),
idp_admin (the identity provider's admin API).
Modes: ``slow`` (wait ``delay``
seconds, then answer normally: a large delay is a back office that answers nothing at all), ``down`` (503 with
an HTML page, like a load balancer with no backend), ``error`` (500 with an HTML page), ``malformed`` (200
with an HTML maintenance page instead of JSON/XML), ``garbage`` (200 claiming JSON, with a truncated body).
``throttled`` (429 with Retry-After: 1, as a rate-limited API). ``down``, ``error``, ``malformed``,
``garbage`` and ``throttled`` also wait ``delay`` first.

    from sandbox import faults
    faults.inject(sandbox_url, "bins", "down")          # or: with faults.injected(sandbox_url, "bins",
    "slow", 2):
    faults.clear(sandbox_url)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import requests
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

SERVICES = ("open311", "bins", "council_tax", "planning", "cases", "waste", "pay", "notify", "idp_admin")
MODES = ("slow", "down", "error", "malformed", "garbage", "throttled")
MAX_DELAY = 120.0

HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>{title}</title></head>"
    "<body><h1>{title}</h1><p>Please try again later.</p></body></html>"
)


@dataclass(frozen=True)
class Fault:
    service: str
    mode: str
    delay: float = 0.0
    council: str | None = None


class FaultBoard:
    """The faults in force in one sandbox process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[tuple[str, str | None], Fault] = {}

    def set(self, fault: Fault) -> None:
        with self._lock:
            self._faults[(fault.service, fault.council)] = fault

    def clear(self, service: str | None = None) -> None:
        with self._lock:
            for key in [key for key in self._faults if service is None or key[0] == service]:
                del self._faults[key]

    def find(self, service: str, council: str | None) -> Fault | None:
        with self._lock:
            return self._faults.get((service, council)) or self._faults.get((service, None))

    def all(self) -> list[Fault]:
        with self._lock:
            return list(self._faults.values())


def board(app: Flask | None = None) -> FaultBoard:
    return (app or current_app).extensions["sandbox_faults"]


def _council_in_request() -> str | None:
    if g.get("council"):
        return g.council
    if request.view_args and request.view_args.get("council"):
        return request.view_args["council"]
    jurisdiction = request.values.get("jurisdiction_id")
    return jurisdiction.removesuffix(".gov.uk") if jurisdiction else None


def apply(service: str, council: str | None) -> Response | None:
    """The response a fault imposes on this request, after its delay; None to answer normally."""
    fault = board().find(service, council)
    if fault is None:
        return None
    if fault.delay:
        time.sleep(fault.delay)
    if fault.mode == "down":
        return Response(HTML_PAGE.format(title="503 Service Unavailable"), 503, mimetype="text/html")
    if fault.mode == "error":
        return Response(HTML_PAGE.format(title="500 Internal Server Error"), 500, mimetype="text/html")
    if fault.mode == "malformed":
        return Response(HTML_PAGE.format(title="Down for maintenance"), 200, mimetype="text/html")
    if fault.mode == "garbage":
        return Response('{"data": [{"id": "1", "name": "trunc', 200, mimetype="application/json")
    if fault.mode == "throttled":
        return Response(
            '{"error": {"code": "TooManyRequests", "message": "Too many requests."}}',
            429,
            mimetype="application/json",
            headers={"Retry-After": "1"},
        )
    return None


def guard(
    blueprint: Blueprint, service: str, council: Callable[[], str | None] = _council_in_request
) -> None:
    """Make every request to ``blueprint`` subject to the faults set for ``service``."""
    service = service.replace("-", "_")
    if service not in SERVICES:
        raise ValueError(f"unknown sandbox service {service!r}")

    @blueprint.before_request
    def _inject_fault():
        return apply(service, council())


bp = Blueprint("sandbox_faults", __name__)


@bp.post("/_faults")
def set_fault():
    values = request.get_json(silent=True) or request.form
    service, mode = (values.get("service") or "").replace("-", "_"), values.get("mode")
    if service not in SERVICES or mode not in MODES:
        return jsonify(error=f"service must be one of {SERVICES}, mode one of {MODES}"), 400
    try:
        delay = min(max(float(values.get("delay") or 0), 0.0), MAX_DELAY)
    except (TypeError, ValueError):
        return jsonify(error="delay must be a number of seconds"), 400
    fault = Fault(service=service, mode=mode, delay=delay, council=values.get("council") or None)
    board().set(fault)
    return jsonify(asdict(fault)), 201


@bp.get("/_faults")
def list_faults():
    return jsonify(faults=[asdict(fault) for fault in board().all()])


@bp.delete("/_faults")
def clear_faults():
    service = request.args.get("service")
    board().clear(service.replace("-", "_") if service else None)
    return "", 204


def init_app(app: Flask) -> None:
    app.extensions["sandbox_faults"] = FaultBoard()
    app.register_blueprint(bp)


# --- helpers for tests and benchmarks, which reach the sandbox over HTTP ---------------------------------


def inject(sandbox_url: str, service: str, mode: str, delay: float = 0.0, council: str | None = None) -> None:
    response = requests.post(
        f"{sandbox_url.rstrip('/')}/_faults",
        json={"service": service.replace("-", "_"), "mode": mode, "delay": delay, "council": council},
        timeout=5,
    )
    response.raise_for_status()


def clear(sandbox_url: str, service: str | None = None) -> None:
    params = {"service": service.replace("-", "_")} if service else None
    requests.delete(f"{sandbox_url.rstrip('/')}/_faults", params=params, timeout=5).raise_for_status()


@contextmanager
def injected(
    sandbox_url: str, service: str, mode: str, delay: float = 0.0, council: str | None = None
) -> Iterator[None]:
    inject(sandbox_url, service, mode, delay, council)
    try:
        yield
    finally:
        clear(sandbox_url, service)
