"""The sandbox gazetteer (sandbox/data/gazetteer.csv) as the back offices see it: each district's own
properties, as a council's LLPG would list them, with their coordinates. Which district an address is in
comes from its local authority district's GSS code and the councils' themes (sandbox/councils.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from connectors.models import distance_m
from sandbox.councils import councils
from sandbox.gazetteer import addresses

__all__ = ["Place", "all_addresses", "distance_m", "district_of", "location_of"]


@dataclass(frozen=True)
class Place:
    uprn: str
    lines: tuple[str, ...]
    town: str
    postcode: str
    latitude: float
    longitude: float
    lad_gss: str

    @property
    def single_line(self) -> str:
        return ", ".join((*self.lines, self.town))

    @property
    def council(self) -> str | None:
        """The district council with a theme for this address, or None (an address over the border)."""
        district = councils().district_for_gss(self.lad_gss)
        return district.slug if district else None


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
            lad_gss=address.lad_gss,
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
