"""The sandbox served over real HTTP on a free loopback port, as the portal reaches a council's back
office."""

from __future__ import annotations

from pathlib import Path

from app.config import PROJECT_ROOT
from app.themes import ThemeRegistry
from connectors.breaker import InProcessBreakerStore
from connectors.http import make_cache
from connectors.models import ServiceKind
from connectors.registry import ConnectorRegistry, Deployment
from sandbox import create_sandbox_app, faults, notify
from tests.support.live_server import LiveServer

# Where connectors/sandbox.toml points when PORTAL_SANDBOX_PORT is not set.
SANDBOX_FILE_ORIGIN = "http://127.0.0.1:5001"
API_KEY = "test-sandbox-key"
PAY_KEY = "sandbox-pay-key"
NOTIFY_KEY = notify.DEFAULT_KEY


def sandbox_environ(api_key: str = API_KEY, connectors_file: Path | None = None) -> dict[str, str]:
    """The variables the connectors file (connectors/sandbox.toml unless given) names for credentials: every
    back office's key, each council's GOV.UK Pay key and the Notify key of the councils that send text
    messages."""
    keys = {ServiceKind.PAYMENTS: PAY_KEY, ServiceKind.TEXT_MESSAGES: NOTIFY_KEY}
    environ = {}
    for (_, kind), section in Deployment.load(connectors_file, environ={}).sections.items():
        for variable in section.get("credentials", {}).values():
            environ[variable] = keys.get(kind, api_key)
    return environ


def districts_by_gss() -> dict[str, str]:
    """Each district council's slug by its GSS code, from the council themes."""
    return {
        theme.gss_code: theme.slug
        for theme in ThemeRegistry(PROJECT_ROOT / "themes", serve_localhost_subdomains=False)
        if theme.tier == "district"
    }


class SandboxServer(LiveServer):
    def __init__(self, instance_dir: Path, port: int = 0, **overrides):
        super().__init__(create_sandbox_app(instance_dir, SANDBOX_API_KEY=API_KEY, **overrides), port)
        self.instance_dir = instance_dir
        self.api_key = API_KEY

    @classmethod
    def start(cls, instance_dir: Path, port: int = 0, **overrides) -> SandboxServer:
        """Start on ``port`` (0: any free port). Restarting with the same instance_dir keeps stored data."""
        return cls(instance_dir, port, **overrides)

    def inject(self, service: str, mode: str, delay: float = 0.0, council: str | None = None) -> None:
        faults.inject(self.url, service, mode, delay, council)

    def clear_faults(self) -> None:
        faults.clear(self.url)

    def deployment(self) -> Deployment:
        """connectors/sandbox.toml, pointed at this server."""
        return Deployment.load(None, rebase=(SANDBOX_FILE_ORIGIN, self.url), environ={})

    def registry(self, cache_dir: Path, *, redis_url: str | None = None, breakers=None) -> ConnectorRegistry:
        """A registry for this sandbox with its own cache (SQLite in cache_dir, or Redis) and breakers."""
        return ConnectorRegistry(
            self.deployment(),
            cache=make_cache(cache_dir, redis_url),
            breakers=breakers or InProcessBreakerStore(),
            environ=sandbox_environ(self.api_key),
        )
