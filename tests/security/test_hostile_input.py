"""The hostile-input suite: the attacks of the review in issue 11, run against the whole app on every test run
(and on PostgreSQL when PORTAL_TEST_DATABASE_URL is set). Whatever is sent, the portal answers without a
server error (no 5xx), and a form given a NUL character says so on the field instead of storing it.

Forms are found by crawling the pages a guest and a signed-in resident can reach, as a browser would; each
is sent once per hostile value (in every text field at once), then once with plausible answers to reach the
pages behind it. Every route is also called with hostile path segments, query parameters and headers."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask_wtf import FlaskForm

from app import gazetteer_import
from app.backoffice import use_registry
from app.extensions import limiter
from app.forms import PortalForm
from tests.integration.auth.conftest import Visitor
from tests.integration.reports.conftest import GAZETTEER
from tests.support.sandbox import SandboxServer

HOST = "south-norfolk.localhost"
NUL_TEXT = "Pot\x00hole"
NUL_MESSAGE = "contained a hidden character we cannot accept"
HOSTILE_TEXT = [
    NUL_TEXT,
    "\x00",
    "line\r\nSet-Cookie: planted=1",
    "\x01\x02\x1b[31m\x7f",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "' OR '1'='1'; DROP TABLE residents; --",
    "{{7*7}}{% raw %}${7*7}",
    "\u202egnp.exe\u200b\ufeff",
    "../../../../etc/passwd",
    "%00%0d%0a%25",
    "\U0001f4a9" * 50,
    "x" * 20_000,
]
HOSTILE_SEGMENTS = [
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "%0D%0AX-Injected:1",
    "%EF%BF%BF",
    "9" * 400,
    "%F0%9F%92%A9",
]
HOSTILE_QUERY = {
    "next": "/\t/evil.example",
    "lang": "en\x00",
    "postcode": "NR1\x00 1GS",
    "uprn": "1' OR 1=1",
    "since": "\x00",
    "page": "-1",
    "q": "<script>",
    "tile": "../../etc/passwd",
    "as_of": "9999-99-99",
}
HOSTILE_HEADERS = {
    "HX-Request": "true",
    "HX-Current-URL": "javascript:alert(1)",
    "X-Forwarded-For": "\x00, 999.1.1.1",
    "Accept-Language": "x" * 500 + ";q=abc",
    "Sec-Fetch-Site": "\x00",
    "Cookie": "portal_session=\x00; portal_locale=../../",
}
CRAWL_ROOTS = [
    "/",
    "/find-your-council/",
    "/report",
    "/waste/garden",
    "/waste/bulky",
    "/dashboard",
    "/dashboard/home-address",
    "/account",
    "/account/contact-preferences",
    "/account/council-tax/link",
    "/account/delete",
    "/requests",
    "/report/yours",
]
NEVER_FOLLOW = (
    "/sign-out",
    "/static/",
    "/auth/",
    "/sign-in",
    "/account/delete",
    "/account/sign-out-everywhere",
)
MAX_PAGES = 60


@pytest.fixture(scope="module")
def hostile_sandbox(tmp_path_factory):
    server = SandboxServer.start(tmp_path_factory.mktemp("hostile-sandbox"))
    yield server
    server.stop()


@pytest.fixture
def back_offices(app, hostile_sandbox, tmp_path):
    use_registry(app, hostile_sandbox.registry(tmp_path / "connector-cache"))
    limiter.reset()
    with app.app_context():
        gazetteer_import.import_file(GAZETTEER)
    yield
    use_registry(app, None)
    limiter.reset()


class Attacker:
    """Crawls the portal through the Flask test client and records every answer."""

    def __init__(self, visitor: Visitor):
        self.visitor = visitor
        self.client = visitor.client
        self.server_errors: list[str] = []
        self.nul_not_reported: list[str] = []
        self.forms_sent = 0

    def _check(self, response, what: str):
        if response.status_code >= 500:
            self.server_errors.append(f"{response.status_code} {what}")
        return response

    def get(self, path: str, **kwargs):
        response = self.client.get(path, headers={"Host": HOST, **kwargs.pop("headers", {})}, **kwargs)
        return self._check(response, f"GET {path}")

    def post(self, path: str, data, **kwargs):
        response = self.client.post(path, data=data, headers={"Host": HOST}, **kwargs)
        return self._check(response, f"POST {path} {sorted(data)}")

    def crawl(self, roots) -> None:
        queue, seen = deque(roots), set()
        while queue and len(seen) < MAX_PAGES:
            path = queue.popleft()
            if path in seen:
                continue
            seen.add(path)
            response = self.get(path)
            if response.status_code in (301, 302, 303):
                queue.append(self._local(path, response.location))
                continue
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
            for form in page.select("form"):
                for reached in self.attack_form(path, form):
                    queue.append(reached)
            for link in page.select("a[href]"):
                queue.append(self._local(path, link["href"]))
        queue.clear()

    @staticmethod
    def _local(base: str, href: str | None) -> str:
        target = urlsplit(urljoin(f"http://{HOST}{base}", href or "/"))
        if target.netloc not in ("", HOST) or target.path.startswith(NEVER_FOLLOW):
            return "/"
        return f"{target.path}?{target.query}" if target.query else target.path

    def attack_form(self, path: str, form) -> list[str]:
        action = self._local(path, form.get("action") or path)
        if action == "/" and (form.get("action") or "").startswith(NEVER_FOLLOW):
            return []
        method = form.get("method", "get").lower()
        text_fields = [
            field["name"]
            for field in form.select("input[name], textarea[name]")
            if field.name == "textarea"
            or field.get("type", "text") in ("text", "email", "search", "tel", "number", "url", "date")
        ]
        if not text_fields:
            return self._plausible(path, action, method, form)
        for value in HOSTILE_TEXT:
            data = {**self._defaults(form), **dict.fromkeys(text_fields, value)}
            self.forms_sent += 1
            if method == "post":
                response = self.post(action, data)
                shown = response.status_code == 200 and response.mimetype == "text/html"
                if value == NUL_TEXT and shown and NUL_MESSAGE not in response.get_data(as_text=True):
                    self.nul_not_reported.append(f"POST {action}")
            else:
                self.get(action, query_string=data)
        return self._plausible(path, action, method, form)

    def _plausible(self, path: str, action: str, method: str, form) -> list[str]:
        data = self._defaults(form)
        for field in form.select("input[name], textarea[name]"):
            name = field["name"]
            if name in data and data[name]:
                continue
            data[name] = _plausible_value(name)
        self.forms_sent += 1
        response = self.post(action, data) if method == "post" else self.get(action, query_string=data)
        if response.status_code in (301, 302, 303):
            return [self._local(action, response.location)]
        return []

    @staticmethod
    def _defaults(form) -> dict[str, str]:
        data: dict[str, str] = {}
        for field in form.select("input[name]"):
            kind = field.get("type", "text")
            if kind in ("radio", "checkbox"):
                data.setdefault(field["name"], field.get("value", "on"))
            elif kind in ("hidden", "submit"):
                data[field["name"]] = field.get("value", "")
        for select in form.select("select[name]"):
            options = [option.get("value", "") for option in select.select("option") if option.get("value")]
            data[select["name"]] = options[0] if options else ""
        return data


def _plausible_value(name: str) -> str:
    lowered = name.lower()
    if "postcode" in lowered:
        return "NR1 1GS"
    if "email" in lowered:
        return "hostile.tester@example.com"
    if "phone" in lowered:
        return "01603 000000"
    if "reference" in lowered:
        return "12345678"
    return "Hostile test"


@pytest.fixture
def attacker(app, scripted, back_offices):
    return Attacker(Visitor(app.test_client(), host=HOST))


def test_every_form_is_a_portal_form():
    import app.views  # noqa: F401 - every form module is imported by the app's views

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    strays = [cls.__qualname__ for cls in subclasses(FlaskForm) if not issubclass(cls, PortalForm)]
    assert strays == [], "forms that would store NUL characters: derive them from app.forms.PortalForm"


def test_a_guest_meets_hostile_input_without_a_server_error(attacker):
    attacker.crawl(CRAWL_ROOTS)
    assert attacker.forms_sent > 20, "the crawl reached the portal's forms"
    assert attacker.server_errors == []
    assert attacker.nul_not_reported == []


def test_a_signed_in_resident_meets_hostile_input_without_a_server_error(attacker):
    assert attacker.visitor.sign_in_at_scripted().location == "/dashboard"
    attacker.crawl(CRAWL_ROOTS)
    assert attacker.forms_sent > 20
    assert attacker.server_errors == []
    assert attacker.nul_not_reported == []


def _hostile_paths(app, segments=HOSTILE_SEGMENTS) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        for segment in segments:
            paths.append(re.sub(r"<(?:[a-z]+:)?\w+>", segment, rule.rule))
    return paths


def test_hostile_paths_queries_and_headers_never_cause_a_server_error(app, attacker):
    assert attacker.visitor.sign_in_at_scripted().location == "/dashboard"
    for path in _hostile_paths(app):
        attacker.get(path)
    for path in _hostile_paths(app, segments=["hostile"]):
        attacker.get(path, query_string=HOSTILE_QUERY)
        attacker.get(path, headers=HOSTILE_HEADERS)
    assert attacker.server_errors == []


def test_hostile_posts_with_a_valid_form_token_never_cause_a_server_error(app, attacker):
    assert attacker.visitor.sign_in_at_scripted().location == "/dashboard"
    page = attacker.get("/account").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule in ("/sign-out", "/account/delete"):
            continue
        for segment in HOSTILE_SEGMENTS[:3]:
            path = re.sub(r"<(?:[a-z]+:)?\w+>", segment, rule.rule)
            for value in (NUL_TEXT, "x" * 20_000, "<script>"):
                attacker.post(path, {"csrf_token": token, **dict.fromkeys(_form_field_names(), value)})
    assert attacker.server_errors == []


def _form_field_names() -> set[str]:
    import app.views  # noqa: F401

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    names = set()
    for cls in subclasses(PortalForm):
        names.update(name for name in dir(cls) if not name.startswith("_") and _is_unbound_field(cls, name))
    return names - {"csrf_token"}


def _is_unbound_field(cls, name: str) -> bool:
    from wtforms.fields.core import UnboundField

    return isinstance(getattr(cls, name, None), UnboundField)
