"""The registry: for a council and a kind of service, the connector that serves it, built from ONE deployment
file (TOML; its path in PORTAL_CONNECTORS_FILE, connectors/sandbox.toml by default).

    [defaults]                  # optional: timeout (s), retries, breaker_failures, breaker_reset_after (s)
    [ttl]                       # optional: cache time-to-live in seconds per kind (bins = 21600, ...)
    [addresses]                 # how addresses are looked up: adapter = "auto" | "gazetteer" | "os_places"
    [councils.<slug>.<kind>]    # kind: bins, council_tax, planning, street_reports, cases, waste, payments,
                                #       text_messages
    adapter = "open311"         # a name in ADAPTERS (or, for [addresses], GAZETTEER)
    base_url = "https://..."
    credentials = { api_key = "PORTAL_NORWICH_OPEN311_KEY" }   # names of environment variables, never values
    # any other key (jurisdiction_id, format, timeout, ttl, ...) is passed to the adapter in settings.options

String values may name environment variables: ``${NAME}`` (the file cannot be loaded when NAME is unset) or
``${NAME:-default}``; connectors/sandbox.toml writes
``http://${PORTAL_SANDBOX_HOST:-127.0.0.1}:${PORTAL_SANDBOX_PORT:-5001}`` so the back offices move with the
sandbox.

Connectors are council-agnostic: a council opts in to a service by configuration alone (docs/connectors.md).
"""

from __future__ import annotations

import importlib
import os
import re
import threading
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from requests_cache import CachedResponse

from connectors.breaker import BreakerStore, CircuitBreaker, InProcessBreakerStore, RedisBreakerStore
from connectors.errors import ConfigurationError
from connectors.http import HttpClient, HttpPolicy, make_cache
from connectors.models import ServiceKind
from connectors.protocols import (
    AddressLookup,
    BinCollections,
    Cases,
    CouncilTax,
    Payments,
    Planning,
    StreetReports,
    TextMessages,
    WasteServices,
)

DEFAULT_FILE = Path(__file__).resolve().parent / "sandbox.toml"

# adapter name -> "module:build", where build(settings: ConnectorSettings, registry: ConnectorRegistry)
# returns the connector (an HTTP adapter gets its HttpClient from registry.http_client(settings, ...)).
ADAPTERS: dict[str, str] = {
    "open311": "connectors.open311:build",
    "os_places": "connectors.os_places:build",
    "bins_rest": "connectors.bins:build",
    "council_tax_rest": "connectors.council_tax:build",
    "planning_rest": "connectors.planning:build",
    "cases_rest": "connectors.cases:build",
    "waste_rest": "connectors.waste:build",
    "govuk_pay": "connectors.govuk_pay:build",
    "govuk_notify_sms": "connectors.govuk_notify:build",
}

# The one adapter name the registry does not build: the application's own address table (the portal's
# gazetteer, app/address_lookup.py), chosen in [addresses] or by "auto" without an OS Places key. The
# application asks ConnectorRegistry.address_adapter() and uses its table itself; connectors know nothing
# of it.
GAZETTEER = "gazetteer"

DEFAULT_TTL = {
    ServiceKind.ADDRESSES: timedelta(days=1),
    ServiceKind.BINS: timedelta(hours=6),
    ServiceKind.COUNCIL_TAX: timedelta(minutes=5),
    ServiceKind.PLANNING: timedelta(hours=1),
    ServiceKind.STREET_REPORTS: timedelta(minutes=5),
    ServiceKind.CASES: timedelta(minutes=5),
    # Neither is ever cached (their adapters read fresh): slots, bookings and payments change by the second.
    ServiceKind.WASTE: timedelta(0),
    ServiceKind.PAYMENTS: timedelta(0),
    ServiceKind.TEXT_MESSAGES: timedelta(0),
}
POLICY_KEYS = {"timeout", "retries", "backoff", "breaker_failures", "breaker_reset_after", "ttl"}
ADDRESSES_SECTION = "*"
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


def expand_variables(value: str, environ: Mapping[str, str], where: str) -> str:
    """``value`` with each ``${NAME}`` / ``${NAME:-default}`` replaced from ``environ``."""

    def substitute(match: re.Match) -> str:
        found = environ.get(match["name"])
        if found:
            return found
        if match["default"] is not None:
            return match["default"]
        raise ConfigurationError(f"{where} names the environment variable {match['name']}, which is not set")

    return VARIABLE.sub(substitute, value)


