"""Configuration classes, one per environment, all read from PORTAL_* environment variables."""

import os
from pathlib import Path

from connectors.clamav import parse_address

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"PORTAL_{name}", default)


def _env_int(name: str, default: int) -> int:
    return int(_env(name) or default)


def _env_flag(name: str) -> bool:
    return (_env(name) or "").strip().lower() in ("1", "true", "yes")


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in (_env(name) or "").split(",") if item.strip())


# Values that exist only so that development works out of the box: production refuses to start with them.
DEVELOPMENT_SECRETS = {
    "SECRET_KEY": "development-only-secret-key",
    "OIDC_CLIENT_SECRET": "development-only-client-secret",
    "STAFF_OIDC_CLIENT_SECRET": "development-only-staff-client-secret",
    "METRICS_TOKEN": "development-metrics-token",
    "IDENTITY_ADMIN_CLIENT_SECRET": "development-only-identity-admin-secret",
    "LEGACY_CHECK_SECRET": "development-only-legacy-check-secret",
}
DEVELOPMENT_SANDBOX_API_KEY = "sandbox-back-office-key"  # noqa: S105 - named to be refused
DEVELOPMENT_PAY_KEY = "sandbox-pay-key"  # noqa: S105 - the sandbox GOV.UK Pay's key, refused in production
# The sandbox GOV.UK Notify's made-up API key (sandbox/notify.py), refused in production.
DEVELOPMENT_NOTIFY_KEY = (
    "my_norfolk_sandbox-5b4c1f2e-9d3a-4e8b-a6c7-1f2e3d4c5b6a-0e9d8c7b-6a5f-4e3d-b2c1-a0f9e8d7c6b5"
)


