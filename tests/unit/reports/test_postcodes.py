import pytest

from app.reports.postcodes import normalise_postcode


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("nr1 2dh", "NR1 2DH"), ("NR12DH", "NR1 2DH"), ("  nr30  2en ", "NR30 2EN"), ("ec1a1bb", "EC1A 1BB")],
)
def test_real_postcodes_are_normalised(typed, expected):
    assert normalise_postcode(typed) == expected


@pytest.mark.parametrize("typed", ["", None, "NR1", "12345", "NR1 2DHX", "<b>NR1</b>"])
def test_anything_else_is_not_a_postcode(typed):
    assert normalise_postcode(typed) is None
