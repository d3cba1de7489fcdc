"""GOV.UK Notify's API key and the JSON Web Token made from it, checked with Notify's own client library (the
code Notify's API authenticates with)."""

from __future__ import annotations

import time

import jwt
import pytest
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenDecodeError, TokenExpiredError

from connectors.errors import ConfigurationError
from connectors.govuk_notify import NotifyKey

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"


@pytest.mark.parametrize("name", ["my_test_key", "norwich-bin-reminders", "x"])
def test_a_key_is_its_name_the_service_id_and_the_secret(name):
    key = NotifyKey.parse(f"{name}-{SERVICE_ID}-{SECRET}")
    assert key == NotifyKey(service_id=SERVICE_ID, secret=SECRET)


@pytest.mark.parametrize(
    "api_key",
    [
        "",
        SECRET,
        f"{SERVICE_ID}{SECRET}",
        f"name-{SERVICE_ID}-{SECRET[:-1]}",
        f"name-{SERVICE_ID}_{SECRET}",
        "x" * 80,
    ],
)
def test_anything_else_is_refused_before_a_call_is_made(api_key):
    with pytest.raises(ConfigurationError, match="service id and the secret"):
        NotifyKey.parse(api_key)


def test_the_token_is_hs256_issued_by_the_service_now_and_notify_accepts_it():
    token = NotifyKey(SERVICE_ID, SECRET).token()
    assert jwt.get_unverified_header(token) == {"typ": "JWT", "alg": "HS256"}
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert set(claims) == {"iss", "iat"}
    assert claims["iss"] == SERVICE_ID and abs(claims["iat"] - time.time()) <= 1
    assert get_token_issuer(token) == SERVICE_ID
    assert decode_jwt_token(token, SECRET) is True


def test_notify_refuses_a_token_signed_with_another_secret_or_issued_too_long_ago():
    key = NotifyKey(SERVICE_ID, SECRET)
    with pytest.raises(TokenDecodeError):
        decode_jwt_token(key.token(), "9e2f1c7a-4b3d-4a8e-b6f5-0c1d2e3f4a5b")
    with pytest.raises(TokenExpiredError):
        decode_jwt_token(key.token(now=time.time() - 61), SECRET)
    assert decode_jwt_token(key.token(now=time.time() - 20), SECRET) is True


def test_production_refuses_the_sandbox_notify_key():
    from app.config import DEVELOPMENT_NOTIFY_KEY, production_problems

    problems = production_problems(
        {"SECRET_KEY": "x" * 32},
        environ={
            "PORTAL_NOTIFY_SMS_KEY_NORWICH": DEVELOPMENT_NOTIFY_KEY,
            "PORTAL_NOTIFY_SMS_KEY_SOUTH_NORFOLK": f"live-{SERVICE_ID}-{SECRET}",
        },
    )

    assert "PORTAL_NOTIFY_SMS_KEY_NORWICH is the sandbox GOV.UK Notify's key" in problems
    assert not any("SOUTH_NORFOLK" in problem for problem in problems)


def test_a_council_texting_reminders_needs_a_template_for_the_security_code_too():
    from types import SimpleNamespace

    from connectors.govuk_notify import build
    from connectors.models import ServiceKind

    settings = SimpleNamespace(
        council="norwich",
        kind=ServiceKind.TEXT_MESSAGES,
        credentials={"api_key": f"key-{SERVICE_ID}-{SECRET}"},
        options={"template_id": "f3a1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"},
    )
    with pytest.raises(ConfigurationError, match="norwich text_messages: confirmation_template_id"):
        build(settings, registry=None)
