"""The sandbox: local stand-ins for the systems outside the portal, run as their own process.

It speaks the real protocols (OpenID Connect, Open311 GeoReport v2, the REST contracts in docs/api/) so the
portal reaches it over real HTTP exactly as it would reach a council's back office. It is a development and
test tool, never part of a deployment.
"""

import os
from pathlib import Path

from flask import Flask

from app.config import PROJECT_ROOT

DEFAULT_PORT = 5001


def create_sandbox_app(instance_dir: Path | None = None, **overrides) -> Flask:
    app = Flask(__name__, instance_path=str(instance_dir or PROJECT_ROOT / "instance" / "sandbox"))
    app.config.update(
        SECRET_KEY="sandbox-development-only",  # noqa: S105 - a development tool with made-up data
        SANDBOX_INSTANCE_DIR=Path(app.instance_path),
        # The key every sandbox back office expects; the portal sends it from the same variable.
        SANDBOX_API_KEY=os.environ.get("PORTAL_SANDBOX_API_KEY", "sandbox-back-office-key"),
        # Every council's GOV.UK Pay API key, in the sandbox's stand-in for Pay (sandbox/pay.py).
        SANDBOX_PAY_KEY=os.environ.get("PORTAL_SANDBOX_PAY_KEY", "sandbox-pay-key"),
        # Every council's GOV.UK Notify API key, in the sandbox's stand-in for Notify (sandbox/notify.py).
        SANDBOX_NOTIFY_API_KEY=os.environ.get("PORTAL_SANDBOX_NOTIFY_API_KEY", ""),
    )
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from sandbox import councils

    # The councils served: their themes and the connectors file, as the portal reads them.
    app.extensions["sandbox_councils"] = councils.load_for(app)

    from sandbox import faults

    faults.init_app(app)

    from sandbox import open311

    app.register_blueprint(open311.bp)

    from sandbox import bins, cases, council_tax, notify, pay, planning, waste

    for back_office in (bins, council_tax, planning, cases, waste):  # the REST contracts in docs/api/
        app.register_blueprint(back_office.bp)
    app.register_blueprint(pay.api)
    app.register_blueprint(pay.card_pages)
    app.register_blueprint(notify.api)
    app.register_blueprint(notify.pages)

    from sandbox import tiles

    app.register_blueprint(tiles.bp)

    from sandbox import idp, portal_accounts

    idp.init_app(app)
    portal_accounts.init_app(app)  # `flask --app sandbox:create_sandbox_app demo-residents`

    @app.get("/")
    def index():
        return {"sandbox": "My Norfolk development sandbox", "warning": "made-up data for development only"}

    return app
