"""The development mailbox page: the emails the portal sent while GOV.UK Notify is not configured.

It exists only where PORTAL_ENV is development or test (config DEV_MAILBOX), on any host.
"""

from flask import Blueprint, Flask, render_template, request

from app.reports.mail import mailbox

bp = Blueprint("dev_mailbox", __name__)


@bp.get("/_dev/mailbox")
def index():
    return render_template("reports/mailbox.html", messages=mailbox(request.args.get("to"), limit=50))


def init_app(app: Flask) -> None:
    if app.config.get("DEV_MAILBOX"):
        app.register_blueprint(bp)
