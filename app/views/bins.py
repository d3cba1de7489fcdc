"""Bin days for everyone: postcode, then address, then the next collections and a calendar file, without an
account (the address chooser of app/address_chooser.py). Looking up collections asks the council's back
office, so it is rate-limited per client address like every other anonymous action.

A signed-in resident can also have a private calendar feed of their home's collections (app/bins/feeds.py)
and an email the day before each collection (app/bins/reminders.py), stopped by the link in every email, and,
where the council that collects their bins sends texts, a text message too (app/bins/text_reminders.py),
stopped by the link in every text or from the same page.
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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from govuk_frontend_wtf.main import wtforms_errors
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import ValidationError

from app import address_problems, mobile_numbers, rate_limits
from app.address_chooser import ChooseAddressForm, PostcodeForm, addresses_or_problem
from app.bins import BinsUnavailable, bin_days, calendar_text, feeds, reminders, text_reminders
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
    except address_problems.AddressProblem as problem:
        return render_template("bins/problem.html", problem=problem), 404
    except BinsUnavailable as unavailable:
        return render_template("bins/unavailable.html", council=unavailable.council), 503
    return render_template("bins/collections.html", days=days, collector=themes().get(days.council))


def _calendar_response(uprn: str, *, cache_control: str) -> Response:
    try:
        days = bin_days(uprn)
    except address_problems.AddressProblem:
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
        text_reminder=text_reminders.text_reminder_of(current_user),
        council_texting=text_reminders.council_texting(current_user.home_uprn),
        shown_number=_shown_number,
        themes_get=themes().get,
    )


def _shown_number(national: str) -> str:
    return mobile_numbers.MobileNumber(national).shown()


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


class MobileNumberForm(PortalForm):
    mobile_number = StringField(_l("What is your mobile number?"), widget=GovTextInput())
    submit = SubmitField(_l("Text me the day before each collection"), widget=GovSubmitInput())

    number: mobile_numbers.MobileNumber | None = None

    def validate_mobile_number(self, field) -> None:
        try:
            self.number = mobile_numbers.parse(field.data)
        except mobile_numbers.NotAMobileNumber as problem:
            raise ValidationError(problem.message) from None


@bp.route("/yours/texts", methods=["GET", "POST"])
@login_required
def text_reminders_number():
    """Start text reminders, or change their number: only where the council collecting the resident's bins
    sends texts."""
    council = text_reminders.council_texting(current_user.home_uprn)
    if council is None:
        return redirect(url_for(".yours", _anchor="text-reminders"))
    existing = text_reminders.text_reminder_of(current_user)
    form = MobileNumberForm()
    if request.method == "GET" and existing:
        form.mobile_number.data = _shown_number(existing.mobile_number)
    if form.validate_on_submit():
        number = form.number
        unchanged = existing is not None and existing.mobile_number == number.national
        blocked = None
        if not unchanged:
            # Each number given is texted before every collection: limit how often a resident gives a new one,
            # and how many residents give the same one.
            blocked = rate_limits.blocked_until(
                "TEXT_REMINDER_NUMBER_RATE_LIMIT", "resident", str(current_user.id)
            ) or rate_limits.blocked_until("TEXT_REMINDER_NUMBER_RATE_LIMIT", "number", number.national)
        if blocked:
            form.mobile_number.errors = [
                _(
                    "You have given a new mobile number too many times. Try again after %(time)s",
                    time=rate_limits.when(blocked),
                )
            ]
            return _number_page(form, council, existing), 429
        if not unchanged:
            rate_limits.count("TEXT_REMINDER_NUMBER_RATE_LIMIT", "resident", str(current_user.id))
            rate_limits.count("TEXT_REMINDER_NUMBER_RATE_LIMIT", "number", number.national)
        text_reminders.start(current_user, number)
        db.session.commit()
        return redirect(url_for(".yours", _anchor="text-reminders"))
    return _number_page(form, council, existing), 400 if form.errors else 200


def _number_page(form: MobileNumberForm, council: str, existing) -> str:
    return render_template(
        "bins/text_reminders_number.html",
        form=form,
        errors=wtforms_errors(form),
        council=themes().get(council),
        existing=existing,
    )


@bp.post("/yours/texts/stop")
@login_required
def stop_text_reminders_here():
    if ActionForm().validate_on_submit():
        text_reminders.stop(current_user)
        db.session.commit()
    return redirect(url_for(".yours", _anchor="text-reminders"))


@bp.route("/texts/stop/<token>", methods=["GET", "POST"])
@csrf.exempt
def stop_text_reminders(token: str):
    """The link in every text. The signed token is the permission, so it works without signing in; the GET
    only shows the button (a link preview must not stop anything)."""
    resident = text_reminders.resident_from_stop_token(token)
    if resident is None:
        return render_template("bins/stop_link_problem.html"), 404
    if request.method == "POST":
        text_reminders.stop(resident)
        db.session.commit()
        return render_template("bins/text_reminders_stopped.html")
    return render_template("bins/stop_text_reminders.html", token=token)
