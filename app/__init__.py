"""The My Norfolk portal: create_app builds the Flask application for one environment."""

from pathlib import Path

from flask import Flask, g, request
from flask_babel import get_translations
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from app import database, extensions, security, theming
from app.config import PROJECT_ROOT, config_for, production_problems
from app.themes import ThemedEnvironment, ThemeRegistry

EXTENSIONS = (
    extensions.db,
    extensions.csrf,
    extensions.babel,
    extensions.htmx,
    extensions.limiter,
)


class PortalFlask(Flask):
    jinja_environment = ThemedEnvironment

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """A year for URLs that carry a content hash (asset_url); files reached without one, such as the
        GOV.UK Frontend module that portal.mjs imports, are revalidated so an upgrade reaches browsers."""
        if request and request.args.get("v"):
            return super().get_send_file_max_age(filename)
        return 0

    def log_exception(self, exc_info) -> None:
        """The request's URL rule, never its path (a tracking link's token)."""
        from app.observability.logs import route

        self.logger.error("Exception on %s [%s]", route(), request.method, exc_info=exc_info)


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


def create_app(environment: str | None = None, **overrides) -> Flask:
    app = PortalFlask(
        __name__,
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.from_object(config_for(environment))
    app.config.update(overrides)
    if app.config["ENVIRONMENT"] == "production" and (problems := production_problems(app.config)):
        raise RuntimeError(
            "The portal will not start in production until these are set (see README, Configuration):\n- "
            + "\n- ".join(problems)
        )
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)

    themes = ThemeRegistry(Path(app.config["THEMES_DIR"]), app.config["SERVE_LOCALHOST_SUBDOMAINS"])
    app.extensions["themes"] = themes
    app.jinja_loader = ChoiceLoader(
        [
            PrefixLoader(
                {f"@{theme.slug}": FileSystemLoader(theme.directory / "templates") for theme in themes}
            ),
            FileSystemLoader(Path(__file__).parent / "templates"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )

    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    # Every request gets its id first; the council is chosen before any other before-request hook (CSRF
    # among them) can answer with a page.
    from app.observability import health, logs, metrics, tracing

    logs.init_app(app)
    theming.init_app(app)
    database.configure(app)
    security.init_request_checks(app)
    health.init_app(app)
    metrics.init_app(app)
    for extension in EXTENSIONS:
        extension.init_app(app)
    database.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )

    from app import assets, cli, errors, i18n, models  # noqa: F401 - models register on import
    from app.views import main

    i18n.init_app(app)
    _install_template_gettext(app)
    security.init_app(app)
    assets.init_app(app)
    cli.init_app(app)
    errors.init_app(app)
    app.register_blueprint(main.bp)

    from app import addresses, boundaries
    from app.views import addresses as address_views

    addresses.init_app(app)
    boundaries.init_app(app)
    app.register_blueprint(address_views.bp)

    from app import auth, sessions, your_council
    from app.views import account, dashboard

    sessions.init_app(app)
    auth.init_app(app)
    your_council.init_app(app)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(account.bp)

    from app.reports import cli as reports_cli
    from app.reports import personal_data as _reports_personal_data  # noqa: F401 - registers on import
    from app.views import dev_mailbox, reports

    reports.init_app(app)
    reports_cli.init_app(app)
    dev_mailbox.init_app(app)

    from app import tracking
    from app.views import requests as requests_views

    tracking.init_app(app)
    app.register_blueprint(requests_views.bp)

    from app.views import waste as waste_views
    from app.waste import personal_data as _waste_personal_data  # noqa: F401 - registers on import

    waste_views.init_app(app)

    from app.bins import reminders
    from app.views import bins

    app.register_blueprint(bins.bp)
    reminder_step = reminders.worker_step_every(app.config["BIN_REMINDER_CHECK_MINUTES"])
    app.extensions.setdefault("worker_steps", []).append(reminder_step)

    from app.views import council_tax

    app.register_blueprint(council_tax.bp)

    from app import migration, staff

    staff.init_app(app)
    migration.init_app(app)
    tracing.init_app(app)

    return app
