"""The report journey's forms: one question per page, GOV.UK widgets, a clear message for every mistake."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DecimalField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from app.address_problems import InvalidPostcode
from app.forms import PortalForm
from app.postcodes import normalise_postcode
from app.reports.journey import Question
from app.reports.types import REPORT_TYPES

DESCRIPTION_MAX = 2000
PLACE_MAX = 500
ANSWER_MAX = 200
COMMENT_MAX = 1200


class ReportTypeForm(PortalForm):
    report_type = RadioField(
        _l("What do you want to report?"),
        choices=[SelectChoice(report_type.slug, report_type.title) for report_type in REPORT_TYPES],
        validators=[InputRequired(message=_l("Select what you want to report"))],
        widget=GovRadioInput(),
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class PlaceForm(PortalForm):
    description = TextAreaField(
        _l("Describe where the problem is"),
        description=_l(
            "For example, the road name, the nearest house number or landmark, and which side of the road."
        ),
        validators=[
            DataRequired(message=_l("Describe where the problem is")),
            Length(
                max=PLACE_MAX,
                message=_l("Where the problem is must be %(max)s characters or fewer", max=PLACE_MAX),
            ),
        ],
        widget=GovCharacterCount(),
    )
    latitude = StringField(
        _l("Latitude (optional)"),
        description=_l("If you know the exact position, for example from a map app: like 52.6309"),
        validators=[Optional(), Length(max=20)],
        widget=GovTextInput(),
    )
    longitude = StringField(
        _l("Longitude (optional)"),
        description=_l("Like 1.2974"),
        validators=[Optional(), Length(max=20)],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())

    def validate_latitude(self, field) -> None:
        _coordinate(field, 90, _l("Latitude must be a number between -90 and 90, like 52.6309"))

    def validate_longitude(self, field) -> None:
        _coordinate(field, 180, _l("Longitude must be a number between -180 and 180, like 1.2974"))
        if bool(self.latitude.data) != bool(field.data) and not self.latitude.errors:
            raise ValidationError(_l("Enter both the latitude and the longitude, or neither"))

    def coordinates(self) -> tuple[float, float] | tuple[None, None]:
        if self.latitude.data and self.longitude.data:
            return float(self.latitude.data), float(self.longitude.data)
        return None, None


def _coordinate(field, limit: int, message) -> None:
    if not field.data:
        return
    try:
        value = float(field.data)
    except ValueError:
        raise ValidationError(message) from None
    if not -limit <= value <= limit or value != value:
        raise ValidationError(message)


class AreaForm(PortalForm):
    council = RadioField(
        _l("Which council area is the problem in?"),
        validators=[InputRequired(message=_l("Select the council area the problem is in"))],
        widget=GovRadioInput(),
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class NearbyForm(PortalForm):
    choice = RadioField(
        _l("Is your problem one of these?"),
        validators=[
            InputRequired(message=_l("Select the report that is yours, or say yours is a different problem"))
        ],
        widget=GovRadioInput(),
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class DetailsForm(PortalForm):
    description = TextAreaField(
        _l("Describe the problem"),
        validators=[
            DataRequired(message=_l("Describe the problem")),
            Length(
                max=DESCRIPTION_MAX,
                message=_l("The description must be %(max)s characters or fewer", max=DESCRIPTION_MAX),
            ),
        ],
        widget=GovCharacterCount(),
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class OptionalDetailsForm(DetailsForm):
    description = TextAreaField(
        _l("Is there anything else the council should know? (optional)"),
        validators=[
            Optional(),
            Length(
                max=DESCRIPTION_MAX,
                message=_l(
                    "What you tell the council must be %(max)s characters or fewer", max=DESCRIPTION_MAX
                ),
            ),
        ],
        widget=GovCharacterCount(),
    )


class PhotoForm(PortalForm):
    photo = FileField(
        _l("Upload a photo (optional)"),
        description=_l(
            "A JPG, PNG or HEIC photo, smaller than 10 MB. We remove the location and camera details from it."
        ),
        widget=GovFileInput(),
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class EmailForm(PortalForm):
    email = EmailField(
        _l("Email address (optional)"),
        description=_l(
            "Only if you want emails about your report: we send a copy of it and tell you when it changes."
        ),
        validators=[
            Optional(),
            Length(max=320, message=_l("Email address must be 320 characters or fewer")),
            Email(
                message=_l("Enter an email address in the correct format, like name@example.com"),
                check_deliverability=False,
            ),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class SendForm(PortalForm):
    idempotency_key = HiddenField()
    # A honeypot: people never see or reach it; form-filling robots fill it in.
    website = StringField(_l("Leave this empty"))
    submit = SubmitField(_l("Send report"), widget=GovSubmitInput())


class FeedbackForm(PortalForm):
    rating = RadioField(
        _l("Overall, how did you feel about reporting this?"),
        choices=[
            SelectChoice("very-satisfied", _l("Very satisfied")),
            SelectChoice("satisfied", _l("Satisfied")),
            SelectChoice("neutral", _l("Neither satisfied nor dissatisfied")),
            SelectChoice("dissatisfied", _l("Dissatisfied")),
            SelectChoice("very-dissatisfied", _l("Very dissatisfied")),
        ],
        validators=[InputRequired(message=_l("Select how you felt about reporting this"))],
        widget=GovRadioInput(),
    )
    comment = TextAreaField(
        _l("How could we improve this service? (optional)"),
        description=_l("Do not include personal or financial information."),
        validators=[
            Optional(),
            Length(
                max=COMMENT_MAX,
                message=_l("Your comment must be %(max)s characters or fewer", max=COMMENT_MAX),
            ),
        ],
        widget=GovCharacterCount(),
    )
    submit = SubmitField(_l("Send feedback"), widget=GovSubmitInput())


def question_form(question: Question, formdata=None, data=None) -> PortalForm:
    """A one-field form for one of the council's questions, built from its Open311 attribute."""
    required_message = (
        _l("Select an answer") if question.datatype.endswith("valuelist") else _l("Enter an answer")
    )
    presence = [DataRequired(message=required_message)] if question.required else [Optional()]
    choices = [SelectChoice(choice.key, choice.name) for choice in question.choices]
    label = question.text if question.required else _l("%(question)s (optional)", question=question.text)

    if question.datatype == "singlevaluelist":
        field = RadioField(
            label,
            choices=choices,
            validators=[InputRequired(message=required_message)] if question.required else [Optional()],
            widget=GovRadioInput(),
            description=question.description,
        )
    elif question.datatype == "multivaluelist":
        field = SelectMultipleField(
            label,
            choices=choices,
            validators=presence,
            widget=GovCheckboxesInput(),
            description=question.description,
        )
    elif question.datatype == "text":
        field = TextAreaField(
            label,
            validators=[*presence, Length(max=DESCRIPTION_MAX)],
            widget=GovTextArea(),
            description=question.description,
        )
    elif question.datatype == "number":
        field = DecimalField(
            label, validators=presence, widget=GovTextInput(), description=question.description
        )
    else:
        field = StringField(
            label,
            validators=[
                *presence,
                Length(
                    max=ANSWER_MAX,
                    message=_l("Your answer must be %(max)s characters or fewer", max=ANSWER_MAX),
                ),
            ],
            widget=GovTextInput(),
            description=question.description,
        )

    form_class = type(
        "QuestionForm",
        (PortalForm,),
        {"answer": field, "submit": SubmitField(_l("Continue"), widget=GovSubmitInput())},
    )
    return form_class(formdata=formdata, data=data or {})


class PostcodeForm(PortalForm):
    postcode = StringField(
        _l("What is the postcode?"),
        description=_l(
            "The postcode of the address, or of the nearest address to the problem. For example, NR1 2DH"
        ),
        validators=[Length(max=16, message=_l("Enter a real postcode, like NR1 2DH"))],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Find address"), widget=GovSubmitInput())

    def validate_postcode(self, field) -> None:
        try:
            normalise_postcode(field.data)
        except InvalidPostcode as problem:
            raise ValidationError(problem.message) from None


class AddressForm(PortalForm):
    uprn = RadioField(
        _l("Select the address"),
        validators=[InputRequired(message=_l("Select an address from the list"))],
        widget=GovRadioInput(),
        validate_choice=True,
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class ClaimForm(PortalForm):
    submit = SubmitField(_l("Add these reports to your account"), widget=GovSubmitInput(), id="claim-reports")
