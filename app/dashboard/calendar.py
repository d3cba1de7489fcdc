"""Bin collections as an iCalendar file (RFC 5545): one all-day event per collection.

Lines end with CRLF and are folded at 75 octets (never inside a UTF-8 character); text values are escaped;
every event has a stable UID (so a calendar app updates rather than duplicates an event when the file is
fetched again) and a DTSTAMP.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from connectors.models import BinCollection

CRLF = "\r\n"
MAX_LINE_OCTETS = 75
PRODUCT_ID = "-//My Norfolk//Bin collections//EN"


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets; continuation lines start with one space."""
    pieces, current, size = [], "", 0
    limit = MAX_LINE_OCTETS
    for character in line:
        octets = len(character.encode("utf-8"))
        if size + octets > limit:
            pieces.append(current)
            current, size = " ", 1
            limit = MAX_LINE_OCTETS
        current += character
        size += octets
    pieces.append(current)
    return CRLF.join(pieces)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(day: date) -> str:
    return day.strftime("%Y%m%d")


def bin_calendar(
    collections: Iterable[BinCollection],
    *,
    uprn: str,
    calendar_name: str,
    uid_domain: str,
    generated_at: datetime,
) -> str:
    """The calendar text. ``uid_domain`` makes UIDs globally unique (the council's domain)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(calendar_name)}",
    ]
    stamp = _stamp(generated_at)
    for collection in collections:
        days = sorted(set(collection.upcoming) | {collection.next_date})
        for day in days:
            lines += [
                "BEGIN:VEVENT",
                f"UID:bins-{uprn}-{collection.bin_type}-{_day(day)}@{uid_domain}",
                f"DTSTAMP:{stamp}",
                f"DTSTART;VALUE=DATE:{_day(day)}",
                f"DTEND;VALUE=DATE:{_day(day + timedelta(days=1))}",
                f"SUMMARY:{escape_text(collection.name)}",
                *([f"DESCRIPTION:{escape_text(collection.notes)}"] if collection.notes else []),
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return CRLF.join(fold(line) for line in lines) + CRLF
