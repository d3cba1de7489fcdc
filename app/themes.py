"""Council themes: one folder per council under themes/, chosen by the request's host.

A theme is declarative. ``themes/<slug>/theme.toml`` holds the council's facts and brand colours,
``wordmark.svg`` its wordmark, ``brand.scss`` any extra styling, and ``templates/`` optional template
overrides that take precedence over app/templates. Adding a council is adding a folder.
See themes/README.md for the worked example and tests/unit/test_themes.py for its tests.
"""

from __future__ import annotations

import tomllib
from collections import ChainMap
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from flask import g, has_request_context
from flask.templating import Environment

Tier = Literal["county", "district"]

# The header and footer text colour is fixed so that every brand colour is checked against it.
HEADER_TEXT_COLOUR = "#ffffff"
PAGE_BACKGROUND_COLOUR = "#ffffff"


class ThemeError(ValueError):
    """A theme folder is missing something or says something impossible."""


@dataclass(frozen=True)
class Brand:
    primary: str
    link: str
    header_text: str = HEADER_TEXT_COLOUR

    def text_pairs(self) -> dict[str, tuple[str, str]]:
        """Every (foreground, background) pair this brand uses for text."""
        return {
            "header text on brand colour": (self.header_text, self.primary),
            "links on the page background": (self.link, PAGE_BACKGROUND_COLOUR),
            "brand colour text on the page background": (self.primary, PAGE_BACKGROUND_COLOUR),
        }


@dataclass(frozen=True)
class Contact:
    phone: str
    email: str
    website: str
    address: str
    opening_hours: str = "Monday to Friday, 9am to 5pm"


@dataclass(frozen=True)
class CouncilTaxLinks:
    """A district's own council tax pages: paying, Direct Debit, discounts and moving home (all https)."""

    pay: str
    direct_debit: str
    discounts: str
    moving_home: str


def _council_tax_links(section: dict | None, where: str) -> CouncilTaxLinks | None:
    if section is None:
        return None
    try:
        links = CouncilTaxLinks(**section)
    except TypeError as error:
        expected = "pay, direct_debit, discounts and moving_home"
        raise ThemeError(f"{where}: [council_tax] has {expected}") from error
    if not all(url.startswith("https://") for url in vars(links).values()):
        raise ThemeError(f"{where}: [council_tax] links are https:// addresses")
    return links


def _planning_comment_rules(section: dict | None, where: str) -> str | None:
    if section is None:
        return None
    rules = section.get("comment_rules")
    if not isinstance(rules, str) or not rules.strip() or set(section) != {"comment_rules"}:
        raise ThemeError(f"{where}: [planning] has comment_rules, a text")
    return rules.strip()


@dataclass(frozen=True)
class AccessibilityFacts:
    compliance: Literal["full", "partial", "none"]
    prepared_on: date
    reviewed_on: date
    tested_by: str
    known_issues: tuple[str, ...] = ()


@dataclass(frozen=True)
class PricedItem:
    code: str
    name: str
    price_pence: int


@dataclass(frozen=True)
class WastePrices:
    """A district's fees for its paid waste services (``[waste]`` in theme.toml), in pence."""

    garden_first_bin_pence: int
    garden_further_bin_pence: int
    garden_max_bins: int
    bulky_items: tuple[PricedItem, ...]
    bulky_max_items: int

    def bulky_item(self, code: str) -> PricedItem | None:
        return next((item for item in self.bulky_items if item.code == code), None)


def _waste_prices(data: dict | None, where: str) -> WastePrices | None:
    if data is None:
        return None
    garden = _require(data, "garden", where)
    bulky = _require(data, "bulky", where)
    prices = WastePrices(
        garden_first_bin_pence=_require(garden, "first_bin_pence", where),
        garden_further_bin_pence=_require(garden, "further_bin_pence", where),
        garden_max_bins=_require(garden, "max_bins", where),
        bulky_items=tuple(
            PricedItem(
                code=_require(item, "code", where),
                name=_require(item, "name", where),
                price_pence=_require(item, "price_pence", where),
            )
            for item in _require(bulky, "items", where)
        ),
        bulky_max_items=_require(bulky, "max_items", where),
    )
    amounts = [prices.garden_first_bin_pence, prices.garden_further_bin_pence]
    amounts += [item.price_pence for item in prices.bulky_items]
    if not all(isinstance(amount, int) and amount > 0 for amount in amounts):
        raise ThemeError(f"{where}: waste prices are whole pence above nothing")
    if not prices.bulky_items or len({item.code for item in prices.bulky_items}) != len(prices.bulky_items):
        raise ThemeError(f"{where}: bulky items need codes, each once")
    if not 1 <= prices.bulky_max_items <= 10 or not 1 <= prices.garden_max_bins <= 5:
        raise ThemeError(f"{where}: waste.bulky.max_items is 1 to 10, waste.garden.max_bins 1 to 5")
    return prices


@dataclass(frozen=True)
class Theme:
    slug: str
    name: str
    short_name: str
    gss_code: str
    tier: Tier
    domains: tuple[str, ...]
    brand: Brand
    contact: Contact
    accessibility: AccessibilityFacts
    directory: Path
    template_overrides: frozenset[str] = field(default=frozenset())
    waste: WastePrices | None = None
    council_tax: CouncilTaxLinks | None = None
    # [planning] comment_rules: what the council publishes of a comment on a planning application, shown
    # before a resident writes one (the portal has a default for councils that say nothing).
    planning_comment_rules: str | None = None

    @property
    def wordmark_path(self) -> Path:
        return self.directory / "wordmark.svg"

    @property
    def stylesheet(self) -> str:
        return f"dist/{self.slug}.css"

    def localhost_domain(self) -> str:
        return f"{self.slug}.localhost"


