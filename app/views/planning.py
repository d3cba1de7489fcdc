"""Commenting on a planning application near home: a signed-in resident reads the council's rules on
publication, says whether they support or object and why, and the comment goes to the district's planning
system through the planning contract (docs/api/planning.yaml) while comments are open."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from app import address_problems
from app.backoffice import registry
from app.dashboard.household import household_for_current_resident
from app.forms import PortalForm, no_control_characters
from app.theming import themes
from connectors.errors import ConnectorError, NotFound
from connectors.models import CommentsClosed, NewPlanningComment

bp = Blueprint("planning", __name__)

LONDON = ZoneInfo("Europe/London")
NAME_MAX = 200
TEXT_MAX = 5000
SENT_KEY = "planning_comment_sent"
DEFAULT_RULES = _l(
    "The council publishes comments on planning applications on its website, with the name and address of "
    "the person who made them. It does not publish email addresses or phone numbers. It can only take "
    "planning matters into account, and may remove comments that are offensive."
)


UNAVAILABLE = _l(
    "%(council)s's planning system is not answering, so your comment has not been sent. Try again in a few "
    "minutes: your comment is still here."
)


class CommentForm(PortalForm):
    stance = RadioField(
        _l("What do you think of the application?"),
        validators=[InputRequired(message=_l("Select whether you object, support or are neutral"))],
        widget=GovRadioInput(),
        validate_choice=True,
    )
    text = TextAreaField(
        _l("Your comment"),
        description=_l("Say which planning matters your comment is about, such as loss of light or parking."),
        validators=[
            DataRequired(message=_l("Enter your comment")),
            Length(
                max=TEXT_MAX, message=_l("Your comment must be %(max)s characters or fewer", max=TEXT_MAX)
            ),
            no_control_characters,
        ],
        widget=GovCharacterCount(),
    )
    name = StringField(
        _l("Your name"),
        description=_l("The council publishes it with your comment."),
        validators=[
            DataRequired(message=_l("Enter your name")),
            Length(max=NAME_MAX, message=_l("Your name must be %(max)s characters or fewer", max=NAME_MAX)),
            no_control_characters,
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Send comment"), widget=GovSubmitInput())


def _today() -> date:
    return datetime.now(LONDON).date()


@bp.route("/planning/<path:reference>/comment", methods=["GET", "POST"])
@login_required
def comment(reference: str):
    if not current_user.home_uprn:
        return redirect(url_for("dashboard.home_postcode"))
    try:
        household = household_for_current_resident()
    except address_problems.AddressProblem:
        return redirect(url_for("dashboard.show"))
    council = themes().get(household.district)
    planning = registry().planning(household.district)
    try:
        application = planning.application(reference).value
    except NotFound:
        abort(404)
    except ConnectorError:
        return render_template("planning/unavailable.html", council=council), 503
    if not application.open_for_comment(_today()):
        return render_template("planning/closed.html", council=council, application=application)
    form = CommentForm()
    form.stance.choices = [
        ("object", _("I object to it")),
        ("support", _("I support it")),
        ("neutral", _("I am neutral")),
    ]
    if not form.is_submitted():
        form.name.data = current_user.name
    if form.validate_on_submit():
        sent = NewPlanningComment(
            name=form.name.data.strip(),
            address=household.address,
            stance=form.stance.data,
            text=form.text.data,
        )
        try:
            comment_reference = planning.comment(application.reference, sent)
        except CommentsClosed:
            return render_template("planning/closed.html", council=council, application=application)
        except ConnectorError:
            form.text.errors = [UNAVAILABLE % {"council": council.name}]
        else:
            session[SENT_KEY] = {"application": application.reference, "comment_reference": comment_reference}
            return redirect(url_for("planning.sent", reference=application.reference))
    return render_template(
        "planning/comment.html",
        council=council,
        application=application,
        form=form,
        address=household.address,
        rules=council.planning_comment_rules or DEFAULT_RULES,
    )


@bp.get("/planning/<path:reference>/comment/sent")
@login_required
def sent(reference: str):
    sent = session.get(SENT_KEY)
    if not sent or sent["application"] != reference:
        return redirect(url_for("planning.comment", reference=reference))
    return render_template(
        "planning/sent.html", reference=reference, comment_reference=sent["comment_reference"]
    )
