"""What the report journey and the delivery worker need from a council's street reports back office (Open311),
in the journey's own terms. The connector for each council comes from the connectors registry.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from app.backoffice import registry
from app.reports.journey import Choice, NearbyRequest, Question
from connectors.errors import ConnectorError, NotFound, Unavailable
from connectors.models import NewServiceRequest
from connectors.protocols import StreetReports

# Open311 datatypes the journey knows how to ask; an attribute of another type is asked as free text.
ASKABLE_DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
NEARBY_RADIUS_METRES = 200
NEARBY_LIMIT = 5


def street_reports(council_slug: str) -> StreetReports:
    return registry().street_reports(council_slug)


def questions(council_slug: str, service_code: str) -> list[Question]:
    """The questions the council's service definition asks (variable attributes only, in the council's order).

    A council without a definition for the service (NotFound) asks none; other connector errors propagate.
    """
    try:
        definition = street_reports(council_slug).service_definition(service_code).value
    except NotFound:
        return []
    asked = sorted(
        (attribute for attribute in definition.attributes if attribute.variable), key=lambda a: a.order
    )
    return [
        Question(
            code=attribute.code,
            text=attribute.description,
            datatype=attribute.datatype if attribute.datatype in ASKABLE_DATATYPES else "string",
            required=attribute.required,
            description=attribute.datatype_description or "",
            choices=[Choice(key=value.key, name=value.name) for value in attribute.values],
        )
        for attribute in asked
    ]


def open_requests_near(
    council_slug: str, service_code: str, latitude: float, longitude: float
) -> list[NearbyRequest] | None:
    """Open reports of this kind near the place, nearest first: what the map page draws and lists, and what
    "already reported?" offers. None when the back office cannot say (it is down, or its answer is broken)."""
    try:
        found = (
            street_reports(council_slug)
            .requests_near(
                latitude, longitude, NEARBY_RADIUS_METRES, service_code=service_code, status="open"
            )
            .value
        )
    except ConnectorError:
        current_app.logger.warning(
            "Could not list open %s reports near a place for %s", service_code, council_slug
        )
        return None
    return [
        NearbyRequest(
            service_request_id=request.service_request_id,
            description=request.description or "",
            address=request.address or "",
            status=request.status,
            requested_at=request.requested_datetime.isoformat() if request.requested_datetime else "",
            latitude=request.latitude,
            longitude=request.longitude,
        )
        for request in found[:NEARBY_LIMIT]
    ]


def create_request(council_slug: str, request: NewServiceRequest) -> str:
    created = street_reports(council_slug).create_request(request)
    return created.service_request_id or f"token:{created.token}"


def find_request_with_reference(
    council_slug: str, service_code: str, reference: str, since: datetime
) -> str | None:
    """The back office's id for a report the portal already sent, found by the portal reference that every
    description carries. This is how a delivery that timed out after the back office accepted it is not
    created twice.

    Only a fresh answer will do: the window ends now, so the cached answer to an earlier look-up is never
    reused, and a stale one (the back office is down) raises rather than say "not there"."""
    result = street_reports(council_slug).requests(
        service_code=service_code, start_date=since, end_date=datetime.now(UTC)
    )
    if result.stale:
        raise Unavailable(council_slug, "street_reports", detail=result.problem or "stale answer")
    return next(
        (request.service_request_id for request in result.value if reference in (request.description or "")),
        None,
    )
