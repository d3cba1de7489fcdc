"""A ninth council is its theme folder and its entries in the connectors file, and nothing else: the sandbox
serves its back offices, `flask assets build` builds its stylesheet and the portal serves its pages.

East Suffolk stands in for it (the sandbox gazetteer holds a dozen of its addresses, in Lowestoft and Bungay):
its theme is Norwich's copied with a new slug, name, GSS code and domain into a themes folder outside the
checkout (PORTAL_THEMES_DIR) beside the county's, and its connectors entries are Norwich's with its own slug,
Open311 jurisdiction_id and Pay key, after the county's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.backoffice import use_registry
from app.config import PROJECT_ROOT
from app.extensions import db
from app.models.identity import Resident
from connectors.http import make_cache
from connectors.models import NewServiceRequest
from connectors.registry import ConnectorRegistry, Deployment
from sandbox.gazetteer import GAZETTEER_CSV, addresses
from tests.conftest import ClientRequest
from tests.support.sandbox import SANDBOX_FILE_ORIGIN, SandboxServer, sandbox_environ

SLUG, NAME, GSS = "east-suffolk", "East Suffolk Council", "E07000244"
HOST = f"{SLUG}.localhost"
JURISDICTION = "eastsuffolk.gov.uk"
THEME_CHANGES = {
    "Norwich City Council": NAME,
    '"Norwich"': '"East Suffolk"',
    "E07000148": GSS,
    "my.norwich.gov.uk": "my.eastsuffolk.gov.uk",
    "norwich.gov.uk": "eastsuffolk.gov.uk",
}
CONNECTOR_CHANGES = {
    "# Norwich City Council": f"# {NAME}",
    "councils.norwich.": f"councils.{SLUG}.",
    "/norwich": f"/{SLUG}",
    "norwich.gov.uk": JURISDICTION,
    "PORTAL_PAY_KEY_NORWICH": "PORTAL_PAY_KEY_EAST_SUFFOLK",
}
# Its addresses in the sandbox gazetteer: 7 Hall Lane, Lowestoft first.
HOME = next(address for address in addresses().values() if address.lad_gss == GSS)


def changed(text: str, changes: dict[str, str]) -> str:
    for old, new in changes.items():
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def ninth_council(tmp_path_factory):
    """The themes folder and connectors file of a deployment with a ninth council."""
    root = tmp_path_factory.mktemp("ninth-council")
    themes = root / "themes"
    # The county and the new district: the other districts would only make the stylesheet build longer.
    shutil.copytree(PROJECT_ROOT / "themes" / "norfolk", themes / "norfolk")
    shutil.copytree(PROJECT_ROOT / "themes" / "norwich", themes / SLUG)
    theme_file = themes / SLUG / "theme.toml"
    theme_file.write_text(changed(theme_file.read_text(encoding="utf-8"), THEME_CHANGES), encoding="utf-8")

    connectors = (PROJECT_ROOT / "connectors" / "sandbox.toml").read_text(encoding="utf-8")
    # The settings and the county's entries come before the first district's.
    county = connectors[: connectors.index("# Breckland Council")]
    norwich = re.search(r"# Norwich City Council\n.*?(?=\n# )", connectors, re.DOTALL).group(0)
    connectors_file = root / "connectors.toml"
    connectors_file.write_text(f"{county}\n{changed(norwich, CONNECTOR_CHANGES)}\n", encoding="utf-8")
    return themes, connectors_file


@pytest.fixture(scope="module")
def ninth_sandbox(ninth_council, tmp_path_factory):
    themes, connectors_file = ninth_council
    server = SandboxServer.start(
        tmp_path_factory.mktemp("sandbox"), SANDBOX_THEMES_DIR=themes, SANDBOX_CONNECTORS_FILE=connectors_file
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def registry(ninth_council, ninth_sandbox, tmp_path_factory):
    _, connectors_file = ninth_council
    return ConnectorRegistry(
        Deployment.load(connectors_file, rebase=(SANDBOX_FILE_ORIGIN, ninth_sandbox.url), environ={}),
        cache=make_cache(tmp_path_factory.mktemp("connector-cache"), None),
        environ=sandbox_environ(connectors_file=connectors_file),
    )


def test_the_sandbox_serves_the_ninth_councils_back_offices(registry):
    uprn = HOME.uprn

    bins = registry.bins(SLUG).collections(uprn)
    assert not bins.stale and {item.bin_type for item in bins.value} >= {"refuse", "recycling", "food"}
    assert all(item.round.startswith("ES-") for item in bins.value), [item.round for item in bins.value]

    council_tax = registry.council_tax(SLUG)
    assert council_tax.verify("10045678", "NR2 2PE", "Blake") is None, "Tom's account is Norwich's"

    near = registry.planning(SLUG).applications_near(HOME.latitude, HOME.longitude, radius_m=5000)
    assert not near.stale and near.value, "one address in nine has an application"
    assert all(
        application.comment_url.startswith("https://www.eastsuffolk.gov.uk/planning/")
        for application in near.value
    )

    assert registry.cases(SLUG).cases_for_email("someone@example.com").value == ()

    waste = registry.waste(SLUG)
    slots = waste.bulky_slots(uprn, items=2)
    assert slots and all(slot.date > date.today() for slot in slots)

    street_reports = registry.street_reports(SLUG)
    assert {service.code for service in street_reports.services().value} == {
        "missed_bin",
        "fly_tipping",
        "abandoned_vehicle",
    }, "a district's services"
    created = street_reports.create_request(
        NewServiceRequest(
            service_code="abandoned_vehicle",
            description="A van with flat tyres, here for weeks.",
            latitude=HOME.latitude,
            longitude=HOME.longitude,
            address_string=HOME.single_line,
            attributes={"how_long": "weeks"},
            email="reporter@example.com",
        )
    )
    assert created.service_request_id.startswith("ESC-")
    report = street_reports.request(created.service_request_id).value
    assert report.agency_responsible == NAME


def test_the_sandbox_refuses_a_council_without_a_theme(registry, ninth_sandbox):
    """What tells the ninth council apart is its theme: a connectors entry alone serves nothing."""
    response = requests.get(
        f"{ninth_sandbox.url}/bins/ipswich/properties/1/collections",
        headers={"X-API-Key": ninth_sandbox.api_key},
        timeout=5,
    )
    assert response.status_code == 404 and "'ipswich'" in response.json()["error"]["message"]


@pytest.fixture(scope="module")
def built_static(ninth_council, tmp_path_factory):
    """`flask assets build` with the themes folder outside the checkout, into a copy of static/."""
    themes, connectors_file = ninth_council
    static = tmp_path_factory.mktemp("static")
    shutil.copytree(PROJECT_ROOT / "static" / "src", static / "src")
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "assets", "build"],
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
        env={
            **os.environ,
            "PORTAL_ENV": "test",
            "PORTAL_THEMES_DIR": str(themes),
            "PORTAL_CONNECTORS_FILE": str(connectors_file),
            "PORTAL_DIST_DIR": str(static / "dist"),
        },
    )
    return static


def test_assets_build_makes_the_ninth_councils_stylesheet(built_static):
    dist = built_static / "dist"
    stylesheet = (dist / f"{SLUG}.css").read_text(encoding="utf-8")
    assert "#a1112a" in stylesheet, "its brand colour"
    assert "#4a0812" in stylesheet, "its brand.scss (the accent stripe), read from outside the checkout"
    assert (dist / "wordmarks" / f"{SLUG}.svg").is_file()


@pytest.fixture(scope="module")
def portal(ninth_council, registry, built_static, tmp_path_factory):
    themes, connectors_file = ninth_council
    instance = tmp_path_factory.mktemp("portal")
    app = create_app(
        "test",
        INSTANCE_DIR=instance,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'portal.sqlite3'}",
        THEMES_DIR=themes,
        CONNECTORS_FILE=connectors_file,
    )
    app.static_folder = str(built_static)
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["gazetteer", "import", str(GAZETTEER_CSV)])
    assert result.exit_code == 0, result.output
    use_registry(app, registry)
    return app


def test_the_portal_serves_the_ninth_council(portal):
    client_request = ClientRequest(portal.test_client())
    page = client_request.get("/", host=HOST)
    assert page.title.string.strip() == f"Your council services – {NAME}"
    stylesheet = next(link["href"] for link in page.select("link[rel=stylesheet]") if SLUG in link["href"])
    assert client_request.get(stylesheet, host=HOST).status_code == 200

    response = client_request.post_form("/bin-days/", {"postcode": HOME.postcode}, host=HOST)
    response = client_request.post_form(response.location, {"uprn": HOME.uprn}, host=HOST)
    page = client_request.get(response.location, host=HOST)
    main = page.select_one("main").get_text(" ", strip=True)
    assert f"{NAME} empties the bins" in main and "Food waste" in main

    for path in ("/report", "/accessibility-statement"):
        page = client_request.get(path, host=HOST)
        assert page.title.string.strip().endswith(f" – {NAME}"), path


def test_a_resident_of_the_ninth_council_has_a_whole_dashboard(portal):
    client_request = ClientRequest(portal.test_client())
    with portal.app_context():
        resident = Resident(
            issuer="https://idp.example", subject="east-suffolk-1", name="Sam Reed", email="sam@example.com"
        )
        resident.home_uprn = HOME.uprn
        db.session.add(resident)
        db.session.commit()
        resident_id = db.session.scalar(select(Resident.id).where(Resident.subject == "east-suffolk-1"))
    client_request.sign_in(resident_id, host=HOST)
    page = client_request.get("/dashboard", host=HOST)
    for tile in ("bins", "planning"):
        state = page.select_one(f"#tile-{tile} [data-tile-state]")
        assert state is not None and state["data-tile-state"] == "loaded", tile
    assert NAME in page.select_one("#tile-bins").get_text(" ", strip=True)
