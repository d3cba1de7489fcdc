"""The sandbox's development identity provider on its own: discovery, keys kept across restarts, PKCE
required, clients registered for every council, and its "development tool" warning."""

from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from sandbox import create_sandbox_app
from tests.integration.auth.servers import CLIENT_ID

CALLBACK = "http://south-norfolk.localhost:5000/auth/callback"


def authorize_url(idp, **overrides):
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": "openid profile email",
        "state": "s",
        "nonce": "n",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return f"{idp.url}/idp/authorize?{urlencode({k: v for k, v in params.items() if v is not None})}"


def test_discovery_names_this_server_as_issuer(sandbox_idp):
    document = requests.get(f"{sandbox_idp.url}/idp/.well-known/openid-configuration", timeout=5).json()
    assert document["issuer"] == f"{sandbox_idp.url}/idp"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["backchannel_logout_supported"] is True
    assert document["end_session_endpoint"] == f"{sandbox_idp.url}/idp/logout"


def test_the_signing_key_is_generated_once_and_kept(tmp_path):
    first = create_sandbox_app(tmp_path).extensions["idp"].public_jwks()
    again = create_sandbox_app(tmp_path).extensions["idp"].public_jwks()
    assert first == again
    assert (tmp_path / "idp" / "signing-key-rs256.json").stat().st_mode & 0o077 == 0


def test_every_council_is_registered_on_any_loopback_port(sandbox_idp):
    for host in ("norfolk.localhost", "west-norfolk.localhost:8123", "great-yarmouth.localhost:5000"):
        page = requests.get(
            authorize_url(sandbox_idp, redirect_uri=f"http://{host}/auth/callback"), timeout=5
        )
        assert page.status_code == 200, host
    assert (
        requests.get(authorize_url(sandbox_idp, redirect_uri="http://evil.example/cb"), timeout=5).status_code
        == 400
    )


def test_pkce_is_required_and_only_s256(sandbox_idp):
    for overrides in (
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain"},
    ):
        answer = requests.get(authorize_url(sandbox_idp, **overrides), allow_redirects=False, timeout=5)
        assert answer.status_code == 302
        assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == ["invalid_request"]


def test_a_wrong_client_secret_is_refused(sandbox_idp):
    answer = requests.post(
        f"{sandbox_idp.url}/idp/token",
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "redirect_uri": CALLBACK,
            "code_verifier": "v" * 43,
        },
        auth=(CLIENT_ID, "wrong"),
        timeout=5,
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_every_page_says_it_is_a_development_tool(sandbox_idp):
    for url in (f"{sandbox_idp.url}/idp/", authorize_url(sandbox_idp), f"{sandbox_idp.url}/idp/logout"):
        assert "Development tool" in requests.get(url, timeout=5).text, url
    page = requests.get(f"{sandbox_idp.url}/idp/", timeout=5).text
    assert "demo-password-priya" in page
