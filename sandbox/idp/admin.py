"""The sandbox provider's identity administration, the subset of Microsoft Graph that `flask accounts
migrate` uses (connectors/identity_admin.py), and the users it creates:

    POST /idp/oauth2/v2.0/token        client credentials (PORTAL_IDENTITY_ADMIN_CLIENT_ID / _SECRET)
    POST /idp/graph/v1.0/users         create a user with an emailAddress identity (400 if it already exists)
    POST /idp/graph/v1.0/$batch        JSON batching: up to 20 `POST /users` requests, each answered alone
    GET  /idp/graph/v1.0/users?$filter=identities/any(c:c/issuerAssignedId eq '...' and ...)
    GET  /idp/graph/v1.0/users/<id>    one user, with its extension_<app>_requiresMigration attribute

Faults (sandbox/faults.py) apply to the Graph calls as service `idp_admin`; mode `throttled` answers 429
with Retry-After: the whole call, or, in a batch, each request inside it (a 200 whose responses are 429s,
as Graph throttles batches).

Users are kept in SQLite in the sandbox instance folder. Their passwords are stored salted and hashed with
SHA-256: a development tool, never for real residents. A user marked "requires migration" signs in with their
district password: the provider asks the portal's legacy password check (as Azure AD B2C's just-in-time
migration does), then keeps the password and clears the mark.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
from flask import Blueprint, Flask, current_app, jsonify, request

from sandbox import faults

DEVELOPMENT_ADMIN_CLIENT_ID = "my-norfolk-identity-admin"
DEVELOPMENT_ADMIN_SECRET = "development-only-identity-admin-secret"  # noqa: S105 - development only
DEVELOPMENT_LEGACY_CHECK_SECRET = "development-only-legacy-check-secret"  # noqa: S105 - development only
REQUIRES_MIGRATION = re.compile(r"^extension_[A-Za-z0-9]+_requiresMigration$")
FILTER = re.compile(r"issuerAssignedId eq '((?:[^']|'')*)'")
TOKEN_LIFETIME = 3600
BATCH_LIMIT = 20

bp = Blueprint("idp_admin", __name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    issuer TEXT NOT NULL,
    given_name TEXT,
    surname TEXT,
    password_salt TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    requires_migration INTEGER NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True)
class MigratedUser:
    subject: str
    email: str
    issuer: str
    given_name: str
    family_name: str
    requires_migration: bool

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True)
class NewUser:
    email: str
    issuer: str
    given_name: str
    family_name: str
    password: str
    requires_migration: bool


def _password_hash(salt: str, password: str) -> str:
    return hashlib.sha256((salt + password).encode()).hexdigest()


class UserStore:
    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.Lock()
        with self._write_lock:
            connection = self._connection()
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        return connection

    @staticmethod
    def _user(row) -> MigratedUser:
        return MigratedUser(
            row["id"],
            row["email"],
            row["issuer"],
            row["given_name"] or "",
            row["surname"] or "",
            bool(row["requires_migration"]),
        )

    def create(self, new_user: NewUser) -> MigratedUser | None:
        """The user made, or None when one already signs in with this email."""
        return self.create_many([new_user])[0]

    def create_many(self, new_users: list[NewUser]) -> list[MigratedUser | None]:
        """Each user made (None where the email is taken), in one transaction."""
        made: list[MigratedUser | None] = []
        with self._write_lock:
            connection = self._connection()
            connection.execute("BEGIN")
            try:
                for new_user in new_users:
                    salt = secrets.token_hex(8)
                    user = MigratedUser(
                        str(uuid.uuid4()),
                        new_user.email,
                        new_user.issuer,
                        new_user.given_name,
                        new_user.family_name,
                        new_user.requires_migration,
                    )
                    inserted = connection.execute(
                        "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
                        (
                            user.subject,
                            user.email,
                            user.issuer,
                            user.given_name,
                            user.family_name,
                            salt,
                            _password_hash(salt, new_user.password),
                            int(user.requires_migration),
                        ),
                    ).rowcount
                    made.append(user if inserted else None)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return made

    def by_subject(self, subject: str) -> MigratedUser | None:
        row = self._connection().execute("SELECT * FROM users WHERE id = ?", (subject,)).fetchone()
        return self._user(row) if row else None

    def by_email(self, email: str) -> MigratedUser | None:
        row = self._connection().execute("SELECT * FROM users WHERE email = ?", (email.lower(),)).fetchone()
        return self._user(row) if row else None

    def password_matches(self, subject: str, password: str) -> bool:
        row = (
            self._connection()
            .execute("SELECT password_salt, password_hash FROM users WHERE id = ?", (subject,))
            .fetchone()
        )
        return bool(row) and hmac.compare_digest(
            _password_hash(row["password_salt"], password), row["password_hash"]
        )

    def migrated(self, subject: str, password: str) -> None:
        """The legacy password was right: it becomes the user's password and the mark is cleared."""
        salt = secrets.token_hex(8)
        with self._write_lock:
            self._connection().execute(
                "UPDATE users SET password_salt = ?, password_hash = ?, requires_migration = 0 WHERE id = ?",
                (salt, _password_hash(salt, password), subject),
            )


