"""Every page that needs signing in offers signing out in its header (ASVS 5.0 7.4.4): the pages are found
from the URL map (every GET route without arguments that sends an anonymous visitor to sign in), so a new
signed-in page is covered without being listed here."""

import pytest

from app.backoffice import use_registry
from app.extensions import db
from app.models.identity import Resident


@pytest.fixture
def back_offices(app, connector_registry):
    """The signed-in pages ask the sandbox's back offices, as under make run."""
    previous = app.extensions.get("connectors")
    use_registry(app, connector_registry)
    yield
    use_registry(app, previous)


def signed_in_only_paths(app, client) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint.startswith(("static", "staff")):
            continue
        response = client.get(rule.rule, headers={"Host": "norwich.localhost"})
        if response.status_code == 302 and response.location.startswith("/sign-in"):
            paths.append(rule.rule)
        response.close()
    return paths


def test_every_signed_in_page_has_sign_out_in_its_header(app, client, client_request, back_offices):
    paths = signed_in_only_paths(app, client)
    assert {"/dashboard", "/account", "/requests/"} & set(paths), paths
    with app.app_context():
        resident = Resident(
            issuer="https://idp.test", subject="s-7", name="Ada Lovelace", email="ada@example.com"
        )
        db.session.add(resident)
        db.session.commit()
        resident_id = resident.id
    client_request.sign_in(resident_id)
    for path in paths:
        response = client_request.client.get(
            path, headers={"Host": "norwich.localhost"}, follow_redirects=True
        )
        if response.mimetype != "text/html":
            response.close()
            continue  # a calendar file or a download: no page to sign out from
        page = client_request.check_page(response)
        header_forms = page.select("header form[action='/sign-out']")
        assert header_forms, f"{path} ({response.request.path}) has no sign-out form in its header"
        assert header_forms[0].select_one("input[name=csrf_token]")
        assert "Sign out" in header_forms[0].get_text()
