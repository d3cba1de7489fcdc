"""Choose the council from the request's host, and give every template its theme."""

from collections.abc import Iterable

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request

from app.themes import Theme, ThemeRegistry


def themes() -> ThemeRegistry:
    return current_app.extensions["themes"]


def is_portal_index_host() -> bool:
    hostname = request.host.rsplit(":", 1)[0].lower()
    return hostname in current_app.config["PORTAL_INDEX_HOSTS"]


# Blueprints served only on the staff hosts (PORTAL_STAFF_HOSTS), and there nothing else.
STAFF_BLUEPRINTS = ("staff", "staff_report")


def is_staff_host() -> bool:
    hostname = request.host.rsplit(":", 1)[0].lower().rstrip(".")
    return hostname in current_app.config["STAFF_HOSTS"]


def any_host(view):
    """Mark a view that answers on any Host header, before a council is chosen (health checks, metrics)."""
    view.any_host = True
    return view


def council_pages_only(blueprint: Blueprint, *, except_for: Iterable[str] = ()) -> Blueprint:
    """Every page of ``blueprint`` but the endpoints named is one council's: on a host that names no council
    (the council list's) it is not found."""
    allowed = frozenset(except_for)

    @blueprint.before_request
    def _council_pages_only():
        if g.get("theme") is None and request.endpoint not in allowed:
            abort(404)

    return blueprint


def _choose_theme():
    if request.endpoint == "static":
        return None
    if getattr(current_app.view_functions.get(request.endpoint), "any_host", False):
        return None
    staff_page = request.blueprint in STAFF_BLUEPRINTS
    if is_staff_host():
        # The staff host has the neutral portal theme and only staff pages; its front door is staff sign-in.
        if staff_page:
            return None
        if request.path == "/":
            return redirect("/staff")
        abort(404)
    theme = themes().for_host(request.host)
    if theme is not None:
        g.theme = theme
        if staff_page:
            abort(404)
        return None
    if is_portal_index_host() and not staff_page:
        return None
    return render_template("errors/unknown_host.html", host=request.host), 404


def _template_context() -> dict:
    theme: Theme | None = g.get("theme")
    return {
        "theme": theme,
        "council_name": theme.name if theme else "My Norfolk",
    }


def init_app(app: Flask) -> None:
    app.before_request(_choose_theme)
    app.context_processor(_template_context)
