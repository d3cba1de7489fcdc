"""The portal's door to the councils' back offices: one ConnectorRegistry per process, built on first use
from the deployment file (PORTAL_CONNECTORS_FILE), caching in Redis when PORTAL_REDIS_URL is set.

    from app.backoffice import registry
    result = registry().bins("norwich").collections(uprn)        # Result[tuple[BinCollection, ...]]

Which council to ask is app.addresses.council_for(...)'s job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from connectors.errors import ConnectorError
from connectors.models import Result
from connectors.registry import ConnectorRegistry

_lock = threading.Lock()


def registry(app: Flask | None = None) -> ConnectorRegistry:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with _lock:
        if app.extensions.get("connectors") is None:
            app.extensions["connectors"] = ConnectorRegistry.from_file(
                app.config["CONNECTORS_FILE"],
                instance_dir=app.config["INSTANCE_DIR"],
                redis_url=app.config.get("REDIS_URL"),
            )
        return app.extensions["connectors"]


def use_registry(app: Flask, connectors: ConnectorRegistry | None) -> None:
    """Replace the app's registry (tests and benchmarks point it at a sandbox on another port)."""
    app.extensions["connectors"] = connectors


@dataclass(frozen=True)
class ServiceAnswer:
    """One back office's answer about a place: a Result, or the ConnectorError that stood for it."""

    label: str
    council: str
    result: Result | None = None
    error: ConnectorError | None = None


def everything_at(uprn: str, *, email: str | None = None, council_tax_reference: str | None = None):
    """Ask every service about one address, each of the council responsible for it there: bins, council
    tax (with a reference the resident has proved), planning nearby, street reports nearby (district and
    county) and the resident's cases with both councils (with a verified email). Sequential, for checks and
    tests, not pages. Raises app.addresses.AddressProblem for an unknown UPRN or one outside Norfolk."""
    from app.addresses import CouncilService, council_for

    district = council_for(CouncilService.BINS, uprn=uprn)
    county = council_for(CouncilService.HIGHWAYS, uprn=uprn)
    home = district.address
    connectors = registry()
    questions: list[tuple[str, str, Callable[[], Result]]] = [
        ("bins", district.council, lambda: connectors.bins(district.council).collections(uprn)),
        (
            "planning near home",
            district.council,
            lambda: connectors.planning(district.council).applications_near(
                home.latitude, home.longitude, 500
            ),
        ),
    ]
    if council_tax_reference:
        questions.append(
            (
                "council tax",
                district.council,
                lambda: connectors.council_tax(district.council).account(council_tax_reference),
            )
        )
    for council in (district.council, county.council):
        questions.append(
            (
                "street reports near home",
                council,
                lambda council=council: connectors.street_reports(council).requests_near(
                    home.latitude, home.longitude, 500, status=None
                ),
            )
        )
        if email:
            questions.append(
                ("cases", council, lambda council=council: connectors.cases(council).cases_for_email(email))
            )
    answers = []
    for label, council, ask in questions:
        try:
            answers.append(ServiceAnswer(label, council, result=ask()))
        except ConnectorError as error:
            answers.append(ServiceAnswer(label, council, error=error))
    return answers
