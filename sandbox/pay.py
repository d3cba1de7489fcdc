"""A stand-in for GOV.UK Pay (https://docs.payments.service.gov.uk/api_reference/) under /pay: the public API
(create a payment, get one, search by reference, cancel, refunds) with Bearer API keys, and the hosted card
pages a payer is sent to, with Pay's test card numbers:

    4444333322221111   succeeds               4000000000000002   declined (P0010)
    4000000000000069   card expired (P0010)   4000000000000127   security code fails (P0010)

Any other number passing the Luhn check succeeds. A payment not finished 90 minutes after it was created has
expired (P0020); the card page's "Cancel payment" cancels it (P0030). Every council's key is
``SANDBOX_PAY_KEY`` ("sandbox-pay-key" unless set). Faults for the API are injected as service ``pay``; the
card pages answer regardless, as Pay's frontend is a service of its own.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for

from sandbox import faults, store

DEFAULT_KEY = "sandbox-pay-key"
EXPIRES_AFTER = timedelta(minutes=90)
MAX_AMOUNT = 10_000_000
SUCCEEDS = "4444333322221111"
DECLINED = {
    "4000000000000002": "Your card has been declined",
    "4000000000000069": "The card has expired",
    "4000000000000127": "The card security code is incorrect",
}
FAILURE_MESSAGES = {
    "P0010": "Payment method rejected",
    "P0020": "Payment expired",
    "P0030": "Payment was cancelled by the user",
    "P0040": "Payment was cancelled by the service",
}

api = Blueprint("pay_api", __name__, url_prefix="/pay/v1")
card_pages = Blueprint("pay_card", __name__, url_prefix="/pay", template_folder="templates")
faults.guard(api, "pay", council=lambda: None)

SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    payment_id TEXT PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    token_used INTEGER NOT NULL DEFAULT 0,
    amount INTEGER NOT NULL,
    reference TEXT NOT NULL,
    description TEXT NOT NULL,
    return_url TEXT NOT NULL,
    email TEXT,
    language TEXT NOT NULL,
    status TEXT NOT NULL,
    code TEXT,
    last_digits TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_reference ON payments (reference);
CREATE TABLE IF NOT EXISTS refunds (
    refund_id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (payment_id),
    amount INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""


def _store():
    return store.for_app(current_app._get_current_object(), "pay", SCHEMA)


def _now() -> datetime:
    return datetime.now(UTC)


def _error(status: int, code: str, description: str, field: str | None = None):
    body = {"code": code, "description": description}
    if field:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    return response


@api.before_request
def _check_key():
    expected = current_app.config.get("SANDBOX_PAY_KEY", DEFAULT_KEY)
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        return _error(401, "P0920", "Credentials are required to access this resource")
    return None


def _expire(connection, row):
    """Pay expires a payment nobody finished within 90 minutes."""
    created = datetime.fromisoformat(row["created_at"])
    if row["status"] in ("created", "started", "submitted") and _now() - created > EXPIRES_AFTER:
        connection.execute(
            "UPDATE payments SET status = 'failed', code = 'P0020' WHERE payment_id = ?", (row["payment_id"],)
        )
        return connection.execute(
            "SELECT * FROM payments WHERE payment_id = ?", (row["payment_id"],)
        ).fetchone()
    return row


def _representation(connection, row) -> dict:
    finished = row["status"] not in ("created", "started", "submitted", "capturable")
    state = {"status": row["status"], "finished": finished}
    if row["code"]:
        state.update(code=row["code"], message=FAILURE_MESSAGES.get(row["code"], "Payment failed"))
    refunded = connection.execute(
        "SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = ? AND status != 'error'",
        (row["payment_id"],),
    ).fetchone()[0]
    if row["status"] != "success":
        refund_status = "unavailable" if finished else "pending"
    else:
        refund_status = "full" if refunded >= row["amount"] else "available"
    self_url = url_for("pay_api.get_payment", payment_id=row["payment_id"], _external=True)
    links = {
        "self": {"href": self_url, "method": "GET"},
        "events": {"href": f"{self_url}/events", "method": "GET"},
        "refunds": {"href": f"{self_url}/refunds", "method": "GET"},
    }
    if not finished:
        next_url = url_for("pay_card.secure", token=row["token"], _external=True)
        links["next_url"] = {"href": next_url, "method": "GET"}
        links["next_url_post"] = {
            "type": "application/x-www-form-urlencoded",
            "params": {"chargeTokenId": row["token"]},
            "href": url_for("pay_card.secure_post", _external=True),
            "method": "POST",
        }
        links["cancel"] = {"href": f"{self_url}/cancel", "method": "POST"}
    payment = {
        "amount": row["amount"],
        "description": row["description"],
        "reference": row["reference"],
        "language": row["language"],
        "state": state,
        "payment_id": row["payment_id"],
        "payment_provider": "sandbox",
        "created_date": row["created_at"].replace("+00:00", "Z"),
        "return_url": row["return_url"],
        "refund_summary": {
            "status": refund_status,
            "amount_available": row["amount"] - refunded if row["status"] == "success" else 0,
            "amount_submitted": refunded,
        },
        "settlement_summary": {},
        "delayed_capture": False,
        "moto": False,
        "_links": links,
    }
    if row["email"]:
        payment["email"] = row["email"]
    if row["last_digits"]:
        payment["card_details"] = {
            "last_digits_card_number": row["last_digits"],
            "card_brand": "Visa",
            "card_type": "debit",
        }
    return payment


def _valid_return_url(url: str) -> bool:
    """HTTPS, as Pay insists, or a development portal on this machine."""
    return bool(
        re.match(r"^https://[^\s/]+(/\S*)?$", url)
        or re.match(r"^http://(127\.0\.0\.1|localhost|[a-z0-9-]+\.localhost)(:\d+)?(/\S*)?$", url)
    )


@api.post("/payments")
def create_payment():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "P0197", "Unable to parse JSON")
    for name in ("amount", "reference", "description", "return_url"):
        if body.get(name) in (None, ""):
            return _error(400, "P0101", f"Missing mandatory attribute: {name}", name)
    amount = body["amount"]
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT:
        return _error(
            422, "P0102", "Invalid attribute value: amount. Must be between 1 and 10000000", "amount"
        )
    for name, limit in (("reference", 255), ("description", 255), ("return_url", 2000)):
        if not isinstance(body[name], str) or len(body[name]) > limit:
            return _error(422, "P0102", f"Invalid attribute value: {name}", name)
    if not _valid_return_url(body["return_url"]):
        return _error(
            422, "P0102", "Invalid attribute value: return_url. Must be a valid URL format", "return_url"
        )
    language = body.get("language", "en")
    if language not in ("en", "cy"):
        return _error(422, "P0102", 'Invalid attribute value: language. Must be "en" or "cy"', "language")
    email = body.get("email")
    if email is not None and (not isinstance(email, str) or len(email) > 254 or "@" not in email):
        return _error(422, "P0102", "Invalid attribute value: email", "email")
    row = {
        "payment_id": secrets.token_hex(13),
        "token": secrets.token_urlsafe(24),
        "amount": amount,
        "reference": body["reference"],
        "description": body["description"],
        "return_url": body["return_url"],
        "email": email,
        "language": language,
        "status": "created",
        "created_at": _now().isoformat(timespec="milliseconds"),
    }
    with _store().connect() as connection:
        connection.execute(
            f"INSERT INTO payments ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",  # noqa: S608 - fixed column names
            tuple(row.values()),
        )
        stored = connection.execute(
            "SELECT * FROM payments WHERE payment_id = ?", (row["payment_id"],)
        ).fetchone()
        payment = _representation(connection, stored)
    response = jsonify(payment)
    response.status_code = 201
    response.headers["Location"] = payment["_links"]["self"]["href"]
    return response


def _find(connection, payment_id: str):
    row = connection.execute("SELECT * FROM payments WHERE payment_id = ?", (payment_id,)).fetchone()
    return _expire(connection, row) if row is not None else None


@api.get("/payments/<payment_id>")
def get_payment(payment_id: str):
    with _store().connect() as connection:
        row = _find(connection, payment_id)
        if row is None:
            return _error(404, "P0200", "Not found")
        return jsonify(_representation(connection, row))


@api.get("/payments")
def search_payments():
    reference = request.args.get("reference")
    with _store().connect() as connection:
        if reference:
            rows = connection.execute(
                "SELECT * FROM payments WHERE reference = ? ORDER BY created_at DESC", (reference,)
            ).fetchall()
        else:
            rows = connection.execute("SELECT * FROM payments ORDER BY created_at DESC LIMIT 500").fetchall()
        results = [_representation(connection, _expire(connection, row)) for row in rows]
    self_url = url_for("pay_api.search_payments", _external=True, **request.args)
    return jsonify(
        total=len(results),
        count=len(results),
        page=1,
        results=results,
        _links={
            "self": {"href": self_url},
            "first_page": {"href": self_url},
            "last_page": {"href": self_url},
        },
    )


@api.post("/payments/<payment_id>/cancel")
def cancel_payment(payment_id: str):
    with _store().connect() as connection:
        row = _find(connection, payment_id)
        if row is None:
            return _error(404, "P0500", "Not found")
        if row["status"] not in ("created", "started", "submitted", "capturable"):
            return _error(400, "P0501", "Cancellation of payment failed")
        connection.execute(
            "UPDATE payments SET status = 'cancelled', code = 'P0040' WHERE payment_id = ?", (payment_id,)
        )
    return "", 204


@api.post("/payments/<payment_id>/refunds")
def create_refund(payment_id: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("amount"), int) or body["amount"] < 1:
        return _error(
            422, "P0602", "Invalid attribute value: amount. Must be greater than or equal to 1", "amount"
        )
    with _store().connect() as connection:
        row = _find(connection, payment_id)
        if row is None:
            return _error(404, "P0700", "Not found")
        available = _representation(connection, row)["refund_summary"]["amount_available"]
        if row["status"] != "success" or available == 0:
            return _error(400, "P0603", "The payment is not available for refund")
        stated = body.get("refund_amount_available")
        if stated is not None and stated != available:
            return _error(412, "P0604", "Refund amount available mismatch")
        if body["amount"] > available:
            return _error(400, "P0603", "The refund amount is more than the amount available")
        refund = {
            "refund_id": secrets.token_hex(13),
            "payment_id": payment_id,
            "amount": body["amount"],
            "status": "success",
            "created_at": _now().isoformat(timespec="milliseconds"),
        }
        connection.execute(
            "INSERT INTO refunds (refund_id, payment_id, amount, status, created_at) VALUES (?, ?, ?, ?, ?)",
            tuple(refund.values()),
        )
    response = jsonify(
        refund_id=refund["refund_id"],
        created_date=refund["created_at"].replace("+00:00", "Z"),
        amount=refund["amount"],
        status="submitted",
        settlement_summary={},
        _links={"self": {"href": f"{request.base_url}/{refund['refund_id']}", "method": "GET"}},
    )
    response.status_code = 202
    return response


@api.get("/payments/<payment_id>/refunds")
def list_refunds(payment_id: str):
    with _store().connect() as connection:
        if _find(connection, payment_id) is None:
            return _error(404, "P0800", "Not found")
        rows = connection.execute("SELECT * FROM refunds WHERE payment_id = ?", (payment_id,)).fetchall()
    return jsonify(
        payment_id=payment_id,
        _embedded={
            "refunds": [
                {
                    "refund_id": row["refund_id"],
                    "amount": row["amount"],
                    "status": row["status"],
                    "created_date": row["created_at"].replace("+00:00", "Z"),
                }
                for row in rows
            ]
        },
    )


# --- the hosted card pages ----------------------------------------------------------------------------------


def luhn(number: str) -> bool:
    digits = [int(digit) for digit in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * digit, 10)) for digit in digits[1::2])
    return total % 10 == 0


@card_pages.get("/secure/<token>")
def secure(token: str):
    """Pay's next_url: used once, it opens the card page in this browser."""
    with _store().connect() as connection:
        row = connection.execute("SELECT * FROM payments WHERE token = ?", (token,)).fetchone()
        if row is None or row["token_used"]:
            return render_template("pay/problem.html", title="This payment link has already been used"), 400
        connection.execute("UPDATE payments SET token_used = 1 WHERE payment_id = ?", (row["payment_id"],))
    session.setdefault("payments", [])
    session["payments"] = [*session["payments"], row["payment_id"]][-20:]
    return redirect(url_for("pay_card.card_details", payment_id=row["payment_id"]))


