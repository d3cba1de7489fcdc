"""Bin days for everyone: postcode, then address, then the next collections and a calendar file, without an
account (the address chooser of app/address_chooser.py). Looking up collections asks the council's back
office, so it is rate-limited per client address like every other anonymous action.

A signed-in resident can also have a private calendar feed of their home's collections (app/bins/feeds.py)
and an email the day before each collection (app/bins/reminders.py), stopped by the link in every email.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _
from flask_login import current_user, login_required
from govuk_frontend_wtf.main import wtforms_errors

from app import addresses
from app.address_chooser import ChooseAddressForm, PostcodeForm, addresses_or_problem
from app.bins import BinsUnavailable, bin_days, calendar_text, feeds, reminders
from app.extensions import csrf, db, limiter
from app.forms import PortalForm
from app.theming import themes

bp = Blueprint("bins", __name__, url_prefix="/bin-days")
# Shown once, on the page after the feed's token was made: the session is the only place it is kept.
NEW_FEED_TOKEN_KEY = "new_bin_calendar_token"  # noqa: S105 - a session key


@bp.before_request
def _council_pages_only():
    if g.get("theme") is None:
        abort(404)


def _rate_limit() -> str:
    return current_app.config["BIN_DAYS_RATE_LIMIT"]


# One allowance per client address for every page that asks a council's bin system.
bin_day_look_ups = limiter.shared_limit(_rate_limit, scope="bin-day-look-ups")


@bp.errorhandler(429)
def too_many_look_ups(error):
    return render_template("bins/too_many.html"), 429


@bp.route("/", methods=["GET", "POST"])
def postcode():
    form = PostcodeForm()
    if request.method == "GET" and request.args.get("postcode"):
        form.postcode.data = request.args["postcode"]
    if form.validate_on_submit():
        return redirect(url_for(".choose", postcode=form.postcode_found))
    return render_template("bins/postcode.html", form=form, errors=wtforms_errors(form))


@bp.route("/address", methods=["GET", "POST"])
def choose():
    entered = request.args.get("postcode", "")
    found, problem = addresses_or_problem(entered)
    if problem:
        form = PostcodeForm(formdata=None, postcode=entered)
        form.postcode.errors = [problem]
        return render_template("bins/postcode.html", form=form, errors=wtforms_errors(form)), 400
    form = ChooseAddressForm.for_addresses(found)
    if form.validate_on_submit():
        return redirect(url_for(".collections", uprn=form.chosen_address().uprn))
    return render_template(
        "bins/choose.html", form=form, errors=wtforms_errors(form), postcode=found[0].postcode
    )


@bp.get("/<uprn>")
@bin_day_look_ups
def collections(uprn: str):
    try:
        days = bin_days(uprn)
    except addresses.AddressProblem as problem:
        return render_template("bins/problem.html", problem=problem), 404
    except BinsUnavailable as unavailable:
        return render_template("bins/unavailable.html", council=unavailable.council), 503
    return render_template("bins/collections.html", days=days, collector=themes().get(days.council))


def _calendar_response(uprn: str, *, cache_control: str) -> Response:
    try:
        days = bin_days(uprn)
    except addresses.AddressProblem:
        abort(404)
    except BinsUnavailable:
        return Response(
            _("The bin collection days are not available at the moment. Try again later."),
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "300", "Cache-Control": "no-store"},
        )
    return Response(
        calendar_text(days),
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'attachment; filename="bin-collections.ics"',
            "Cache-Control": cache_control,
        },
    )


@bp.get("/<uprn>/bin-collections.ics")
@bin_day_look_ups
def calendar_file(uprn: str):
    return _calendar_response(uprn, cache_control="public, max-age=3600")


@bp.get("/feed/<token>.ics")
@bin_day_look_ups
def calendar_feed(token: str):
    """A resident's private feed, for calendar apps to poll: always their home's dates as the council's
    system gives them now, so a collection moved by a bank holiday moves in the calendar too."""
    resident = feeds.resident_for(token)
    if resident is None or not resident.home_uprn:
        abort(404)
    db.session.commit()
    response = _calendar_response(resident.home_uprn, cache_control="private, max-age=3600")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- a signed-in resident's calendar feed and reminders -----------------------------------------------------


class ActionForm(PortalForm):
    """A button's form: only the CSRF token; the button pressed says what to do."""


@bp.get("/yours")
@login_required
def yours():
    if not current_user.home_uprn:
        return redirect(url_for("dashboard.home_postcode"))
    token = session.pop(NEW_FEED_TOKEN_KEY, None)
    feed_url = url_for(".calendar_feed", token=token, _external=True) if token else None
    return render_template(
        "bins/yours.html",
        form=ActionForm(),
        feed=feeds.feed_of(current_user),
        feed_url=feed_url,
        webcal_url="webcal:" + feed_url.split(":", 1)[1] if feed_url else None,
        reminder=reminders.reminder_of(current_user),
    )


@bp.post("/yours/calendar")
@login_required
def change_calendar():
    if ActionForm().validate_on_submit():
        action = request.form.get("action")
        if action == "new":
            session[NEW_FEED_TOKEN_KEY] = feeds.new_token(current_user)
        elif action == "stop":
            feeds.stop(current_user)
        db.session.commit()
    return redirect(url_for(".yours", _anchor="calendar"))


@bp.post("/yours/reminders")
@login_required
def change_reminders():
    if ActionForm().validate_on_submit():
        action = request.form.get("action")
        if action == "start":
            reminders.start(current_user)
        elif action == "stop":
            reminders.stop(current_user)
        db.session.commit()
    return redirect(url_for(".yours", _anchor="reminders"))


@bp.route("/reminders/stop/<token>", methods=["GET", "POST"])
@csrf.exempt
def stop_reminders(token: str):
    """The link in every reminder. The signed token is the permission, so a POST needs no CSRF token and no
    sign-in, as mail programs send it (RFC 8058, List-Unsubscribe-Post). The GET only shows the button."""
    resident = reminders.resident_from_stop_token(token)
    if resident is None:
        return render_template("bins/stop_link_problem.html"), 404
    if request.method == "POST":
        reminders.stop(resident)
        db.session.commit()
        return render_template("bins/reminders_stopped.html")
    return render_template("bins/stop_reminders.html", token=token)
