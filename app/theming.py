"""Choose the council from the request's host, and give every template its theme."""

from flask import Flask, current_app, g, render_template, request

from app.themes import Theme, ThemeRegistry


def themes() -> ThemeRegistry:
    return current_app.extensions["themes"]


def is_portal_index_host() -> bool:
    hostname = request.host.rsplit(":", 1)[0].lower()
    return hostname in current_app.config["PORTAL_INDEX_HOSTS"]


def _choose_theme():
    if request.endpoint == "static":
        return None
    theme = themes().for_host(request.host)
    if theme is not None:
        g.theme = theme
        return None
    if is_portal_index_host():
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
