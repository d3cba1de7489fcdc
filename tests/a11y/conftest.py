"""The accessibility suite: journeys through a council's site in Chromium, every page and state checked
(tests/a11y/checks.py), findings reported in HTML and JUnit XML (docs/accessibility-testing.md).

- With ``--base-url`` (or BASE_URL; `make a11y BASE_URL=...`): against that deployment, nothing local started.
  A council's address walks that council; the address of the list of councils walks every council it links
  to. Signed-in journeys need A11Y_USERNAME and A11Y_PASSWORD (a test account). The report goes to
  --a11y-report (a11y-report/ under `make a11y`).
- Without: against a portal of its own with a sandbox (`make test`): every journey in Norwich's theme, the
  start page and the find-your-council form's errors in every other theme.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from app.backoffice import use_registry
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.a11y.journeys import Run, Settings
from tests.a11y.report import load_baseline, write_html
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, THEME_SLUGS, portal_with_own_sandbox

A11Y_TESTS = Path(__file__).parent
ALL_JOURNEYS = ["start", "find-your-council", "reports", "waste", "signed-in"]
LOCAL_FULL_THEME = "norwich"
LOCAL_EVERY_THEME_JOURNEYS = ["start-page-and-form-errors"]
LOCAL_REPORT_TYPES = ["missed-bin"]
LOCAL_RESIDENT = next(resident for resident in DEMO_RESIDENTS if resident.email == "tom.blake@example.com")
RUN = pytest.StashKey[Run]()


@dataclass(frozen=True)
class Council:
    """A council to walk: its label, and its address (None: the local portal's <slug>.localhost)."""

    label: str
    url: str | None


def _base_url(config) -> str:
    return config.getoption("base_url", None) or os.environ.get("BASE_URL", "")


def _fetch(url: str) -> str:
    """A page, fetched from Python; ``<slug>.localhost`` is reached on 127.0.0.1 with its Host header, as
    Python here does not resolve it (browsers do)."""
    parts = urlsplit(url)
    headers = {"User-Agent": "my-norfolk-a11y-suite"}
    if parts.hostname and parts.hostname.endswith(".localhost"):
        headers["Host"] = parts.netloc
        url = parts._replace(netloc=f"127.0.0.1:{parts.port or 80}").geturl()
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - the tester's own deployment
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.read().decode("utf-8", "replace")


def discover_councils(base_url: str) -> list[Council]:
    """A council's start page links to its reports and sign-in; the list of councils links to each
    council's own host from its main content."""
    soup = BeautifulSoup(_fetch(base_url), "html.parser")
    main = soup.find("main") or soup
    own_host = urlsplit(base_url).netloc
    links = [urljoin(base_url, link["href"]) for link in main.find_all("a", href=True)]
    if any(urlsplit(link).path in ("/report", "/sign-in") for link in links) or soup.find(
        "a", href="/sign-in"
    ):
        return [Council(own_host, base_url)]
    councils = {}
    for link in links:
        parts = urlsplit(link)
        if parts.scheme in ("http", "https") and parts.netloc != own_host and parts.path in ("", "/"):
            councils.setdefault(parts.netloc, Council(parts.netloc, link))
    if not councils:
        raise pytest.UsageError(
            f"--base-url {base_url}: neither a council's start page nor a list of councils"
        )
    return list(councils.values())


def pytest_collection_modifyitems(config, items):
    for item in items:
        if A11Y_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)


def pytest_generate_tests(metafunc):
    if "council" not in metafunc.fixturenames:
        return
    config = metafunc.config
    chosen = [name for name in config.getoption("a11y_journeys").split(",") if name]
    base_url = _base_url(config)
    params = []
    if base_url:
        for council in discover_councils(base_url):
            for journey in chosen or ALL_JOURNEYS:
                params.append(pytest.param(council, journey, id=f"{council.label}-{journey}"))
    else:
        for slug in THEME_SLUGS:
            journeys = ALL_JOURNEYS if slug == LOCAL_FULL_THEME else LOCAL_EVERY_THEME_JOURNEYS
            for journey in journeys:
                if not chosen or journey in chosen:
                    params.append(pytest.param(Council(slug, None), journey, id=f"{slug}-{journey}"))
    metafunc.parametrize(("council", "journey"), params)


@pytest.fixture(scope="session", autouse=True)
def _chromium_is_installed():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (`make chromium`)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, pytestconfig):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
        "headless": not pytestconfig.getoption("--headed"),
    }


@pytest.fixture(scope="session")
def a11y_run(pytestconfig) -> Run:
    return pytestconfig.stash.setdefault(RUN, Run())


@pytest.fixture(scope="session")
def local_portal(tmp_path_factory):
    """The portal with a sandbox of its own (identity provider and back offices), for runs without
    --base-url."""
    with portal_with_own_sandbox(tmp_path_factory, "a11y", gazetteer=True, map_tiles=True) as portal:
        use_registry(portal.app, portal.sandbox.registry(portal.instance / "connector-cache"))
        yield portal


@pytest.fixture(scope="session")
def a11y_settings(pytestconfig) -> Settings:
    option = pytestconfig.getoption
    local = not _base_url(pytestconfig)
    report_types = [name for name in option("a11y_report_types").split(",") if name]
    return Settings(
        postcode=option("a11y_postcode") if not local else LOCAL_RESIDENT.postcode,
        username=LOCAL_RESIDENT.email if local else os.environ.get("A11Y_USERNAME", ""),
        password=LOCAL_RESIDENT.password if local else os.environ.get("A11Y_PASSWORD", ""),
        username_selector=option("a11y_username_selector"),
        password_selector=option("a11y_password_selector"),
        submit_selector=option("a11y_submit_selector"),
        submit_reports=option("submit"),
        check_provider=option("a11y_check_provider"),
        report_types=report_types or (LOCAL_REPORT_TYPES if local else None),
        baseline=load_baseline(Path(option("a11y_baseline"))),
    )


@pytest.fixture
def council_url(request, council: Council) -> str:
    if council.url:
        return council.url
    return request.getfixturevalue("local_portal").url(council.label, "/")


def pytest_sessionfinish(session):
    run = session.config.stash.get(RUN, None)
    folder = session.config.getoption("a11y_report", "")
    if run is None or not folder or not run.states:
        return
    write_html(run.states, Path(folder) / "index.html", _base_url(session.config) or "the local portal")
