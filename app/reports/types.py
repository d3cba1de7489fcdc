"""The kinds of report the portal takes: each says, once, which council service it belongs to, and so which
tier of council is responsible for it (app/routing.py routes by the service).

The questions for each kind come from the responsible council's Open311 service definition, so a council can
add a question without a change here; what is fixed is the kind, its Open311 service code (a council whose
system names it otherwise maps it in the connectors file: docs/connectors.md) and its service.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.council_services import COUNTY_SERVICES, CouncilService
from app.themes import Tier


@dataclass(frozen=True)
class ReportType:
    slug: str
    name: str  # "a missed bin collection": reads in "Report a missed bin collection"
    title: str  # "Missed bin collection": a heading or a row label
    hint: str
    service: CouncilService
    service_code: str
    # A street problem can be anywhere; a household one is at a property and needs its address.
    at_a_property: bool
    # Street problems are often reported many times: show open reports nearby before sending another.
    check_nearby: bool

    @property
    def tier(self) -> Tier:
        return "county" if self.service in COUNTY_SERVICES else "district"


REPORT_TYPES: tuple[ReportType, ...] = (
    ReportType(
        slug="missed-bin",
        name=_l("a missed bin collection"),
        title=_l("Missed bin collection"),
        hint=_l("Your bin was out on collection day and was not emptied."),
        service=CouncilService.BINS,
        service_code="missed_bin",
        at_a_property=True,
        check_nearby=False,
    ),
    ReportType(
        slug="fly-tipping",
        name=_l("fly-tipping"),
        title=_l("Fly-tipping"),
        hint=_l("Rubbish dumped on a road, verge, path or public land."),
        service=CouncilService.FLY_TIPPING,
        service_code="fly_tipping",
        at_a_property=False,
        check_nearby=True,
    ),
    ReportType(
        slug="abandoned-vehicle",
        name=_l("an abandoned vehicle"),
        title=_l("Abandoned vehicle"),
        hint=_l("A vehicle that looks dumped: no tax, flat tyres, damaged or not moved for weeks."),
        service=CouncilService.ABANDONED_VEHICLES,
        service_code="abandoned_vehicle",
        at_a_property=False,
        check_nearby=True,
    ),
    ReportType(
        slug="pothole",
        name=_l("a pothole or road defect"),
        title=_l("Pothole or road defect"),
        hint=_l("A hole, crack or sunken area in a road or pavement."),
        service=CouncilService.HIGHWAYS,
        service_code="pothole",
        at_a_property=False,
        check_nearby=True,
    ),
    ReportType(
        slug="street-light",
        name=_l("a street light fault"),
        title=_l("Street light fault"),
        hint=_l("A street light that is out, flickering, on during the day or damaged."),
        service=CouncilService.STREET_LIGHTING,
        service_code="street_light",
        at_a_property=False,
        check_nearby=True,
    ),
)

_BY_SLUG = {report_type.slug: report_type for report_type in REPORT_TYPES}


def report_type(slug: str) -> ReportType | None:
    return _BY_SLUG.get(slug)
