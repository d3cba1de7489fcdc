"""Issue 11, item 9: `__Host-` cookies wherever cookies are Secure, HSTS whenever the portal is served over
HTTPS (directly, through its proxies, or as production), and Sec-Fetch-Site as a second defence against
cross-site form posts."""

from http.cookies import SimpleCookie

import pytest

from app import create_app
from tests.integration.auth.servers import CLIENT_ID
from tests.support.production import PRODUCTION_SETTINGS

pytestmark = pytest.mark.database_independent

PRODUCTION_HOST = "my.south-norfolk.gov.uk"


@pytest.fixture
def production(app, scripted, tmp_path):
    """The portal as production runs it, on the tests' database and signing in at the scripted provider."""
    return create_app(
        "production",
        **PRODUCTION_SETTINGS,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        INSTANCE_DIR=tmp_path,
        OIDC_DISCOVERY_URL=scripted.discovery_url,
        OIDC_ISSUER=scripted.issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        # Production refuses the development secret; the token endpoint is never reached here.
        OIDC_CLIENT_SECRET="production-test-secret",
        OIDC_TIMEOUT_SECONDS=5.0,
    )


def set_cookies(response) -> dict[str, dict]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            cookies[name] = {
                "secure": bool(morsel["secure"]),
                "path": morsel["path"],
                "domain": morsel["domain"],
            }
    return cookies


def test_production_cookies_are_host_prefixed(production):
    client = production.test_client()
    response = client.get(
        "/sign-in",
        headers={"Host": PRODUCTION_HOST, "Sec-Fetch-Site": "same-origin"},
        base_url=f"https://{PRODUCTION_HOST}",
    )
    assert response.status_code == 302
    locale = client.get("/?lang=en", headers={"Host": PRODUCTION_HOST}, base_url=f"https://{PRODUCTION_HOST}")
    cookies = {**set_cookies(response), **set_cookies(locale)}
    assert set(cookies) == {"__Host-portal_session", "__Host-portal_locale"}
    for cookie in cookies.values():
        assert cookie == {"secure": True, "path": "/", "domain": ""}, (
            "__Host- needs Secure, Path=/, no Domain"
        )
    page = client.get("/", headers={"Host": PRODUCTION_HOST}, base_url=f"https://{PRODUCTION_HOST}")
    assert 'data-javascript-cookie="__Host-portal_javascript"' in page.get_data(as_text=True)


def test_development_over_http_keeps_bare_cookie_names(app, client):
    assert app.config["SESSION_COOKIE_NAME"] == "portal_session"
    response = client.get("/?lang=en", headers={"Host": "norwich.localhost"})
    assert set(set_cookies(response)) == {"portal_locale"}


def test_production_sends_hsts_even_when_the_proxy_forgets_the_scheme(production):
    response = production.test_client().get(
        "/", headers={"Host": PRODUCTION_HOST}, base_url=f"http://{PRODUCTION_HOST}"
    )
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_hsts_follows_the_proxys_word_for_https(tmp_path):
    behind_proxy = create_app(
        "test", PROXY_HOPS=1, INSTANCE_DIR=tmp_path, SQLALCHEMY_DATABASE_URI="sqlite://"
    )
    client = behind_proxy.test_client()
    over_https = client.get("/", headers={"Host": "norwich.localhost", "X-Forwarded-Proto": "https"})
    assert over_https.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    over_http = client.get("/", headers={"Host": "norwich.localhost", "X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in over_http.headers


def test_plain_http_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/", headers={"Host": "norwich.localhost"}).headers


def signed_in_post(visitor, path, fetch_site):
    page = visitor.portal("/account")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    headers = {"Host": visitor.host}
    if fetch_site is not None:
        headers["Sec-Fetch-Site"] = fetch_site
    return visitor.client.post(path, data={"csrf_token": token}, headers=headers)


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site", "CROSS-SITE"])
def test_a_cross_site_form_post_is_refused_with_a_clear_page(app, visitor, scripted, fetch_site):
    assert visitor.sign_in_at_scripted().location == "/dashboard"
    response = signed_in_post(visitor, "/sign-out", fetch_site)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "we could not accept a form sent from another website" in page
    assert "Nothing was changed" in page
    assert visitor.portal("/account").status_code == 200, "still signed in"


@pytest.mark.parametrize("fetch_site", ["same-origin", "none", None])
def test_same_origin_typed_and_old_browsers_posts_are_left_to_the_csrf_token(
    app, visitor, scripted, fetch_site
):
    assert visitor.sign_in_at_scripted().location == "/dashboard"
    response = signed_in_post(visitor, "/sign-out", fetch_site)
    assert response.status_code == 302
    assert visitor.portal("/account").status_code == 302, "signed out"


def test_a_cross_site_get_is_still_a_link(client):
    response = client.get("/", headers={"Host": "norwich.localhost", "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200


def test_the_providers_back_channel_logout_is_not_a_browser_form(app, scripted):
    response = app.test_client().post(
        "/auth/back-channel-logout",
        data={"logout_token": scripted.logout_token()},
        headers={"Host": "127.0.0.1", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 200
