"""`flask accounts` as an operator runs it: plan prints exactly its five lines and changes nothing, announce
and migrate are dry runs until --apply, and announce never emails an account twice."""

from sqlalchemy import func, select

from app.extensions import db
from app.models.migration import MigratedAccount
from app.models.reports import OutboxMessage
from bench.migration_data import generate


def _inputs(tmp_path, district, identity):
    return [
        "--council",
        "south-norfolk",
        "--district-export",
        str(district),
        "--identity-export",
        str(identity),
        "--encoding",
        "cp1252",
        "--review-file",
        str(tmp_path / "review.csv"),
    ]


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_plan_prints_the_five_lines_and_changes_nothing(app, tmp_path):
    district, identity, expected = generate(tmp_path, accounts=200, encoding="cp1252")
    result = app.test_cli_runner().invoke(args=["accounts", "plan", *_inputs(tmp_path, district, identity)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"scenario 1 (both): {expected.both}",
        f"scenario 2 (district only): {expected.district_only}",
        f"scenario 3 (shared identity only): {expected.shared_only}",
        f"needs review: {expected.needs_review}",
        f"must reset password: {expected.must_reset}",
    ]
    assert len((tmp_path / "review.csv").read_text().splitlines()) == expected.needs_review + 1
    assert _count(app, MigratedAccount) == 0
    assert _count(app, OutboxMessage) == 0


def test_announce_is_a_dry_run_until_apply_and_never_emails_twice(app, tmp_path):
    district, identity, expected = generate(tmp_path, accounts=200, encoding="cp1252")
    runner = app.test_cli_runner()
    arguments = [
        "accounts",
        "announce",
        *_inputs(tmp_path, district, identity),
        "--switch-date",
        "2099-01-04",
    ]
    dry = runner.invoke(args=arguments)
    assert dry.exit_code == 0, dry.output
    assert f"emails queued: {expected.both + expected.district_only}" in dry.stdout
    assert _count(app, OutboxMessage) == 0

    applied = runner.invoke(args=[*arguments, "--apply"])
    assert applied.stdout.splitlines()[0] == f"emails queued: {expected.both + expected.district_only}"
    assert _count(app, OutboxMessage) == expected.both + expected.district_only
    with app.app_context():
        body = db.session.scalars(select(OutboxMessage)).first().payload["body"]
        assert "4 January 2099" in body

    again = runner.invoke(args=[*arguments, "--apply"])
    assert again.stdout.splitlines()[0] == "emails queued: 0"
    assert _count(app, OutboxMessage) == expected.both + expected.district_only


def test_a_switch_date_in_the_past_and_a_missing_header_are_clear_errors(app, tmp_path):
    district, identity, _expected = generate(tmp_path, accounts=10, encoding="cp1252")
    runner = app.test_cli_runner()
    past = runner.invoke(
        args=["accounts", "announce", *_inputs(tmp_path, district, identity), "--switch-date", "2000-01-01"]
    )
    assert past.exit_code != 0 and "the switch date has passed" in past.stderr
    district.write_text("account_id,email\n")
    bad = runner.invoke(args=["accounts", "plan", *_inputs(tmp_path, district, identity)])
    assert bad.exit_code != 0 and "header" in bad.stderr


def test_migrate_is_a_dry_run_without_apply(app, tmp_path):
    district, identity, expected = generate(tmp_path, accounts=200, encoding="cp1252")
    result = app.test_cli_runner().invoke(
        args=[
            "accounts",
            "migrate",
            *_inputs(tmp_path, district, identity),
            "--report-file",
            str(tmp_path / "report.csv"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"created: {expected.district_only}",
        f"linked: {expected.both}",
        f"unchanged: {expected.shared_only}",
        f"emails queued: {expected.must_reset}",
    ]
    assert "dry run" in result.stderr
    assert _count(app, MigratedAccount) == 0
    report = (tmp_path / "report.csv").read_text()
    assert "$2b$" not in report and "pbkdf2_sha256$" not in report and "@" not in report
