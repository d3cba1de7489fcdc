"""`flask staff-audit verify` checks the staff audit trail's hash chain; `flask staff-audit purge` removes
entries past the retention period, as the worker does once an hour."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from app.staff import audit

PURGE_INTERVAL_SECONDS = 3600

staff_audit_cli = AppGroup("staff-audit", help="The council staff audit trail.")


@staff_audit_cli.command("verify")
def verify_command() -> None:
    """Recompute every entry's hash: fails when an entry was changed or removed."""
    check = audit.verify()
    if not check.intact:
        raise click.ClickException(f"The chain is broken at entry {check.broken_at}")
    click.echo(f"The chain of {check.entries} entries is intact.")


@staff_audit_cli.command("purge")
def purge_command() -> None:
    """Remove entries older than PORTAL_STAFF_AUDIT_RETENTION_DAYS."""
    click.echo(f"Removed {audit.purge_expired()} entries past the retention period.")


_next_purge = {"at": 0.0}


def worker_step(worker_name: str) -> None:
    """Once an hour: remove entries past the retention period."""
    if time.monotonic() < _next_purge["at"]:
        return
    _next_purge["at"] = time.monotonic() + PURGE_INTERVAL_SECONDS
    removed = audit.purge_expired()
    if removed:
        click.echo(f"{worker_name}: removed {removed} staff audit entries past the retention period")
