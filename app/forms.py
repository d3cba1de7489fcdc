"""The base of every form in the portal.

A NUL character (a zero byte) can be typed by no keyboard, PostgreSQL refuses to store it in text, and some
back offices cut a string short at it, so every form refuses any text that contains one, in any field, with
an error on that field. The rest of the answer is kept: the field is shown again with the character removed,
for the resident to check and send again.

Other characters that no keyboard types (the rest of the C0 controls but tab, newline and carriage return,
and DEL) are refused by the no_control_characters validator, on the fields that ask for one.
"""

import re
from collections.abc import Iterator

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField
from wtforms.validators import ValidationError

NUL = "\x00"
NUL_ERROR = _l(
    "%(label)s contained a hidden character we cannot accept. We have removed it: check it and try again."
)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_characters(form, field) -> None:
    if field.data and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError(_l("Remove the characters that cannot be typed on a keyboard"))


def _leaf_fields(fields) -> Iterator[Field]:
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _leaf_fields(field.entries)
        else:
            yield field


def _without_nul(field: Field) -> bool:
    """Remove NUL from the field's submitted text; whether there was any."""
    raw = field.raw_data or []
    if not any(isinstance(value, str) and NUL in value for value in raw):
        return True
    cleaned = [value.replace(NUL, "") if isinstance(value, str) else value for value in raw]
    field.raw_data = cleaned
    try:
        field.process_formdata(cleaned)
    except ValueError:
        field.data = None
    return False


class PortalForm(FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in _leaf_fields(self):
            if not _without_nul(field):
                label = field.label.text if field.label and field.label.text else field.name
                # Alone: the other checks judged the text with the character in it.
                field.errors = [NUL_ERROR % {"label": label}]
                valid = False
        return valid
