"""The least a production app needs to start (app.config.production_problems), for tests that build one."""

PRODUCTION_SETTINGS = {
    "SECRET_KEY": "x" * 32,
    "SQLITE_IN_PRODUCTION": True,
    "WEB_WORKERS": 1,
    # Nothing listens there in tests: a photo would be refused unscanned, and /readyz reports "unreachable".
    "CLAMD_ADDRESS": "127.0.0.1:9",
}
