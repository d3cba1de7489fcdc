"""UK mobile numbers as residents type them: "07700 900982", "+44 (0)7700 900-982", "00447700900982".

A number is read the way GOV.UK Notify reads it (spaces, brackets, hyphens, dots and a leading plus are
ignored; 44 or 0044 is the UK's country code), then checked against Ofcom's mobile ranges: 07 followed by
nine digits, but not 070 (personal numbers) nor 076 (pagers) apart from 07624 (the Isle of Man's mobiles).
Each way of getting it wrong has its own message, saying what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

SEPARATORS = re.compile(r"[\s()\-.]")
EXAMPLE = "07700 900 982"


class NotAMobileNumber(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class MobileNumber:
    """A UK mobile number: ``national`` is 07 and nine digits."""

    national: str

    @property
    def international(self) -> str:
        return "+44" + self.national[1:]

    def shown(self) -> str:
        """As people write it: 07700 900 982."""
        return f"{self.national[:5]} {self.national[5:8]} {self.national[8:]}"


def _not_uk():
    return NotAMobileNumber(
        _l(
            "Enter a UK mobile number: text reminders only go to UK mobiles, like %(example)s",
            example=EXAMPLE,
        )
    )


def parse(typed: str | None) -> MobileNumber:
    """The mobile number typed, or NotAMobileNumber saying what is wrong with it."""
    text = (typed or "").strip()
    if not text:
        raise NotAMobileNumber(_l("Enter a UK mobile number, like %(example)s", example=EXAMPLE))
    digits = SEPARATORS.sub("", text)
    if digits in ("", "+"):
        raise NotAMobileNumber(_l("Enter a UK mobile number, like %(example)s", example=EXAMPLE))
    plus = digits.startswith("+")
    digits = digits.removeprefix("+")
    if not digits.isdigit():
        raise NotAMobileNumber(
            _l(
                "Enter a mobile number using only numbers, spaces, brackets, hyphens and a plus sign, "
                "like %(example)s",
                example=EXAMPLE,
            )
        )
    if plus or digits.startswith("00"):
        country_and_number = digits.removeprefix("00") if not plus else digits
        if not country_and_number.startswith("44"):
            raise _not_uk()
        national = "0" + country_and_number[2:].lstrip("0")  # "+44 (0)7700 ..." has a 0 to drop
    elif digits.startswith("44") and len(digits) > 11:
        national = "0" + digits[2:].lstrip("0")
    elif digits.startswith("7"):
        national = "0" + digits
    else:
        national = digits
    if len(national) >= 3 and not national.startswith("07"):  # shorter: too short to tell, said below
        raise NotAMobileNumber(
            _l(
                "Enter a mobile number starting 07, like %(example)s: we cannot text a landline",
                example=EXAMPLE,
            )
        )
    if len(national) < 11:
        raise NotAMobileNumber(
            _l("The mobile number is too short: it has 11 digits, like %(example)s", example=EXAMPLE)
        )
    if len(national) > 11:
        raise NotAMobileNumber(
            _l("The mobile number is too long: it has 11 digits, like %(example)s", example=EXAMPLE)
        )
    if national.startswith("070") or (national.startswith("076") and not national.startswith("07624")):
        raise NotAMobileNumber(
            _l(
                "Numbers starting 070 or 076 are not mobile numbers: enter a mobile number, like %(example)s",
                example=EXAMPLE,
            )
        )
    return MobileNumber(national)