class Config:
    ENVIRONMENT = "production"
    SECRET_KEY = _env("SECRET_KEY")
    INSTANCE_DIR = Path(_env("INSTANCE_DIR") or PROJECT_ROOT / "instance")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}"
    # Database connections per process: one per thread serving requests (app/database.py). Unset: gunicorn's
    # threads per worker (gunicorn.conf.py sets PORTAL_SERVER_THREADS in each worker), otherwise 10.
    DATABASE_POOL_SIZE = _env_int("DATABASE_POOL_SIZE", 0) or _env_int("SERVER_THREADS", 0) or 10
    # How long a request waits for a connection (and, on SQLite, for the write lock) before the resident is
    # asked to try again (503 with Retry-After).
    DATABASE_WAIT_SECONDS = float(_env("DATABASE_WAIT_SECONDS") or 5)
    # Production runs on PostgreSQL; SQLite there only when this says so (one small process, no replicas).
    SQLITE_IN_PRODUCTION = _env_flag("SQLITE_IN_PRODUCTION")
    THEMES_DIR = Path(_env("THEMES_DIR") or PROJECT_ROOT / "themes")
    # Hosts that show the list of councils instead of one council's portal.
    PORTAL_INDEX_HOSTS = tuple(filter(None, (_env("INDEX_HOSTS") or "").split(",")))
    # `<slug>.localhost` serves each council in development and test only.
    SERVE_LOCALHOST_SUBDOMAINS = False
    REDIS_URL = _env("REDIS_URL")
    # How many app servers run the portal, and how many gunicorn workers each (gunicorn.conf.py reads the
    # same variable): more than one process in all needs Redis for sessions, rate limits and breakers.
    APP_SERVERS = _env_int("APP_SERVERS", 1)
    WEB_WORKERS = _env_int("WEB_WORKERS", os.cpu_count() or 1)
    LOG_LEVEL = _env("LOG_LEVEL") or "INFO"
    # /metrics (docs/operating.md): a Bearer token for the scraper, and/or the networks it may scrape from.
    METRICS_TOKEN = _env("METRICS_TOKEN")
    METRICS_ALLOW = _env_list("METRICS_ALLOW")
    METRICS_REFUSALS_LIMIT = _env("METRICS_REFUSALS_LIMIT") or "20 per minute"
    # `flask worker` touches this file on every round; `flask worker --check` fails when it is older than
    # the stale limit (the container's health check).
    WORKER_HEARTBEAT_FILE = Path(_env("WORKER_HEARTBEAT_FILE") or INSTANCE_DIR / "worker.heartbeat")
    WORKER_HEARTBEAT_STALE_SECONDS = _env_int("WORKER_HEARTBEAT_STALE_SECONDS", 120)
    # How many reverse proxies (load balancer, CDN) stand in front of the portal and set X-Forwarded-*:
    # callback URLs, HTTPS detection and audit IP addresses depend on it.
    PROXY_HOPS = _env_int("PROXY_HOPS", 0)
    # Which back office serves which council's services (docs/connectors.md); credentials come from the
    # environment variables that file names.
    CONNECTORS_FILE = Path(_env("CONNECTORS_FILE") or PROJECT_ROOT / "connectors" / "sandbox.toml")
    OS_PLACES_API_KEY = _env("OS_PLACES_API_KEY")
    # The map on "where is the problem?": any XYZ raster tile service and its attribution. With
    # PORTAL_OS_MAPS_API_KEY and no PORTAL_MAP_TILE_URL, Ordnance Survey's OS Maps API (Road, Web Mercator).
    OS_MAPS_API_KEY = _env("OS_MAPS_API_KEY")
    MAP_TILE_URL = _env("MAP_TILE_URL") or (
        f"https://api.os.uk/maps/raster/v1/zxy/Road_3857/{{z}}/{{x}}/{{y}}.png?key={OS_MAPS_API_KEY}"
        if OS_MAPS_API_KEY
        else None
    )
    MAP_ATTRIBUTION = _env("MAP_ATTRIBUTION") or (
        "Contains OS data © Crown copyright and database right" if OS_MAPS_API_KEY else ""
    )
    # A pothole this near (metres) a trunk road (flask boundaries import-roads) goes to National Highways.
    TRUNK_ROAD_DISTANCE_M = float(_env("TRUNK_ROAD_DISTANCE_M") or 20)
    # The dashboard's time budget: a tile whose back office has not answered by then is stale or unavailable.
    DASHBOARD_BUDGET_SECONDS = float(_env("DASHBOARD_BUDGET_SECONDS") or 2.0)
    # How long a rendered dashboard may be shown again to the same session while nothing on it has changed
    # (app/dashboard/page_cache.py; needs PORTAL_REDIS_URL; 0: never), and how many each process keeps.
    DASHBOARD_PAGE_SECONDS = _env_int("DASHBOARD_PAGE_SECONDS", 60)
    DASHBOARD_PAGE_ENTRIES = _env_int("DASHBOARD_PAGE_ENTRIES", 500)
    # Form targets beyond our own origin (the identity provider's sign-out page, for example).
    CSP_FORM_ACTION_ORIGINS = tuple(filter(None, (_env("CSP_FORM_ACTION_ORIGINS") or "").split(",")))

    # Sign-in: the councils' OpenID Connect provider (see README, "Signing in").
    OIDC_DISCOVERY_URL = _env("OIDC_DISCOVERY_URL")
    OIDC_CLIENT_ID = _env("OIDC_CLIENT_ID")
    OIDC_CLIENT_SECRET = _env("OIDC_CLIENT_SECRET")
    OIDC_CLIENT_AUTH_METHOD = _env("OIDC_CLIENT_AUTH_METHOD") or "client_secret_basic"
    OIDC_PRIVATE_KEY_FILE = _env("OIDC_PRIVATE_KEY_FILE")
    OIDC_SCOPES = _env("OIDC_SCOPES") or "openid profile email"
    OIDC_ACR_VERIFIED = _env("OIDC_ACR_VERIFIED")
    # The issuer the discovery document must name (ASVS 10.5.3); production refuses to start without it.
    OIDC_ISSUER = _env("OIDC_ISSUER")
    # "standard" (acr_values / acr) or "govuk-one-login" (vtr / vot).
    OIDC_PROFILE = _env("OIDC_PROFILE") or "standard"
    # GOV.UK One Login: the vector of trust asked for at ordinary sign-in.
    OIDC_VTR_SIGNED_IN = _env("OIDC_VTR_SIGNED_IN") or "Cl.Cm"
    # Whose word an email address is taken on: "claim" (userinfo's email_verified is JSON true) or "always"
    # (a provider that verifies every address it releases without saying so).
    OIDC_EMAIL_VERIFIED = _env("OIDC_EMAIL_VERIFIED") or "claim"
    OIDC_PASSWORD_RESET_DISCOVERY_URL = _env("OIDC_PASSWORD_RESET_DISCOVERY_URL")
    # The password-reset flow's issuer, where it differs from PORTAL_OIDC_ISSUER.
    OIDC_PASSWORD_RESET_ISSUER = _env("OIDC_PASSWORD_RESET_ISSUER")
    OIDC_TIMEOUT_SECONDS = float(_env("OIDC_TIMEOUT_SECONDS") or 10)
    OIDC_CLOCK_SKEW_SECONDS = _env_int("OIDC_CLOCK_SKEW_SECONDS", 60)
    # A back-channel logout token issued longer ago than this is refused, however long its exp.
    OIDC_LOGOUT_TOKEN_MAX_AGE_SECONDS = _env_int("OIDC_LOGOUT_TOKEN_MAX_AGE_SECONDS", 300)
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30)
    SESSION_ABSOLUTE_HOURS = _env_int("SESSION_ABSOLUTE_HOURS", 12)
    # Ending their other sessions: the resident must have entered their password at most this long before,
    # or enters it again first.
    REAUTHENTICATE_MINUTES = _env_int("REAUTHENTICATE_MINUTES", 10)

    # Council staff (see README, "Council staff"): their own hosts, never a council's residents' domain, and
    # their own client at the councils' workforce identity provider.
    STAFF_HOSTS = tuple(filter(None, (_env("STAFF_HOSTS") or "").lower().split(",")))
    STAFF_OIDC_DISCOVERY_URL = _env("STAFF_OIDC_DISCOVERY_URL")
    STAFF_OIDC_CLIENT_ID = _env("STAFF_OIDC_CLIENT_ID")
    STAFF_OIDC_CLIENT_SECRET = _env("STAFF_OIDC_CLIENT_SECRET")
    STAFF_OIDC_CLIENT_AUTH_METHOD = _env("STAFF_OIDC_CLIENT_AUTH_METHOD") or "client_secret_basic"
    STAFF_OIDC_PRIVATE_KEY_FILE = _env("STAFF_OIDC_PRIVATE_KEY_FILE")
    STAFF_OIDC_SCOPES = _env("STAFF_OIDC_SCOPES") or "openid profile email"
    # As PORTAL_OIDC_ISSUER: the issuer the staff provider's discovery document must name; production
    # refuses to start without it when staff sign-in is configured.
    STAFF_OIDC_ISSUER = _env("STAFF_OIDC_ISSUER")
    # The ID token claim holding the staff member's roles, each `<council-slug>:<role>` or `*:<role>`.
    STAFF_OIDC_ROLES_CLAIM = _env("STAFF_OIDC_ROLES_CLAIM") or "roles"
    # Multi-factor sign-in: every one of these amr values must be in the ID token, and its acr must be this.
    STAFF_OIDC_REQUIRED_AMR = tuple(filter(None, (_env("STAFF_OIDC_REQUIRED_AMR") or "").split(",")))
    STAFF_OIDC_REQUIRED_ACR = _env("STAFF_OIDC_REQUIRED_ACR")
    STAFF_SESSION_COOKIE_NAME = "portal_staff_session"
    STAFF_SESSION_IDLE_MINUTES = _env_int("STAFF_SESSION_IDLE_MINUTES", 15)
    # Sending a report for someone, adding to their case, retrying or cancelling a delivery: the staff member
    # must have signed in (entered their password) at most this long before, or signs in again first.
    STAFF_REAUTHENTICATE_MINUTES = _env_int("STAFF_REAUTHENTICATE_MINUTES", 10)
    STAFF_SEARCH_RATE_LIMIT = _env("STAFF_SEARCH_RATE_LIMIT") or "30 per minute;300 per day"
    STAFF_AUDIT_RETENTION_DAYS = _env_int("STAFF_AUDIT_RETENTION_DAYS", 7 * 366)

    LANGUAGES = ("en",)
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/London"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
    LOCALE_COOKIE = "portal_locale"
    # Set by static/src/portal.mjs: the dashboard sends a browser that runs JavaScript its shell first.
    JAVASCRIPT_COOKIE = "portal_javascript"

    SESSION_COOKIE_NAME = "portal_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    WTF_CSRF_TIME_LIMIT = None
    SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024)

    # Reports (see README, "Reporting a problem").
    REPORT_RATE_LIMIT = _env("REPORT_RATE_LIMIT") or "10 per hour;30 per day"
    BIN_DAYS_RATE_LIMIT = _env("BIN_DAYS_RATE_LIMIT") or "30 per minute;300 per day"
    # How often `flask worker` looks for collections tomorrow to remind residents of.
    BIN_REMINDER_CHECK_MINUTES = _env_int("BIN_REMINDER_CHECK_MINUTES", 30)
    # Security codes texted to confirm a mobile number for text reminders (one for each number given, and each
    # new code asked for): how many one resident may have sent, and how many one number may be sent.
    TEXT_REMINDER_NUMBER_RATE_LIMIT = _env("TEXT_REMINDER_NUMBER_RATE_LIMIT") or "5 per day"
    # A code works for this many minutes and this many wrong tries; a new one can be asked for this many
    # seconds after the last (a text can take a minute to arrive).
    TEXT_REMINDER_CODE_MINUTES = _env_int("TEXT_REMINDER_CODE_MINUTES", 15)
    TEXT_REMINDER_CODE_TRIES = _env_int("TEXT_REMINDER_CODE_TRIES", 5)
    TEXT_REMINDER_CODE_RESEND_SECONDS = _env_int("TEXT_REMINDER_CODE_RESEND_SECONDS", 60)
    RATELIMIT_STORAGE_URI = _env("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    PHOTO_MAX_BYTES = _env_int("PHOTO_MAX_BYTES", 10_000_000)
    # Photos one client address may upload (report journeys and comments alike).
    PHOTO_RATE_LIMIT = _env("PHOTO_RATE_LIMIT") or "30 per hour;100 per day"
    # ClamAV's daemon (clamd), as host:port: every uploaded photo is scanned before it is opened, and refused
    # when clamd finds something or cannot say. Production refuses to start without it; unset elsewhere,
    # photos are not scanned (bin/dev sets the sandbox's stand-in).
    CLAMD_ADDRESS = _env("CLAMD_ADDRESS")
    CLAMD_TIMEOUT_SECONDS = float(_env("CLAMD_TIMEOUT_SECONDS") or 10)
    TRACKING_LINK_DAYS = _env_int("TRACKING_LINK_DAYS", 365)
    # Journeys left unfinished (and unsent photos) are forgotten after this long.
    DRAFT_DAYS = _env_int("DRAFT_DAYS", 30)
    # How often `flask worker` deletes what has outlived its retention period (app/retention.py).
    RETENTION_SESSIONS_MINUTES = _env_int("RETENTION_SESSIONS_MINUTES", 15)
    RETENTION_DRAFTS_MINUTES = _env_int("RETENTION_DRAFTS_MINUTES", 60)
    RETENTION_UNCONFIRMED_FOLLOWERS_MINUTES = _env_int("RETENTION_UNCONFIRMED_FOLLOWERS_MINUTES", 60)
    RETENTION_STAFF_AUDIT_MINUTES = _env_int("RETENTION_STAFF_AUDIT_MINUTES", 60)
    DELIVERY_MAX_ATTEMPTS = _env_int("DELIVERY_MAX_ATTEMPTS", 12)
    DELIVERY_BASE_DELAY_SECONDS = _env_int("DELIVERY_BASE_DELAY_SECONDS", 30)
    DELIVERY_MAX_DELAY_SECONDS = _env_int("DELIVERY_MAX_DELAY_SECONDS", 3600)
    DELIVERY_LEASE_SECONDS = _env_int("DELIVERY_LEASE_SECONDS", 120)
    NOTIFY_API_KEY = _env("NOTIFY_API_KEY")
    NOTIFY_TEMPLATE_ID = _env("NOTIFY_TEMPLATE_ID")
    NOTIFY_BASE_URL = _env("NOTIFY_BASE_URL") or "https://api.notifications.service.gov.uk"
    # Paid waste services (see README, "Paying for waste services"): payments started per address, and how
    # long the worker leaves a payment in progress before asking GOV.UK Pay how it went.
    WASTE_PAY_RATE_LIMIT = _env("WASTE_PAY_RATE_LIMIT") or "20 per hour;50 per day"
    WASTE_RECONCILE_AFTER_MINUTES = _env_int("WASTE_RECONCILE_AFTER_MINUTES", 5)
    # Tracking requests (see README, "Tracking requests"): how often the worker asks each back office for
    # changes, the longest it backs off when one fails, and how long a "confirm you want updates" link works.
    TRACKING_POLL_SECONDS = _env_int("TRACKING_POLL_SECONDS", 120)
    TRACKING_POLL_MAX_DELAY_SECONDS = _env_int("TRACKING_POLL_MAX_DELAY_SECONDS", 3600)
    TRACKING_CONFIRM_LINK_DAYS = _env_int("TRACKING_CONFIRM_LINK_DAYS", 7)
    # Guests asking to follow reports: how often one client address may ask, and how many confirmation
    # emails one address may be sent (none is sent again while an earlier one still works).
    FOLLOW_RATE_LIMIT = _env("FOLLOW_RATE_LIMIT") or "10 per hour;30 per day"
    FOLLOW_EMAIL_RATE_LIMIT = _env("FOLLOW_EMAIL_RATE_LIMIT") or "3 per hour;5 per day"
    # Updates and "not fixed" a signed-in resident adds to their cases, counted per resident.
    CASE_UPDATE_RATE_LIMIT = _env("CASE_UPDATE_RATE_LIMIT") or "10 per hour;30 per day"
    # Wrong answers when linking a council tax account, counted per resident and per account reference.
    COUNCIL_TAX_GUESS_LIMIT = _env("COUNCIL_TAX_GUESS_LIMIT") or "5 per hour;10 per day"
    # The development mailbox (emails kept in a table when GOV.UK Notify is not configured, and its page
    # /_dev/mailbox) exists only where this is true: production without Notify refuses to send rather than
    # keep residents' emails in a table nobody reads.
    DEV_MAILBOX = False
    # Bringing a district's portal accounts into the shared sign-in (docs/migration.md): the identity
    # provider's admin API (Microsoft Graph: its token endpoint and Graph base URL, the app registration that
    # may create users, the tenant's issuer domain and the b2c-extensions app's id), how many calls run at
    # once and how many may start each second.
    IDENTITY_ADMIN_TOKEN_URL = _env("IDENTITY_ADMIN_TOKEN_URL")
    IDENTITY_ADMIN_GRAPH_URL = _env("IDENTITY_ADMIN_GRAPH_URL") or "https://graph.microsoft.com/v1.0"
    IDENTITY_ADMIN_CLIENT_ID = _env("IDENTITY_ADMIN_CLIENT_ID")
    IDENTITY_ADMIN_CLIENT_SECRET = _env("IDENTITY_ADMIN_CLIENT_SECRET")
    IDENTITY_ADMIN_TENANT = _env("IDENTITY_ADMIN_TENANT")
    IDENTITY_ADMIN_EXTENSIONS_APP_ID = _env("IDENTITY_ADMIN_EXTENSIONS_APP_ID")
    IDENTITY_ADMIN_PARALLEL = _env_int("IDENTITY_ADMIN_PARALLEL", 8)
    IDENTITY_ADMIN_REQUESTS_PER_SECOND = float(_env("IDENTITY_ADMIN_REQUESTS_PER_SECOND") or 50)
    # The provider calls the legacy password check with this client id and secret (HTTP Basic), and may
    # check one account this often; legacy hashes not used by then are deleted after PORTAL_LEGACY_HASH_DAYS.
    LEGACY_CHECK_CLIENT_ID = _env("LEGACY_CHECK_CLIENT_ID") or "identity-provider"
    LEGACY_CHECK_SECRET = _env("LEGACY_CHECK_SECRET")
    LEGACY_CHECK_LIMIT = _env("LEGACY_CHECK_LIMIT") or "5 per 15 minutes;20 per day"
    LEGACY_HASH_DAYS = _env_int("LEGACY_HASH_DAYS", 90)
    RETENTION_LEGACY_HASHES_MINUTES = _env_int("RETENTION_LEGACY_HASHES_MINUTES", 60)


class DevelopmentConfig(Config):
    ENVIRONMENT = "development"
    SECRET_KEY = _env("SECRET_KEY") or "development-only-secret-key"
    SERVE_LOCALHOST_SUBDOMAINS = True
    PORTAL_INDEX_HOSTS = Config.PORTAL_INDEX_HOSTS or ("localhost", "127.0.0.1")
    SESSION_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"
    # The sandbox's development identity provider (sandbox/idp) registers this client for every council.
    OIDC_DISCOVERY_URL = (
        _env("OIDC_DISCOVERY_URL") or "http://127.0.0.1:5001/idp/.well-known/openid-configuration"
    )
    # The sandbox's plain generated tiles (sandbox/tiles.py), so the map needs no internet; from wherever
    # `make run` starts the sandbox, as connectors/sandbox.toml finds it.
    SANDBOX_ORIGIN = f"http://{_env('SANDBOX_HOST') or '127.0.0.1'}:{_env('SANDBOX_PORT') or 5001}"
    MAP_TILE_URL = Config.MAP_TILE_URL or f"{SANDBOX_ORIGIN}/tiles/{{z}}/{{x}}/{{y}}.png"
    MAP_ATTRIBUTION = Config.MAP_ATTRIBUTION or "Sandbox tiles: made-up, not a real map"
    OIDC_CLIENT_ID = _env("OIDC_CLIENT_ID") or "my-norfolk-development"
    OIDC_CLIENT_SECRET = _env("OIDC_CLIENT_SECRET") or "development-only-client-secret"
    # The sandbox provider's step-up level (sandbox/idp), so step-up can be tried in development.
    OIDC_ACR_VERIFIED = _env("OIDC_ACR_VERIFIED") or "urn:my-norfolk:sandbox:verified"
    DEV_MAILBOX = True
    # Where `make run` (bin/dev) serves the portal, for links in emails the worker and commands send.
    DEV_PORT = int(os.environ.get("PORT") or 5000)
    STAFF_HOSTS = Config.STAFF_HOSTS or ("staff.localhost",)
    # The sandbox identity provider also stands in for the councils' workforce provider (sandbox/idp).
    STAFF_OIDC_DISCOVERY_URL = (
        _env("STAFF_OIDC_DISCOVERY_URL") or "http://127.0.0.1:5001/idp/.well-known/openid-configuration"
    )
    STAFF_OIDC_CLIENT_ID = _env("STAFF_OIDC_CLIENT_ID") or "my-norfolk-staff-development"
    STAFF_OIDC_CLIENT_SECRET = _env("STAFF_OIDC_CLIENT_SECRET") or "development-only-staff-client-secret"
    # One development server process: no Redis needed.
    WEB_WORKERS = _env_int("WEB_WORKERS", 1)
    # The sandbox provider's admin API (sandbox/idp/admin.py), next to its discovery document.
    IDENTITY_ADMIN_TOKEN_URL = _env("IDENTITY_ADMIN_TOKEN_URL") or OIDC_DISCOVERY_URL.replace(
        "/.well-known/openid-configuration", "/oauth2/v2.0/token"
    )
    IDENTITY_ADMIN_GRAPH_URL = _env("IDENTITY_ADMIN_GRAPH_URL") or OIDC_DISCOVERY_URL.replace(
        "/.well-known/openid-configuration", "/graph/v1.0"
    )
    IDENTITY_ADMIN_CLIENT_ID = _env("IDENTITY_ADMIN_CLIENT_ID") or "my-norfolk-identity-admin"
    IDENTITY_ADMIN_CLIENT_SECRET = (
        _env("IDENTITY_ADMIN_CLIENT_SECRET") or DEVELOPMENT_SECRETS["IDENTITY_ADMIN_CLIENT_SECRET"]
    )
    IDENTITY_ADMIN_TENANT = _env("IDENTITY_ADMIN_TENANT") or "sandbox.my-norfolk.localhost"
    IDENTITY_ADMIN_EXTENSIONS_APP_ID = _env("IDENTITY_ADMIN_EXTENSIONS_APP_ID") or "sandbox"
    IDENTITY_ADMIN_REQUESTS_PER_SECOND = float(_env("IDENTITY_ADMIN_REQUESTS_PER_SECOND") or 1000)
    LEGACY_CHECK_SECRET = _env("LEGACY_CHECK_SECRET") or DEVELOPMENT_SECRETS["LEGACY_CHECK_SECRET"]


class TestConfig(DevelopmentConfig):
    ENVIRONMENT = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL") or "sqlite://"
    # Tests that check the limit lower it; the rest must not trip over it.
    REPORT_RATE_LIMIT = "1000 per minute"
    # Tests scrape /metrics from one address all session; the guessing test sets its own limit.
    METRICS_REFUSALS_LIMIT = "10000 per minute"
    PHOTO_RATE_LIMIT = "1000 per minute"
    FOLLOW_RATE_LIMIT = "1000 per minute"
    FOLLOW_EMAIL_RATE_LIMIT = "1000 per minute"
    CASE_UPDATE_RATE_LIMIT = "1000 per minute"
    COUNCIL_TAX_GUESS_LIMIT = "1000 per minute"
    STAFF_SEARCH_RATE_LIMIT = "1000 per minute"
    BIN_DAYS_RATE_LIMIT = "1000 per minute"
    TEXT_REMINDER_NUMBER_RATE_LIMIT = "1000 per minute"
    LEGACY_CHECK_LIMIT = "1000 per minute"
    RATELIMIT_STORAGE_URI = "memory://"
    # Tests of the dashboard's budget set their own; elsewhere a busy test machine (the suite runs on parallel
    # workers) must not turn a slow answer into "unavailable".
    DASHBOARD_BUDGET_SECONDS = 10.0


class ProductionConfig(Config):
    pass


def production_problems(config, environ=os.environ) -> list[str]:
    """Every setting production cannot run without (create_app refuses to start and lists them all)."""
    problems = []
    if not config.get("SECRET_KEY"):
        problems.append("PORTAL_SECRET_KEY is not set")
    for name, development_value in DEVELOPMENT_SECRETS.items():
        if config.get(name) == development_value:
            problems.append(f"PORTAL_{name} is the development value")
    database = str(config.get("SQLALCHEMY_DATABASE_URI", ""))
    if database.startswith("sqlite") and not config.get("SQLITE_IN_PRODUCTION"):
        problems.append(
            "PORTAL_DATABASE_URL is not a PostgreSQL URL "
            "(set PORTAL_SQLITE_IN_PRODUCTION=true to run on SQLite)"
        )
    processes = config.get("APP_SERVERS", 1) * config.get("WEB_WORKERS", 1)
    if processes > 1 and not config.get("REDIS_URL"):
        problems.append(
            f"PORTAL_REDIS_URL is not set, and {processes} processes "
            "(PORTAL_APP_SERVERS x PORTAL_WEB_WORKERS) would each keep their own rate limits, "
            "circuit breakers and connector cache"
        )
    if config.get("OIDC_DISCOVERY_URL") and not config.get("OIDC_ISSUER"):
        problems.append("PORTAL_OIDC_ISSUER is not set: production pins the identity provider's issuer")
    if not config.get("CLAMD_ADDRESS"):
        problems.append("PORTAL_CLAMD_ADDRESS is not set: production scans every uploaded photo with clamd")
    else:
        try:
            parse_address(config["CLAMD_ADDRESS"])
        except ValueError:
            problems.append("PORTAL_CLAMD_ADDRESS is not host:port")
    if environ.get("PORTAL_SANDBOX_API_KEY") == DEVELOPMENT_SANDBOX_API_KEY:
        problems.append("PORTAL_SANDBOX_API_KEY is the development value")
    for name, value in sorted(environ.items()):
        if name.startswith("PORTAL_PAY_KEY_") and value == DEVELOPMENT_PAY_KEY:
            problems.append(f"{name} is the sandbox GOV.UK Pay's key")
        if name.startswith("PORTAL_") and value == DEVELOPMENT_NOTIFY_KEY:
            problems.append(f"{name} is the sandbox GOV.UK Notify's key")
    return problems


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for(environment: str | None) -> type[Config]:
    name = environment or _env("ENV") or "production"
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"PORTAL_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
