"""`flask worker`: the portal's one background process. Each round it says it is alive (the heartbeat file
that `flask worker --check` reads), deletes what has outlived its retention period (app/retention.py),
delivers what is due from the outbox (reports to councils' back offices, emails to people;
app/reports/outbox.py), and runs every other feature's periodic step (``app.extensions["worker_steps"]``,
which the features add to as the app factory sets them up: the status sync, bin reminders, waste payments
left in progress, the usage tally)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from pathlib import Path

import click
from flask import Flask, current_app

from app import retention
from app.extensions import db
from app.reports import outbox
from app.reports.mail import MailNotConfigured, mailer

log = logging.getLogger("portal.worker")


def heartbeat(path: Path) -> None:
    """Say this worker is alive: `flask worker --check` reads the file's age."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def heartbeat_age(path: Path) -> float | None:
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None


def check_heartbeat() -> None:
    path = Path(current_app.config["WORKER_HEARTBEAT_FILE"])
    limit = current_app.config["WORKER_HEARTBEAT_STALE_SECONDS"]
    age = heartbeat_age(path)
    if age is None:
        raise click.ClickException(f"No worker heartbeat at {path}")
    if age > limit:
        raise click.ClickException(f"The worker's last heartbeat is {age:.0f}s old (the limit is {limit}s)")
    click.echo(f"The worker is alive: last heartbeat {age:.0f}s ago")


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds to wait when nothing is due.")
@click.option("--batch", default=10, show_default=True, help="Messages claimed at a time.")
@click.option(
    "--check",
    is_flag=True,
    help="Exit non-zero when the worker's heartbeat (PORTAL_WORKER_HEARTBEAT_FILE) is stale: a health check.",
)
def worker_command(once: bool, interval: float, batch: int, check: bool) -> None:
    """Deliver reports to councils' back offices and emails to people, with retries and backoff, and delete
    what is kept no longer than its retention period (app/retention.py)."""
    if check:
        check_heartbeat()
        return
    try:
        mailer()
    except MailNotConfigured as problem:
        raise click.ClickException(str(problem)) from None
    name = f"{socket.gethostname()}:{os.getpid()}"
    policy = outbox.DeliveryPolicy.from_config()
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    heartbeat_file = Path(current_app.config["WORKER_HEARTBEAT_FILE"])
    schedule = retention.Schedule.from_config()
    log.info("worker started", extra={"fields": {"worker": name}})
    while not stopping:
        heartbeat(heartbeat_file)
        schedule.run_due()
        try:
            outcomes = outbox.run_once(name, policy, batch)
        except Exception:  # noqa: BLE001 - a database hiccup must not stop the worker; it logs and tries again
            db.session.rollback()
            outcomes = []
            log.warning("the worker could not reach the portal database; trying again")
        for outcome in outcomes:
            log.info(
                "outbox message %s",
                outcome.outcome,
                extra={"fields": {"message_id": outcome.message_id, "outcome": outcome.outcome}},
            )
        # Other features' periodic work (the status sync registers itself in app.tracking).
        for step in current_app.extensions.get("worker_steps", []):
            try:
                step(name)
            except Exception:  # noqa: BLE001 - one step failing must not stop deliveries
                db.session.rollback()
                current_app.logger.exception("Worker step %s failed", step.__qualname__)
        if once:
            break
        if not outcomes:
            time.sleep(interval)
        db.session.remove()


def init_app(app: Flask) -> None:
    app.cli.add_command(worker_command)
