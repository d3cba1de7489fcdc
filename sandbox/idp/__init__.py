"""A development OpenID Connect provider on authlib's server side, standing in for the councils' shared
identity provider (Azure AD B2C in Norfolk). It signs in the demo residents of sandbox/demo_residents.py.

- discovery at /idp/.well-known/openid-configuration; the issuer is this server's own URL + /idp, so it is
  right on whatever port the sandbox runs;
- JWKS: a signing key generated on first run and kept in the sandbox instance folder;
- authorization code with PKCE (S256 only), userinfo (name and email only there, never in the ID token),
  RP-initiated logout that also calls every signed-in client's back-channel logout endpoint;
- one client for residents, registered for every council's `<slug>.localhost` domain, on any port
  (loopback), and one for council staff at `staff.localhost`, whose ID tokens carry the staff member's
  `roles` (sandbox/demo_staff.py); each client signs in only its own kind of account.

A development tool: it says so on every page. Nothing here is fit for real residents.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from app.config import DevelopmentConfig
from sandbox.councils import SandboxCouncils
from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.demo_staff import DEMO_STAFF
from sandbox.idp import admin
from sandbox.idp.keys import load_or_create_signing_key
from sandbox.idp.server import IdentityProvider, PortalClient
from sandbox.idp.views import bp

# The acr value this provider sets when a resident "proves their identity" at step-up (development only).
VERIFIED_ACR = "urn:my-norfolk:sandbox:verified"
SIGNED_IN_ACR = "urn:my-norfolk:sandbox:signed-in"


def portal_client(councils: SandboxCouncils) -> PortalClient:
    hosts = [f"{council.slug}.localhost" for council in councils]
    return PortalClient(
        client_id=DevelopmentConfig.OIDC_CLIENT_ID,
        client_secret=DevelopmentConfig.OIDC_CLIENT_SECRET,
        redirect_uris=tuple(f"http://{host}/auth/callback" for host in hosts),
        post_logout_redirect_uris=tuple(f"http://{host}/" for host in hosts),
        backchannel_logout_path="/auth/back-channel-logout",
    )


def staff_client() -> PortalClient:
    hosts = DevelopmentConfig.STAFF_HOSTS
    return PortalClient(
        client_id=DevelopmentConfig.STAFF_OIDC_CLIENT_ID,
        client_secret=DevelopmentConfig.STAFF_OIDC_CLIENT_SECRET,
        redirect_uris=tuple(f"http://{host}/staff/auth/callback" for host in hosts),
        post_logout_redirect_uris=tuple(f"http://{host}/staff" for host in hosts),
        for_staff=True,
    )


def init_app(app: Flask) -> None:
    app.config.setdefault("IDP_SIGNING_ALG", "RS256")
    key = load_or_create_signing_key(Path(app.instance_path) / "idp", app.config["IDP_SIGNING_ALG"])
    clients = [portal_client(app.extensions["sandbox_councils"]), staff_client()]
    app.extensions["idp"] = IdentityProvider(app, key, clients=clients, verified_acr=VERIFIED_ACR)
    app.register_blueprint(bp, url_prefix="/idp")
    admin.init_app(app)

    @app.cli.command("demo-sign-ins")
    def print_demo_sign_ins() -> None:
        """Print the demo residents' sign-ins for the sandbox identity provider."""
        click.echo("Sandbox identity provider (development tool): demo residents")
        for resident in DEMO_RESIDENTS:
            click.echo(f"  {resident.name:<18} {resident.email:<28} password: {resident.password}")
        click.echo("Council staff, at http://staff.localhost (the staff client)")
        for member in DEMO_STAFF:
            click.echo(f"  {member.email:<30} password: {member.password}  {member.story}")
        click.echo("")
