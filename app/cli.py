"""Command-line tasks for developers and operators: `flask councils`, `flask connectors check`."""

import click
from flask import Flask, current_app


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
