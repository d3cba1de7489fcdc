"""`flask accounts plan | announce | migrate`: bringing a district's portal accounts into the shared sign-in
(docs/migration.md). announce and migrate change nothing until --apply is given."""

from __future__ import annotations

import sys
from datetime import date
from functools import wraps
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.migration import accounts
from app.migration.exports import ExportError, Plan, make_plan
from connectors.identity_admin import IdentityAdminError


def _inputs(command):
    @click.option("--council", "slug", required=True, help="The district's slug, e.g. south-norfolk.")
    @click.option(
        "--district-export",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="The district portal's CSV export.",
    )
    @click.option(
        "--identity-export",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="The shared identity's users, JSON Lines as Microsoft Graph returns them.",
    )
    @click.option("--encoding", default="utf-8", show_default=True, help="The CSV's encoding, e.g. cp1252.")
    @click.option(
        "--review-file",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="Where to write the accounts that need review (default: <council>-review.csv here).",
    )
    @wraps(command)
    def wrapper(slug, district_export, identity_export, encoding, review_file, **options):
        themes = current_app.extensions["themes"]
        try:
            council = themes.get(slug)
        except KeyError:
            raise click.BadParameter(f"no council {slug!r}", param_hint="--council") from None
        try:
            plan = make_plan(district_export, identity_export, encoding)
        except ExportError as error:
            raise click.ClickException(str(error)) from error
        review_path = review_file or Path(f"{council.slug}-review.csv")
        plan.write_review(review_path)
        return command(council, plan, review_path, **options)

    return wrapper


def init_app(app: Flask) -> None:
    group = AppGroup("accounts", help="Bring a district portal's accounts into the shared sign-in.")

    @group.command("plan")
    @_inputs
    def plan_command(council, plan: Plan, review_path: Path) -> None:
        """Count the three scenarios and write the accounts that need review. Changes nothing."""
        for line in plan.summary():
            click.echo(line)
        click.echo(f"review file: {review_path}", err=True)

    @group.command("announce")
    @_inputs
    @click.option(
        "--switch-date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD"
    )
    @click.option("--apply", is_flag=True, help="Queue the emails (without it: only count them).")
    def announce_command(council, plan: Plan, review_path: Path, switch_date, apply: bool) -> None:
        """Email every scenario 1 and 2 account what will change and when, once."""
        switch: date = switch_date.date()
        if switch < date.today():
            raise click.BadParameter("the switch date has passed", param_hint="--switch-date")
        result = accounts.announce(council, plan, switch, apply=apply)
        click.echo(f"emails queued: {result.queued}")
        click.echo(f"already announced: {result.already}")
        if not apply:
            click.echo("dry run: nothing was queued; add --apply to send", err=True)

    @group.command("migrate")
    @_inputs
    @click.option("--apply", is_flag=True, help="Make the changes (without it: only count them).")
    @click.option(
        "--report-file",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="Each account's outcome, as CSV (default: <council>-migration.csv here).",
    )
    @click.option("--parallel", type=click.IntRange(1, 64), help="Calls to the admin API at once.")
    def migrate_command(council, plan: Plan, review_path: Path, apply: bool, report_file, parallel) -> None:
        """Link scenario 1, create scenario 2 at the identity provider, email those without a password."""
        total = len(plan.both) + len(plan.district_only)
        try:
            admin = accounts.identity_admin() if apply else None
        except IdentityAdminError as error:
            raise click.ClickException(str(error)) from error
        with click.progressbar(length=total, label="accounts", file=sys.stderr) as bar:
            result = accounts.migrate(
                council,
                plan,
                apply=apply,
                admin=admin,
                parallel=parallel or current_app.config["IDENTITY_ADMIN_PARALLEL"],
                progress=bar.update,
            )
        report_path = report_file or Path(f"{council.slug}-migration.csv")
        accounts.write_report(report_path, result.outcomes)
        for line in result.summary():
            click.echo(line)
        if result.failed:
            click.echo(f"failed: {result.failed} (run again to retry them; see {report_path})", err=True)
        if not apply:
            click.echo("dry run: nothing was changed; add --apply to migrate", err=True)

    app.cli.add_command(group)
