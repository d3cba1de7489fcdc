"""Command-line tasks for developers and operators: `flask councils`, `flask connectors check`,
`flask demo-residents`."""

import click
from flask import Flask, current_app
from sqlalchemy import select

from app.extensions import db
from app.models.identity import Resident

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


def init_app(app: Flask) -> None:
    from app import connectors_check

    connectors_check.init_app(app)  # `flask connectors check --uprn ...`

    @app.cli.command("councils")
    @click.option("--port", default=5000, show_default=True, help="The port the portal listens on.")
    def list_councils(port: int) -> None:
        """Print every council's development URL."""
        click.echo(f"\nMy Norfolk is starting on http://localhost:{port}/ (the list of councils)\n")
        for theme in current_app.extensions["themes"]:
            click.echo(f"  {theme.name:<50} http://{theme.localhost_domain()}:{port}/")
        for host in current_app.config["STAFF_HOSTS"]:
            click.echo(f"  {'Council staff (contact centres)':<50} http://{host}:{port}/")
        click.echo("")

    @app.cli.command("demo-residents")
    def demo_residents() -> None:
        """Development: give the sandbox identity provider's demo residents their portal accounts, with the
        home address their story says they chose, so their dashboards are whole at their first sign-in."""
        from sandbox.demo_residents import DEMO_RESIDENTS

        config = current_app.config
        if config["ENVIRONMENT"] == "production":
            raise click.ClickException("The demo residents are for development only")
        issuer = config.get("OIDC_ISSUER") or (config.get("OIDC_DISCOVERY_URL") or "").removesuffix(
            DISCOVERY_SUFFIX
        )
        if not issuer:
            raise click.ClickException("Set PORTAL_OIDC_DISCOVERY_URL to the sandbox identity provider's")
        for demo in DEMO_RESIDENTS:
            resident = db.session.scalar(
                select(Resident).where(Resident.issuer == issuer, Resident.subject == demo.subject)
            )
            if resident is not None:
                click.echo(f"  {demo.name}: already has a portal account")
                continue
            home = demo.uprn if demo.home_chosen else None
            db.session.add(
                Resident(
                    issuer=issuer, subject=demo.subject, name=demo.name, email=demo.email, home_uprn=home
                )
            )
            click.echo(f"  {demo.name}: " + (f"lives at UPRN {home}" if home else "no home address yet"))
        db.session.commit()
