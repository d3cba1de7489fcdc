"""UK postcodes as people type them: ``normalise_postcode("nr22pe ")`` is "NR2 2PE", or InvalidPostcode with
the sentence to show when the text cannot be a postcode."""

import re

from flask_babel import lazy_gettext as _l

from app.address_problems import InvalidPostcode

POSTCODE_PATTERN = re.compile(r"^(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2})$")


def normalise_postcode(text: str | None) -> str:
    """ "nr22pe " -> "NR2 2PE"; InvalidPostcode with the sentence to show when it cannot be a UK postcode."""
    compact = re.sub(r"\s+", "", (text or "")).upper()
    if not compact:
        raise InvalidPostcode(_l("Enter a postcode"))
    if not POSTCODE_PATTERN.match(compact):
        raise InvalidPostcode(_l("Enter a real postcode, like NR1 2DH"))
    return f"{compact[:-3]} {compact[-3:]}"
