"""What the portal holds while it waits on another system: every HTTP request it sends, and whether the
sending thread held a database connection meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest.mock import patch

from flask import current_app, has_app_context
from requests.adapters import HTTPAdapter

from app.extensions import db


@dataclass(frozen=True)
class Call:
    url: str
    # The sending thread's database session was in a transaction: it held a pooled connection (and, on SQLite,
    # perhaps the write lock) while it waited for the answer.
    holding_connection: bool


@contextmanager
def calls_out() -> Iterator[list[Call]]:
    """Records the HTTP requests sent meanwhile through requests (the connectors and the Notify client use it;
    answers from the connectors' cache send nothing)."""
    calls: list[Call] = []
    send = HTTPAdapter.send

    def recorded(adapter, request, *args, **kwargs):
        portal = has_app_context() and "sqlalchemy" in current_app.extensions
        calls.append(Call(request.url, bool(portal and db.session().in_transaction())))
        return send(adapter, request, *args, **kwargs)

    with patch.object(HTTPAdapter, "send", recorded):
        yield calls
