"""The portal's door to the councils' back offices: one ConnectorRegistry per process, built on first use
from the deployment file (PORTAL_CONNECTORS_FILE), caching in Redis when PORTAL_REDIS_URL is set.

    from app.backoffice import registry
    result = registry().bins("norwich").collections(uprn)        # Result[tuple[BinCollection, ...]]

Which council to ask is app.routing.council_for(...)'s job.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import urlsplit

from flask import Flask, current_app

from app.models.identity import PersonalDataSource, Resident, register_personal_data
from connectors.cases import normalised
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


def _asked_email(body: bytes | None) -> str | None:
    try:
        question = json.loads(body) if body else None
    except ValueError:
        return None
    email = question.get("email") if isinstance(question, dict) else None
    return email if isinstance(email, str) else None


def _about(resident: Resident):
    """Whether a request asked a back office about this resident: their cases (by email, in the body of a
    search) or their linked council tax accounts (by reference, in the path)."""
    email = normalised(resident.email) if resident.email else None
    references = {account.account_reference.upper() for account in resident.linked_accounts}

    def wanted(url: str, body: bytes | None) -> bool:
        parts = urlsplit(url)
        asked = _asked_email(body)
        if email and asked and normalised(asked) == email:
            return True
        segments = parts.path.upper().split("/")
        return any(
            segments[index] == "ACCOUNTS" and segments[index + 1] in references
            for index in range(len(segments) - 1)
        )

    return wanted


def export_cached_answers(resident: Resident) -> list[dict]:
    return [
        {
            "asked": urlsplit(response.url).path,
            "answered_at": response.created_at.isoformat() if response.created_at else None,
        }
        for response in registry().cached_answers(_about(resident))
    ]


def forget_cached_answers(resident: Resident) -> None:
    registry().forget_cached(_about(resident))


register_personal_data(
    PersonalDataSource("answers_kept_from_council_systems", export_cached_answers, forget_cached_answers)
)
