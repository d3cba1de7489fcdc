"""The councils the sandbox stands in for, read from the same two places the portal reads: the council themes
(``themes/<slug>/theme.toml``, or ``PORTAL_THEMES_DIR``) for each council's name, GSS code and tier, and the
connectors file (``connectors/sandbox.toml``, or ``PORTAL_CONNECTORS_FILE``) for which services it has, its
Open311 ``jurisdiction_id`` and the ``service_codes`` its Open311 system uses instead of the portal's. A
council added there is served by every back office here with no sandbox change.

Where councils' made-up back offices differ (the prefix of a bin round or an Open311 request id, the Band D
charge, the planning register's own site, a CRM that takes no updates), ``sandbox/data/councils.toml`` says
so; a council it does not list gets values made from its name and slug (see ``CouncilDemoDetails.derived``).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from app.themes import Theme, ThemeRegistry
from connectors.models import ServiceKind
from connectors.registry import Deployment

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_DETAILS_FILE = Path(__file__).parent / "data" / "councils.toml"
# A district's Band D council tax for the year when sandbox/data/councils.toml gives none: about Norfolk's.
DEFAULT_BAND_D_PENCE = 220000


@dataclass(frozen=True)
class CouncilDemoDetails:
    """What tells one council's made-up back office from another's."""

    bin_round_prefix: str
    open311_prefix: str
    band_d_pence: int
    planning_site: str
    # Whether its CRM takes residents' updates and "not fixed" from the portal (sandbox/cases.py).
    crm_takes_updates: bool = True

    @classmethod
    def derived(cls, theme: Theme) -> CouncilDemoDetails:
        """For a council sandbox/data/councils.toml does not list: "east-suffolk", "East Suffolk Council"
        has rounds "ES-MON-A", requests "ESC-000001" and its register on its website's /planning."""
        words = theme.slug.split("-")
        return cls(
            bin_round_prefix=("".join(word[0] for word in words) if len(words) > 1 else words[0][:2]).upper(),
            open311_prefix="".join(word[0] for word in theme.name.split() if word[0].isalpha()).upper(),
            band_d_pence=DEFAULT_BAND_D_PENCE,
            planning_site=theme.contact.website.rstrip("/") + "/planning",
        )


@dataclass(frozen=True)
class SandboxCouncil:
    slug: str
    name: str
    gss_code: str
    tier: str
    # The kinds of service the connectors file gives this council ("bins", "street_reports", ...).
    services: frozenset[str]
    # Its Open311 jurisdiction_id, when the connectors file sends its street reports over Open311.
    jurisdiction_id: str | None
    demo: CouncilDemoDetails
    # Its Open311 system's own code for a report code, where the connectors file says they differ.
    service_codes: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_county(self) -> bool:
        return self.tier == "county"

    def service_code(self, report_code: str) -> str:
        return self.service_codes.get(report_code, report_code)


class SandboxCouncils:
    """Every council with a theme, with the services the connectors file gives it."""

    def __init__(self, themes_dir: Path, connectors_file: Path, demo_details_file: Path = DEMO_DETAILS_FILE):
        deployment = Deployment.load(connectors_file)
        services: dict[str, set[str]] = {}
        jurisdictions: dict[str, str] = {}
        service_codes: dict[str, dict[str, str]] = {}
        for (slug, kind), section in deployment.sections.items():
            services.setdefault(slug, set()).add(kind.value)
            if kind is ServiceKind.STREET_REPORTS and section.get("jurisdiction_id"):
                jurisdictions[slug] = section["jurisdiction_id"]
                service_codes[slug] = dict(section.get("service_codes", {}))
        listed = tomllib.loads(demo_details_file.read_text(encoding="utf-8"))
        self._by_slug: dict[str, SandboxCouncil] = {}
        for theme in ThemeRegistry(themes_dir, serve_localhost_subdomains=False):
            derived = CouncilDemoDetails.derived(theme)
            self._by_slug[theme.slug] = SandboxCouncil(
                slug=theme.slug,
                name=theme.name,
                gss_code=theme.gss_code,
                tier=theme.tier,
                services=frozenset(services.get(theme.slug, ())),
                jurisdiction_id=jurisdictions.get(theme.slug),
                demo=CouncilDemoDetails(**{**vars(derived), **listed.get(theme.slug, {})}),
                service_codes=service_codes.get(theme.slug, {}),
            )
        self._by_gss = {council.gss_code: council for council in self._by_slug.values()}
        self._by_jurisdiction = {
            council.jurisdiction_id: council for council in self._by_slug.values() if council.jurisdiction_id
        }

    def __iter__(self):
        return iter(self._by_slug.values())

    def get(self, slug: str) -> SandboxCouncil | None:
        return self._by_slug.get(slug)

    def serves(self, slug: str | None, service: str) -> bool:
        council = self.get(slug)
        return council is not None and service in council.services

    def district_for_gss(self, gss_code: str) -> SandboxCouncil | None:
        """The district council of a local authority district (a gazetteer address's lad_gss)."""
        council = self._by_gss.get(gss_code)
        return council if council is not None and not council.is_county else None

    def by_jurisdiction(self, jurisdiction_id: str) -> SandboxCouncil | None:
        return self._by_jurisdiction.get(jurisdiction_id)

    def county(self) -> SandboxCouncil:
        return next(council for council in self if council.is_county)


def load_for(app) -> SandboxCouncils:
    """The councils for a sandbox app: SANDBOX_THEMES_DIR and SANDBOX_CONNECTORS_FILE when the app sets them,
    otherwise the portal's own variables and defaults, so the sandbox and the portal agree."""
    themes_dir = app.config.get("SANDBOX_THEMES_DIR") or os.environ.get("PORTAL_THEMES_DIR")
    connectors_file = app.config.get("SANDBOX_CONNECTORS_FILE") or os.environ.get("PORTAL_CONNECTORS_FILE")
    return SandboxCouncils(
        Path(themes_dir or PROJECT_ROOT / "themes"),
        Path(connectors_file or PROJECT_ROOT / "connectors" / "sandbox.toml"),
    )


def councils() -> SandboxCouncils:
    """The current sandbox app's councils."""
    return current_app.extensions["sandbox_councils"]


def council(slug: str) -> SandboxCouncil:
    """One of the current sandbox app's councils, by slug (the back offices have checked it exists)."""
    found = councils().get(slug)
    if found is None:
        raise KeyError(slug)
    return found
