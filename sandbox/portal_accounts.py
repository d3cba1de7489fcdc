"""`flask --app sandbox:create_sandbox_app demo-residents` (development only): give the sandbox identity
provider's demo residents their portal accounts, with the home address their story says they chose, so their
dashboards are whole at their first sign-in (`make run` does it before starting).

It writes to the portal's database through the portal's own app and models, which the portal configures from
its PORTAL_* variables as always: the sandbox knows the portal, the portal never knows the sandbox.
"""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from sandbox.demo_residents import DEMO_RESIDENTS

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


def give_portal_accounts(portal: Flask) -> list[str]:
    """Add each demo resident the portal does not know yet; a line about each of them."""
    from app.extensions import db
    from app.models.identity import Resident

    config = portal.config
    if config["ENVIRONMENT"] == "production":
        raise click.ClickException("The demo residents are for development only")
    issuer = config.get("OIDC_ISSUER") or (config.get("OIDC_DISCOVERY_URL") or "").removesuffix(
        DISCOVERY_SUFFIX
    )
    if not issuer:
        raise click.ClickException("Set PORTAL_OIDC_DISCOVERY_URL to the sandbox identity provider's")
    said = []
    with portal.app_context():
        for demo in DEMO_RESIDENTS:
            resident = db.session.scalar(
                select(Resident).where(Resident.issuer == issuer, Resident.subject == demo.subject)
            )
            if resident is not None:
                said.append(f"  {demo.name}: already has a portal account")
                continue
            home = demo.uprn if demo.home_chosen else None
            db.session.add(
                Resident(
                    issuer=issuer, subject=demo.subject, name=demo.name, email=demo.email, home_uprn=home
                )
            )
            said.append(f"  {demo.name}: " + (f"lives at UPRN {home}" if home else "no home address yet"))
        db.session.commit()
    return said


def init_app(app: Flask) -> None:
    @app.cli.command("demo-residents")
    def demo_residents() -> None:
        """Development: give the demo residents their portal accounts (the portal's PORTAL_* settings)."""
        from app import create_app

        for line in give_portal_accounts(create_app()):
            click.echo(line)
