"""The bin collection calendar follows RFC 5545: CRLF, folding at 75 octets, escaping, UID and DTSTAMP."""

from datetime import UTC, date, datetime

from app.dashboard.calendar import bin_calendar, escape_text, fold
from connectors.models import BinCollection

GENERATED = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def calendar(*collections):
    return bin_calendar(
        collections,
        uprn="2630112001",
        calendar_name="Bins",
        uid_domain="example.gov.uk",
        generated_at=GENERATED,
    )


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_every_line_ends_with_crlf_and_fits_75_octets():
    long_name = "Garden waste bin – brown lid, collected fortnightly from the kerbside, thank you ♻ " * 3
    text = calendar(BinCollection("garden", long_name, date(2026, 11, 27), (date(2026, 12, 11),)))
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    physical = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    assert any(line.startswith(" ") for line in physical), "the long summary was folded"
    summary = next(line for line in unfold(text) if line.startswith("SUMMARY:"))
    assert summary == "SUMMARY:" + escape_text(long_name), "unfolding gives back the exact text"


def test_folding_never_splits_a_utf8_character():
    line = "SUMMARY:" + "é" * 100
    folded = fold(line)
    for piece in folded.split("\r\n"):
        piece.encode("utf-8").decode("utf-8")
        assert len(piece.encode("utf-8")) <= 75
    assert folded.replace("\r\n ", "") == line


def test_text_is_escaped():
    assert escape_text("a, b; c\\d\ne") == "a\\, b\\; c\\\\d\\ne"


def test_one_all_day_event_per_date_with_stable_uid_and_dtstamp():
    text = calendar(
        BinCollection("refuse", "Black bin", date(2026, 11, 24), (date(2026, 11, 24), date(2026, 12, 8))),
        BinCollection("recycling", "Blue bin", date(2026, 12, 1)),
    )
    lines = unfold(text)
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"]
    assert any(line.startswith("PRODID:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == 3
    assert "UID:bins-2630112001-refuse-20261124@example.gov.uk" in lines
    assert "DTSTART;VALUE=DATE:20261208" in lines and "DTEND;VALUE=DATE:20261209" in lines
    assert lines.count("DTSTAMP:20261121T093000Z") == 3
    assert text == calendar(
        BinCollection("refuse", "Black bin", date(2026, 11, 24), (date(2026, 11, 24), date(2026, 12, 8))),
        BinCollection("recycling", "Blue bin", date(2026, 12, 1)),
    ), "the same data gives the same file, so calendar apps update events instead of duplicating them"
