"""What the staff search box makes of what an agent types."""

import pytest

from app.staff.search import Query, understand


@pytest.mark.parametrize(
    ("typed", "understood"),
    [
        ("NCC-HW-2026-114502", Query("case_reference", "NCC-HW-2026-114502")),
        (" ncc-hw-2026-114502 ", Query("case_reference", "NCC-HW-2026-114502")),
        ("BDC-1", Query("case_reference", "BDC-1")),
        ("NFK-ABCD-EFGH", Query("reference", "NFK-ABCD-EFGH")),
        ("10045678", Query("council_tax", "10045678")),
        ("41 NR2 2PE", Query("postcode", "NR2 2PE", "41")),
        # Hyphenated names have no digits: never a case reference.
        ("Smith-Jones", Query("name", "Smith-Jones")),
        ("Tom Blake", Query("name", "Tom Blake")),
        ("tom.blake@example.com", Query("email", "tom.blake@example.com")),
    ],
)
def test_what_the_search_box_understands(typed, understood):
    assert understand(typed) == understood
