"""Forms of the staff pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.forms import PortalForm
from app.reports.types import REPORT_TYPES
from app.staff.audit import REASONS
from app.tracking.forms import CaseUpdateForm, CommentForm, NotFixedForm

CHANNELS = {
    "phone": _l("Phone"),
    "face_to_face": _l("Face to face"),
    "email": _l("Email"),
}
SEARCH_MAX = 200
NOTE_MAX = 2000
REASON_MAX = 500


class SearchForm(PortalForm):
    """Read from the query string: searching changes nothing, so it needs no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Find a resident"),
        description=_l(
            "A name, email address, postcode (with the house number or name first to narrow it), report or "
            "case reference, or council tax account reference"
        ),
        validators=[
            InputRequired(message=_l("Enter a name, email address, postcode or reference")),
            Length(max=SEARCH_MAX, message=_l("Search must be %(max)s characters or fewer", max=SEARCH_MAX)),
        ],
        widget=GovTextInput(),
    )
    submit = SubmitField(_l("Search"), widget=GovSubmitInput())


class WorkingForForm(PortalForm):
    council = RadioField(
        _l("Which council are you working for?"),
        validators=[InputRequired(message=_l("Select the council you are working for"))],
        widget=GovRadioInput(),
    )
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class ReasonForm(PortalForm):
    reason = RadioField(
        _l("Why are you opening this record?"),
        choices=[SelectChoice(value, label) for value, label in REASONS.items()],
        validators=[InputRequired(message=_l("Select why you are opening this record"))],
        widget=GovRadioInput(),
    )
    detail = TextAreaField(
        _l("Details"),
        description=_l("For example the call or case this is about. Required for another reason."),
        validators=[
            Length(max=REASON_MAX, message=_l("Details must be %(max)s characters or fewer", max=REASON_MAX))
        ],
        widget=GovTextArea(),
    )
    submit = SubmitField(_l("Open the record"), widget=GovSubmitInput())

    def validate_detail(self, field):
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the reason for opening this record"))


def channel_field():
    return RadioField(
        _l("How is the resident contacting you?"),
        choices=[SelectChoice(value, label) for value, label in CHANNELS.items()],
        validators=[InputRequired(message=_l("Select how the resident is contacting you"))],
        widget=GovRadioInput(),
    )


class ContactNoteForm(PortalForm):
    channel = channel_field()
    summary = TextAreaField(
        _l("What was the contact about?"),
        validators=[
            InputRequired(message=_l("Enter what the contact was about")),
            Length(max=NOTE_MAX, message=_l("The note must be %(max)s characters or fewer", max=NOTE_MAX)),
        ],
        widget=GovTextArea(),
    )
    submit = SubmitField(_l("Add the note"), widget=GovSubmitInput())


class AssistedStartForm(PortalForm):
    report_type = RadioField(
        _l("What is the problem?"),
        choices=[SelectChoice(kind.slug, kind.title) for kind in REPORT_TYPES],
        validators=[InputRequired(message=_l("Select what the problem is"))],
        widget=GovRadioInput(),
    )
    channel = channel_field()
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())


class AssistedCommentForm(CommentForm):
    """A comment an agent adds to a resident's report for them: the residents' own form, and how they are in
    touch."""

    channel = channel_field()


class AssistedCaseUpdateForm(CaseUpdateForm):
    channel = channel_field()


class AssistedNotFixedForm(NotFixedForm):
    channel = channel_field()


class AuditFilterForm(PortalForm):
    class Meta:
        csrf = False

    council = SelectField(_l("Council"), validators=[Optional()], widget=GovSelect())
    action = SelectField(_l("What"), validators=[Optional()], widget=GovSelect())
    staff = StringField(_l("Staff email"), validators=[Optional(), Length(max=320)], widget=GovTextInput())
    resident = StringField(
        _l("Resident number"), validators=[Optional(), Length(max=12)], widget=GovTextInput()
    )
    reference = StringField(
        _l("Report or case reference"), validators=[Optional(), Length(max=64)], widget=GovTextInput()
    )
    submit = SubmitField(_l("Filter"), widget=GovSubmitInput())

    def validate_resident(self, field):
        if field.data and not field.data.strip().isdigit():
            raise ValidationError(_l("Resident number must be a number, like 42"))


class ConfirmForm(PortalForm):
    """A button: its CSRF token is what matters."""
