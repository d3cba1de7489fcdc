"""The portal's door to the councils' back offices: one ConnectorRegistry per process, built on first use
from the deployment file (PORTAL_CONNECTORS_FILE), caching in Redis when PORTAL_REDIS_URL is set.

    from app.backoffice import registry
    result = registry().bins("norwich").collections(uprn)        # Result[tuple[BinCollection, ...]]

Which council to ask is app.addresses.council_for(...)'s job.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app

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
