"""`flask staff-audit verify` checks the staff audit trail's hash chain; `flask staff-audit purge` removes
entries past the retention period, as `flask worker` does on its retention schedule (app.retention)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.staff import audit

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
