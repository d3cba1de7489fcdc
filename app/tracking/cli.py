"""`flask tracking poll` (ask every back office for changes now) and `flask tracking status` (each back
office's cursor: when it was last asked, failures, when it is asked next). The delivery worker (`flask
worker`) runs the same poll on its own schedule through worker_step."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models.tracking import PollCursor
from app.tracking import sync

tracking_cli = AppGroup("tracking", help="Status sync with the councils' back offices.")


def _echo(outcome: sync.PollOutcome) -> None:
    line = (
        f"{outcome.council_slug:<16} {outcome.source:<8} {outcome.new_events} new, {outcome.notified} emails"
    )
    click.echo(line + (f" (failed: {outcome.error})" if outcome.error else ""))


@tracking_cli.command("poll")
@click.option("--due-only", is_flag=True, help="Only back offices whose turn has come.")
def poll_command(due_only: bool) -> None:
    """Ask each back office what changed, record it and queue emails to followers."""
    for outcome in sync.poll_due("cli", force=not due_only):
        _echo(outcome)


@tracking_cli.command("status")
def status_command() -> None:
    """When each back office was last asked, and when it is asked next."""
    for cursor in db.session.scalars(select(PollCursor).order_by(PollCursor.council_slug, PollCursor.source)):
        click.echo(
            f"{cursor.council_slug:<16} {cursor.source:<8} last {cursor.last_polled_at or 'never'}, "
            f"next {cursor.next_poll_at}, failures {cursor.failures}"
            + (f": {cursor.last_error}" if cursor.last_error else "")
        )


def worker_step(worker: str) -> None:
    for outcome in sync.poll_due(worker):
        if outcome.new_events or outcome.error:
            _echo(outcome)
