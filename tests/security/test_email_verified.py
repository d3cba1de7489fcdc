"""Issue 11, item 1: an email address is taken from the provider only when it says the address is verified
(email_verified is JSON true), or when the deployment trusts that provider's addresses by setting. An email
claimed without proof would hand a resident another person's CRM cases and guest reports."""

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models.identity import Resident


def signed_in_email(app, visitor, scripted, **userinfo):
    scripted.behaviour.userinfo = userinfo
    response = visitor.sign_in_at_scripted()
    assert response.status_code == 302
    assert response.location == "/dashboard"
    with app.app_context():
        return db.session.scalars(select(Resident.email)).one()


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param({"email_verified": None}, id="missing"),
        pytest.param({"email_verified": False}, id="false"),
        pytest.param({"email_verified": "false"}, id="string-false"),
        pytest.param({"email_verified": 0}, id="zero"),
        pytest.param({"email_verified": 1}, id="one"),
        pytest.param({"email_verified": "true"}, id="string-true"),
        pytest.param({"email_verified": {}}, id="object"),
    ],
)
def test_an_email_without_proof_is_not_taken(app, visitor, scripted, claim):
    assert signed_in_email(app, visitor, scripted, **claim) is None


def test_a_verified_email_is_taken(app, visitor, scripted):
    assert signed_in_email(app, visitor, scripted, email_verified=True) == "sam.scripted@example.com"


def test_a_provider_trusted_by_setting_needs_no_claim(app, visitor, scripted, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_EMAIL_VERIFIED", "always")
    assert signed_in_email(app, visitor, scripted, email_verified=None) == "sam.scripted@example.com"


def test_an_unknown_setting_stops_the_portal_starting(tmp_path):
    with pytest.raises(RuntimeError, match="PORTAL_OIDC_EMAIL_VERIFIED"):
        create_app("test", OIDC_EMAIL_VERIFIED="yes", INSTANCE_DIR=tmp_path)
