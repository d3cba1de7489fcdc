"""Fixtures shared by every test: an app on SQLite (and PostgreSQL when PORTAL_TEST_DATABASE_URL is set),
and `client_request`, which checks the invariants every page must keep."""

import os
import re
import secrets
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import url_for
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from app import create_app
from app.extensions import db, limiter
from app.insights import rollup
from tests.a11y.options import add_options

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("PORTAL_TEST_DATABASE_URL") else [])
DEFAULT_HOST = "norwich.localhost"
TITLE_SEPARATOR = " – "


def pytest_addoption(parser):
    add_options(parser)


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL pass is for tests that touch database behaviour: a test marked database_independent
    runs on SQLite only."""
    on_postgresql = [
        item
        for item in items
        if item.get_closest_marker("database_independent")
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("app") == "postgresql"
    ]
    if on_postgresql:
        config.hook.pytest_deselected(items=on_postgresql)
        items[:] = [item for item in items if item not in set(on_postgresql)]


@pytest.fixture(scope="session")
def _migrated_apps(tmp_path_factory):
    """One app per database, migrated when first asked for, kept for the whole session.

    pytest runs a module's SQLite tests, then its PostgreSQL tests, so the parametrized `app` changes database
    at every module a worker runs; keeping both apps saves migrating a database twice a module."""
    apps: dict[str, object] = {}
    schemas: list[str] = []

    def migrated(database: str):
        if database not in apps:
            instance = tmp_path_factory.mktemp(f"instance-{database}")
            if database == "sqlite":
                database_url = f"sqlite:///{instance / 'test.sqlite3'}"
            else:
                database_url, schema = _own_postgresql_schema(os.environ["PORTAL_TEST_DATABASE_URL"])
                schemas.append(schema)
            app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, INSTANCE_DIR=instance)
            with app.app_context():
                upgrade()
            apps[database] = app
        return apps[database]

    yield migrated
    for app in apps.values():
        with app.app_context():
            db.engine.dispose()
    for schema in schemas:
        _drop_postgresql_schema(os.environ["PORTAL_TEST_DATABASE_URL"], schema)


@pytest.fixture(scope="session", params=DATABASES)
def app(request, _migrated_apps):
    app = _migrated_apps(request.param)
    # Rate limits count in the limiter's storage, which every app shares: each run of tests starts with none
    # counted, as with an app of its own.
    limiter.reset()
    # No app context stays pushed: each request must get its own, with a fresh `g`, as in production.
    return app


@pytest.fixture
def app_context(app):
    """For tests that use the database or other app-bound objects outside a request."""
    with app.app_context():
        yield app


def _own_postgresql_schema(database_url: str) -> tuple[str, str]:
    """A fresh schema for this test run, first on every connection's search_path, so that runs sharing one
    test database (two developers, or CI jobs side by side) never drop each other's tables."""
    schema = f"test_{os.getpid()}_{secrets.token_hex(4)}"
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def _drop_postgresql_schema(database_url: str, schema: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request):
    yield
    if "app" not in request.fixturenames:
        return
    with request.getfixturevalue("app").app_context():
        db.session.rollback()
        # The app lives for the whole session: what this test counted in memory (back-office calls, tiles)
        # is written now and emptied with the tables, never into a later test's insights figures.
        rollup.tally().write()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


# Elements that have no end tag.
VOID_ELEMENTS = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr")
)


