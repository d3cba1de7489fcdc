"""Bin days for everyone: postcode, then address, then the next collections and a calendar file, without an
account (the address chooser of app/address_chooser.py). Looking up collections asks the council's back
office, so it is rate-limited per client address like every other anonymous action.

A signed-in resident can also have a private calendar feed of their home's collections (app/bins/feeds.py)
and an email the day before each collection (app/bins/reminders.py), stopped by the link in every email, and,
where the council that collects their bins sends texts, a text message too (app/bins/text_reminders.py),
stopped by the link in every text or from the same page. A mobile number is texted nothing but a security code
until the resident types that code in on the "check your phone" page.
"""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _, format_time, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from govuk_frontend_wtf.main import wtforms_errors
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import ValidationError

from app import address_problems, mobile_numbers
from app.address_chooser import ChooseAddressForm, PostcodeForm, addresses_or_problem
from app.bins import BinsUnavailable, bin_days, calendar_text, feeds, reminders, text_reminders
from app.extensions import csrf, db, limiter
from app.forms import PortalForm
from app.theming import themes

bp = Blueprint("bins", __name__, url_prefix="/bin-days")
# Shown once, on the page after the feed's token was made: the session is the only place it is kept.
NEW_FEED_TOKEN_KEY = "new_bin_calendar_token"  # noqa: S105 - a session key
BIN_NOTICE = "bin-notice"  # the flash category of the bin pages' success banners


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
    resident = reminders.STOP_LINKS.resident(token)
    if resident is None:
        return render_template("bins/stop_link_problem.html"), 404
    if request.method == "POST":
        reminders.stop(resident)
        db.session.commit()
        return render_template("bins/reminders_stopped.html")
    return render_template("bins/stop_reminders.html", token=token)


class MobileNumberForm(PortalForm):
    mobile_number = StringField(_l("What is your mobile number?"), widget=GovTextInput())
    submit = SubmitField(_l("Send a security code"), widget=GovSubmitInput())

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
    sends texts. A new number is sent a security code, and is texted nothing else until it is typed in."""
    council = text_reminders.council_texting(current_user.home_uprn)
    if council is None:
        return redirect(url_for(".yours", _anchor="text-reminders"))
    existing = text_reminders.text_reminder_of(current_user)
    form = MobileNumberForm()
    if request.method == "GET" and existing:
        form.mobile_number.data = _shown_number(existing.mobile_number)
    if form.validate_on_submit():
        number = form.number
        if existing is not None and existing.mobile_number == number.national:
            if existing.confirmed_at is not None:
                return redirect(url_for(".yours", _anchor="text-reminders"))
            if text_reminders.code_is_live(existing):
                # The code already texted still works: texting another is the "send a new code" button's job.
                return redirect(url_for(".confirm_text_number"))
        reminder = text_reminders.start(current_user, number)
        db.session.flush()
        try:
            text_reminders.send_code(current_user, reminder, council)
        except text_reminders.CodeNotSent as problem:
            db.session.rollback()
            form.mobile_number.errors = [problem.message]
            return _number_page(form, council), problem.status
        db.session.commit()
        return redirect(url_for(".confirm_text_number"))
    return _number_page(form, council), 400 if form.errors else 200


def _number_page(form: MobileNumberForm, council: str) -> str:
    return render_template(
        "bins/text_reminders_number.html",
        form=form,
        errors=wtforms_errors(form),
        council=themes().get(council),
    )


class SecurityCodeForm(PortalForm):
    code = StringField(_l("Text message code"), widget=GovTextInput())
    submit = SubmitField(_l("Confirm the number"), widget=GovSubmitInput())

    typed: str = ""

    def validate_code(self, field) -> None:
        # People copy codes with spaces or a hyphen in the middle; anything else is a mistake to point out.
        typed = re.sub(r"[\s-]", "", field.data or "")
        if not typed:
            raise ValidationError(_l("Enter the security code from the text message"))
        if not re.fullmatch(r"[0-9]+", typed):
            raise ValidationError(_l("Enter the security code using only the numbers in the text message"))
        if len(typed) != text_reminders.CODE_DIGITS:
            raise ValidationError(
                _l(
                    "The security code has %(digits)s numbers: enter all of them",
                    digits=text_reminders.CODE_DIGITS,
                )
            )
        self.typed = typed


def _unconfirmed_reminder(*, lock: bool = False):
    """The resident's text reminder waiting for its code, or where to go instead."""
    council = text_reminders.council_texting(current_user.home_uprn)
    if council is None:
        return None, None, redirect(url_for(".yours", _anchor="text-reminders"))
    reminder = text_reminders.text_reminder_of(current_user, lock=lock)
    if reminder is None:
        return None, None, redirect(url_for(".text_reminders_number"))
    if reminder.confirmed_at is not None:
        return None, None, redirect(url_for(".yours", _anchor="text-reminders"))
    return reminder, council, None


