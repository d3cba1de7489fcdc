"""The operators' commands for reports and emails: `flask reports` (reports that could not be delivered) and
`flask mailbox` (the development mailbox). `flask worker`, which delivers them, is app/worker.py."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.reports import outbox
from app.reports.mail import mailbox

reports_cli = AppGroup("reports", help="Reports that could not be delivered to a council.")


@reports_cli.command("parked")
def list_parked() -> None:
    """List reports whose delivery failed too often and waits for an operator."""
    parked = outbox.parked_reports()
    if not parked:
        click.echo("No parked reports.")
        return
    for report in parked:
        errors = [message.last_error for message in report.messages if message.last_error]
        click.echo(
            f"{report.reference}  {report.council_slug:<16} {report.report_type:<18} "
            f"{report.created_at:%Y-%m-%d %H:%M}"
        )
        if errors:
            click.echo(f"    last error: {errors[-1]}")


@reports_cli.command("retry")
@click.argument("reference")
def retry_parked(reference: str) -> None:
    """Queue a parked report (and its parked emails) for delivery again."""
    try:
        count = outbox.retry(reference)
    except LookupError:
        raise click.ClickException(f"No report has the reference {reference}") from None
    if count == 0:
        raise click.ClickException(f"{reference} has nothing parked")
    click.echo(f"{reference}: {count} message(s) queued for delivery again.")


@click.command("mailbox")
@click.option("--to", "recipient", help="Only emails to this address.")
@click.option("--limit", default=10, show_default=True)
def mailbox_command(recipient: str | None, limit: int) -> None:
    """Print the development mailbox: emails the portal sent while GOV.UK Notify is not configured."""
    messages = mailbox(recipient, limit)
    if not messages:
        click.echo("The development mailbox is empty.")
    for message in messages:
        click.echo(f"--- #{message.id} {message.created_at:%Y-%m-%d %H:%M:%S} to {message.recipient}")
        click.echo(f"Subject: {message.subject}\n")
        click.echo(message.body)
        click.echo("")


def init_app(app: Flask) -> None:
    app.cli.add_command(reports_cli)
    app.cli.add_command(mailbox_command)
