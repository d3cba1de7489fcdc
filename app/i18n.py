"""Babel, set up once: the locale (?lang= first, then the cookie it sets, then the browser's Accept-Language)
and the templates' translation functions."""

from flask import Flask, current_app, g, request
from flask_babel import get_locale, get_translations

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


def _request_translations():
    """The translations flask-babel chose for this request, looked up once per locale per request: its own
    gettext resolves the domain, the locale and the catalogue cache again for every string (several context
    lookups each), about a tenth of the function calls that render the dashboard. A changed locale
    (force_locale, refresh) is a new locale object, so it is looked up afresh."""
    babel_context = g.get("_flask_babel")
    locale = getattr(babel_context, "babel_locale", None)
    if locale is None:  # not chosen yet in this request: flask-babel chooses it
        return get_translations()
    remembered = g.get("_portal_translations")
    if remembered is not None and remembered[0] is locale:
        return remembered[1]
    translations = get_translations()
    g._portal_translations = (locale, translations)
    return translations


def _install_template_gettext(app: Flask) -> None:
    """Templates' _(), gettext and ngettext (Jinja's i18n extension, set up by flask-babel) with the request's
    translations looked up once."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: _request_translations().ugettext(string),
        ngettext=lambda singular, plural, n: _request_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: _request_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _request_translations().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    _install_template_gettext(app)
    app.after_request(_remember_locale)
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
