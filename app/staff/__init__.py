"""Council staff: sign-in on the staff hosts, roles, the audit trail; their pages are app/views/staff."""

from urllib.parse import urlsplit

from flask import Flask

from app import retention
from app.staff import audit, cli, sessions


def init_app(app: Flask) -> None:
    config = app.config
    if config["ENVIRONMENT"] == "production" and config.get("STAFF_OIDC_DISCOVERY_URL"):
        if not config.get("STAFF_OIDC_ISSUER"):
            raise RuntimeError(
                "Set PORTAL_STAFF_OIDC_ISSUER to the staff provider's issuer: production pins it"
            )
        if not config.get("STAFF_HOSTS"):
            raise RuntimeError("Set PORTAL_STAFF_HOSTS: staff pages are served only on the staff hosts")
    discovery_url = config.get("STAFF_OIDC_DISCOVERY_URL")
    if discovery_url:
        # Staff sign-out ends at the staff provider's end-session page (as for residents, app.auth).
        parts = urlsplit(discovery_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        origins = tuple(config.get("CSP_FORM_ACTION_ORIGINS", ()))
        if origin not in origins:
            config["CSP_FORM_ACTION_ORIGINS"] = (*origins, origin)
    from app.staff import personal_data  # noqa: F401 - registers in "download my data"

    sessions.init_app(app)
    app.cli.add_command(cli.staff_audit_cli)
    # `flask worker` removes entries past PORTAL_STAFF_AUDIT_RETENTION_DAYS with the portal's other retention
    # tasks, every PORTAL_RETENTION_STAFF_AUDIT_MINUTES.
    retention.TASKS["staff_audit"] = audit.purge_expired
    app.context_processor(_staff_pages_context)


def _staff_pages_context() -> dict:
    from flask import request

    from app.staff.identity import current_staff
    from app.theming import STAFF_BLUEPRINTS

    if request.blueprint in STAFF_BLUEPRINTS:
        return {"council_name": "My Norfolk staff", "staff_member": current_staff(), "staff_page": True}
    return {}
