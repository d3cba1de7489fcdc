"""`flask sessions end --all` signs every resident out everywhere (after a suspected theft of session cookies
or of the session store, say); `flask sessions end --resident ID` signs one resident out everywhere. Staff
sessions are not touched. Each run is written to the staff audit trail."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.sessions import end_every_resident_session, end_sessions_of_resident

sessions_cli = AppGroup("sessions", help="Residents' signed-in sessions.")

OPERATOR = "operator:flask sessions"


@sessions_cli.command("end")
@click.option("--all", "every_resident", is_flag=True, help="End every resident's sessions.")
@click.option("--resident", "resident_id", type=int, help="End this resident's sessions (their portal id).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def end_command(every_resident: bool, resident_id: int | None, yes: bool) -> None:
    """End residents' sessions: every resident's (--all) or one's (--resident ID)."""
    from app.auth.audit import record_security_event, resident_actor
    from app.extensions import db
    from app.models.identity import Resident
    from app.staff import audit

    if every_resident == (resident_id is not None):
        raise click.UsageError("Give either --all or --resident ID.")
    if resident_id is not None and db.session.get(Resident, resident_id) is None:
        raise click.ClickException(f"There is no resident {resident_id}.")
    who = "every resident" if every_resident else f"resident {resident_id}"
    if not yes:
        click.confirm(f"Sign {who} out everywhere?", abort=True)
    if every_resident:
        ended = end_every_resident_session()
        audit.record(
            "every_resident_session_ended",
            staff_subject=OPERATOR,
            detail={"sessions_ended": ended},
            commit=True,
        )
    else:
        ended = end_sessions_of_resident(resident_id)
        audit.record(
            "resident_sessions_ended",
            staff_subject=OPERATOR,
            resident_id=resident_id,
            detail={"sessions_ended": ended},
            commit=True,
        )
        record_security_event(
            "sessions_ended_by_operator", actor=resident_actor(resident_id), sessions_ended=ended
        )
    click.echo(f"Ended {ended} sessions of {who}.")
