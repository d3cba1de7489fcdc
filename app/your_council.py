"""Your council: on any council's domain but their own district's, a signed-in resident is told which district
they live in, with a link to the same page on that council's domain.

The district comes from the resident's home address; it is remembered in their session (with the UPRN it was
worked out from), so most pages do not look the address up again, nor load the resident to ask for it. A
page that loads the resident anyway checks the remembered UPRN against theirs; changing the home address
here forgets it (`forget_home_district`).
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_login import current_user

from app import address_lookup, address_problems
from app.sessions import resident_loaded, signed_in_as
from app.themes import Theme
from app.theming import STAFF_BLUEPRINTS, themes

SESSION_KEY = "home_district"


def home_district() -> Theme | None:
    """The district council of the signed-in resident's home, or None (signed out, no home, not found)."""
    if signed_in_as() is None:
        return None
    remembered = session.get(SESSION_KEY)
    if remembered and not resident_loaded():
        slug = remembered[1]
    elif not current_user.is_authenticated or not current_user.home_uprn:
        return None
    elif remembered and remembered[0] == current_user.home_uprn:
        slug = remembered[1]
    else:
        try:
            home = address_lookup.address_for_uprn(current_user.home_uprn)
        except address_problems.AddressProblem:
            return None
        district = themes().by_gss_code(home.lad_gss)
        slug = district.slug if district is not None and district.tier == "district" else None
        session[SESSION_KEY] = [current_user.home_uprn, slug]
    return themes().get(slug) if slug else None


def forget_home_district() -> None:
    session.pop(SESSION_KEY, None)


def same_page_on(theme: Theme) -> str:
    """This page's address on another council's domain (its start page when this is not a page to GET)."""
    hostname, _, port = request.host.partition(":")
    if hostname.endswith(".localhost") and current_app.config["SERVE_LOCALHOST_SUBDOMAINS"]:
        host = theme.localhost_domain() + (f":{port}" if port else "")
    elif theme.domains:
        host = theme.domains[0]
    else:
        host = theme.localhost_domain()
    path = request.full_path.rstrip("?") if request.method == "GET" else "/"
    return f"{request.scheme}://{host}{path}"


def _template_context() -> dict:
    theme = g.get("theme")
    if theme is None or request.blueprint in STAFF_BLUEPRINTS or request.headers.get("HX-Request"):
        return {}
    home = home_district()
    if home is None or home.slug == theme.slug:
        return {}
    return {"your_council": home, "your_council_url": same_page_on(home)}


def init_app(app: Flask) -> None:
    app.context_processor(_template_context)
