"""The least a production app needs to start (app.config.production_problems), for tests that build one."""

from pathlib import Path

PRODUCTION_SETTINGS = {
    "SECRET_KEY": "x" * 32,
    "SQLITE_IN_PRODUCTION": True,
    "WEB_WORKERS": 1,
    # Never read by these tests: production refuses the sandbox's file.
    "CONNECTORS_FILE": Path("/etc/my-norfolk/connectors.toml"),
}
