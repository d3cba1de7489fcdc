import pytest
from flask import template_rendered

from app import create_app
from app.config import PROJECT_ROOT
from app.themes import ThemeRegistry
from tests.browser import test_accessibility
from tests.conftest import ClientRequest
from tests.support.production import PRODUCTION_SETTINGS

pytestmark = pytest.mark.database_independent

THEME_SLUGS = [
    theme.slug for theme in ThemeRegistry(PROJECT_ROOT / "themes", serve_localhost_subdomains=True)
]
COUNCIL_PAGES = {
    "/": "Your council services",
    "/accessibility-statement": "Accessibility statement",
    "/cookies": "Cookies",
    "/privacy": "Privacy notice",
}


@pytest.mark.parametrize("slug", THEME_SLUGS)
@pytest.mark.parametrize(("path", "page_name"), COUNCIL_PAGES.items())
def test_every_page_in_every_council_theme(client_request, app, slug, path, page_name):
    theme = app.extensions["themes"].get(slug)
    page = client_request.get(path, host=f"{slug}.localhost")
    assert page.title.string == f"{page_name} – {theme.name}"
    assert page.select_one("link[rel=stylesheet]")["href"].startswith(f"/static/dist/{slug}.css?v=")
    assert page.select_one(".portal-header__wordmark")["alt"] == f"{theme.name}: My Account home"
    assert theme.contact.phone in page.select_one("footer").text


@pytest.mark.parametrize(("path", "status", "template"), test_accessibility.COUNCIL_PAGES.values())
def test_each_browser_checked_page_renders_the_template_its_themes_are_chosen_by(
    client_request, app, path, status, template
):
    """The browser checks a page in the themes that replace a template building it (tests/support/themes.py),
    found from the template it names: the one it renders."""
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    with template_rendered.connected_to(record, app):
        client_request.get(path, host="norwich.localhost", expected_status=status)
    assert rendered[0] == template


def test_accessibility_statement_uses_the_themes_facts(client_request):
    page = client_request.get("/accessibility-statement", host="great-yarmouth.localhost")
    text = page.select_one("main").text
    assert "partially compliant" in text
    assert "1 November 2026" in text
    assert "customer.services@great-yarmouth.gov.uk" in text


def test_the_portal_host_lists_every_council(client_request):
    page = client_request.get("/", host="localhost:5000")
    links = [link["href"] for link in page.select(".portal-council-list a")]
    assert len(links) == 8
    assert "http://south-norfolk.localhost:5000/" in links
    assert page.title.string == "Choose your council – My Norfolk"


def test_council_pages_are_not_served_on_the_portal_host(client_request):
    client_request.get("/cookies", host="localhost", expected_status=404)


@pytest.mark.parametrize("host", ["evil.example", "norfolk.gov.uk", "norfolk.localhost.example"])
def test_an_unknown_host_gets_an_accessible_404_and_no_council(client_request, host):
    page = client_request.get("/", host=host, expected_status=404)
    assert page.h1.text == "This address is not set up"
    assert host in page.select_one("main").text
    for theme_name in ("Norwich", "Norfolk County", "Breckland"):
        assert theme_name not in page.text
    assert "/static/dist/portal.css" in page.select_one("link[rel=stylesheet]")["href"]


def test_page_not_found_in_the_council_theme(client_request):
    page = client_request.get("/no-such-page", host="breckland.localhost", expected_status=404)
    assert page.title.string == "Page not found – Breckland Council"


def test_server_error_in_the_council_theme(tmp_path):
    app = create_app("test", INSTANCE_DIR=tmp_path, PROPAGATE_EXCEPTIONS=False)

    @app.get("/_test_explode")
    def explode():
        raise RuntimeError("boom")

    page = ClientRequest(app.test_client()).get(
        "/_test_explode", host="norfolk.localhost", expected_status=500
    )
    assert page.title.string == "Sorry, there is a problem with the service – Norfolk County Council"
    assert "boom" not in page.text


def test_security_headers(client):
    response = client.get("/", headers={"Host": "norwich.localhost"})
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_over_https(client):
    response = client.get("/", headers={"Host": "norwich.localhost"}, base_url="https://norwich.localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    with pytest.raises(RuntimeError, match="PORTAL_SECRET_KEY"):
        create_app("production", **{**PRODUCTION_SETTINGS, "SECRET_KEY": None})


def test_production_cookies_are_secure():
    app = create_app("production", **PRODUCTION_SETTINGS)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_serves_no_localhost_subdomains():
    client = create_app("production", **PRODUCTION_SETTINGS).test_client()
    assert client.get("/", headers={"Host": "norwich.localhost"}).status_code == 404
    assert client.get("/", headers={"Host": "my.norwich.gov.uk"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "cookie", "accept_language", "expected"),
    [
        ("?lang=en", None, "fr", "en"),
        ("", "en", "de", "en"),
        ("", None, "en-GB,en;q=0.9", "en"),
        ("?lang=xx", None, None, "en"),
    ],
)
def test_locale_choice(client, query, cookie, accept_language, expected):
    if cookie:
        client.set_cookie("portal_locale", cookie, domain="norwich.localhost")
    headers = {"Host": "norwich.localhost"}
    if accept_language:
        headers["Accept-Language"] = accept_language
    response = client.get(f"/{query}", headers=headers)
    assert f'<html lang="{expected}"' in response.get_data(as_text=True)


def test_lang_parameter_is_remembered_in_a_cookie(client):
    response = client.get("/?lang=en", headers={"Host": "norwich.localhost"})
    assert "portal_locale=en" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]


def test_static_assets_are_cacheable_and_versioned(client):
    page = client.get("/", headers={"Host": "norwich.localhost"}).get_data(as_text=True)
    assert "/static/dist/norwich.css?v=" in page
    with client.get("/static/dist/norwich.css?v=abc", headers={"Host": "norwich.localhost"}) as response:
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert "GDS Transport" not in response.get_data(as_text=True)


def test_assets_without_a_content_hash_are_revalidated(client):
    with client.get("/static/dist/govuk-frontend.min.js", headers={"Host": "norwich.localhost"}) as response:
        assert response.status_code == 200
        assert "max-age=31536000" not in response.headers.get("Cache-Control", "")
        assert response.headers.get("ETag") or response.headers.get("Last-Modified")


def test_behind_a_proxy_the_forwarded_host_and_scheme_count(tmp_path):
    client = create_app("test", INSTANCE_DIR=tmp_path, PROXY_HOPS=1).test_client()
    response = client.get(
        "/",
        headers={"Host": "10.0.0.5", "X-Forwarded-Host": "my.norwich.gov.uk", "X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 200
    assert "Norwich City Council" in response.get_data(as_text=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_without_proxy_hops_forwarded_headers_are_ignored(client):
    response = client.get("/", headers={"Host": "unknown.example", "X-Forwarded-Host": "norwich.localhost"})
    assert response.status_code == 404


def test_a_form_without_a_valid_csrf_token_gets_a_themed_page_and_changes_nothing(client_request, client):
    response = client.post(
        "/account/delete", data={"csrf_token": "forged"}, headers={"Host": "breckland.localhost"}
    )
    assert response.status_code == 400
    page = ClientRequest.check_page(response)
    assert page.title.string == "Sorry, we could not accept that form – Breckland Council"
    assert "Nothing was changed" in page.select_one("main").text
