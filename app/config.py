"""Configuration classes, one per environment, all read from PORTAL_* environment variables."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"PORTAL_{name}", default)


def _env_int(name: str, default: int) -> int:
    return int(_env(name) or default)


class Config:
    ENVIRONMENT = "production"
    SECRET_KEY = _env("SECRET_KEY")
    INSTANCE_DIR = Path(_env("INSTANCE_DIR") or PROJECT_ROOT / "instance")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    THEMES_DIR = Path(_env("THEMES_DIR") or PROJECT_ROOT / "themes")
    # Hosts that show the list of councils instead of one council's portal.
    PORTAL_INDEX_HOSTS = tuple(filter(None, (_env("INDEX_HOSTS") or "").split(",")))
    # `<slug>.localhost` serves each council in development and test only.
    SERVE_LOCALHOST_SUBDOMAINS = False
    REDIS_URL = _env("REDIS_URL")

    LANGUAGES = ("en",)
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
    LOCALE_COOKIE = "portal_locale"

    SESSION_COOKIE_NAME = "portal_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    WTF_CSRF_TIME_LIMIT = None
    SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 12 * 1024 * 1024)


class DevelopmentConfig(Config):
    ENVIRONMENT = "development"
    SECRET_KEY = _env("SECRET_KEY") or "development-only-secret-key"
    SERVE_LOCALHOST_SUBDOMAINS = True
    PORTAL_INDEX_HOSTS = Config.PORTAL_INDEX_HOSTS or ("localhost", "127.0.0.1")
    SESSION_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"


class TestConfig(DevelopmentConfig):
    ENVIRONMENT = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL") or "sqlite://"


class ProductionConfig(Config):
    pass


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
