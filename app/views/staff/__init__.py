"""Council staff's pages, on the staff hosts only (app.theming): sign-in, finding a resident, their single
view, reporting for them (assisted digital), the audit log, parked deliveries, insights and residents'
feedback. One view module per
feature; every view writes an entry in the staff audit trail (app.staff.audit)."""

from flask import Blueprint, Flask

bp = Blueprint("staff", __name__, url_prefix="/staff")

from app.views.staff import (  # noqa: E402,F401 - the view modules add their routes to bp
    audit_log,
    deliveries,
    feedback,
    insights,
    resident_sessions,
    residents,
    sign_in,
)


def init_app(app: Flask) -> None:
    from app.views import reports

    app.register_blueprint(bp)
    # The residents' report journey again, for contact centre agents (app.staff.assisted).
    app.register_blueprint(reports.bp, name="staff_report", url_prefix="/staff/report")
