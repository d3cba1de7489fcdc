"""The legacy password check the identity provider calls at a migrated resident's first sign-in, as Azure AD
B2C's just-in-time migration calls a REST technical profile: `POST /migration/legacy-password-check` with
`{"objectId": "<subject>", "password": "..."}`, authenticated with HTTP Basic as the provider.

- 200 `{"tokenSuccess": true, "migrationRequired": false}`: the password matched; the legacy hash is deleted
  and the provider stores the password as the user's own and clears the "requires migration" mark;
- 409 with a `userMessage` (B2C shows it on its sign-in page): no match, or no legacy hash for that account;
- 429 with Retry-After: that account has been checked too often (PORTAL_LEGACY_CHECK_LIMIT);
- 401: not the provider.

The credential is compared in constant time, the hash check is constant-time in its comparison, and every
check is written to the audit log without the password.
"""

from __future__ import annotations

import hmac
import math
from datetime import UTC, datetime

from flask import Blueprint, current_app, request
from flask_babel import gettext as _

from app import rate_limits
from app.auth.audit import record_security_event
from app.extensions import csrf, db, limiter
from app.migration.accounts import check_legacy_password

bp = Blueprint("migration", __name__)
MAX_PASSWORD_LENGTH = 256
HEADERS = {"Cache-Control": "no-store"}


def _is_the_provider() -> bool:
    expected_id = current_app.config.get("LEGACY_CHECK_CLIENT_ID") or ""
    expected_secret = current_app.config.get("LEGACY_CHECK_SECRET") or ""
    given = request.authorization
    if not expected_secret or given is None or given.type != "basic":
        return False
    id_matches = hmac.compare_digest((given.username or "").encode(), expected_id.encode())
    secret_matches = hmac.compare_digest((given.password or "").encode(), expected_secret.encode())
    return id_matches and secret_matches


def _conflict(message: str):
    return {"version": "1.0.0", "status": 409, "userMessage": message}, 409, HEADERS


@bp.post("/migration/legacy-password-check")
@csrf.exempt
@limiter.exempt
def legacy_password_check():
    if not _is_the_provider():
        record_security_event("migration.legacy_check_refused", reason="not_the_provider")
        return {"error": "unauthorised"}, 401, {**HEADERS, "WWW-Authenticate": 'Basic realm="legacy-check"'}
    body = request.get_json(silent=True)
    subject = body.get("objectId") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if (
        not isinstance(subject, str)
        or not isinstance(password, str)
        or not subject
        or len(subject) > 255
        or len(password) > MAX_PASSWORD_LENGTH
    ):
        return {"error": "invalid_request"}, 400, HEADERS
    until = rate_limits.take("LEGACY_CHECK_LIMIT", "legacy-check", subject)
    if until is not None:
        record_security_event("migration.legacy_check_limited", actor=f"subject:{subject}")
        wait = max(math.ceil((until - datetime.now(UTC)).total_seconds()), 1)
        return (
            {"version": "1.0.0", "status": 429, "userMessage": _("Too many attempts. Try again later.")},
            429,
            {**HEADERS, "Retry-After": str(wait)},
        )
    result = check_legacy_password(subject, password)
    db.session.commit()
    record_security_event(
        "migration.legacy_check",
        actor=f"subject:{subject}",
        outcome="matched" if result.valid else ("no_legacy_hash" if result.record is None else "no_match"),
        district_council=result.record.council_slug if result.record else None,
    )
    if not result.valid:
        return _conflict(_("The email address or password is not right."))
    return {"tokenSuccess": True, "migrationRequired": False}, 200, HEADERS
