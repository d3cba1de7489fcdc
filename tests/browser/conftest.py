"""Browser tests: Debian's Chromium driven by pytest-playwright against a live portal.

What this gives every test under tests/browser (each is marked `browser` automatically):

- ``portal``: the portal served for real (werkzeug, threaded) on 127.0.0.1 and a free port, on a migrated
  SQLite file database, for the whole session. Chromium resolves ``<anything>.localhost`` to loopback, so
  every council answers at ``http://<slug>.localhost:<port>``.
- ``council_url(slug, path="/")``: the address of a page of one council. With ``--base-url`` (a live
  deployment, e.g. ``--base-url https://my.norfolk.gov.uk``) it is that deployment's address instead, and a
  test asking for any other council is skipped, saying why.
- ``portal_url(path, host="localhost")``: an address on a host that names no council (the council list at
  ``localhost``, the "not set up" page at ``unknown.localhost``); skipped with ``--base-url``.
- ``shared_page`` / ``shared_page_without_js``: one page the whole session reuses (a new page is a new
  Chromium renderer process, slower than most checks). Use them for tests that only read pages, scanning
  them with ``from tests.browser.axe import assert_no_axe_violations``; use pytest-playwright's ``page`` (a
  new context per test) when a test signs in, sets cookies or otherwise changes what the next test sees.
  ``new_shared_context`` and ``reused_page`` build more of the same (a zoomed context, say).
- ``portal_with_own_sandbox(tmp_path_factory, name)``: a context manager giving a portal of its own that signs
  residents in through a sandbox of its own (identity provider and back offices), for a module whose tests
  sign in: ``PortalWithSandbox.url(slug, path)``; point its connectors with ``use_registry``.
- ``live_wsgi_server(app)``: a context manager that serves any WSGI app (say the sandbox) on a free port;
  ``sandbox`` is the sandbox served that way for the session, and ``portal_config`` (the overrides the portal
  is created with) is the place to point the portal at it.

Chromium must exist at /usr/bin/chromium (`make test` installs it). Without it the browser tests are
skipped on a developer's machine and fail under CI=true, so that CI can never pass without them.
"""

from __future__ import annotations

import os
import re
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_migrate import upgrade

