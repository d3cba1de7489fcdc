"""`flask accounts` against the sandbox identity provider over real HTTP: migrating creates and links exactly
once, only accounts without a usable hash are emailed, the admin API's 429s are waited out, and a migrated
resident signs in with their district password (the provider asks the portal's legacy password check) and
finds their home address and council tax account."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.migration import accounts
from app.migration.exports import make_plan
from app.models.identity import LinkedCouncilAccount, Resident
from app.models.migration import MigratedAccount
from app.models.reports import OutboxMessage
from bench.migration_data import generate, password_of
from connectors.identity_admin import GraphIdentityAdmin, NewIdentity
from sandbox import faults
from sandbox.idp.admin import DEVELOPMENT_ADMIN_CLIENT_ID, DEVELOPMENT_ADMIN_SECRET, store
from tests.integration.auth.conftest import Visitor, audit_events
from tests.support.live_server import LiveServer

ACCOUNTS = 100


@pytest.fixture
def admin(sandbox_idp):
    return GraphIdentityAdmin(
        token_url=f"{sandbox_idp.url}/idp/oauth2/v2.0/token",
        graph_url=f"{sandbox_idp.url}/idp/graph/v1.0",
        client_id=DEVELOPMENT_ADMIN_CLIENT_ID,
        client_secret=DEVELOPMENT_ADMIN_SECRET,
        tenant_issuer="sandbox.my-norfolk.localhost",
        extensions_app_id="sandbox",
        requests_per_second=500,
    )


@pytest.fixture
def plan(tmp_path_factory):
    directory = tmp_path_factory.mktemp("exports")
    district, identity, expected = generate(directory, accounts=ACCOUNTS)
    return make_plan(district, identity), expected


@pytest.fixture
def council(app):
    return app.extensions["themes"].get("south-norfolk")


@pytest.fixture
def portal_for_the_provider(app, sandbox_idp):
    """The portal over HTTP, where the sandbox provider calls the legacy password check."""
    with LiveServer(app) as portal:
        sandbox_idp.app.config["LEGACY_CHECK_URL"] = f"{portal.url}/migration/legacy-password-check"
        yield portal
        sandbox_idp.app.config.pop("LEGACY_CHECK_URL")


def _reset_emails() -> int:
    return db.session.scalar(
        select(func.count()).where(OutboxMessage.payload["subject"].as_string().like("Set a password%"))
    )


def test_migrate_creates_links_and_emails_once(app, council, plan, admin):
    plan, expected = plan
    with app.app_context():
        dry = accounts.migrate(council, plan, apply=False)
        assert (dry.created, dry.linked, dry.emails_queued) == (
            expected.district_only,
            expected.both,
            expected.must_reset,
        )
        assert db.session.scalar(select(func.count(MigratedAccount.id))) == 0

        first = accounts.migrate(council, plan, apply=True, admin=admin, parallel=4)
        assert first.summary() == [
            f"created: {expected.district_only}",
            f"linked: {expected.both}",
            f"unchanged: {expected.shared_only}",
            f"emails queued: {expected.must_reset}",
        ]
        assert _reset_emails() == expected.must_reset
        without_hash = {account.email for account in plan.must_reset}
        emailed = set(
            db.session.scalars(
                select(OutboxMessage.payload["to"].as_string()).where(
                    OutboxMessage.payload["subject"].as_string().like("Set a password%")
                )
            )
        )
        assert emailed == without_hash
        kept = db.session.scalar(select(func.count()).where(MigratedAccount.legacy_hash.is_not(None)))
        assert kept == expected.district_only - expected.must_reset

        again = accounts.migrate(council, plan, apply=True, admin=admin, parallel=4)
        assert again.summary() == [
            "created: 0",
            "linked: 0",
            f"unchanged: {expected.shared_only + expected.both + expected.district_only}",
            "emails queued: 0",
        ]
        assert _reset_emails() == expected.must_reset


def test_a_crash_after_creating_users_is_resumed_without_duplicates(app, council, plan, admin):
    plan, expected = plan
    with app.app_context():
        # The provider already has some of the users (a run stopped before recording them).
        for account in plan.district_only[:5]:
            admin.create_user(
                NewIdentity(account.email, account.given_name, account.family_name, account.usable_hash)
            )
        result = accounts.migrate(council, plan, apply=True, admin=admin, parallel=4)
        assert result.created == expected.district_only
        assert result.failed == 0


def test_429s_from_the_admin_api_are_waited_out(app, council, plan, admin, sandbox_idp):
    plan, expected = plan
    board = faults.board(sandbox_idp.app)
    board.set(faults.Fault(service="idp_admin", mode="throttled"))
    lifted = threading.Timer(1.5, board.clear)
    lifted.start()
    try:
        with app.app_context():
            started = time.monotonic()
            result = accounts.migrate(council, plan, apply=True, admin=admin, parallel=4)
        assert time.monotonic() - started >= 1.0
        assert admin.throttled > 0
        assert result.created == expected.district_only
        assert result.failed == 0
    finally:
        lifted.cancel()
        board.clear()


def test_a_throttled_single_call_is_waited_out(admin, sandbox_idp):
    board = faults.board(sandbox_idp.app)
    board.set(faults.Fault(service="idp_admin", mode="throttled"))
    lifted = threading.Timer(1.5, board.clear)
    lifted.start()
    try:
        started = time.monotonic()
        subject = admin.create_user(NewIdentity("throttled-once@example.net", "Ann", "Other", True))
        assert time.monotonic() - started >= 1.0
        assert admin.throttled > 0
        assert store(sandbox_idp.app).by_subject(subject).email == "throttled-once@example.net"
    finally:
        lifted.cancel()
        board.clear()


def _graph_batch(admin, sandbox_idp, requests_in_batch) -> requests.Response:
    return requests.post(
        f"{sandbox_idp.url}/idp/graph/v1.0/$batch",
        json={"requests": requests_in_batch},
        headers={"Authorization": f"Bearer {admin._access_token()}"},
        timeout=10,
    )


def _create_request(number: int, email: str) -> dict:
    return {
        "id": str(number),
        "method": "POST",
        "url": "/users",
        "body": {
            "identities": [{"signInType": "emailAddress", "issuer": "t", "issuerAssignedId": email}],
            "passwordProfile": {"password": "never-used-Aa1!"},
        },
    }


def test_the_sandbox_answers_each_request_in_a_graph_batch_on_its_own(admin, sandbox_idp):
    answer = _graph_batch(
        admin,
        sandbox_idp,
        [
            _create_request(1, "batched-1@example.net"),
            _create_request(2, "batched-1@example.net"),
            {"id": "3", "method": "DELETE", "url": "/users/x"},
            _create_request(4, "batched-4@example.net"),
        ],
    )
    assert answer.status_code == 200
    statuses = {item["id"]: item["status"] for item in answer.json()["responses"]}
    assert statuses == {"1": 201, "2": 400, "3": 400, "4": 201}
    assert store(sandbox_idp.app).by_email("batched-4@example.net") is not None

    too_many = _graph_batch(
        admin, sandbox_idp, [_create_request(n, f"many-{n}@example.net") for n in range(21)]
    )
    assert too_many.status_code == 400
    assert store(sandbox_idp.app).by_email("many-0@example.net") is None


def test_a_throttled_batch_answers_each_request_429_with_retry_after(admin, sandbox_idp):
    with faults.injected(sandbox_idp.url, "idp_admin", "throttled"):
        answer = _graph_batch(admin, sandbox_idp, [_create_request(1, "throttled-batch@example.net")])
    assert answer.status_code == 200
    (item,) = answer.json()["responses"]
    assert item["status"] == 429
    assert item["headers"]["Retry-After"] == "1"
    assert store(sandbox_idp.app).by_email("throttled-batch@example.net") is None


def test_scenario_1_reaches_a_portal_record_that_already_exists(app, council, plan, admin):
    plan, _expected = plan
    (account, subject), (later, later_subject) = plan.both[:2]
    with app.app_context():
        db.session.add(Resident(issuer=app.config.get("OIDC_ISSUER") or "https://idp.test", subject=subject))
        db.session.commit()
        accounts.migrate(council, plan, apply=True, admin=admin, parallel=4)
        resident = db.session.scalars(select(Resident).where(Resident.subject == subject)).one()
        assert resident.home_uprn == account.uprn
        assert [link.account_reference for link in resident.linked_accounts] == [
            account.council_tax_reference
        ]
        records = {
            record.account_id: record
            for record in db.session.scalars(
                select(MigratedAccount).where(
                    MigratedAccount.account_id.in_([account.account_id, later.account_id])
                )
            )
        }
        assert records[account.account_id].applied_at is not None
        assert records[account.account_id].subject == subject
        # No portal record yet: the data waits for the resident's next sign-in.
        assert records[later.account_id].applied_at is None
        assert records[later.account_id].subject == later_subject


def _sign_in(visitor: Visitor, email: str, password: str) -> requests.Response:
    authorize = visitor.start_sign_in()
    return visitor.provider.post(
        authorize,
        data={"email": email, "password": password, "action": "sign-in"},
        allow_redirects=False,
        timeout=10,
    )


@pytest.mark.usefixtures("with_sandbox_idp", "portal_for_the_provider", "back_offices")
def test_a_migrated_resident_signs_in_with_their_district_password(app, council, plan, admin, sandbox_idp):
    plan, _expected = plan
    with app.app_context():
        accounts.migrate(council, plan, apply=True, admin=admin, parallel=4)
    one_of_each_scheme = {}
    for account in plan.district_only:
        if account.usable_hash:
            one_of_each_scheme.setdefault(account.password_scheme, account)
    assert set(one_of_each_scheme) == {"bcrypt", "pbkdf2_sha256", "aspnet_identity_v3", "sha1_salted"}

    for scheme, account in one_of_each_scheme.items():
        visitor = Visitor(app.test_client())
        wrong = _sign_in(visitor, account.email, "not-my-password")
        assert wrong.status_code == 400, scheme
        answer = _sign_in(visitor, account.email, password_of(account.account_id))
        assert answer.status_code == 302, (scheme, answer.text)
        assert visitor.callback(answer.headers["Location"]).status_code == 302
        with app.app_context():
            record = db.session.scalars(
                select(MigratedAccount).where(MigratedAccount.account_id == account.account_id)
            ).one()
            assert record.legacy_hash is None
            assert record.first_signed_in_at is not None
            resident = db.session.scalars(select(Resident).where(Resident.subject == record.subject)).one()
            assert resident.home_uprn == account.uprn
            link = db.session.scalars(
                select(LinkedCouncilAccount).where(LinkedCouncilAccount.resident_id == resident.id)
            ).one()
            assert link.account_reference == account.council_tax_reference
            assert store(sandbox_idp.app).by_subject(record.subject).requires_migration is False
        page = visitor.portal("/dashboard")
        assert page.status_code == 200
        assert "12 Orchard Way" in page.get_data(as_text=True)

        # The password now lives at the provider: signing in again does not ask the portal.
        again = _sign_in(Visitor(app.test_client()), account.email, password_of(account.account_id))
        assert again.status_code == 302

    checks = audit_events(app, "migration.legacy_check")
    assert [event.detail["outcome"] for event in checks].count("matched") == 4
    assert all("password" not in str(event.detail) for event in checks)
