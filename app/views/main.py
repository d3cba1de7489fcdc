"""The start page, the list of councils, and each council's accessibility, cookies and privacy pages."""

from flask import Blueprint, current_app, g, render_template, request

from app.theming import council_pages_only, themes

bp = council_pages_only(Blueprint("main", __name__), except_for=("main.start",))


@bp.get("/")
def start():
    if g.get("theme") is None:
        port = f":{request.host.rsplit(':', 1)[1]}" if ":" in request.host else ""
        councils = [
            {"theme": theme, "url": f"{request.scheme}://{theme.localhost_domain()}{port}/"}
            for theme in themes()
        ]
        return render_template("pages/index.html", councils=councils)
    return render_template("pages/start.html")


@bp.get("/accessibility-statement")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.get("/cookies")
def cookies():
    return render_template("pages/cookies.html")


@bp.get("/privacy")
def privacy():
    config = current_app.config
    retention = {
        "session_idle_minutes": config["SESSION_IDLE_MINUTES"],
        "session_absolute_hours": config["SESSION_ABSOLUTE_HOURS"],
        "draft_days": config["DRAFT_DAYS"],
        "confirm_link_days": config["TRACKING_CONFIRM_LINK_DAYS"],
        "tracking_link_days": config["TRACKING_LINK_DAYS"],
        "staff_audit_days": config["STAFF_AUDIT_RETENTION_DAYS"],
    }
    return render_template("pages/privacy.html", retention=retention)
