"""Staff sign-in: the staff client of the workforce provider, roles from the ID token, staff pages only on the
staff hosts with their own session cookie, the idle timeout, multi-factor and re-authentication."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import update

from app.extensions import db
from app.models.identity import PortalSession
from app.staff.identity import grants_from_claim
from tests.integration.staff.conftest import (
    BRECKLAND_AGENT,
    NORWICH_AGENT,
    STAFF_HOST,
    SUPERVISOR,
    TOM,
    Staff,
    audit_entries,
)

COUNCILS = ["norfolk", "norwich", "breckland"]


def test_roles_come_from_council_and_role_pairs_with_least_privilege():
    assert grants_from_claim(["norwich:agent"], COUNCILS) == {"norwich": "agent"}
    assert grants_from_claim(["*:supervisor", "norwich:agent"], COUNCILS) == dict.fromkeys(
        COUNCILS, "supervisor"
    )
    assert grants_from_claim(["*:agent", "breckland:supervisor"], COUNCILS) == {
        "norfolk": "agent",
        "norwich": "agent",
        "breckland": "supervisor",
    }
    # Unknown councils, unknown roles and rubbish give nothing.
    assert grants_from_claim(["nowhere:agent", "norwich:admin", "norwich", 42, ""], COUNCILS) == {}
    assert grants_from_claim("norwich:agent breckland:agent", COUNCILS) == {
        "norwich": "agent",
        "breckland": "agent",
    }
    assert grants_from_claim(None, COUNCILS) == {}


def test_an_agent_signs_in_on_the_staff_host_working_for_their_council(app, staff):
    browser = staff(NORWICH_AGENT)
    page = browser.page("/staff")
    assert page.h1.get_text(strip=True) == "Find a resident" or page.select_one("label.govuk-label--l")
    assert "working for Norwich City Council (agent)" in page.get_text(" ", strip=True)
    # Agents do not get supervisors' links.
    assert not page.select_one("a[href='/staff/audit']")
    signed_in = audit_entries(app, "signed_in")[-1]
    assert signed_in.staff_email == NORWICH_AGENT.email
    assert signed_in.council_slug == "norwich" and signed_in.role == "agent"
    assert signed_in.detail["roles"] == {"norwich": "agent"}


def test_a_supervisor_of_every_council_chooses_which_to_work_for(app, staff):
    browser = staff(SUPERVISOR)
    response = browser.get("/staff")
    assert response.status_code == 302 and response.location.startswith("/staff/working-for")
    page = browser.page("/staff/working-for")
    assert len(page.select("input[name=council]")) == 8
    browser.submit("/staff/working-for", {"council": "norwich"})
    page = browser.page("/staff")
    assert "working for Norwich City Council (supervisor)" in page.get_text(" ", strip=True)
    assert page.select_one("a[href='/staff/audit']")


def test_staff_pages_are_never_on_a_council_domain_and_resident_pages_never_on_the_staff_host(
    app, portal, staff
):
    client = app.test_client()
    for path in ("/staff", "/staff/sign-in", "/staff/search?q=Blake", "/staff/audit", "/staff/report"):
        assert client.get(path, headers={"Host": "norwich.localhost"}).status_code == 404
        assert client.post(path, headers={"Host": "norwich.localhost"}).status_code in (404, 405)
    for path in ("/dashboard", "/report", "/requests", "/account", "/sign-in", "/accessibility"):
        assert client.get(path, headers={"Host": STAFF_HOST}).status_code == 404
    front = client.get("/", headers={"Host": STAFF_HOST})
    assert front.status_code == 302 and front.location.endswith("/staff")


def test_staff_have_their_own_session_cookie_which_a_council_domain_never_sees(app, portal, staff):
    browser = staff(NORWICH_AGENT)
    cookies = {cookie.key: cookie for cookie in browser.client._cookies.values()}
    assert "portal_staff_session" in cookies
    assert cookies["portal_staff_session"].domain in (STAFF_HOST, "")
    assert "portal_session" not in cookies
    # The resident side of the same browser is signed out.
    response = browser.client.get("/dashboard", headers={"Host": "norwich.localhost"})
    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_a_staff_session_ends_after_fifteen_idle_minutes(app, staff):
    browser = staff(NORWICH_AGENT)
    assert browser.get("/staff").status_code == 200
    with app.app_context():
        sixteen_minutes_ago = datetime.now(UTC) - timedelta(minutes=16)
        db.session.execute(update(PortalSession).values(last_active_at=sixteen_minutes_ago))
        db.session.commit()
    assert browser.get("/staff").status_code == 200
    page = browser.page("/staff")
    assert "Council staff sign-in" in page.h1.get_text()


def test_residents_cannot_sign_in_to_the_staff_client_nor_staff_to_the_residents(app, portal, staff_sandbox):
    browser = Staff(app.test_client())
    authorize = browser.get("/staff/sign-in").location
    answer = browser.provider.post(
        authorize, data={"email": TOM.email, "password": TOM.password, "action": "sign-in"}, timeout=5
    )
    assert answer.status_code == 400 and "demo staff account" in answer.text


def test_an_account_without_a_portal_role_is_refused_and_that_is_audited(app, portal, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_OIDC_ROLES_CLAIM", "groups")
    browser = Staff(app.test_client())
    response = browser.sign_in(NORWICH_AGENT)
    assert response.status_code == 403
    assert "no role in My Norfolk" in response.get_data(as_text=True)
    failed = audit_entries(app, "sign_in_failed")[-1]
    assert failed.detail == {"reason": "no_portal_role"} and failed.staff_subject == NORWICH_AGENT.subject
    assert browser.get("/staff/search?q=Blake").status_code == 302


def test_production_can_require_multi_factor(app, portal, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_OIDC_REQUIRED_AMR", ("mfa",))
    response = Staff(app.test_client()).sign_in(BRECKLAND_AGENT)
    assert response.status_code == 403
    assert audit_entries(app, "sign_in_failed")[-1].detail == {"reason": "multi_factor_required"}
    # The sandbox provider's sign-ins are by password: requiring "pwd" lets them in.
    monkeypatch.setitem(app.config, "STAFF_OIDC_REQUIRED_AMR", ("pwd",))
    assert Staff(app.test_client()).sign_in(BRECKLAND_AGENT).status_code == 302
    monkeypatch.setitem(app.config, "STAFF_OIDC_REQUIRED_ACR", "urn:example:mfa")
    assert Staff(app.test_client()).sign_in(BRECKLAND_AGENT).status_code == 403


def test_re_authentication_asks_the_provider_for_the_password_again_and_keeps_the_session(
    app, staff, monkeypatch
):
    browser = staff(NORWICH_AGENT)
    response = browser.get("/staff/sign-in?again=1&next=/staff/report")
    authorize = urlsplit(response.location)
    query = parse_qs(authorize.query)
    assert query["prompt"] == ["login"] and query["max_age"] == ["0"]
    # The provider asks for the password even though its session is live.
    page = browser.provider.get(response.location, timeout=5)
    assert page.status_code == 200 and 'name="password"' in page.text
    answer = browser.provider.post(
        response.location,
        data={"email": NORWICH_AGENT.email, "password": NORWICH_AGENT.password, "action": "sign-in"},
        allow_redirects=False,
        timeout=5,
    )
    back = browser.get(answer.headers["Location"].split(STAFF_HOST, 1)[1])
    assert back.status_code == 302 and back.location == "/staff/report"
    assert audit_entries(app, "signed_in")[-1].detail["reauthenticated"] is True


def test_signing_out_ends_the_staff_session_and_the_providers(app, staff):
    browser = staff(NORWICH_AGENT)
    token = browser.csrf_token()
    response = browser.post("/staff/sign-out", {"csrf_token": token})
    assert response.status_code == 302 and "/idp/logout" in response.location
    assert "Council staff sign-in" in browser.page("/staff").h1.get_text()
    assert audit_entries(app, "signed_out")[-1].staff_email == NORWICH_AGENT.email
    # Without a valid token nothing happens to a live session.
    other = staff(NORWICH_AGENT)
    assert other.post("/staff/sign-out", {"csrf_token": "forged"}).status_code == 400
