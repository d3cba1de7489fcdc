"""Which council themes a browser check runs in.

Themes differ in colours, wordmark and wording (theme.toml), and may replace templates
(themes/<slug>/templates). A page's checks run in full in FULL_THEME, and in every other theme that replaces a
template the page is built from: its own, or any it extends, includes or imports (``base.html`` builds every
page). What every theme looks like (its header colour, wordmark, link colour and focus on them, reflow of its
header) is checked on its start page (tests/browser/test_accessibility.py, tests/browser/test_themes.py, and
tests/a11y's start page and form errors in every theme).
"""

from __future__ import annotations

from functools import cache

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    TemplateNotFound,
    meta,
)

from app.config import PROJECT_ROOT
from app.themes import ThemeRegistry

THEMES = ThemeRegistry(PROJECT_ROOT / "themes", serve_localhost_subdomains=True)
THEME_SLUGS = [theme.slug for theme in THEMES]
# Every page gets every check in this council's theme (a district: it has every service).
FULL_THEME = "norwich"
START_PAGE = "pages/start.html"

# The portal's template folders as the app finds them (app/__init__.py), without a theme's own.
# Only parsed, never rendered: autoescape has nothing to escape.
_ENVIRONMENT = Environment(  # noqa: S701
    loader=ChoiceLoader(
        [
            FileSystemLoader(PROJECT_ROOT / "app" / "templates"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
)


@cache
def templates_building(name: str) -> frozenset[str] | None:
    """``name`` and every template it extends, includes or imports, through theirs; None when one of them
    names a template only when it renders (``{% include "dashboard/_" ~ tile.name ~ ".html" %}``), so that
    any template may build the page."""
    found: set[str] = set()
    waiting = [name]
    while waiting:
        current = waiting.pop()
        if current in found:
            continue
        found.add(current)
        try:
            source, _, _ = _ENVIRONMENT.loader.get_source(_ENVIRONMENT, current)
        except TemplateNotFound:
            raise AssertionError(f"{current} (building {name}) is not a template of the portal") from None
        for referenced in meta.find_referenced_templates(_ENVIRONMENT.parse(source)):
            if referenced is None:
                return None
            waiting.append(referenced)
    return frozenset(found)


def overrides_any(slug: str, *templates: str) -> bool:
    """Whether this council's theme replaces a template that builds one of these pages."""
    overrides = THEMES.get(slug).template_overrides
    if not overrides:
        return False
    for template in templates:
        building = templates_building(template)
        if building is None or building & overrides:
            return True
    return False


def themes_checking(*templates: str, also: tuple[str, ...] = ()) -> list[str]:
    """The themes a page built from ``templates`` is checked in: FULL_THEME, the ``also`` themes (a county's
    service differs from a district's, say), and each theme that replaces a template building it."""
    return [
        slug for slug in THEME_SLUGS if slug == FULL_THEME or slug in also or overrides_any(slug, *templates)
    ]
