"""Planning applications over the My Norfolk planning contract (docs/api/planning.yaml), for any district.

A resident's comment is sent with ``comment`` while comments are open; each application also carries the
``comment_url`` of the council's own page for commenting.
Deployment file: ``adapter = "planning_rest"`` with ``base_url`` and ``credentials = { api_key = ... }``.
"""

from __future__ import annotations

from connectors import errors
from connectors.council_rest import Fields, document, rest_client, segment, with_message
from connectors.http import HttpClient, MalformedResponse
from connectors.models import (
    CommentsClosed,
    NewPlanningComment,
    PlanningApplication,
    PlanningComment,
    Result,
)

MAX_RADIUS_M = 5000
STANCES = ("support", "object", "neutral")


class RestPlanning:
    def __init__(self, http: HttpClient):
        self.http = http

    def applications_near(
        self, latitude: float, longitude: float, radius_m: int = 500
    ) -> Result[tuple[PlanningApplication, ...]]:
        params = {
            # Rounded to about a metre: enough for "near", and nearby homes share one cached answer.
            "latitude": f"{latitude:.5f}",
            "longitude": f"{longitude:.5f}",
            "radius_m": str(max(1, min(int(radius_m), MAX_RADIUS_M))),
        }
        return self.http.get("applications", params=params, parse=parse_applications)

    def application(self, reference: str) -> Result[PlanningApplication]:
        return self._get(reference, "", parse_application)

    def comments(self, reference: str) -> Result[tuple[PlanningComment, ...]]:
        return self._get(reference, "/comments", parse_comments)

    def comment(self, reference: str, comment: NewPlanningComment) -> str:
        if comment.stance not in STANCES:
            raise ValueError(f"stance {comment.stance!r} is not one of {STANCES}")
        body = {
            "name": comment.name,
            "address": comment.address,
            "stance": comment.stance,
            "text": comment.text,
        }
        path = f"applications/{segment(self._reference(reference))}/comments"
        try:
            return self.http.post(
                path, json=body, parse=lambda response: document(response).text("comment_reference")
            )
        except errors.BadData as error:
            if error.code == "comments_closed":
                raise CommentsClosed(reference) from None
            raise
        except errors.NotFound as error:
            raise with_message(error, "The council has no planning application with this reference") from None

    def _reference(self, reference: str) -> str:
        reference = reference.strip()
        if not reference:
            raise errors.NotFound(
                self.http.council, self.http.kind, "This is not a planning application reference"
            )
        return reference

    def _get(self, reference: str, suffix: str, parse):
        reference = self._reference(reference)
        try:
            return self.http.get(f"applications/{segment(reference)}{suffix}", parse=parse)
        except errors.NotFound as error:
            raise with_message(error, "The council has no planning application with this reference") from None


def application_from(fields: Fields) -> PlanningApplication:
    location = fields.optional_object("location")
    return PlanningApplication(
        reference=fields.text("reference"),
        address=fields.text("address"),
        description=fields.text("proposal"),
        status=fields.text("status"),
        received_on=fields.date("received_on"),
        latitude=location.number("latitude") if location else None,
        longitude=location.number("longitude") if location else None,
        decision=fields.optional_text("decision"),
        decided_on=fields.optional_date("decided_on"),
        comments_until=fields.optional_date("comments_until"),
        comment_url=fields.optional_text("comment_url"),
        documents_url=fields.optional_text("documents_url"),
        applicant=fields.optional_text("applicant"),
        distance_m=fields.optional_number("distance_m"),
    )


def parse_applications(response) -> tuple[PlanningApplication, ...]:
    applications = (application_from(fields) for fields in document(response).objects("applications"))
    return tuple(
        sorted(applications, key=lambda application: (application.distance_m or 0, application.reference))
    )


def parse_application(response) -> PlanningApplication:
    return application_from(document(response))


def parse_comments(response) -> tuple[PlanningComment, ...]:
    answer = document(response)
    reference = answer.text("reference")
    comments = []
    for fields in answer.objects("comments"):
        stance = fields.text("stance")
        if stance not in STANCES:
            raise MalformedResponse(f"{fields.where}.stance {stance[:20]!r} is not one of {STANCES}")
        comments.append(
            PlanningComment(
                comment_id=fields.text("id"),
                application_reference=reference,
                stance=stance,
                text=fields.text("text"),
                made_on=fields.date("made_on"),
                author=fields.optional_text("author"),
            )
        )
    return tuple(sorted(comments, key=lambda comment: (comment.made_on, comment.comment_id)))


def build(settings, registry) -> RestPlanning:
    return RestPlanning(rest_client(settings, registry))