@card_pages.post("/secure")
def secure_post():
    return secure(request.form.get("chargeTokenId", ""))


def _own_payment(connection, payment_id: str):
    if payment_id not in session.get("payments", []):
        return None
    return _find(connection, payment_id)


@card_pages.route("/card_details/<payment_id>", methods=["GET", "POST"])
def card_details(payment_id: str):
    with _store().connect() as connection:
        row = _own_payment(connection, payment_id)
        if row is None:
            return render_template("pay/problem.html", title="Your payment session has expired"), 400
        if row["status"] not in ("created", "started"):
            return _finished(row)
        if row["status"] == "created":
            connection.execute("UPDATE payments SET status = 'started' WHERE payment_id = ?", (payment_id,))
    values = {
        name: request.form.get(name, "").strip()
        for name in ("card_number", "expiry_month", "expiry_year", "name", "cvc")
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = _card_errors(values)
        if not errors:
            number = re.sub(r"[\s-]", "", values["card_number"])
            status, code = ("failed", "P0010") if number in DECLINED else ("success", None)
            with _store().connect() as connection:
                connection.execute(
                    "UPDATE payments SET status = ?, code = ?, last_digits = ? WHERE payment_id = ?",
                    (status, code, number[-4:], payment_id),
                )
                row = connection.execute(
                    "SELECT * FROM payments WHERE payment_id = ?", (payment_id,)
                ).fetchone()
            if status == "failed":
                return render_template("pay/declined.html", payment=row, reason=DECLINED[number]), 200
            return redirect(row["return_url"], 303)
    return render_template("pay/card.html", payment=row, values=values, errors=errors), 400 if errors else 200


def _card_errors(values: dict) -> dict[str, str]:
    errors = {}
    number = re.sub(r"[\s-]", "", values["card_number"])
    if not number:
        errors["card_number"] = "Enter your card number"
    elif not number.isdigit() or not 12 <= len(number) <= 19 or not luhn(number):
        errors["card_number"] = "Enter a valid card number"
    month, year = values["expiry_month"], values["expiry_year"]
    if not month or not year:
        errors["expiry_month"] = "Enter the expiry date"
    else:
        try:
            expiry = date(2000 + int(year) if len(year) == 2 else int(year), int(month), 1)
        except ValueError:
            errors["expiry_month"] = "Enter a valid expiry date"
        else:
            today = date.today()
            if (expiry.year, expiry.month) < (today.year, today.month):
                errors["expiry_month"] = "Enter a valid expiry date"
    if not values["name"]:
        errors["name"] = "Enter the name as it appears on the card"
    if not re.fullmatch(r"[0-9]{3,4}", values["cvc"]):
        errors["cvc"] = "Enter a valid card security code"
    return errors


def _finished(row):
    if row["status"] == "success":
        return redirect(row["return_url"], 303)
    return render_template("pay/problem.html", title="This payment has finished", payment=row), 200


@card_pages.post("/card_details/<payment_id>/cancel")
def cancel(payment_id: str):
    with _store().connect() as connection:
        row = _own_payment(connection, payment_id)
        if row is None:
            return render_template("pay/problem.html", title="Your payment session has expired"), 400
        if row["status"] in ("created", "started"):
            connection.execute(
                "UPDATE payments SET status = 'cancelled', code = 'P0030' WHERE payment_id = ?", (payment_id,)
            )
    return redirect(row["return_url"], 303)
