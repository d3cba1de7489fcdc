"""The sandbox gazetteer (sandbox/data/gazetteer.csv), for back offices that need a property's place: the same
addresses, UPRNs and coordinates the portal imports with `flask gazetteer import` (`make seed`)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GAZETTEER_CSV = Path(__file__).parent / "data" / "gazetteer.csv"


@dataclass(frozen=True)
class SandboxAddress:
    uprn: str
    lines: tuple[str, ...]
    town: str
    postcode: str
    latitude: float
    longitude: float
    lad_gss: str

    @property
    def single_line(self) -> str:
        return ", ".join((*self.lines, self.town, self.postcode))


@cache
def addresses() -> dict[str, SandboxAddress]:
    with GAZETTEER_CSV.open(newline="", encoding="utf-8") as handle:
        return {
            row["uprn"]: SandboxAddress(
                uprn=row["uprn"],
                lines=tuple(line for line in (row["address_line_1"], row["address_line_2"]) if line),
                town=row["town"],
                postcode=row["postcode"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                lad_gss=row["lad_gss"],
            )
            for row in csv.DictReader(handle)
        }


def by_uprn(uprn: str) -> SandboxAddress | None:
    return addresses().get(uprn)
