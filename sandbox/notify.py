"""A stand-in for GOV.UK Notify's text message API (https://docs.notifications.service.gov.uk/rest-api.html)
under /notify: send a text (``POST /notify/v2/notifications/sms``) and list what was sent
(``GET /notify/v2/notifications``), each request authenticated as Notify authenticates it, by a JSON Web
Token signed with the secret of the service's API key (checked with Notify's own client library), and
refused with Notify's status codes and error bodies.

Every council's sandbox service shares one API key (``SANDBOX_NOTIFY_API_KEY``) and two text message
templates, each ``((body))``: ``SMS_TEMPLATE_ID`` for bin day reminders and ``CONFIRMATION_TEMPLATE_ID`` for
the security code that confirms a resident's mobile number. Texts are not sent anywhere: they are kept, and
``/notify/`` shows them, newest first, as the portal's development mailbox shows emails. Faults are
injected as service ``notify``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError

from app.config import DEVELOPMENT_NOTIFY_KEY
from sandbox import faults, store

# A made-up key in Notify's shape (the key's name, the service id, the secret), refused in production.
DEFAULT_KEY = DEVELOPMENT_NOTIFY_KEY
SMS_TEMPLATE_ID = "f3a1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
CONFIRMATION_TEMPLATE_ID = "8b7e6d5c-4f3a-4b2c-9d1e-0f9a8b7c6d5e"
TEMPLATES = {SMS_TEMPLATE_ID: "((body))", CONFIRMATION_TEMPLATE_ID: "((body))"}
PLACEHOLDER = re.compile(r"\(\(([^)]+)\)\)")
SENDER = "MyNorfolk"

api = Blueprint("notify_api", __name__, url_prefix="/notify/v2")
pages = Blueprint("notify_pages", __name__, url_prefix="/notify", template_folder="templates")
faults.guard(api, "notify", council=lambda: None)

SCHEMA = """
CREATE TABLE IF NOT EXISTS texts (
    id TEXT PRIMARY KEY,
    reference TEXT,
    phone_number TEXT NOT NULL,
    template_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS texts_reference ON texts (reference);
"""


def _store():
    return store.for_app(current_app._get_current_object(), "notify", SCHEMA)


def _key() -> tuple[str, str]:
    key = current_app.config.get("SANDBOX_NOTIFY_API_KEY") or DEFAULT_KEY
    return key[-73:-37], key[-36:]


def _error(status: int, name: str, message: str):
    response = jsonify(status_code=status, errors=[{"error": name, "message": message}])
    response.status_code = status
    return response


@api.before_request
def _authenticate():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return _error(401, "AuthError", "Unauthorized: authentication token must be provided")
    token = header.removeprefix("Bearer ").strip()
    service_id, secret = _key()
    try:
        if get_token_issuer(token) != service_id:
            return _error(403, "AuthError", "Invalid token: service not found")
        decode_jwt_token(token, secret)
    except TokenError as error:
        message = getattr(error, "message", "")
        if "expired" in message.lower() or "future" in message.lower():
            return _error(403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds")
        return _error(403, "AuthError", "Invalid token: API key not found")
    return None


def uk_mobile(number: str) -> str | None:
    """The number as 07..., when it is a UK mobile number as Notify reads them; None otherwise."""
    digits = re.sub(r"[\s()\-.+]", "", number)
    if not digits.isdigit():
        return None
    for prefix in ("0044", "44", "0"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    return "0" + digits if len(digits) == 10 and digits.startswith("7") else None


@api.post("/notifications/sms")
def send_sms():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "BadRequestError", "Invalid JSON supplied in POST data")
    for field in ("phone_number", "template_id"):
        if not isinstance(body.get(field), str) or not body[field]:
            return _error(400, "ValidationError", f"{field} is a required property")
    if uk_mobile(body["phone_number"]) is None:
        return _error(400, "ValidationError", "phone_number Not a UK mobile number")
    template = TEMPLATES.get(body["template_id"])
    if template is None:
        return _error(400, "BadRequestError", "Template not found")
    personalisation = body.get("personalisation") or {}
    missing = [name for name in PLACEHOLDER.findall(template) if name not in personalisation]
    if missing:
        return _error(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
    text = PLACEHOLDER.sub(lambda match: str(personalisation[match[1]]), template)
    notification_id = str(uuid.uuid4())
    with _store().connect() as connection:
        connection.execute(
            "INSERT INTO texts (id, reference, phone_number, template_id, body, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                notification_id,
                body.get("reference"),
                body["phone_number"],
                body["template_id"],
                text,
                datetime.now(UTC).isoformat(),
            ),
        )
    response = jsonify(
        id=notification_id,
        reference=body.get("reference"),
        content={"body": text, "from_number": SENDER},
        uri=url_for(".notification", notification_id=notification_id, _external=True),
        template={"id": body["template_id"], "version": 1, "uri": f"{request.host_url}notify/v2/template/"},
    )
    response.status_code = 201
    return response


def _representation(row) -> dict:
    return {
        "id": row["id"],
        "reference": row["reference"],
        "phone_number": row["phone_number"],
        "type": "sms",
        "status": "delivered",
        "body": row["body"],
        "created_at": row["created_at"],
        "template": {"id": row["template_id"], "version": 1},
    }


@api.get("/notifications/<notification_id>")
def notification(notification_id: str):
    with _store().connect() as connection:
        row = connection.execute("SELECT * FROM texts WHERE id = ?", (notification_id,)).fetchone()
    if row is None:
        return _error(404, "NoResultFound", "No result found")
    return jsonify(_representation(row))


@api.get("/notifications")
def notifications():
    if request.args.get("template_type") not in (None, "sms"):
        return jsonify(notifications=[], links={"current": request.url})
    query, values = "SELECT * FROM texts", []
    if request.args.get("reference"):
        query, values = query + " WHERE reference = ?", [request.args["reference"]]
    with _store().connect() as connection:
        rows = connection.execute(query + " ORDER BY created_at DESC LIMIT 250", values).fetchall()
    return jsonify(notifications=[_representation(row) for row in rows], links={"current": request.url})


def texts(to: str | None = None, reference: str | None = None) -> list[dict]:
    """The texts kept, newest first: to one number (however it was written) when ``to`` is given, with one
    reference when ``reference`` is."""
    query, values = "SELECT * FROM texts", []
    if reference:
        query, values = query + " WHERE reference = ?", [reference]
    with _store().connect() as connection:
        rows = connection.execute(query + " ORDER BY created_at DESC LIMIT 200", values).fetchall()
    wanted = uk_mobile(to) if to else None
    return [
        _representation(row) for row in rows if wanted is None or uk_mobile(row["phone_number"]) == wanted
    ]


@pages.get("/")
def sent_texts():
    """The texts the sandbox's Notify was asked to send, for developers (JSON when asked for JSON)."""
    found = texts(request.args.get("to"), request.args.get("reference"))
    if request.accept_mimetypes.best == "application/json":
        return jsonify(texts=found)
    return render_template("notify/texts.html", texts=found, to=request.args.get("to", ""))
