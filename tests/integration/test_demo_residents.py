"""`flask --app sandbox:create_sandbox_app demo-residents`: the demo residents whose stories say they chose a
home address have it when they first sign in through the sandbox identity provider; David, new to North
Norfolk, is asked for his."""

import pytest
from click import ClickException
from sqlalchemy import select

from app.extensions import db
from app.models.identity import Resident
from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.portal_accounts import give_portal_accounts
from tests.integration.auth.conftest import Visitor

PRIYA, TOM, MARGARET, DAVID = DEMO_RESIDENTS


def test_demo_residents_have_the_home_their_story_gives_them(
    app,
    client,
    with_sandbox_idp,  # noqa: F811
    back_offices,  # noqa: F811
):
    said = give_portal_accounts(app)
    assert "  Tom Blake: lives at UPRN 100090912345" in said
    assert "  David Okafor: no home address yet" in said
    assert give_portal_accounts(app) == [
        f"  {demo.name}: already has a portal account" for demo in DEMO_RESIDENTS
    ]
    with app.app_context():
        assert len(db.session.scalars(select(Resident)).all()) == len(DEMO_RESIDENTS)  # Tom's own account

    tom = Visitor(client, host="norwich.localhost")
    assert tom.sign_in_at_sandbox(TOM).status_code == 302
    response = client.get("/dashboard", headers={"Host": "norwich.localhost"})
    assert response.status_code == 200, response.location
    with app.app_context():
        assert len(db.session.scalars(select(Resident)).all()) == len(DEMO_RESIDENTS)  # Tom's own account

    david = Visitor(app.test_client(), host="north-norfolk.localhost")
    assert david.sign_in_at_sandbox(DAVID).status_code == 302
    response = david.client.get("/dashboard", headers={"Host": "north-norfolk.localhost"})
    assert response.location == "/dashboard/home-address"


def test_there_are_no_demo_residents_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENVIRONMENT", "production")
    with pytest.raises(ClickException, match="development only"):
        give_portal_accounts(app)
