"""The browser checks choose their themes from the templates a page is built from (tests/support/themes.py): a
theme replacing one of them has the page checked in it."""

import shutil

import pytest

from app.config import PROJECT_ROOT
from app.themes import ThemeRegistry
from tests.support import themes


@pytest.fixture
def overriding_themes(tmp_path, monkeypatch):
    """The councils' themes, with Breckland replacing the start page, West Norfolk the page layout and
    Broadland one dashboard tile."""
    folder = tmp_path / "themes"
    shutil.copytree(PROJECT_ROOT / "themes", folder)
    for slug, template in [
        ("breckland", "pages/start.html"),
        ("west-norfolk", "base.html"),
        ("broadland", "dashboard/_bins.html"),
    ]:
        path = folder / slug / "templates" / template
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{% extends "portal/' + template + '" %}', encoding="utf-8")
    registry = ThemeRegistry(folder, serve_localhost_subdomains=True)
    monkeypatch.setattr(themes, "THEMES", registry)
    monkeypatch.setattr(themes, "THEME_SLUGS", [theme.slug for theme in registry])


def test_a_page_is_checked_in_the_full_theme_and_in_each_theme_replacing_a_template_it_is_built_from(
    overriding_themes,
):
    assert themes.themes_checking("pages/start.html") == ["breckland", "norwich", "west-norfolk"]
    assert themes.themes_checking("pages/cookies.html") == ["norwich", "west-norfolk"]
    assert themes.themes_checking("pages/cookies.html", also=("norfolk",)) == [
        "norfolk",
        "norwich",
        "west-norfolk",
    ]


def test_a_page_naming_a_template_only_as_it_renders_is_checked_in_every_theme_with_templates_of_its_own(
    overriding_themes,
):
    assert themes.templates_building("dashboard/show.html") is None  # its tiles are included by name
    assert themes.themes_checking("dashboard/show.html") == [
        "breckland",
        "broadland",
        "norwich",
        "west-norfolk",
    ]


def test_a_page_is_built_from_its_layout_and_the_partials_that_layout_includes():
    assert themes.templates_building("pages/start.html") >= {
        "pages/start.html",
        "base.html",
        "_header.html",
        "_footer.html",
        "govuk_frontend_jinja/components/skip-link/macro.html",
    }
