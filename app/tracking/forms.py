"""Forms for tracking: the list's filter (GET, no state change), adding to a case, following a report."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import EmailField, RadioField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.forms import PortalForm, no_control_characters

UPDATE_MAX = 2000


class FilterForm(PortalForm):
    """Read from the query string: filtering changes nothing, so it needs no CSRF token."""

    class Meta:
        csrf = False

    council = SelectField(_l("Council"), validators=[Optional()], widget=GovSelect())
    state = RadioField(
        _l("Status"),
        choices=[
            SelectChoice("all", _l("All")),
            SelectChoice("open", _l("Open")),
            SelectChoice("closed", _l("Closed")),
        ],
        default="all",
        validators=[Optional()],
        widget=GovRadioInput(),
    )
    submit = SubmitField(_l("Show requests"), widget=GovSubmitInput())


class CommentForm(PortalForm):
    text = TextAreaField(
        _l("What do you want to tell the council?"),
        validators=[
            DataRequired(message=_l("Enter what you want to tell the council")),
            Length(
                max=UPDATE_MAX, message=_l("Your comment must be %(max)s characters or fewer", max=UPDATE_MAX)
            ),
            no_control_characters,
        ],
        widget=GovTextArea(),
    )
    photo = FileField(
        _l("Add a photo (optional)"),
        description=_l("A JPG, PNG or HEIC photo. We remove the location and camera details from it."),
        widget=GovFileInput(),
    )
    submit = SubmitField(_l("Send to the council"), widget=GovSubmitInput())


class CaseUpdateForm(PortalForm):
    """An update on a case in a council's CRM: words only (the cases contract carries no photos)."""

    text = TextAreaField(
        _l("What do you want to add to your case?"),
        validators=[
            DataRequired(message=_l("Enter what you want to add to your case")),
            Length(
                max=UPDATE_MAX, message=_l("Your update must be %(max)s characters or fewer", max=UPDATE_MAX)
            ),
            no_control_characters,
        ],
        widget=GovTextArea(),
    )
    submit = SubmitField(_l("Send to the council"), widget=GovSubmitInput())


class NotFixedForm(PortalForm):
    text = TextAreaField(
        _l("What is still wrong?"),
        validators=[
            DataRequired(message=_l("Enter what is still wrong")),
            Length(
                max=UPDATE_MAX,
                message=_l("What is still wrong must be %(max)s characters or fewer", max=UPDATE_MAX),
            ),
            no_control_characters,
        ],
        widget=GovTextArea(),
    )
    submit = SubmitField(_l("Tell the council it is not fixed"), widget=GovSubmitInput())


class FollowForm(PortalForm):
    """A guest follows by email (confirmed by a link); a signed-in resident's form has no field to fill."""

    email = EmailField(
        _l("Email address"),
        description=_l("We send a link to confirm it is you, then an email each time the report changes."),
        validators=[
            DataRequired(message=_l("Enter your email address")),
            Length(max=320, message=_l("Email address must be 320 characters or fewer")),
            Email(
                message=_l("Enter an email address in the correct format, like name@example.com"),
                check_deliverability=False,
            ),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Get updates"), widget=GovSubmitInput())


class ConfirmForm(PortalForm):
    submit = SubmitField(_l("Confirm"), widget=GovSubmitInput())
