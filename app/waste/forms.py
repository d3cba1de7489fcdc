"""The waste services journeys' forms: one question a page, GOV.UK widgets, a clear message for every mistake.
Nothing about the price is ever read from a form."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError

from app.forms import PortalForm, no_control_characters

LOCATION_MAX = 500
PHONE_DIGITS = re.compile(r"^\+?[0-9 ()-]{10,20}$")


class StartForm(PortalForm):
    submit = SubmitField(_l("Start now"), widget=GovSubmitInput())


class ItemsForm(PortalForm):
    """Quantities come from the fields named ``item-<code>``, one per item in the council's price list."""

    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class BinsForm(PortalForm):
    bins = RadioField(
        _l("How many garden waste bins do you want to subscribe?"),
        validators=[InputRequired(message=_l("Select how many bins"))],
        widget=GovRadioInput(),
        validate_choice=True,
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class SlotForm(PortalForm):
    collection_date = RadioField(
        _l("When do you want your items collected?"),
        validators=[InputRequired(message=_l("Select a collection day"))],
        widget=GovRadioInput(),
        validate_choice=True,
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class LocationForm(PortalForm):
    location = TextAreaField(
        _l("Where will the items be?"),
        description=_l(
            "Put them out by 7am on the day, where the crew can see and reach them from the road. "
            "For example, on the drive next to the garage."
        ),
        validators=[
            DataRequired(message=_l("Say where the items will be")),
            Length(
                max=LOCATION_MAX,
                message=_l("Where the items will be must be %(max)s characters or fewer", max=LOCATION_MAX),
            ),
            no_control_characters,
        ],
        widget=GovCharacterCount(),
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class ContactForm(PortalForm):
    email = EmailField(
        _l("Email address"),
        description=_l("We send your receipt here, with a link to see or cancel your booking."),
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
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class BulkyContactForm(ContactForm):
    phone = StringField(
        _l("Phone number"),
        description=_l(
            "The crew may call on the day if they cannot find your items. For example, 01632 960 001"
        ),
        validators=[DataRequired(message=_l("Enter a phone number")), Length(max=20)],
        widget=GovTextInput(),
    )

    def validate_phone(self, field) -> None:
        if field.data and not PHONE_DIGITS.match(field.data.strip()):
            raise ValidationError(_l("Enter a phone number, like 01632 960 001 or +44 808 157 0192"))
        if field.data and not 10 <= len(re.sub(r"[^0-9]", "", field.data)) <= 13:
            raise ValidationError(_l("Enter a phone number, like 01632 960 001 or +44 808 157 0192"))


class PayForm(PortalForm):
    submit = SubmitField(_l("Continue to payment"), widget=GovSubmitInput())


class RestartForm(PortalForm):
    submit = SubmitField(_l("Start the payment again"), widget=GovSubmitInput())


class CancelForm(PortalForm):
    submit = SubmitField(_l("Cancel collection"), widget=GovSubmitInput())


class ClaimForm(PortalForm):
    # Shown on pages with forms of their own (My requests), which have a "submit" too.
    submit = SubmitField(_l("Add these to your account"), widget=GovSubmitInput(), id="claim-bookings")
