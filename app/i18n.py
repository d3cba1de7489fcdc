"""Locale choice: ?lang= first, then the cookie it sets, then the browser's Accept-Language."""

from flask import Flask, current_app, g, request
from flask_babel import get_locale

from app.extensions import babel


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    requested = request.args.get("lang")
    if requested in supported:
        g.remember_locale = requested
        return requested
    remembered = request.cookies.get(current_app.config["LOCALE_COOKIE"])
    if remembered in supported:
        return remembered
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _remember_locale(response):
    if locale := g.get("remember_locale"):
        response.set_cookie(
            current_app.config["LOCALE_COOKIE"],
            locale,
            max_age=365 * 24 * 3600,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_locale)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
