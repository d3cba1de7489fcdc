"""Where a draft report goes once its place is known: the council responsible there (app.reports.places),
what that council's back office asks about this kind of report, and its open reports nearby, all saved in
the journey's draft.

The back office is asked before the draft changes, without a database connection: it may take seconds, and
other residents' requests need the connection (and, on SQLite, the write lock) meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.database import release_connection
from app.reports import backoffice, places
from app.reports.journey import Journey, Location, NearbyRequest, Question
from app.reports.types import ReportType
from connectors.errors import ConnectorError


@dataclass(frozen=True)
class CouncilAnswers:
    council_slug: str
    questions: list[Question]
    nearby_asked: bool  # False: the kind of report, or a place without coordinates, does not call for it
    nearby: list[NearbyRequest] | None = None  # asked and None: the back office could not say

    @property
    def nearby_unanswered(self) -> bool:
        """Open reports nearby were asked for, and the back office could not say."""
        return self.nearby_asked and self.nearby is None


def set_location(found: Journey, location: Location) -> CouncilAnswers | None:
    """Save the place, decide the council, and snapshot what that council asks and has open nearby. Returns
    what the council answered, or None when no council was asked (outside Norfolk, or the area is to be
    asked)."""
    route = places.route(found.type, location)
    asked = _ask_council(found.type, route.council_slug, location) if route.council_slug else None
    found.set_location(location)
    if route.outside:
        found.route_outside(route.outside)
    elif asked is not None:
        _route_to(found, asked)
    else:
        found.area_needed()
    return asked


def set_area(found: Journey, council_slug: str, gss_code: str) -> CouncilAnswers:
    """The council area the person chose for a place the portal could not place: that council's."""
    location = found.location
    location.gss_code = gss_code
    asked = _ask_council(found.type, council_slug, location)
    found.set_location(location)
    _route_to(found, asked)
    return asked


def _ask_council(report_type: ReportType, council_slug: str, location: Location) -> CouncilAnswers:
    """What the council's back office asks about this kind of report, and its open reports nearby. Asked
    without a database connection (see above)."""
    release_connection()
    try:
        questions = backoffice.questions(council_slug, report_type.service_code)
    except ConnectorError:
        # The report is still taken: it is sent with its description when the back office answers.
        current_app.logger.warning(
            "No service definition from %s for %s", council_slug, report_type.service_code
        )
        questions = []
    if not (report_type.check_nearby and location.has_coordinates):
        return CouncilAnswers(council_slug, questions, nearby_asked=False)
    nearby = backoffice.open_requests_near(
        council_slug, report_type.service_code, location.latitude, location.longitude
    )
    return CouncilAnswers(council_slug, questions, nearby_asked=True, nearby=nearby)


def _route_to(found: Journey, asked: CouncilAnswers) -> None:
    """The draft goes to the council that answered, with its questions and its open reports nearby ("Already
    reported?" is skipped when there are none, none were asked for, or the back office could not say)."""
    found.route_to(asked.council_slug)
    found.set_questions(asked.questions)
    if asked.nearby_asked:
        found.set_nearby(asked.nearby)
    else:
        found.nearby_answered()