class _TagBalance(HTMLParser):
    """Every element the page opens it closes, in order: a browser would otherwise guess where each ends."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, int]] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID_ELEMENTS:
            self.open.append((tag, self.getpos()[0]))

    def handle_endtag(self, tag):
        line = self.getpos()[0]
        if tag in VOID_ELEMENTS:
            self.problems.append(f"</{tag}> on line {line} closes an element that has no end tag")
        elif not self.open or self.open[-1][0] != tag:
            due = f"</{self.open[-1][0]}> (opened on line {self.open[-1][1]})" if self.open else "nothing"
            self.problems.append(f"</{tag}> on line {line}, where {due} was due")
            if any(name == tag for name, _ in self.open):
                while self.open.pop()[0] != tag:
                    pass
        else:
            self.open.pop()

    @classmethod
    def problems_in(cls, html: str) -> list[str]:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.problems + [f"<{tag}> on line {line} is never closed" for tag, line in parser.open]


class ClientRequest:
    """Fetches pages as a browser would and checks what every page must be.

    ``get`` and ``post_form`` take a path ("/dashboard") or an endpoint name and its URL values
    ("requests.case", values={"case_id": ...}); other keywords go to the test client. ``sign_in`` starts a
    resident's session without the identity provider's round trip (tests/integration/auth tests that)."""

    def __init__(self, client):
        self.client = client

    def url(self, path_or_endpoint: str, host: str = DEFAULT_HOST, values: dict | None = None) -> str:
        if path_or_endpoint.startswith("/"):
            assert not values, "URL values go with an endpoint name, not a path"
            return path_or_endpoint
        with self.client.application.test_request_context(base_url=f"http://{host}"):
            return url_for(path_or_endpoint, **(values or {}))

    def sign_in(self, resident, *, host: str = DEFAULT_HOST) -> None:
        """The client's requests are the resident's (a Resident, or its id) from now on, as after signing in
        at the identity provider."""
        resident_id = getattr(resident, "id", resident)
        with self.client.session_transaction(headers={"Host": host}) as session:
            session["_user_id"] = str(resident_id)
            session["_fresh"] = True

    def get(self, path, *, host=DEFAULT_HOST, expected_status=200, values=None, **kwargs):
        response = self.client.get(self.url(path, host, values), headers={"Host": host}, **kwargs)
        assert response.status_code == expected_status, (response.status_code, response.location)
        if response.mimetype == "text/html" and not response.location:
            return self.check_page(response)
        response.get_data()
        response.close()  # a file's response holds the file open until closed; its data stays readable
        return response

    def post_form(
        self, path, data, *, host=DEFAULT_HOST, form_index=0, expected_status=302, values=None, **kwargs
    ):
        """Post a form of the page's main content with its hidden fields (its CSRF token) and `data`."""
        path = self.url(path, host, values)
        page = self.get(path, host=host)
        form = page.select("main form")[form_index]
        fields = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
        fields.update(data)
        action = urljoin(path, form["action"])
        response = self.client.post(action, data=fields, headers={"Host": host}, **kwargs)
        # A large upload is encoded into a temporary file, left open when the app refuses it unread.
        response.request.environ["wsgi.input"].close()
        assert response.status_code == expected_status, (
            response.status_code,
            response.get_data(as_text=True),
        )
        if response.mimetype == "text/html" and response.status_code == 200:
            return self.check_page(response)
        return response

    @staticmethod
    def check_page(response) -> BeautifulSoup:
        html = response.get_data(as_text=True)
        problems = _TagBalance.problems_in(html)
        assert not problems, "the HTML does not parse as written: " + "; ".join(problems[:5])
        page = BeautifulSoup(html, "html.parser")
        # A hidden input can be neither focused nor referred to (each form's CSRF token is one).
        ids = Counter(tag["id"] for tag in page.select("[id]:not(input[type=hidden])"))
        duplicates = [id for id, count in ids.items() if count > 1]
        assert not duplicates, f"ids used more than once: {duplicates}"
        if page.select_one("html") is None:
            return page  # a fragment, checked by its own tests
        assert page.html.get("lang"), "every page declares its language"
        title = page.title.string.strip()
        assert TITLE_SEPARATOR in title, f"title '{title}' is not 'Page name – Council name'"
        assert len(page.select("h1")) == 1, "every page has exactly one h1"
        assert page.select_one("main#main-content"), "every page has a main landmark for the skip link"
        for script in page.select("script"):
            assert script.get("src"), "no inline script: the Content-Security-Policy forbids it"
        assert not page.select("style"), "no inline style: the Content-Security-Policy forbids it"
        assert not page.select("[style]"), "no style attributes: the Content-Security-Policy forbids them"
        assert not page.select("[onclick], [onload], [onsubmit]"), "no inline event handlers"
        for form in page.select("form"):
            assert form.get("action"), "every form has an explicit action"
            if form.get("method", "get").lower() == "post":
                assert form.select_one("input[name=csrf_token]"), "every POST form carries a CSRF token"
        for link in page.select("a[href]"):
            href = link["href"]
            assert not re.match(r"^https?://(?!localhost|127\.0\.0\.1|[a-z-]+\.localhost)", href) or (
                urlsplit(href).scheme == "https"
            ), f"external link {href} is not HTTPS"
        return page


@pytest.fixture
def client_request(client):
    return ClientRequest(client)


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    """The sandbox (sandbox.create_sandbox_app) over real HTTP on a free 127.0.0.1 port, for the whole
    session.
    Use `sandbox` in tests: it clears injected faults afterwards."""
    from tests.support.sandbox import SandboxServer

    server = SandboxServer.start(tmp_path_factory.mktemp("sandbox"))
    yield server
    server.stop()


@pytest.fixture
def stoppable_sandbox(tmp_path):
    """A sandbox of this test's own, which the test may stop (the session's `sandbox` must keep running)."""
    from tests.support.sandbox import SandboxServer

    server = SandboxServer.start(tmp_path / "stoppable-sandbox")
    yield server
    if server.thread.is_alive():
        server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    yield sandbox_server
    sandbox_server.clear_faults()


@pytest.fixture
def connector_registry(sandbox, tmp_path):
    """connectors/sandbox.toml pointed at the test sandbox, with a fresh cache and fresh circuit breakers."""
    return sandbox.registry(tmp_path / "connector-cache")