@dataclass(frozen=True)
class ConnectorSettings:
    """One council's configuration for one kind of service, with credentials resolved from the environment."""

    council: str
    kind: ServiceKind
    adapter: str
    base_url: str | None
    policy: HttpPolicy
    credentials: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Deployment:
    """The parsed deployment file."""

    sections: Mapping[tuple[str, ServiceKind], Mapping[str, Any]]
    defaults: Mapping[str, Any]
    ttl: Mapping[ServiceKind, timedelta]
    source: str

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        rebase: tuple[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Deployment:
        """Read the file, its ``${...}`` taken from ``environ`` (the process environment by default).
        ``rebase`` (old, new) rewrites base URLs: tests and benchmarks point the sandbox file at a sandbox
        on another port."""
        path = Path(path or DEFAULT_FILE)
        return cls.from_mapping(_read(path), source=str(path), rebase=rebase, environ=environ)

    @classmethod
    def from_mapping(
        cls,
        document: Mapping[str, Any],
        *,
        source: str = "<mapping>",
        rebase: tuple[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Deployment:
        environ = os.environ if environ is None else environ
        ttl = dict(DEFAULT_TTL)
        for name, seconds in document.get("ttl", {}).items():
            ttl[_kind(name, source)] = timedelta(seconds=float(seconds))
        sections: dict[tuple[str, ServiceKind], Mapping[str, Any]] = {}
        if "addresses" in document:
            sections[(ADDRESSES_SECTION, ServiceKind.ADDRESSES)] = document["addresses"]
        for council, services in document.get("councils", {}).items():
            for name, section in services.items():
                kind = _kind(name, source)
                if "adapter" not in section:
                    raise ConfigurationError(f"{source}: councils.{council}.{name} has no adapter")
                if section["adapter"] not in ADAPTERS:
                    raise ConfigurationError(
                        f"{source}: councils.{council}.{name}: unknown adapter {section['adapter']!r} "
                        f"(known: {', '.join(sorted(ADAPTERS))})"
                    )
                section = {
                    key: expand_variables(value, environ, f"{source}: councils.{council}.{name}.{key}")
                    if isinstance(value, str)
                    else value
                    for key, value in section.items()
                }
                if rebase and isinstance(section.get("base_url"), str):
                    section["base_url"] = section["base_url"].replace(*rebase)
                sections[(council, kind)] = section
        return cls(sections=sections, defaults=document.get("defaults", {}), ttl=ttl, source=source)

    def councils(self) -> list[str]:
        return sorted({council for council, _ in self.sections if council != ADDRESSES_SECTION})


def _read(path: Path) -> Mapping[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"Cannot read the connectors file {path}: {error}") from None


def council_names(path: str | Path | None = None) -> list[str]:
    """The councils a connectors file has sections for, read without building (or checking) a connector."""
    return sorted(_read(Path(path or DEFAULT_FILE)).get("councils", {}))


def _kind(name: str, source: str) -> ServiceKind:
    try:
        return ServiceKind(name)
    except ValueError:
        known = ", ".join(kind.value for kind in ServiceKind)
        raise ConfigurationError(f"{source}: unknown kind of service {name!r} (known: {known})") from None


class ConnectorRegistry:
    """Builds each connector once and keeps it (connectors are thread-safe)."""

    def __init__(
        self,
        deployment: Deployment,
        *,
        cache,
        breakers: BreakerStore | None = None,
        environ: Mapping[str, str] | None = None,
    ):
        self.deployment = deployment
        self.cache = cache
        self.breakers = breakers or InProcessBreakerStore()
        self._environ = os.environ if environ is None else environ
        self._built: dict[tuple[str, ServiceKind], Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(
        cls,
        path: str | Path | None,
        *,
        instance_dir: Path,
        redis_url: str | None = None,
        environ: Mapping[str, str] | None = None,
        rebase: tuple[str, str] | None = None,
    ) -> ConnectorRegistry:
        """The registry a portal process uses: Redis for the cache and the breakers when ``redis_url`` is set,
        SQLite in ``instance_dir`` and in-process breakers otherwise."""
        breakers: BreakerStore
        if redis_url:
            from redis import Redis

            breakers = RedisBreakerStore(Redis.from_url(redis_url))
        else:
            breakers = InProcessBreakerStore()
        return cls(
            Deployment.load(path, rebase=rebase),
            cache=make_cache(instance_dir, redis_url),
            breakers=breakers,
            environ=environ,
        )

    def cached_answers(self, wanted: Callable[[str, bytes | None], bool]) -> list[CachedResponse]:
        """The cached answers (fresh or stale) to the requests whose URL and body ``wanted`` picks (a read
        that names a person asks in its body: connectors.http.HttpClient.get's ``question``)."""
        return [
            response
            for response in self.cache.filter(expired=True)
            if wanted(response.url, _body_of(response))
        ]

    def forget_cached(self, wanted: Callable[[str, bytes | None], bool]) -> int:
        """Delete the cached answers to the requests whose URL and body ``wanted`` picks (what the back
        offices said about a resident who deleted their portal data); how many went."""
        keys = [response.cache_key for response in self.cached_answers(wanted)]
        if keys:
            self.cache.delete(*keys)
        return len(keys)

    def serves(self, council: str, kind: ServiceKind | str) -> bool:
        return (council, ServiceKind(kind)) in self.deployment.sections

    def councils_serving(self, kind: ServiceKind | str) -> list[str]:
        kind = ServiceKind(kind)
        return [council for council in self.deployment.councils() if self.serves(council, kind)]

    def settings(self, council: str, kind: ServiceKind | str) -> ConnectorSettings:
        kind = ServiceKind(kind)
        if kind is ServiceKind.ADDRESSES:
            council = ADDRESSES_SECTION
        section = self.deployment.sections.get((council, kind))
        if section is None:
            if kind is ServiceKind.ADDRESSES:
                section = {"adapter": "auto"}
            else:
                raise ConfigurationError(f"{self.deployment.source}: no {kind.value} connector for {council}")
        section = dict(section)
        if kind is ServiceKind.ADDRESSES and section.get("adapter", "auto") == "auto":
            # OS Places when its key is set, else the portal's own gazetteer table.
            uses_os_places = bool(self._environ.get("PORTAL_OS_PLACES_API_KEY"))
            section["adapter"] = "os_places" if uses_os_places else GAZETTEER
            if uses_os_places:
                section.setdefault("credentials", {"key": "PORTAL_OS_PLACES_API_KEY"})
        credentials = {}
        for name, variable in section.pop("credentials", {}).items():
            value = self._environ.get(variable)
            if not value:
                source = self.deployment.source
                raise ConfigurationError(
                    f"{source}: {council} {kind.value} needs the environment variable {variable}"
                )
            credentials[name] = value
        merged = {**self.deployment.defaults, **section}
        policy = HttpPolicy(
            ttl=timedelta(seconds=float(merged["ttl"])) if "ttl" in merged else self.deployment.ttl[kind],
            timeout=float(merged.get("timeout", 5.0)),
            retries=int(merged.get("retries", 1)),
            backoff=float(merged.get("backoff", 0.1)),
            breaker_failures=int(merged.get("breaker_failures", 3)),
            breaker_reset_after=float(merged.get("breaker_reset_after", 30.0)),
        )
        adapter = section.pop("adapter")
        base_url = section.pop("base_url", None)
        options = {key: value for key, value in section.items() if key not in POLICY_KEYS}
        return ConnectorSettings(
            council=council,
            kind=kind,
            adapter=adapter,
            base_url=base_url,
            policy=policy,
            credentials=credentials,
            options=options,
        )

    def http_client(self, settings: ConnectorSettings, **kwargs) -> HttpClient:
        if not settings.base_url:
            raise ConfigurationError(
                f"{self.deployment.source}: {settings.council} {settings.kind} has no base_url"
            )
        breaker = CircuitBreaker(
            name=f"{settings.council}:{settings.kind.value}",
            store=self.breakers,
            failure_threshold=settings.policy.breaker_failures,
            reset_after=settings.policy.breaker_reset_after,
        )
        return HttpClient(
            council=settings.council,
            kind=settings.kind,
            base_url=settings.base_url,
            policy=settings.policy,
            cache=self.cache,
            breaker=breaker,
            **kwargs,
        )

    def connector(self, council: str, kind: ServiceKind | str) -> Any:
        """The connector serving ``kind`` for ``council`` (ConfigurationError when none is configured)."""
        kind = ServiceKind(kind)
        key = (ADDRESSES_SECTION if kind is ServiceKind.ADDRESSES else council, kind)
        with self._lock:
            if key not in self._built:
                settings = self.settings(council, kind)
                module_name, _, function = ADAPTERS[settings.adapter].partition(":")
                build = getattr(importlib.import_module(module_name), function)
                self._built[key] = build(settings, self)
            return self._built[key]

    def address_adapter(self) -> str:
        """The adapter [addresses] comes to: "os_places", or GAZETTEER (the application's own table)."""
        return self.settings(ADDRESSES_SECTION, ServiceKind.ADDRESSES).adapter

    def address_lookup(self) -> AddressLookup:
        """The connector looking addresses up (ConfigurationError when it is the application's GAZETTEER)."""
        if self.address_adapter() == GAZETTEER:
            raise ConfigurationError(
                f"{self.deployment.source}: [addresses] uses the application's own gazetteer, not a connector"
            )
        return self.connector(ADDRESSES_SECTION, ServiceKind.ADDRESSES)

    def bins(self, council: str) -> BinCollections:
        return self.connector(council, ServiceKind.BINS)

    def council_tax(self, council: str) -> CouncilTax:
        return self.connector(council, ServiceKind.COUNCIL_TAX)

    def planning(self, council: str) -> Planning:
        return self.connector(council, ServiceKind.PLANNING)

    def street_reports(self, council: str) -> StreetReports:
        return self.connector(council, ServiceKind.STREET_REPORTS)

    def cases(self, council: str) -> Cases:
        return self.connector(council, ServiceKind.CASES)

    def waste(self, council: str) -> WasteServices:
        return self.connector(council, ServiceKind.WASTE)

    def payments(self, council: str) -> Payments:
        return self.connector(council, ServiceKind.PAYMENTS)

    def text_messages(self, council: str) -> TextMessages:
        return self.connector(council, ServiceKind.TEXT_MESSAGES)


def _body_of(response: CachedResponse) -> bytes | None:
    body = response.request.body if response.request is not None else None
    return body.encode() if isinstance(body, str) else body