def _require(table: dict, key: str, where: str):
    try:
        return table[key]
    except KeyError:
        raise ThemeError(f"{where}: missing '{key}'") from None


def load_theme(directory: Path) -> Theme:
    where = str(directory / "theme.toml")
    try:
        data = tomllib.loads((directory / "theme.toml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ThemeError(f"{where}: no theme.toml") from None
    except tomllib.TOMLDecodeError as error:
        raise ThemeError(f"{where}: {error}") from None

    tier = _require(data, "tier", where)
    if tier not in ("county", "district"):
        raise ThemeError(f"{where}: tier must be 'county' or 'district', not {tier!r}")
    if not (directory / "wordmark.svg").is_file():
        raise ThemeError(f"{directory}: no wordmark.svg")

    brand = _require(data, "brand", where)
    contact = _require(data, "contact", where)
    accessibility = _require(data, "accessibility", where)
    templates_dir = directory / "templates"
    overrides = frozenset(
        path.relative_to(templates_dir).as_posix()
        for path in templates_dir.rglob("*.html")
        if templates_dir.is_dir()
    )
    return Theme(
        slug=directory.name,
        name=_require(data, "name", where),
        short_name=data.get("short_name", data["name"]),
        gss_code=_require(data, "gss_code", where),
        tier=tier,
        domains=tuple(domain.lower() for domain in data.get("domains", ())),
        brand=Brand(primary=_require(brand, "primary", where), link=_require(brand, "link", where)),
        contact=Contact(**contact),
        accessibility=AccessibilityFacts(
            compliance=_require(accessibility, "compliance", where),
            prepared_on=_require(accessibility, "prepared_on", where),
            reviewed_on=_require(accessibility, "reviewed_on", where),
            tested_by=_require(accessibility, "tested_by", where),
            known_issues=tuple(accessibility.get("known_issues", ())),
        ),
        directory=directory,
        template_overrides=overrides,
        waste=_waste_prices(data.get("waste"), where),
        council_tax=_council_tax_links(data.get("council_tax"), where),
        planning_comment_rules=_planning_comment_rules(data.get("planning"), where),
    )


class ThemeRegistry:
    """Every council theme found under one folder, looked up by slug, GSS code or request host."""

    def __init__(self, themes_dir: Path, serve_localhost_subdomains: bool):
        self.themes_dir = themes_dir
        self.serve_localhost_subdomains = serve_localhost_subdomains
        self._by_slug = {
            theme.slug: theme
            for theme in (
                load_theme(directory)
                for directory in sorted(themes_dir.iterdir())
                if (directory / "theme.toml").is_file()
            )
        }
        if not self._by_slug:
            raise ThemeError(f"no themes found in {themes_dir}")
        self._by_host: dict[str, Theme] = {}
        for theme in self._by_slug.values():
            hosts = list(theme.domains)
            if serve_localhost_subdomains:
                hosts.append(theme.localhost_domain())
            for host in hosts:
                if host in self._by_host:
                    raise ThemeError(f"{host} is claimed by {self._by_host[host].slug} and {theme.slug}")
                self._by_host[host] = theme
        self._by_gss = {theme.gss_code: theme for theme in self._by_slug.values()}

    def __iter__(self):
        return iter(self._by_slug.values())

    def __len__(self) -> int:
        return len(self._by_slug)

    def get(self, slug: str) -> Theme:
        return self._by_slug[slug]

    def by_gss_code(self, gss_code: str) -> Theme | None:
        return self._by_gss.get(gss_code)

    def county(self) -> Theme | None:
        return next((theme for theme in self if theme.tier == "county"), None)

    def for_host(self, host: str) -> Theme | None:
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return self._by_host.get(hostname.lower().rstrip("."))


def current_theme() -> Theme | None:
    return g.get("theme") if has_request_context() else None


class TemplateGlobals(ChainMap):
    """A template's globals (its own, then the environment's), as Jinja keeps them, with ``keys()`` a set.

    Every ``{% from ... import ... %}`` (about six a page: GOV.UK Frontend's component macros) subtracts the
    imported template's global names from a set; against a ChainMap's keys view that is one Python-level
    ``in`` through every map per name, against a set it is one C-level set difference."""

    def keys(self):  # type: ignore[override] - a set is a superset of what a keys view offers here
        return set().union(*self.maps)


class ThemedEnvironment(Environment):
    """Looks up ``themes/<slug>/templates/<name>`` before ``app/templates/<name>``.

    Every template lookup, including ``{% extends %}`` and ``{% include %}``, passes through
    get_template, so one override (say ``base.html``) changes every page of that council.
    An override can extend the portal's own template as ``portal/<name>``.
    """

    def make_globals(self, d):
        return TemplateGlobals(d or {}, self.globals)

    def get_template(self, name, parent=None, globals=None):  # noqa: A002 - Jinja's signature
        if isinstance(name, str):
            theme = current_theme()
            if name.startswith("portal/"):
                name = name.removeprefix("portal/")
            elif theme is not None and name in theme.template_overrides:
                name = f"@{theme.slug}/{name}"
        return super().get_template(name, parent, globals)