from app import create_app, gazetteer_import
from app.config import PROJECT_ROOT
from app.extensions import db
from sandbox import create_sandbox_app
from tests.browser.axe import inject_axe
from tests.support.live_server import LiveServer
from tests.support.sandbox import SandboxServer
from tests.support.themes import THEME_SLUGS, THEMES  # noqa: F401 - the browser tests' names for them

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BROWSER_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _chromium_is_installed():
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`, which `make test` runs)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI must run the browser tests. {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, pytestconfig):
    """Debian's Chromium, never a downloaded one, quiet: no phoning home while the tests run."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
        "headless": not pytestconfig.getoption("--headed"),
    }


@dataclass
class PortalWithSandbox:
    app: object
    sandbox: SandboxServer
    port: int
    instance: Path

    def url(self, slug: str, path: str = "/") -> str:
        return f"http://{slug}.localhost:{self.port}{path}"

    def sign_in(self, page, slug: str, resident) -> None:
        """Sign a demo resident in with the service navigation's "Sign in"; returns on the page after (the
        dashboard, or the home address question before it). Already signed in here, it opens the dashboard."""
        page.goto(self.url(slug))
        signed_in = page.get_by_role("navigation", name="Your account").get_by_role("button", name="Sign out")
        if signed_in.count():
            page.goto(self.url(slug, "/dashboard"))
            return
        page.get_by_role("navigation", name="Your account").get_by_role("link", name="Sign in").click()
        if "/idp/" in page.url:  # the first council: the provider asks for a password; later ones do not
            page.get_by_label("Email address").fill(resident.email)
            page.get_by_label("Password").fill(resident.password)
            page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(re.compile(rf"^http://{re.escape(slug)}\.localhost:\d+/dashboard"))


@contextmanager
def portal_with_own_sandbox(
    tmp_path_factory, name: str, *, gazetteer: bool = False, map_tiles: bool = False, **config
) -> Iterator[PortalWithSandbox]:
    """A portal of its own (SQLite, migrated; the sandbox's gazetteer imported when asked) signing residents
    in through a sandbox of its own, both served on free ports until the block ends. With ``map_tiles``,
    "where is the problem?" has its map, drawn with the sandbox's tiles."""
    sandbox = SandboxServer.start(tmp_path_factory.mktemp(f"{name}-sandbox"))
    if map_tiles:
        config.setdefault("MAP_TILE_URL", f"{sandbox.url}/tiles/{{z}}/{{x}}/{{y}}.png")
    instance = tmp_path_factory.mktemp(f"{name}-portal")
    app = create_app(
        "test",
        INSTANCE_DIR=instance,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'portal.sqlite3'}",
        OIDC_DISCOVERY_URL=f"{sandbox.url}/idp/.well-known/openid-configuration",
        **config,
    )
    with app.app_context():
        upgrade()
        if gazetteer:
            gazetteer_import.import_file(PROJECT_ROOT / "sandbox" / "data" / "gazetteer.csv")
    server = LiveServer(app)
    try:
        yield PortalWithSandbox(app, sandbox, server.port, instance)
    finally:
        server.stop()
        sandbox.stop()
        with app.app_context():
            db.engine.dispose()


@contextmanager
def live_wsgi_server(app, host: str = "127.0.0.1") -> Iterator[LiveServer]:
    """Serve a WSGI app on a free port in a daemon thread until the block ends.

    The port is chosen by the operating system (port 0) and read back, so parallel runs never collide.
    """
    with LiveServer(app, host=host) as server:
        yield server


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> Iterator[LiveServer]:
    """The sandbox (the councils' external systems) served for the browser session."""
    with live_wsgi_server(create_sandbox_app(tmp_path_factory.mktemp("sandbox"))) as server:
        yield server


@pytest.fixture(scope="session")
def portal_config(request, tmp_path_factory) -> dict:
    """The overrides the live portal is created with. Add a feature's settings here, for example the
    sandbox's address: ``request.getfixturevalue("sandbox").url + "/oidc"``."""
    instance = tmp_path_factory.mktemp("portal-instance")
    return {
        "INSTANCE_DIR": instance,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'browser.sqlite3'}",
    }


@pytest.fixture(scope="session")
def portal(portal_config) -> Iterator[LiveServer]:
    """The portal served for real on 127.0.0.1, with a migrated database and the built assets."""
    if not (PROJECT_ROOT / "static" / "dist" / "portal.css").is_file():
        pytest.fail("static/dist is not built: run `make assets` (`make test` does)", pytrace=False)
    app = create_app("test", **portal_config)
    with app.app_context():
        upgrade()
    with live_wsgi_server(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def deployed_council(base_url) -> str | None:
    """With --base-url, the slug of the council that deployment serves; otherwise None.

    Found from the theme's production domains, else from the start page's title ("… – <council name>").
    """
    if not base_url:
        return None
    hostname = urlsplit(base_url).hostname or ""
    theme = THEMES.for_host(hostname)
    if theme is not None:
        return theme.slug
    with urllib.request.urlopen(base_url, timeout=30) as response:  # noqa: S310 - the tester's own URL
        html = response.read().decode("utf-8", "replace")
    title = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    council_name = title.group(1).rsplit("–", 1)[-1].strip() if title else ""
    for theme in THEMES:
        if theme.name == council_name:
            return theme.slug
    pytest.fail(f"--base-url {base_url}: its start page names no council this portal knows", pytrace=False)


@pytest.fixture
def council_url(request, base_url, deployed_council) -> Callable[..., str]:
    """``council_url(slug, path="/")``: the absolute URL of a page of one council."""

    def url(slug: str, path: str = "/") -> str:
        if base_url:
            if slug != deployed_council:
                pytest.skip(
                    f"--base-url {base_url} serves {deployed_council}; "
                    f"the {slug} theme is tested against the local portal"
                )
            return base_url.rstrip("/") + path
        portal = request.getfixturevalue("portal")
        return f"http://{slug}.localhost:{portal.port}{path}"

    return url


@pytest.fixture
def portal_url(request, base_url) -> Callable[..., str]:
    """``portal_url(path="/", host="localhost")``: a URL on a host that names no council."""

    def url(path: str = "/", host: str = "localhost") -> str:
        if base_url:
            pytest.skip(f"needs the local portal's {host} host; --base-url {base_url} serves one council")
        portal = request.getfixturevalue("portal")
        return f"http://{host}:{portal.port}{path}"

    return url


def _refuse_scripts(route) -> None:
    if route.request.resource_type == "script":
        route.abort()
    else:
        route.continue_()


def new_shared_context(
    browser, browser_context_args: dict, *, javascript: bool = True, axe: bool = False, **options
):
    """A browser context for many tests. ``javascript=False`` refuses the portal's scripts (see
    ``shared_page_without_js``); ``axe=True`` preloads axe-core in its pages, which saves sending it for
    each scan but costs every navigation its parsing, so only contexts that scan every page want it."""
    context = browser.new_context(**{**browser_context_args, **options})
    if axe:
        inject_axe(context)
    if not javascript:
        context.route("**/*", _refuse_scripts)
    return context


@contextmanager
def reused_page(context) -> Iterator:
    """One page for many tests: a new page is a new renderer process, which costs more than the test.
    Each test gets it back with the context's viewport; navigating resets everything else it reads."""
    page = context.new_page()
    viewport = page.viewport_size

    def for_the_next_test():
        if viewport and page.viewport_size != viewport:
            page.set_viewport_size(viewport)
        return page

    try:
        yield for_the_next_test
    finally:
        page.close()


@pytest.fixture(scope="session")
def shared_context(browser, browser_context_args):
    context = new_shared_context(browser, browser_context_args)
    yield context
    context.close()


@pytest.fixture(scope="session")
def shared_context_without_js(browser, browser_context_args):
    """A browser whose pages run none of the portal's scripts.

    Chromium's own switch (java_script_enabled=False) also stops axe-core, which is a script, so the
    portal's scripts are refused instead. The Content-Security-Policy forbids inline scripts, so that
    leaves each page exactly as a browser without JavaScript builds it (the portal uses no <noscript>).
    """
    context = new_shared_context(browser, browser_context_args, javascript=False)
    yield context
    context.close()


@pytest.fixture(scope="session")
def _shared_page(shared_context):
    with reused_page(shared_context) as page:
        yield page


@pytest.fixture(scope="session")
def _shared_page_without_js(shared_context_without_js):
    with reused_page(shared_context_without_js) as page:
        yield page


@pytest.fixture
def shared_page(_shared_page):
    """A page, with JavaScript, that the whole session reuses: for tests that only read pages."""
    return _shared_page()


@pytest.fixture
def shared_page_without_js(_shared_page_without_js):
    """A page, without the portal's JavaScript, that the whole session reuses."""
    return _shared_page_without_js()