@bp.route("/yours/texts/confirm", methods=["GET", "POST"])
@login_required
def confirm_text_number():
    """GOV.UK's "check your phone" page: the security code texted to the number, typed in, confirms it."""
    reminder, council, elsewhere = _unconfirmed_reminder(lock=request.method == "POST")
    if elsewhere:
        return elsewhere
    form = SecurityCodeForm()
    if form.validate_on_submit():
        answer = text_reminders.confirm(reminder, form.typed)
        db.session.commit()
        if answer.check is text_reminders.CodeCheck.RIGHT:
            flash(
                _(
                    "Your mobile number is confirmed. We will text %(number)s the day before each "
                    "collection.",
                    number=_shown_number(reminder.mobile_number),
                ),
                BIN_NOTICE,
            )
            return redirect(url_for(".yours", _anchor="text-reminders"))
        form.code.errors = [_code_problem(answer, reminder)]
    return _confirm_page(form, reminder, council), 400 if form.errors else 200


def _code_problem(answer, reminder) -> str:
    if answer.check is text_reminders.CodeCheck.EXPIRED:
        return _(
            "The security code has expired: a code works for %(minutes)s minutes. "
            "Select “Send a new code” to get another",
            minutes=current_app.config["TEXT_REMINDER_CODE_MINUTES"],
        )
    if answer.check is text_reminders.CodeCheck.USED_UP:
        return _(
            "You have entered a wrong security code too many times. Select “Send a new code” to get another"
        )
    return ngettext(
        "The security code is not right. Check the text message sent to %(number)s and try again: you have "
        "%(num)d more try",
        "The security code is not right. Check the text message sent to %(number)s and try again: you have "
        "%(num)d more tries",
        answer.tries_left,
        number=_shown_number(reminder.mobile_number),
    )


def _confirm_page(form: SecurityCodeForm, reminder, council: str, new_code_problem: str | None = None):
    errors = wtforms_errors(form)
    if new_code_problem:
        errors["errorList"].append({"text": new_code_problem, "href": "#new-code"})
    return render_template(
        "bins/text_reminders_confirm.html",
        form=form,
        errors=errors,
        has_errors=bool(errors["errorList"]),
        new_code_problem=new_code_problem,
        new_code_form=ActionForm(),
        number=_shown_number(reminder.mobile_number),
        code_live=text_reminders.code_is_live(reminder),
        code_expires=_time_of(text_reminders.code_expires_at(reminder)),
        minutes=current_app.config["TEXT_REMINDER_CODE_MINUTES"],
        council=themes().get(council),
    )


def _time_of(moment) -> str | None:
    return format_time(moment, "h:mm a") if moment else None


@bp.post("/yours/texts/confirm/new-code")
@login_required
def new_text_code():
    """Text a new security code to the number waiting to be confirmed (the old one stops working)."""
    reminder, council, elsewhere = _unconfirmed_reminder(lock=True)
    if elsewhere:
        return elsewhere
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".confirm_text_number"))
    wait = text_reminders.new_code_from(reminder)
    if wait:
        problem, status = (
            _(
                "Wait a minute before asking for a new code: a text can take a minute to arrive. "
                "You can ask for one from %(time)s",
                time=format_time(wait, "h:mm:ss a"),
            ),
            429,
        )
    else:
        try:
            text_reminders.send_code(current_user, reminder, council)
        except text_reminders.CodeNotSent as not_sent:
            db.session.rollback()
            problem, status = not_sent.message, not_sent.status
        else:
            db.session.commit()
            flash(
                _(
                    "We have sent a new security code to %(number)s.",
                    number=_shown_number(reminder.mobile_number),
                ),
                BIN_NOTICE,
            )
            return redirect(url_for(".confirm_text_number"))
    reminder = text_reminders.text_reminder_of(current_user)
    return _confirm_page(SecurityCodeForm(formdata=None), reminder, council, new_code_problem=problem), status


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
    resident = text_reminders.STOP_LINKS.resident(token)
    if resident is None:
        return render_template("bins/stop_link_problem.html"), 404
    if request.method == "POST":
        text_reminders.stop(resident)
        db.session.commit()
        return render_template("bins/text_reminders_stopped.html")
    return render_template("bins/stop_text_reminders.html", token=token)
