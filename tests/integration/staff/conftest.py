"""Council staff against the sandbox over real HTTP: staff sign in through the sandbox identity provider's
staff client, residents through its residents' client, and the back offices answer the single view."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import select

from app import gazetteer_import
from app.auth.provider import forget_providers
from app.backoffice import use_registry
from app.extensions import db, limiter
from app.models.identity import LinkedCouncilAccount, Resident
from app.models.staff import StaffAuditEntry
from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.demo_staff import DEMO_STAFF
from tests.integration.auth.conftest import Visitor, path_of
from tests.support.sandbox import SandboxServer

GAZETTEER = Path(__file__).resolve().parents[3] / "sandbox" / "data" / "gazetteer.csv"
STAFF_HOST = "staff.localhost"
TOM = DEMO_RESIDENTS[1]
NORWICH_AGENT, BRECKLAND_AGENT, SUPERVISOR = DEMO_STAFF


@pytest.fixture(scope="module")
def staff_sandbox(tmp_path_factory):
    """A sandbox of these tests' own (identity provider and back offices)."""
    server = SandboxServer.start(tmp_path_factory.mktemp("staff-sandbox"))
    yield server
    server.stop()


@pytest.fixture
def portal(app, staff_sandbox, tmp_path, monkeypatch):
    discovery = f"{staff_sandbox.url}/idp/.well-known/openid-configuration"
    monkeypatch.setitem(app.config, "OIDC_DISCOVERY_URL", discovery)
    monkeypatch.setitem(app.config, "STAFF_OIDC_DISCOVERY_URL", discovery)
    monkeypatch.setitem(app.config, "OIDC_TIMEOUT_SECONDS", 3.0)
    forget_providers()
    use_registry(app, staff_sandbox.registry(tmp_path / "connector-cache"))
    limiter.reset()
    with app.app_context():
        gazetteer_import.import_file(GAZETTEER)
    yield app
    staff_sandbox.clear_faults()
    use_registry(app, None)
    forget_providers()


@dataclass
class Staff:
    """A staff member's browser: the portal through the Flask test client on the staff host, the provider
    through requests."""

    client: object
    member: object = None
    host: str = STAFF_HOST

    def __post_init__(self):
        self.provider = requests.Session()

    def get(self, path: str, **kwargs):
        return self.client.get(path, headers={"Host": self.host}, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data=data or {}, headers={"Host": self.host}, **kwargs)

    def page(self, path: str, expected_status: int = 200) -> BeautifulSoup:
        response = self.get(path)
        assert response.status_code == expected_status, (response.status_code, response.location)
        return BeautifulSoup(response.get_data(as_text=True), "html.parser")

    def csrf_token(self) -> str:
        page = self.page("/staff")
        return page.select_one("input[name=csrf_token]")["value"]

    def submit(self, path: str, data: dict, expected_status: int = 302, form_index: int = 0):
        """Post the page's form at `path` (with its CSRF token) and `data`."""
        page = self.page(path)
        forms = [
            form
            for form in page.select("form")
            if form.get("method", "get").lower() == "post" and form["action"] != "/staff/sign-out"
        ]
        form = forms[form_index]
        fields = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
        fields.update(data)
        response = self.post(form["action"], fields)
        assert response.status_code == expected_status, (
            response.status_code,
            response.get_data(as_text=True)[:3000],
        )
        return response

    def sign_in(self, member, *, start: str = "/staff/sign-in"):
        response = self.get(start)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        authorize = response.location
        assert self.provider.get(authorize, timeout=5).status_code == 200
        answer = self.provider.post(
            authorize,
            data={"email": member.email, "password": member.password, "action": "sign-in"},
            allow_redirects=False,
            timeout=5,
        )
        assert answer.status_code == 302, answer.text
        assert urlsplit(answer.headers["Location"]).netloc == self.host
        self.member = member
        return self.get(path_of(answer.headers["Location"]))


@pytest.fixture
def staff(app, portal):
    def signed_in(member=NORWICH_AGENT) -> Staff:
        browser = Staff(app.test_client())
        response = browser.sign_in(member)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return browser

    return signed_in


@pytest.fixture
def tom(app, portal):
    """Tom Blake signed in once on Norwich's domain, with his home address and council tax account linked."""
    visitor = Visitor(app.test_client(), host="norwich.localhost")
    assert visitor.sign_in_at_sandbox(TOM).status_code == 302
    with app.app_context():
        resident = db.session.scalars(select(Resident).filter_by(email=TOM.email)).one()
        resident.home_uprn = TOM.uprn
        db.session.add(
            LinkedCouncilAccount(
                resident_id=resident.id,
                service="council-tax",
                council_gss=TOM.district_gss,
                account_reference=TOM.council_tax_reference,
            )
        )
        db.session.commit()
        visitor.resident_id = resident.id
    return visitor


def audit_entries(app, action: str | None = None) -> list[StaffAuditEntry]:
    with app.app_context():
        query = select(StaffAuditEntry).order_by(StaffAuditEntry.id)
        if action:
            query = query.where(StaffAuditEntry.action == action)
        entries = list(db.session.scalars(query))
        db.session.expunge_all()
        return entries


def open_record(
    browser: Staff, resident_id: int, reason: str = "contact", detail: str = "Caller on the phone"
):
    browser.submit(f"/staff/residents/{resident_id}/reason", {"reason": reason, "detail": detail})
    return browser.page(f"/staff/residents/{resident_id}")


def token_of(location: str) -> str:
    return re.search(r"/staff/report/([^/]+)/", location).group(1)
