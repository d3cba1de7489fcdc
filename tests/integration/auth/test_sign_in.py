"""Signing in end to end through the sandbox's development provider over real HTTP."""

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from app.extensions import db
from app.models.identity import PortalSession, Resident
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.auth.conftest import Visitor, audit_events

PRIYA = DEMO_RESIDENTS[0]


def test_sign_in_sends_pkce_state_and_nonce_to_this_councils_callback(visitor, with_sandbox_idp):
    query = parse_qs(urlsplit(visitor.start_sign_in()).query)
    assert query["redirect_uri"] == ["http://south-norfolk.localhost/auth/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 40 and len(query["nonce"][0]) >= 40
    assert query["scope"] == ["openid profile email"]
    assert query["response_type"] == ["code"]


def test_each_council_signs_in_through_its_own_callback(client, with_sandbox_idp):
    norfolk = Visitor(client, host="norfolk.localhost")
    query = parse_qs(urlsplit(norfolk.start_sign_in()).query)
    assert query["redirect_uri"] == ["http://norfolk.localhost/auth/callback"]


def test_signing_in_lands_on_the_dashboard_with_name_and_email_from_userinfo(app, visitor, with_sandbox_idp):
    response = visitor.sign_in_at_sandbox(PRIYA)
    assert response.status_code == 302
    assert response.location == "/dashboard"
    dashboard = visitor.portal("/account")
    assert dashboard.status_code == 200
    assert "Priya Shah" in dashboard.get_data(as_text=True)
    with app.app_context():
        resident = db.session.scalar(select(Resident))
        assert resident.subject == PRIYA.subject
        assert resident.issuer == f"{with_sandbox_idp.url}/idp"
        assert resident.name == "Priya Shah"
        assert resident.email == PRIYA.email
    (event,) = audit_events(app, "signed_in")
    assert event.actor == f"resident:{resident.id}"
    assert event.council == "south-norfolk"
    assert event.ip_address == "127.0.0.1"


def test_the_county_and_a_district_reach_the_same_resident(app, client, with_sandbox_idp):
    district = Visitor(client, host="south-norfolk.localhost")
    district.sign_in_at_sandbox(PRIYA)
    county = Visitor(client, host="norfolk.localhost")
    county.provider = district.provider  # the same visitor: the provider remembers the resident
    authorize = county.start_sign_in()
    answer = county.provider.get(authorize, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, "no password asked the second time"
    assert county.callback(answer.headers["Location"]).location == "/dashboard"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Resident)) == 1


def test_signing_in_rotates_the_session_id(app, visitor, with_sandbox_idp):
    visitor.start_sign_in()
    before = visitor.client.get_cookie("portal_session", domain="south-norfolk.localhost").value
    # Finish sign-in with the same client (and so the same cookie jar).
    authorize_session = visitor.provider
    visitor.provider = authorize_session
    page_url = visitor.start_sign_in()
    between = visitor.client.get_cookie("portal_session", domain="south-norfolk.localhost").value
    assert between == before, "starting sign-in again keeps the anonymous session"
    answer = visitor.provider.post(
        page_url,
        data={"email": PRIYA.email, "password": PRIYA.password, "action": "sign-in"},
        allow_redirects=False,
        timeout=5,
    )
    visitor.callback(answer.headers["Location"])
    after = visitor.client.get_cookie("portal_session", domain="south-norfolk.localhost").value
    assert after != before
    with app.app_context():
        stored = list(db.session.scalars(select(PortalSession)))
    assert len(stored) == 1
    assert stored[0].resident_id is not None


