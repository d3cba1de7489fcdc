"""Two app servers sharing one database and one Redis, as docs/deploying.md describes: a resident signed in
through one is signed in on the other, signing out everywhere on one ends the session on both, and a change
made through one is seen at once in a dashboard the other kept."""

import os

import pytest
from bs4 import BeautifulSoup

from app import create_app, gazetteer_import
from app.auth.provider import forget_providers
from app.backoffice import use_registry
from app.dashboard import page_cache
from app.extensions import db
from app.models.identity import Resident
from app.sessions import RedisSessionStore
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.auth.conftest import Visitor, sandbox_idp  # noqa: F401 - fixture
from tests.integration.conftest import GAZETTEER

HOST = "norwich.localhost"


@pytest.fixture
def app_servers(app, sandbox_idp, tmp_path):  # noqa: F811 - the imported fixture
    redis_url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("PORTAL_TEST_REDIS_URL is not set")
    servers = [
        create_app(
            "test",
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            INSTANCE_DIR=tmp_path / name,
            REDIS_URL=redis_url,
            OIDC_DISCOVERY_URL=f"{sandbox_idp.url}/idp/.well-known/openid-configuration",
        )
        for name in ("first", "second")
    ]
    forget_providers()
    yield servers
    forget_providers()


def test_a_session_started_on_one_app_server_works_on_another_until_signed_out_everywhere(app_servers):
    assert all(isinstance(server.session_interface.store, RedisSessionStore) for server in app_servers)
    first, second = (server.test_client() for server in app_servers)
    assert Visitor(first, host=HOST).sign_in_at_sandbox(DEMO_RESIDENTS[0]).status_code == 302
    session_cookie = first.get_cookie("portal_session", domain=HOST)
    second.set_cookie("portal_session", session_cookie.value, domain=HOST)

    account = second.get("/account", headers={"Host": HOST})
    assert account.status_code == 200, account.location
    form = BeautifulSoup(account.get_data(as_text=True), "html.parser").select_one(
        "form[action='/account/sign-out-everywhere']"
    )
    token = form.select_one("input[name=csrf_token]")["value"]
    ended = second.post("/account/sign-out-everywhere", data={"csrf_token": token}, headers={"Host": HOST})
    assert ended.status_code == 302

    gone = first.get("/account", headers={"Host": HOST})
    assert gone.status_code == 302 and gone.location.startswith("/sign-in")


def test_a_change_made_through_one_app_server_ends_the_dashboard_another_kept(
    app, app_servers, connector_registry
):
    with app.app_context():
        gazetteer_import.import_file(GAZETTEER)
    for server in app_servers:
        use_registry(server, connector_registry)
    try:
        first, second = (server.test_client() for server in app_servers)
        priya = DEMO_RESIDENTS[0]
        assert Visitor(first, host=HOST).sign_in_at_sandbox(priya).status_code == 302
        second.set_cookie(
            "portal_session", first.get_cookie("portal_session", domain=HOST).value, domain=HOST
        )
        with app.app_context():
            resident = db.session.query(Resident).filter_by(subject=priya.subject).one()
            resident.home_uprn = priya.uprn
            db.session.commit()
            resident_id = resident.id
        for _ in range(2):  # the first fills the connectors' memos; the second is kept
            assert second.get("/dashboard", headers={"Host": HOST}).status_code == 200
        assert len(app_servers[1].extensions[page_cache.EXTENSION_KEY]) == 1

        with app_servers[0].app_context():
            db.session.get(Resident, resident_id).name = "Priya Changed-Elsewhere"
            db.session.commit()

        page = second.get("/dashboard", headers={"Host": HOST}).get_data(as_text=True)
        assert "Priya Changed-Elsewhere" in page
    finally:
        for server in app_servers:
            use_registry(server, None)
