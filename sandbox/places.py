"""The sandbox gazetteer (sandbox/data/gazetteer.csv) as the back offices see it: each district's own
properties, as a council's LLPG would list them, with their coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from connectors.models import distance_m
from sandbox.back_office import DISTRICT_GSS
from sandbox.gazetteer import addresses

COUNCIL_BY_GSS = {gss: council for council, gss in DISTRICT_GSS.items()}

__all__ = ["Place", "all_addresses", "distance_m", "district_of", "location_of"]


@dataclass(frozen=True)
class Place:
    uprn: str
    lines: tuple[str, ...]
    town: str
    postcode: str
    latitude: float
    longitude: float
    council: str | None  # the Norfolk district, or None for the addresses over the border

    @property
    def single_line(self) -> str:
        return ", ".join((*self.lines, self.town))


@cache
def _places() -> dict[str, Place]:
    return {
        uprn: Place(
            uprn=address.uprn,
            lines=address.lines,
            town=address.town,
            postcode=address.postcode,
            latitude=address.latitude,
            longitude=address.longitude,
            council=COUNCIL_BY_GSS.get(address.lad_gss),
        )
        for uprn, address in addresses().items()
    }


def all_addresses() -> list[Place]:
    return list(_places().values())


def district_of(uprn: str) -> str | None:
    place = _places().get(uprn)
    return place.council if place else None


def location_of(uprn: str) -> tuple[float, float]:
    place = _places()[uprn]
    return place.latitude, place.longitude
