"""The legacy password check answers only the identity provider, is limited per account, deletes the hash
once it matched, and writes every check to the audit log without the password."""

import base64

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.migration import MigratedAccount, MigrationOutcome
from bench.migration_data import hashed
from tests.integration.auth.conftest import audit_events

PATH = "/migration/legacy-password-check"


def _basic(secret="development-only-legacy-check-secret", client_id="identity-provider"):  # noqa: S107
    token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def migrated(app):
    with app.app_context():
        record = MigratedAccount(
            council_slug="south-norfolk",
            account_id="SN1",
            email="sam@example.net",
            scenario=2,
            subject="subject-1",
            outcome=MigrationOutcome.CREATED,
            legacy_hash=hashed("pbkdf2_sha256", "old password"),
            legacy_scheme="pbkdf2_sha256",
        )
        db.session.add(record)
        db.session.commit()
    return "subject-1"


@pytest.fixture
def provider_secret(app, monkeypatch):
    monkeypatch.setitem(app.config, "LEGACY_CHECK_SECRET", "development-only-legacy-check-secret")


def _check(client, subject, password, headers):
    return client.post(PATH, json={"objectId": subject, "password": password}, headers=headers)


@pytest.mark.usefixtures("provider_secret")
def test_only_the_provider_may_ask(client, migrated, app):
    for headers in ({}, _basic(secret="guess"), _basic(client_id="someone-else")):
        answer = _check(client, migrated, "old password", headers)
        assert answer.status_code == 401
    assert len(audit_events(app, "migration.legacy_check_refused")) == 3
    with app.app_context():
        assert db.session.scalars(select(MigratedAccount)).one().legacy_hash is not None


@pytest.mark.usefixtures("provider_secret")
def test_a_match_deletes_the_hash_and_is_audited_without_the_password(client, migrated, app):
    wrong = _check(client, migrated, "not it", _basic())
    assert wrong.status_code == 409
    assert wrong.get_json()["userMessage"]
    right = _check(client, migrated, "old password", _basic())
    assert right.status_code == 200
    assert right.get_json() == {"tokenSuccess": True, "migrationRequired": False}
    assert right.headers["Cache-Control"] == "no-store"
    with app.app_context():
        record = db.session.scalars(select(MigratedAccount)).one()
        assert record.legacy_hash is None and record.legacy_scheme is None
        assert record.first_signed_in_at is not None
    # Once used, the old password is no longer accepted here: the provider holds it now.
    assert _check(client, migrated, "old password", _basic()).status_code == 409
    events = audit_events(app, "migration.legacy_check")
    assert [event.detail["outcome"] for event in events] == ["no_match", "matched", "no_legacy_hash"]
    assert all("old password" not in str(event.detail) for event in events)


@pytest.mark.usefixtures("provider_secret")
def test_each_account_is_rate_limited(client, migrated, app, monkeypatch):
    monkeypatch.setitem(app.config, "LEGACY_CHECK_LIMIT", "3 per hour")
    for _attempt in range(3):
        assert _check(client, migrated, "guess", _basic()).status_code == 409
    limited = _check(client, migrated, "old password", _basic())
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    # Another account is not held up by this one's guesses.
    assert _check(client, "subject-2", "guess", _basic()).status_code == 409


@pytest.mark.usefixtures("provider_secret")
@pytest.mark.parametrize(
    "body",
    [
        None,
        {"objectId": "subject-1"},
        {"objectId": 1, "password": "x"},
        {"objectId": "s", "password": "x" * 300},
    ],
)
def test_bad_requests_are_refused(client, migrated, body):
    assert client.post(PATH, json=body, headers=_basic()).status_code in (400, 415)


def test_hashes_not_used_within_the_retention_period_are_deleted(app, migrated):
    from datetime import UTC, datetime, timedelta

    from app.migration.accounts import purge_old_legacy_hashes

    with app.app_context():
        record = db.session.scalars(select(MigratedAccount)).one()
        record.migrated_at = datetime.now(UTC) - timedelta(days=91)
        db.session.commit()
        assert purge_old_legacy_hashes(timedelta(days=90)) == 1
        record = db.session.scalars(select(MigratedAccount)).one()
        assert record.legacy_hash is None and record.hash_deleted_at is not None
        assert purge_old_legacy_hashes(timedelta(days=90)) == 0


def test_migration_records_are_in_download_my_data_without_the_hash_and_erased(app, migrated):
    from app.models.identity import Resident, personal_data_sources

    source = next(source for source in personal_data_sources if source.name == "district_account_migration")
    with app.app_context():
        resident = Resident(issuer="https://idp.example", subject=migrated, email="sam@example.net")
        db.session.add(resident)
        db.session.commit()
        exported = source.export(resident)
        assert exported[0]["district_account_id"] == "SN1"
        assert exported[0]["old_password_kept_until_first_sign_in"] is True
        assert "pbkdf2_sha256$" not in str(exported)
        source.delete(resident)
        db.session.commit()
        assert db.session.scalars(select(MigratedAccount)).all() == []
