"""What can be wrong with an address or place a person gives: each is an ``AddressProblem`` whose ``message``
is the sentence to show them (translated when read, in the request's language)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.council_services import COUNTY_SERVICES, CouncilService

FIND_YOUR_COUNCIL_URL = "https://www.gov.uk/find-local-council"
NATIONAL_HIGHWAYS_URL = "https://nationalhighways.co.uk/contact-us/"


@dataclass(frozen=True)
class OtherCouncil:
    """A council outside Norfolk, named when an address is over the border."""

    name: str
    website: str
    county_name: str
    county_website: str


NEIGHBOURING_COUNCILS = {
    "E07000245": OtherCouncil(
        "West Suffolk Council",
        "https://www.westsuffolk.gov.uk",
        "Suffolk County Council",
        "https://www.suffolk.gov.uk",
    ),
    "E07000244": OtherCouncil(
        "East Suffolk Council",
        "https://www.eastsuffolk.gov.uk",
        "Suffolk County Council",
        "https://www.suffolk.gov.uk",
    ),
    "E07000010": OtherCouncil(
        "Fenland District Council",
        "https://www.fenland.gov.uk",
        "Cambridgeshire County Council",
        "https://www.cambridgeshire.gov.uk",
    ),
    "E07000140": OtherCouncil(
        "South Holland District Council",
        "https://www.sholland.gov.uk",
        "Lincolnshire County Council",
        "https://www.lincolnshire.gov.uk",
    ),
}


class AddressProblem(Exception):
    """Something about the address or place given that the person needs to put right, or be told."""

    def __init__(self, message):
        super().__init__(message)
        self._message = message  # lazy: translated when read, in the request's language

    @property
    def message(self) -> str:
        return str(self._message)


class InvalidPostcode(AddressProblem):
    pass


class UnknownPostcode(AddressProblem):
    def __init__(self, postcode: str):
        super().__init__(
            _l(
                "We could not find any addresses for %(postcode)s. Check the postcode is right.",
                postcode=postcode,
            )
        )
        self.postcode = postcode


class UnknownUprn(AddressProblem):
    def __init__(self, uprn: str):
        super().__init__(_l("We could not find that address. Search for it by its postcode instead."))
        self.uprn = uprn


class UnknownPlace(AddressProblem):
    def __init__(self):
        super().__init__(
            _l("We could not tell which council looks after that place. Choose an address near it.")
        )


class OutsideNorfolk(AddressProblem):
    """The place is looked after by a council outside Norfolk: ``contact_name`` names it where the LAD is
    known (None otherwise), ``contact_website`` is its website or GOV.UK's "find your local council"."""

    def __init__(self, lad_gss: str, place: str, service: CouncilService | None = None):
        neighbour = NEIGHBOURING_COUNCILS.get(lad_gss)
        self.lad_gss = lad_gss
        if neighbour is None:
            self.contact_name, self.contact_website = None, FIND_YOUR_COUNCIL_URL
            message = _l(
                "%(place)s is not in Norfolk, so Norfolk's councils cannot help with it. "
                "Find the council for that address on GOV.UK.",
                place=place,
            )
        else:
            county = service in COUNTY_SERVICES
            self.contact_name = neighbour.county_name if county else neighbour.name
            self.contact_website = neighbour.county_website if county else neighbour.website
            message = _l(
                "%(place)s is not in Norfolk: it is looked after by %(council)s. Contact them instead.",
                place=place,
                council=self.contact_name,
            )
        super().__init__(message)


class TrunkRoadPlace(AddressProblem):
    """The place is on (or within TRUNK_ROAD_DISTANCE_M of) a road National Highways looks after."""

    contact_name = "National Highways"
    contact_website = NATIONAL_HIGHWAYS_URL

    def __init__(self, road: str):
        super().__init__(
            _l(
                "%(road)s is looked after by National Highways, not the county council. Report it to them.",
                road=road,
            )
        )
        self.road = road


class AddressesUnavailable(AddressProblem):
    def __init__(self):
        super().__init__(_l("Sorry, we cannot look up addresses at the moment. Try again in a few minutes."))
