"""UK mobile numbers as residents type them, and what they are told when one is not."""

from __future__ import annotations

import pytest

from app import create_app
from app.mobile_numbers import MobileNumber, NotAMobileNumber, parse


@pytest.fixture(scope="module")
def request_context():
    with create_app("test").test_request_context():
        yield


@pytest.mark.parametrize(
    "typed",
    [
        "07700900982",
        "07700 900 982",
        " 07700 900982 ",
        "07700-900-982",
        "(07700) 900982",
        "07700.900.982",
        "+447700900982",
        "+44 7700 900982",
        "+44 (0)7700 900-982",
        "447700900982",
        "00447700900982",
        "0044 7700 900982",
        "7700900982",
    ],
)
def test_the_ways_people_write_a_mobile_number(request_context, typed):
    number = parse(typed)
    assert number == MobileNumber("07700900982")
    assert number.shown() == "07700 900 982" and number.international == "+447700900982"


def test_isle_of_man_mobiles_are_mobiles(request_context):
    assert parse("07624 123456").national == "07624123456"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a UK mobile number, like 07700 900 982"),
        ("   ", "Enter a UK mobile number, like 07700 900 982"),
        ("+", "Enter a UK mobile number, like 07700 900 982"),
        ("01603 212345", "Enter a mobile number starting 07, like 07700 900 982: we cannot text a landline"),
        ("+44 1603 212345", "Enter a mobile number starting 07"),
        ("0800 123 4567", "Enter a mobile number starting 07"),
        (
            "07700 9OO 982",
            "Enter a mobile number using only numbers, spaces, brackets, hyphens and a plus sign",
        ),
        ("07700/900982", "using only numbers"),
        ("tom@example.com", "using only numbers"),
        ("07", "The mobile number is too short: it has 11 digits, like 07700 900 982"),
        ("0770 090 098", "The mobile number is too short"),
        ("+44 7700 90098", "The mobile number is too short"),
        ("077009009821", "The mobile number is too long: it has 11 digits, like 07700 900 982"),
        ("+1 202 555 0100", "Enter a UK mobile number: text reminders only go to UK mobiles"),
        ("0033 6 12 34 56 78", "text reminders only go to UK mobiles"),
        ("07012 345678", "Numbers starting 070 or 076 are not mobile numbers"),
        ("07623 123456", "Numbers starting 070 or 076 are not mobile numbers"),
    ],
)
def test_each_mistake_says_what_to_do(request_context, typed, message):
    with pytest.raises(NotAMobileNumber) as refused:
        parse(typed)
    assert message in str(refused.value.message)
