"""The sandbox served over real HTTP on a free loopback port, as the portal reaches a council's back
office."""

from __future__ import annotations

from pathlib import Path

from connectors.breaker import InProcessBreakerStore
from connectors.http import make_cache
from connectors.registry import ConnectorRegistry, Deployment
from sandbox import create_sandbox_app, faults, notify
from tests.support.live_server import LiveServer

# Where connectors/sandbox.toml points when PORTAL_SANDBOX_PORT is not set.
SANDBOX_FILE_ORIGIN = "http://127.0.0.1:5001"
API_KEY = "test-sandbox-key"
PAY_KEY = "sandbox-pay-key"
NOTIFY_KEY = notify.DEFAULT_KEY
TEXT_MESSAGE_COUNCILS = ("norwich", "south-norfolk")
PAY_COUNCILS = (
    "breckland",
    "broadland",
    "great-yarmouth",
    "north-norfolk",
    "norwich",
    "south-norfolk",
    "west-norfolk",
)


def sandbox_environ(api_key: str = API_KEY) -> dict[str, str]:
    """The variables connectors/sandbox.toml names: the back offices' key, each district's Pay key and the
    Notify key of the councils that send text messages."""
    return {
        "PORTAL_SANDBOX_API_KEY": api_key,
        **{f"PORTAL_PAY_KEY_{council.upper().replace('-', '_')}": PAY_KEY for council in PAY_COUNCILS},
        **{
            f"PORTAL_NOTIFY_SMS_KEY_{council.upper().replace('-', '_')}": NOTIFY_KEY
            for council in TEXT_MESSAGE_COUNCILS
        },
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