def store(app: Flask | None = None) -> UserStore:
    return (app or current_app).extensions["idp_users"]


def init_app(app: Flask) -> None:
    app.extensions["idp_users"] = UserStore(Path(app.instance_path) / "idp_users.sqlite3")
    app.extensions["idp_admin_tokens"] = {}
    app.register_blueprint(bp, url_prefix="/idp")


def _graph_error(status: int, code: str, message: str):
    return jsonify(error={"code": code, "message": message}), status


def _graph_user(user: MigratedUser) -> dict:
    return {
        "id": user.subject,
        "displayName": user.name,
        "givenName": user.given_name,
        "surname": user.family_name,
        "identities": [{"signInType": "emailAddress", "issuer": user.issuer, "issuerAssignedId": user.email}],
        "extension_sandbox_requiresMigration": user.requires_migration,
    }


@bp.post("/oauth2/v2.0/token")
def admin_token():
    client_id = request.form.get("client_id") or ""
    secret = request.form.get("client_secret") or ""
    expected_id = os.environ.get("PORTAL_IDENTITY_ADMIN_CLIENT_ID", DEVELOPMENT_ADMIN_CLIENT_ID)
    expected_secret = os.environ.get("PORTAL_IDENTITY_ADMIN_CLIENT_SECRET", DEVELOPMENT_ADMIN_SECRET)
    if request.form.get("grant_type") != "client_credentials":
        return jsonify(error="unsupported_grant_type"), 400
    if not (
        hmac.compare_digest(client_id.encode(), expected_id.encode())
        and hmac.compare_digest(secret.encode(), expected_secret.encode())
    ):
        return jsonify(error="invalid_client"), 401
    token = secrets.token_urlsafe(32)
    current_app.extensions["idp_admin_tokens"][token] = time.time() + TOKEN_LIFETIME
    return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME}


@bp.before_request
def _bearer_token_for_graph():
    if not request.path.startswith("/idp/graph/"):
        return None
    fault = None if request.path.endswith("/$batch") else faults.apply("idp_admin", None)
    if fault is not None:
        return fault
    token = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
    expires = current_app.extensions["idp_admin_tokens"].get(token)
    if expires is None or expires < time.time():
        return _graph_error(401, "InvalidAuthenticationToken", "Access token is missing or expired.")
    return None


def _new_user(body: object) -> NewUser | None:
    """The user a `POST /users` body describes; None when it lacks an email identity or a password."""
    if not isinstance(body, dict):
        return None
    identities = [
        identity
        for identity in body.get("identities") or ()
        if isinstance(identity, dict) and identity.get("signInType") == "emailAddress"
    ]
    password = (body.get("passwordProfile") or {}).get("password")
    if not identities or not isinstance(identities[0].get("issuerAssignedId"), str) or not password:
        return None
    return NewUser(
        email=identities[0]["issuerAssignedId"].strip().lower(),
        issuer=str(identities[0].get("issuer") or ""),
        given_name=str(body.get("givenName") or ""),
        family_name=str(body.get("surname") or ""),
        password=str(password),
        requires_migration=any(
            REQUIRES_MIGRATION.match(name) and value is True for name, value in body.items()
        ),
    )


