"""Persistence for the sandbox's back offices: one SQLite file per service in the sandbox instance folder, so
reports made, comments posted and accounts verified survive a sandbox restart.

    reports = store.for_app(app, "open311", SCHEMA, seed=seed_requests)
    with reports.connect() as connection:          # commits on success, rolls back on error
        connection.execute("INSERT ...")

``seed`` runs once, when the file is first created (tracked with SQLite's user_version), so restarting keeps
what was added and never duplicates the demo data. Delete instance/sandbox/ to start again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

Seed = Callable[[sqlite3.Connection], None]


class SandboxStore:
    def __init__(self, path: Path, schema: str, seed: Seed | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self.connect() as connection:
            connection.executescript(schema)
            # One writer at a time decides whether to seed, so concurrent first requests seed once.
            connection.execute("BEGIN IMMEDIATE")
            if connection.execute("PRAGMA user_version").fetchone()[0] == 0:
                if seed is not None:
                    seed(connection)
                connection.execute("PRAGMA user_version = 1")

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        # One short-lived connection per use: the sandbox is threaded and SQLite connections are not shared.
        connection = sqlite3.connect(self.path, timeout=10, detect_types=0)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA foreign_keys = ON")
        try:
            with self._lock, connection:
                yield connection
        finally:
            connection.close()


_stores_lock = threading.Lock()


def for_app(app: Flask, name: str, schema: str, seed: Seed | None = None) -> SandboxStore:
    """The store called ``name`` for this sandbox app, created (and seeded) on first use."""
    with _stores_lock:
        stores: dict[str, SandboxStore] = app.extensions.setdefault("sandbox_stores", {})
        if name not in stores:
            path = Path(app.config["SANDBOX_INSTANCE_DIR"]) / f"{name}.sqlite3"
            stores[name] = SandboxStore(path, schema, seed)
        return stores[name]
