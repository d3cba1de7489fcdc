"""The services a resident can ask "who does this here?" about, and which tier of council provides each:
district services go to the district whose GSS code the place carries, county services to the county
(app/routing.py)."""

from enum import StrEnum


class CouncilService(StrEnum):
    """The services a resident can ask "who does this here?" about."""

    BINS = "bins"
    COUNCIL_TAX = "council_tax"
    PLANNING = "planning"
    FLY_TIPPING = "fly_tipping"
    ABANDONED_VEHICLES = "abandoned_vehicles"
    HIGHWAYS = "highways"
    STREET_LIGHTING = "street_lighting"
    SOCIAL_CARE = "social_care"


DISTRICT_SERVICES = frozenset(
    {
        CouncilService.BINS,
        CouncilService.COUNCIL_TAX,
        CouncilService.PLANNING,
        CouncilService.FLY_TIPPING,
        CouncilService.ABANDONED_VEHICLES,
    }
)
COUNTY_SERVICES = frozenset(
    {CouncilService.HIGHWAYS, CouncilService.STREET_LIGHTING, CouncilService.SOCIAL_CARE}
)
