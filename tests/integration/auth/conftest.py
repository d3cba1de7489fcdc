"""Fixtures for signing in through real identity providers on loopback ports, with the portal under the
Flask test client (a visitor's part is played by requests for the provider and the test client for us)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from app.auth.provider import forget_providers
from app.extensions import db
from app.models.audit import AuditEvent
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.auth.servers import ScriptableProvider, start_sandbox_idp

HOST = "south-norfolk.localhost"
# What a browser sends with a click on a link of the council's own pages, such as its "Sign in": only then
# does GET /sign-in go straight to the provider (app/auth/views.py).
CLICKED_HERE = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-User": "?1"}


@pytest.fixture(scope="session")
def sandbox_idp(app, tmp_path_factory):
    """The sandbox identity provider, one for each database's run (it depends on `app`): the users one run
    creates or migrates are not there for the other."""
    server = start_sandbox_idp(tmp_path_factory.mktemp("sandbox-idp"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def scripted_server():
    provider = ScriptableProvider()
    yield provider
    provider.server.stop()


@pytest.fixture
def scripted(scripted_server, app, monkeypatch):
    scripted_server.reset()
    monkeypatch.setitem(app.config, "OIDC_DISCOVERY_URL", scripted_server.discovery_url)
    # Generous: a loaded test machine can take a second to sign a token; test_a_slow_provider sets its own.
    monkeypatch.setitem(app.config, "OIDC_TIMEOUT_SECONDS", 5.0)
    forget_providers()
    yield scripted_server
    forget_providers()


@pytest.fixture
def with_sandbox_idp(sandbox_idp, app, monkeypatch):
    monkeypatch.setitem(
        app.config, "OIDC_DISCOVERY_URL", f"{sandbox_idp.url}/idp/.well-known/openid-configuration"
    )
    monkeypatch.setitem(app.config, "OIDC_TIMEOUT_SECONDS", 5.0)
    forget_providers()
    yield sandbox_idp
    forget_providers()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@dataclass
class Visitor:
    """The portal through the Flask test client, the provider through requests, sharing nothing but URLs."""

    client: object
    host: str = HOST

    def __post_init__(self):
        self.provider = requests.Session()

    def portal(self, path: str, headers: dict | None = None, **kwargs):
        return self.client.get(path, headers={"Host": self.host, **(headers or {})}, **kwargs)

    def start_sign_in(self, path: str = "/sign-in") -> str:
        response = self.portal(path, headers=CLICKED_HERE)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response.location

    def sign_in_at_sandbox(self, resident=DEMO_RESIDENTS[0], **extra):
        """Sign in through the sandbox provider's page; returns the portal's response to the callback."""
        authorize = self.start_sign_in()
        page = self.provider.get(authorize, timeout=5)
        assert page.status_code == 200, page.text
        answer = self.provider.post(
            authorize,
            data={"email": resident.email, "password": resident.password, "action": "sign-in", **extra},
            allow_redirects=False,
            timeout=5,
        )
        assert answer.status_code == 302, answer.text
        return self.callback(answer.headers["Location"])

    def sign_in_at_scripted(self):
        authorize = self.start_sign_in()
        answer = self.provider.get(authorize, allow_redirects=False, timeout=5)
        assert answer.status_code == 302
        return self.callback(answer.headers["Location"])

    def callback(self, location: str):
        assert urlsplit(location).netloc == self.host, location
        return self.portal(path_of(location))


@pytest.fixture
def visitor(client):
    return Visitor(client)


def audit_events(app, event: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if event:
            query = query.where(AuditEvent.event == event)
        events = list(db.session.scalars(query))
        db.session.expunge_all()
        return events