def test_sign_out_ends_the_portal_session_and_the_providers(app, visitor, with_sandbox_idp):
    visitor.sign_in_at_sandbox(PRIYA)
    cookie = visitor.client.get_cookie("portal_session", domain="south-norfolk.localhost").value
    page = visitor.portal("/account")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = visitor.client.post(
        "/sign-out", data={"csrf_token": token}, headers={"Host": "south-norfolk.localhost"}
    )
    assert response.status_code == 302
    end_session = urlsplit(response.location)
    assert (
        f"{end_session.scheme}://{end_session.netloc}{end_session.path}"
        == f"{with_sandbox_idp.url}/idp/logout"
    )
    query = parse_qs(end_session.query)
    assert query["post_logout_redirect_uri"] == ["http://south-norfolk.localhost/"]
    assert "id_token_hint" in query
    back = visitor.provider.get(response.location, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    assert back.headers["Location"] == "http://south-norfolk.localhost/"

    # The old cookie is worthless now.
    visitor.client.set_cookie("portal_session", cookie, domain="south-norfolk.localhost")
    assert visitor.portal("/account").status_code == 302
    # And the provider asks for a password again.
    assert visitor.provider.get(visitor.start_sign_in(), allow_redirects=False, timeout=5).status_code == 200
    assert audit_events(app, "signed_out")


def test_start_page_links_to_sign_in(client_request):
    page = client_request.get("/", host="south-norfolk.localhost")
    assert page.select_one("a[href='/sign-in']")


def test_production_without_a_provider_refuses_to_sign_in_clearly(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "OIDC_DISCOVERY_URL", None)
    response = client.get("/sign-in", headers={"Host": "south-norfolk.localhost"})
    assert response.status_code == 503
    assert "Signing in is not available" in response.get_data(as_text=True)


def test_step_up_at_the_sandbox_provider_makes_the_resident_verified(app, visitor, with_sandbox_idp):
    visitor.sign_in_at_sandbox(PRIYA)
    assert "Signed in, not verified" in visitor.portal("/account").get_data(as_text=True)
    authorize = visitor.start_sign_in("/sign-in/verify?next=/account")
    page = visitor.provider.get(authorize, allow_redirects=False, timeout=5)
    assert page.status_code == 200, "a higher level needs the resident to sign in again"
    assert "Pretend I have proved my identity" in page.text
    answer = visitor.provider.post(
        authorize,
        data={"email": PRIYA.email, "password": PRIYA.password, "action": "sign-in", "verified": "yes"},
        allow_redirects=False,
        timeout=5,
    )
    assert visitor.callback(answer.headers["Location"]).location == "/account"
    assert "Signed in, not verified" not in visitor.portal("/account").get_data(as_text=True)


def test_cancelling_at_the_sandbox_provider(app, visitor, with_sandbox_idp):
    answer = visitor.provider.post(
        visitor.start_sign_in(), data={"action": "cancel"}, allow_redirects=False, timeout=5
    )
    response = visitor.callback(answer.headers["Location"])
    assert response.location == "/"
    assert "You did not sign in" in visitor.portal("/").get_data(as_text=True)


def test_forgetting_a_password_at_the_sandbox_provider(app, visitor, with_sandbox_idp):
    answer = visitor.provider.post(
        visitor.start_sign_in(), data={"action": "forgot-password"}, allow_redirects=False, timeout=5
    )
    response = visitor.callback(answer.headers["Location"])
    assert "Reset your password" in response.get_data(as_text=True)


def test_a_wrong_password_at_the_sandbox_provider_is_explained(visitor, with_sandbox_idp):
    answer = visitor.provider.post(
        visitor.start_sign_in(),
        data={"email": PRIYA.email, "password": "wrong", "action": "sign-in"},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 400
    assert "do not match a demo resident" in answer.text
    assert "Development tool" in answer.text


def test_signing_out_after_the_session_timed_out_just_says_so(visitor, with_sandbox_idp):
    response = visitor.client.post(
        "/sign-out", data={"csrf_token": "from-a-session-long-gone"}, headers={"Host": visitor.host}
    )
    assert response.status_code == 302
    assert response.location == "http://south-norfolk.localhost/"
    assert "You have signed out." in visitor.portal("/").get_data(as_text=True)


def test_signing_out_needs_the_form_token(app, visitor, with_sandbox_idp):
    visitor.sign_in_at_sandbox(PRIYA)
    response = visitor.client.post("/sign-out", data={}, headers={"Host": visitor.host})
    assert response.status_code == 400
    assert visitor.portal("/account").status_code == 200, "still signed in"
