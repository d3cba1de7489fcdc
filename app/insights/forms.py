"""The insights filters: a date range (GOV.UK date inputs) and a council, asked by GET."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect, GovSubmitInput
from wtforms import DateField, SelectField, SubmitField, ValidationError
from wtforms.validators import StopValidation

from app.forms import PortalForm

DEFAULT_DAYS = 30
LONGEST_DAYS = 366
ALL = "all"


class RealDateField(DateField):
    """A day, month and year that make a real date, with the GOV.UK pattern's error messages."""

    def __init__(self, label, missing, **kwargs):
        super().__init__(label, **kwargs)
        self.missing = missing

    def process_formdata(self, valuelist):
        parts = ([part.strip() for part in valuelist] + ["", "", ""])[:3]
        self.raw_data = parts if valuelist else None
        self.data = None
        if not any(parts):
            return
        if not all(parts):
            self.data = None
            raise ValueError(_l("%(label)s must include a day, month and year", label=self.label.text))
        try:
            day, month, year = (int(part) for part in parts)
            self.data = date(year, month, day)
        except ValueError:
            self.data = None
            raise ValueError(_l("%(label)s must be a real date", label=self.label.text)) from None

    def pre_validate(self, form):
        if self.data is None and not self.process_errors:
            raise StopValidation(self.missing)


class InsightsFilterForm(PortalForm):
    class Meta:
        csrf = False

    council = SelectField(_l("Council"), widget=GovSelect())
    first = RealDateField(_l("From"), _l("Enter the first day"), widget=GovDateInput())
    last = RealDateField(_l("To"), _l("Enter the last day"), widget=GovDateInput())
    submit = SubmitField(_l("Show"), widget=GovSubmitInput())

    @classmethod
    def defaults(cls, today: date) -> dict:
        first = today - timedelta(days=DEFAULT_DAYS - 1)
        return {"first": first, "last": today}

    def validate_last(self, field):
        if self.first.data is None or field.data is None:
            return
        if field.data < self.first.data:
            raise ValidationError(_l("To must be the same as or after From"))
        if (field.data - self.first.data).days >= LONGEST_DAYS:
            raise ValidationError(_l("The range must be %(days)s days or fewer", days=LONGEST_DAYS))
        if field.data > today():
            raise ValidationError(_l("To must be today or in the past"))


def today() -> date:
    return datetime.now(UTC).date()
