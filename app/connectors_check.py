"""`flask connectors check --uprn <UPRN>`: ask every back office that serves a property for its data, as the
dashboard's tiles ask it (the same plans, app/dashboard/tile_kinds), and say for each service which council
answered, how fresh the answer is, and what it holds or why there is none. Run it against `make run`; stop
the sandbox and run it again to see cached answers served as stale with their age.

The same ``check_property`` backs the integration test of issue 4's "done when".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import Flask, current_app

from app import backoffice
from app.address_lookup import address_for_uprn
from app.address_problems import AddressProblem
from app.council_services import CouncilService
from app.dashboard.tile_kinds import planning, street_reports
from app.dashboard.tiles import TILES
from app.dashboard.types import Call, Household, NotApplicableReason
from app.routing import council_for
from app.theming import themes
from connectors.clock import utcnow
from connectors.errors import ConfigurationError, ConnectorError
from connectors.models import Result, ServiceKind
from connectors.registry import ConnectorRegistry

# Why a tile asks nothing, said for the command line.
SKIPPED = {
    NotApplicableReason.NOT_VERIFIED: "no account reference given (--reference)",
    NotApplicableReason.NO_COUNCIL_TAX_LINK: "no account reference given (--reference)",
    NotApplicableReason.NO_EMAIL: "no verified email address given (--email)",
}


@dataclass(frozen=True)
class ServiceCheck:
    """One service's answer for a property: a Result, or the safe message of the error that stopped it."""

    kind: ServiceKind
    council: str
    council_name: str
    result: Result | None = None
    error: str | None = None
    skipped: str | None = None

    def freshness(self, now: datetime) -> str:
        if self.result is None:
            return "-"
        age = _age(self.result.age(now))
        if self.result.stale:
            return f"STALE, fetched {age} ago ({self.result.problem})"
        return f"fresh, fetched {age} ago"


def _age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{seconds // 60} minutes"
    return f"{seconds // 3600} hours"


def check_property(
    registry: ConnectorRegistry, uprn: str, *, reference: str | None = None, email: str | None = None
) -> list[ServiceCheck]:
    """Every service's data for the property with this UPRN, asked as the dashboard's tiles ask it (the same
    plans), from the council responsible for each. Raises an AddressProblem when the UPRN is not a Norfolk
    address in the gazetteer."""
    address = address_for_uprn(uprn)
    district = council_for(CouncilService.BINS, uprn=uprn).council
    household = Household(
        uprn=address.uprn,
        address=address.single_line,
        latitude=address.latitude,
        longitude=address.longitude,
        district=district,
        county=themes().county().slug,
        email=email,
        verified=reference is not None,
        council_tax_reference=reference,
    )
    checks = []
    for tile in TILES.values():
        calls = tile.plan(household, registry)
        if not calls:
            why = SKIPPED.get(tile.not_applicable(household), "this council does not offer it")
            checks += [
                ServiceCheck(tile.service, council, themes().get(council).name, skipped=why)
                for council in tile.councils(household)
            ]
        checks += [_ask(call, registry) for call in calls]
    return checks


def _ask(call: Call, registry: ConnectorRegistry) -> ServiceCheck:
    name = themes().get(call.council).name
    try:
        return ServiceCheck(call.kind, call.council, name, result=call.run(registry))
    except ConfigurationError as error:
        return ServiceCheck(call.kind, call.council, name, error=f"not configured: {error}")
    except ConnectorError as error:
        return ServiceCheck(call.kind, call.council, name, error=f"{type(error).__name__}: {error.message}")


def describe(check: ServiceCheck) -> str:
    """What the answer holds, in one line."""
    if check.skipped:
        return f"skipped: {check.skipped}"
    if check.error:
        return check.error
    value = check.result.value
    if check.kind is ServiceKind.BINS:
        return "; ".join(
            f"{bin.name} {bin.next_date:%a %d %b}"
            + (" (last collection missed)" if bin.last_collection_missed else "")
            for bin in value
        )
    if check.kind is ServiceKind.COUNCIL_TAX:
        next_instalment = value.next_instalment
        return (
            f"account {value.reference}, band {value.band}, balance £{value.balance:,.2f}, "
            f"arrears £{value.arrears:,.2f}"
            + (
                f", next £{next_instalment.amount:,.2f} on {next_instalment.due_date:%d %b}"
                if next_instalment
                else ""
            )
        )
    if check.kind is ServiceKind.PLANNING:
        return f"{_count(len(value), 'application')} within {planning.RADIUS_M} m" + "".join(
            f"; {application.reference} ({application.status}, {application.distance_m:.0f} m)"
            for application in value[:3]
        )
    if check.kind is ServiceKind.STREET_REPORTS:
        return f"{_count(len(value), 'report')} within {street_reports.RADIUS_M} m"
    return _count(len(value), "case") + "".join(
        f"; {case.reference} {case.title} ({case.status_label})" for case in value
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def registry_asking_now(registry: ConnectorRegistry) -> ConnectorRegistry:
    """The same deployment, cache and breakers, with no time-to-live: every read goes to the back office, and
    the cached answer is served (stale) only when it fails."""
    deployment = registry.deployment
    return ConnectorRegistry(
        dataclasses.replace(deployment, defaults={**deployment.defaults, "ttl": 0}),
        cache=registry.cache,
        breakers=registry.breakers,
    )


def init_app(app: Flask) -> None:
    @app.cli.group("connectors")
    def connectors() -> None:
        """The connectors to the councils' back offices."""

    @connectors.command("check")
    @click.option("--uprn", required=True, help="The property to ask about (it must be in the gazetteer).")
    @click.option("--reference", help="A council tax account reference to read.")
    @click.option("--email", help="A resident's verified email address, for their cases.")
    @click.option(
        "--fresh/--cached",
        default=True,
        show_default=True,
        help="Ask every back office now (a failing one's last answer is shown as stale), or use fresh cache.",
    )
    def check(uprn: str, reference: str | None, email: str | None, fresh: bool) -> None:
        """Ask every service's data for a property and print each council's answer and its freshness."""
        registry = backoffice.registry()
        if fresh:
            registry = registry_asking_now(registry)
        # Address problems are translated sentences, and flask-babel picks the locale from a request.
        with current_app.test_request_context():
            try:
                checks = check_property(registry, uprn, reference=reference, email=email)
                address = address_for_uprn(uprn)
            except AddressProblem as problem:
                raise click.ClickException(problem.message) from None
        now = utcnow()
        click.echo(f"Property {uprn}: {address.single_line}\n")
        for item in checks:
            click.echo(f"{item.kind.value:<15} {item.council_name} ({item.council})")
            click.echo(f"{'':<15} {item.freshness(now)}")
            click.echo(f"{'':<15} {describe(item)}\n")
        if any(item.error for item in checks):
            raise SystemExit(1)
