"""The signed-in resident's landing page. The dashboard tiles arrive with the dashboard issue."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.auth.assurance import assurance_of_current_resident

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@login_required
def show():
    return render_template(
        "dashboard/show.html", resident=current_user, assurance=assurance_of_current_resident()
    )
