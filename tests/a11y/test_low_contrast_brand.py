"""The suite fails a deployment whose brand breaks contrast: Norwich's link colour turned pale grey in a
themes folder of its own (PORTAL_THEMES_DIR's setting), its stylesheet built by static/build.mjs into a copy
of static/, then `make a11y`'s pytest command run against it exits non-zero with WCAG 1.4.3 and the element
reported."""

import os
import shutil
import subprocess
import sys

import pytest
from flask_migrate import upgrade

from app import create_app
from app.config import PROJECT_ROOT
from app.extensions import db
from tests.browser.conftest import live_wsgi_server

PALE_GREY = "#b4b4b4"  # 2.1:1 on white; WCAG 1.4.3 asks 4.5:1 of link text


def test_a_low_contrast_brand_colour_fails_the_run_naming_wcag_1_4_3_and_the_element(tmp_path, pytestconfig):
    if pytestconfig.getoption("base_url", None):
        pytest.skip("checks the suite itself against a local portal, not a deployment")
    themes = tmp_path / "themes"
    shutil.copytree(PROJECT_ROOT / "themes", themes)
    theme_file = themes / "norwich" / "theme.toml"
    text = theme_file.read_text(encoding="utf-8")
    assert 'link = "#a1112a"' in text
    theme_file.write_text(text.replace('link = "#a1112a"', f'link = "{PALE_GREY}"'), encoding="utf-8")
    static = tmp_path / "static"
    shutil.copytree(PROJECT_ROOT / "static" / "src", static / "src")
    # Only Norwich's site is walked: its stylesheet (and the portal's own) is the one to build.
    built = tmp_path / "built-themes"
    shutil.copytree(themes / "norwich", built / "norwich")
    subprocess.run(
        ["node", str(PROJECT_ROOT / "static" / "build.mjs")],
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
        env={**os.environ, "PORTAL_THEMES_DIR": str(built), "PORTAL_DIST_DIR": str(static / "dist")},
    )
    instance = tmp_path / "instance"
    app = create_app(
        "test",
        INSTANCE_DIR=instance,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'portal.sqlite3'}",
        THEMES_DIR=themes,
    )
    app.static_folder = str(static)
    with app.app_context():
        upgrade()
    report = tmp_path / "report"
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("A11Y_", "BASE_URL"))
    }
    with live_wsgi_server(app) as server:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/a11y/test_journeys.py",
                "-p",
                "no:cacheprovider",
                "-q",
                "--base-url",
                f"http://norwich.localhost:{server.port}",
                "--a11y-journeys",
                "start-page-and-form-errors",
                "--a11y-report",
                str(report),
                "--junitxml",
                str(report / "junit.xml"),
            ],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            env=environment,
            timeout=600,
        )
    with app.app_context():
        db.engine.dispose()
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    html = (report / "index.html").read_text(encoding="utf-8")
    assert "WCAG 1.4.3: axe:color-contrast" in html
    assert "class=&quot;govuk-link" in html, "the report shows the offending link's HTML"
    assert "data:image/png;base64," in html, "with a screenshot of it"
    junit = (report / "junit.xml").read_text(encoding="utf-8")
    assert "<failure" in junit and "1.4.3" in junit
