"""The My Norfolk portal: create_app builds the Flask application for one environment."""

from pathlib import Path

from flask import Flask, request
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from app import database, extensions, security, theming
from app.config import PROJECT_ROOT, config_for, production_problems
from app.themes import ThemedEnvironment, ThemeRegistry
from connectors.registry import council_names

EXTENSIONS = (
    extensions.db,
    extensions.csrf,
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


def create_app(environment: str | None = None, **overrides) -> Flask:
    """The portal for one environment (PORTAL_ENV when not given); ``overrides`` replace settings."""
    app = PortalFlask(
        __name__,
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    _configure(app, environment, overrides)
    _load_themes(app)
    _check_every_connected_council_has_a_theme(app)
    _trust_proxies(app)
    _init_request_hooks(app)
    _init_extensions(app)
    _init_features(app)
    return app


def _configure(app: Flask, environment: str | None, overrides: dict) -> None:
    app.config.from_object(config_for(environment))
    app.config.update(overrides)
    if app.config["ENVIRONMENT"] == "production" and (problems := production_problems(app.config)):
        raise RuntimeError(
            "The portal will not start in production until these are set (see README, Configuration):\n- "
            + "\n- ".join(problems)
        )
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)


def _load_themes(app: Flask) -> None:
    """The councils' themes, and templates looked up in a council's theme folder first (``@<slug>/``)."""
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


def _check_every_connected_council_has_a_theme(app: Flask) -> None:
    """A council in the connectors file without a theme would have no name, domain or brand to show: refuse
    to start, naming it, rather than fail on the first page that names the council."""
    slugs = {theme.slug for theme in app.extensions["themes"]}
    connectors_file = app.config["CONNECTORS_FILE"]
    unthemed = [council for council in council_names(connectors_file) if council not in slugs]
    if unthemed:
        raise RuntimeError(
            f"The connectors file {connectors_file} names councils with no theme in "
            f"{app.config['THEMES_DIR']}: {', '.join(unthemed)}. Add a theme folder for each "
            "(themes/README.md), or remove its [councils.<slug>] sections from the connectors file."
        )


def _trust_proxies(app: Flask) -> None:
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def _init_request_hooks(app: Flask) -> None:
    """Every request gets its id first; the council is chosen before any other before-request hook (CSRF
    among them) can answer with a page."""
    from app.observability import health, logs, metrics

    logs.init_app(app)
    theming.init_app(app)
    database.configure(app)
    security.init_request_checks(app)
    health.init_app(app)
    metrics.init_app(app)


def _init_extensions(app: Flask) -> None:
    from app import i18n

    for extension in EXTENSIONS:
        extension.init_app(app)
    database.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    i18n.init_app(app)


def _init_features(app: Flask) -> None:
    """Each feature's hooks, commands and pages, in the order their before-request hooks must run."""
    from app import assets, cli, errors, models  # noqa: F401 - models register on import
    from app.views import main

    security.init_app(app)
    assets.init_app(app)
    cli.init_app(app)
    errors.init_app(app)
    app.register_blueprint(main.bp)

    from app import boundaries, gazetteer_import
    from app.views import addresses as address_views

    gazetteer_import.init_app(app)
    boundaries.init_app(app)
    app.register_blueprint(address_views.bp)

    from app import auth, session_commands, sessions, your_council
    from app.dashboard import page_cache
    from app.views import account, account_sessions, dashboard

    sessions.init_app(app)
    app.cli.add_command(session_commands.sessions_cli)
    auth.init_app(app)
    your_council.init_app(app)
    page_cache.init_app(app)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(account_sessions.bp)

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

    from app.views import planning

    app.register_blueprint(planning.bp)

    from app import migration, staff
    from app.insights import personal_data as _insights_personal_data  # noqa: F401 - registers on import
    from app.insights import rollup
    from app.observability import tracing
    from app.views import staff as staff_views

    rollup.init_app(app)
    staff.init_app(app)
    staff_views.init_app(app)
    migration.init_app(app)
    tracing.init_app(app)

    from app import worker

    worker.init_app(app)  # `flask worker`, which runs the periodic steps the features above added