BAD_USER = (400, "Request_BadRequest", "identities and passwordProfile.password are required.")
ALREADY_EXISTS = (
    400,
    "Request_BadRequest",
    "Another object with the same value for property identities already exists.",
)


@bp.post("/graph/v1.0/users")
def create_user():
    new_user = _new_user(request.get_json(silent=True))
    if new_user is None:
        return _graph_error(*BAD_USER)
    user = store().create(new_user)
    if user is None:
        return _graph_error(*ALREADY_EXISTS)
    return jsonify(_graph_user(user)), 201


def _batch_answer(number: str, status: int, body: dict, headers: dict | None = None) -> dict:
    return {
        "id": number,
        "status": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": body,
    }


def _batch_error(number: str, status: int, code: str, message: str) -> dict:
    return _batch_answer(number, status, {"error": {"code": code, "message": message}})


@bp.post("/graph/v1.0/$batch")
def batch():
    """Graph's JSON batching for the one request migration batches: each `POST /users` is answered on its
    own, with its own status; a throttling fault answers each request 429 with its Retry-After, any other
    fault answers for the whole batch (a gateway in front of Graph)."""
    fault = faults.apply("idp_admin", None)
    if fault is not None and fault.status_code != 429:
        return fault
    requests_in_batch = (request.get_json(silent=True) or {}).get("requests")
    if not isinstance(requests_in_batch, list) or not 0 < len(requests_in_batch) <= BATCH_LIMIT:
        return _graph_error(400, "BadRequest", f"A batch holds between 1 and {BATCH_LIMIT} requests.")
    answers: list[dict | None] = []
    creations: list[tuple[int, str, NewUser]] = []
    for item in requests_in_batch:
        number = str(item.get("id", "")) if isinstance(item, dict) else ""
        if fault is not None:
            answers.append(
                _batch_answer(number, 429, fault.get_json(), {"Retry-After": fault.headers["Retry-After"]})
            )
            continue
        if not number or item.get("method") != "POST" or item.get("url") not in ("/users", "users"):
            answers.append(_batch_error(number, 400, "BadRequest", "Only POST /users can be batched here."))
            continue
        new_user = _new_user(item.get("body"))
        if new_user is None:
            answers.append(_batch_error(number, *BAD_USER))
            continue
        creations.append((len(answers), number, new_user))
        answers.append(None)
    made = store().create_many([new_user for _place, _number, new_user in creations])
    for (place, number, _asked), user in zip(creations, made, strict=True):
        answers[place] = (
            _batch_answer(number, 201, _graph_user(user)) if user else _batch_error(number, *ALREADY_EXISTS)
        )
    return {"responses": answers}


@bp.get("/graph/v1.0/users")
def list_users():
    match = FILTER.search(request.args.get("$filter") or "")
    if match is None:
        return _graph_error(
            400, "Request_UnsupportedQuery", "Filter by identities/any(...issuerAssignedId...)."
        )
    user = store().by_email(match.group(1).replace("''", "'"))
    return {"value": [_graph_user(user)] if user else []}


@bp.get("/graph/v1.0/users/<subject>")
def get_user(subject: str):
    user = store().by_subject(subject)
    if user is None:
        return _graph_error(404, "Request_ResourceNotFound", "No such user.")
    return _graph_user(user)


def legacy_password_matches(user: MigratedUser, password: str, portal_port: int) -> bool:
    """Ask the portal whether the district password is right (the just-in-time migration's REST call)."""
    url = current_app.config.get("LEGACY_CHECK_URL") or (
        f"http://127.0.0.1:{portal_port}/migration/legacy-password-check"
    )
    try:
        response = requests.post(
            url,
            json={"objectId": user.subject, "password": password},
            auth=(
                os.environ.get("PORTAL_LEGACY_CHECK_CLIENT_ID", "identity-provider"),
                os.environ.get("PORTAL_LEGACY_CHECK_SECRET", DEVELOPMENT_LEGACY_CHECK_SECRET),
            ),
            timeout=10,
        )
    except requests.RequestException:
        return False
    return response.status_code == 200 and response.json().get("tokenSuccess") is True
