"""UK postcodes as people type them: any case, any spacing."""

import re

# The official pattern's shape: outward code (area, district) then inward code (sector, unit).
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def normalise_postcode(text: str | None) -> str | None:
    """ "nr12dh" -> "NR1 2DH"; None when the text cannot be a postcode."""
    compact = re.sub(r"\s+", "", (text or "").upper())
    match = POSTCODE.match(compact)
    return f"{match.group(1)} {match.group(2)}" if match else None
