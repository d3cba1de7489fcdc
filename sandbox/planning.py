"""The districts' planning registers (docs/api/planning.yaml): applications near a point, each application's
detail, and its published public comments.

Residents' comments arrive by POST while comments are open and wait here for the council's moderation (they
are not published); GET .../received-comments, which is not in the contract, reads them back for tests.
Besides the demo residents' stories, one gazetteer address in nine has an application, so every town has
some.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, g, request
from werkzeug.exceptions import NotFound

from sandbox import places
from sandbox.back_office import (
    InvalidParameter,
    back_office_blueprint,
    error_response,
    require,
    stable_number,
    today,
)
from sandbox.councils import council as sandbox_council
from sandbox.councils import councils
from sandbox.demo_residents import DEMO_RESIDENTS

bp = back_office_blueprint("planning")

DEFAULT_RADIUS_M = 500
MAX_RADIUS_M = 5000
MAX_RESULTS = 50
CONSULTATION_DAYS = 21
# (suffix, kind of application, proposal): what a district's register is mostly made of.
PROPOSALS = (
    ("HH", "Single storey rear extension"),
    ("HH", "Loft conversion with rear dormer window"),
    ("HH", "Replacement of garage with garden room"),
    ("F", "Change of use from shop (Class E) to two flats"),
    ("TCA", "Fell one ash tree in a conservation area"),
    ("F", "Erection of one detached dwelling and new access"),
    ("LB", "Replacement of timber sash windows (listed building consent)"),
)
OFFICERS = ("Sam Turner", "Alex Morgan", "Jo Patel", "Chris Evans")
COMMENT_LIMITS = {"name": 200, "address": 300, "text": 10_000}
STANCES = ("support", "object", "neutral")


@dataclass(frozen=True)
class Application:
    reference: str
    council: str
    address: str
    postcode: str
    latitude: float
    longitude: float
    proposal: str
    applicant: str
    received_days_ago: int
    decision: str | None = None  # "approved" or "refused", once decided
    decided_days_ago: int | None = None
    comments: tuple[dict, ...] = ()

    def as_json(self, on: date, distance_m: float | None = None) -> dict:
        received_on = on - timedelta(days=self.received_days_ago)
        comments_until = received_on + timedelta(days=CONSULTATION_DAYS)
        if self.decision:
            status = "decided"
        elif on <= comments_until:
            status = "consultation"
        else:
            status = "awaiting_decision"
        site = sandbox_council(self.council).demo.planning_site
        key = self.reference.replace("/", "")
        document = {
            "reference": self.reference,
            "address": self.address,
            "postcode": self.postcode,
            "location": {"latitude": self.latitude, "longitude": self.longitude},
            "proposal": self.proposal,
            "applicant": self.applicant,
            "case_officer": OFFICERS[stable_number(self.reference) % len(OFFICERS)],
            "status": status,
            "received_on": received_on.isoformat(),
            "comments_until": comments_until.isoformat(),
            "decision": self.decision,
            "decided_on": (
                (on - timedelta(days=self.decided_days_ago)).isoformat()
                if self.decided_days_ago is not None
                else None
            ),
            "comment_url": f"{site}/applications/{key}/comment",
            "documents_url": f"{site}/applications/{key}/documents",
            "comment_count": len(self.comments),
        }
        if distance_m is not None:
            document["distance_m"] = round(distance_m)
        return document


def _resident(given_name: str):
    return next(resident for resident in DEMO_RESIDENTS if resident.given_name == given_name)


def _next_door(given_name: str, reference: str, number_change: int, **details) -> Application:
    """An application at a demo resident's neighbour: same street, a few metres east, in their district."""
    resident = _resident(given_name)
    latitude, longitude = places.location_of(resident.uprn)
    number, street = resident.address[0].split(" ", 1)
    return Application(
        reference=reference,
        council=places.district_of(resident.uprn),
        address=", ".join((f"{int(number) + number_change} {street}", *resident.address[1:])),
        postcode=resident.postcode,
        latitude=latitude + 0.00002,
        longitude=longitude + 0.00012 * number_change,
        **details,
    )


def story_applications() -> list[Application]:
    return [
        _next_door(
            "Tom",
            "26/01187/HH",
            2,
            proposal="Single storey rear extension and replacement of rear boundary wall",
            applicant="Mr and Mrs R Fielding",
            received_days_ago=12,
            comments=(
                {
                    "id": "C-26-01187-1",
                    "stance": "object",
                    "author": "A resident of Unthank Road",
                    "days_ago": 6,
                    "text": "The extension would take the afternoon light from our kitchen and garden.",
                },
                {
                    "id": "C-26-01187-2",
                    "stance": "support",
                    "author": "A resident of Trafalgar Street",
                    "days_ago": 3,
                    "text": "A modest, well designed extension in keeping with the street.",
                },
            ),
        ),
        _next_door(
            "Priya",
            "2026/1934",
            -4,
            proposal="Two storey side extension",
            applicant="Ms K Lowe",
            received_days_ago=70,
            decision="approved",
            decided_days_ago=9,
        ),
        _next_door(
            "Margaret",
            "06/26/0412/F",
            6,
            proposal="Change of use of ground floor from amusement arcade to cafe",
            applicant="Seafront Leisure Ltd",
            received_days_ago=30,
        ),
        _next_door(
            "David",
            "PF/26/2231",
            8,
            proposal="Conversion of former chapel to two dwellings",
            applicant="Cromer Heritage Homes Ltd",
            received_days_ago=4,
        ),
    ]


def generated_applications() -> list[Application]:
    """One application at about one gazetteer address in nine, fixed by the UPRN."""
    applications = []
    for address in places.all_addresses():
        number = stable_number(f"planning:{address.uprn}")
        if number % 9 or not councils().serves(address.council, "planning"):
            continue
        suffix, proposal = PROPOSALS[number // 9 % len(PROPOSALS)]
        received_days_ago = 5 + number // 63 % 120
        decided = received_days_ago > 56
        applications.append(
            Application(
                reference=f"26/{number % 100000:05d}/{suffix}",
                council=address.council,
                address=address.single_line,
                postcode=address.postcode,
                latitude=address.latitude,
                longitude=address.longitude,
                proposal=proposal,
                applicant="Private applicant",
                received_days_ago=received_days_ago,
                decision=("refused" if number % 5 == 0 else "approved") if decided else None,
                decided_days_ago=received_days_ago - 56 if decided else None,
            )
        )
    return applications


def register() -> dict[str, Application]:
    """Every application, made once per sandbox app (its councils decide which addresses have one)."""
    extensions = current_app.extensions
    if "sandbox_planning_register" not in extensions:
        applications = generated_applications() + story_applications()
        extensions["sandbox_planning_register"] = {
            application.reference: application for application in applications
        }
    return extensions["sandbox_planning_register"]


def application_in_council(reference: str) -> Application:
    application = register().get(reference)
    if application is None or application.council != g.council:
        raise NotFound(description=f"No planning application with reference {reference}.")
    return application


def _coordinate(text: str, low: float, high: float) -> float:
    value = float(text)
    if not low <= value <= high:
        raise ValueError(text)
    return value


@bp.get("/applications")
def applications_near():
    latitude = require(request.args.get("latitude"), "latitude", lambda text: _coordinate(text, -90, 90))
    longitude = require(request.args.get("longitude"), "longitude", lambda text: _coordinate(text, -180, 180))
    radius = request.args.get("radius_m", str(DEFAULT_RADIUS_M))
    radius_m = require(radius, "radius_m", lambda text: _coordinate(text, 1, MAX_RADIUS_M))
    on = today()
    found = []
    for application in register().values():
        if application.council != g.council:
            continue
        distance = places.distance_m(latitude, longitude, application.latitude, application.longitude)
        if distance <= radius_m:
            found.append((distance, application))
    found.sort(key=lambda pair: (pair[0], pair[1].reference))
    return {
        "applications": [application.as_json(on, distance) for distance, application in found[:MAX_RESULTS]],
        "total": len(found),
    }


@bp.get("/applications/<path:reference>/comments")
def application_comments(reference: str):
    application = application_in_council(reference)
    on = today()
    return {
        "reference": application.reference,
        "comments": [
            {
                "id": comment["id"],
                "stance": comment["stance"],
                "author": comment["author"],
                "made_on": (on - timedelta(days=comment["days_ago"])).isoformat(),
                "text": comment["text"],
            }
            for comment in application.comments
        ],
    }


_received: dict[str, list[dict]] = {}
_received_lock = threading.Lock()


def _comments_open(application: Application, on: date) -> bool:
    received_on = on - timedelta(days=application.received_days_ago)
    return application.decision is None and on <= received_on + timedelta(days=CONSULTATION_DAYS)


@bp.post("/applications/<path:reference>/comments")
def receive_comment(reference: str):
    application = application_in_council(reference)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter(description="Send the comment as a JSON object.")
    comment = {}
    for name, limit in COMMENT_LIMITS.items():
        value = body.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise InvalidParameter(description=f"{name} must be text of 1 to {limit} characters.")
        comment[name] = value.strip()
    if body.get("stance") not in STANCES:
        raise InvalidParameter(description="stance must be support, object or neutral.")
    on = today()
    if not _comments_open(application, on):
        response = error_response(409, f"Comments on {application.reference} are closed.")
        response.set_data(
            json.dumps(
                {
                    "error": {
                        "code": "comments_closed",
                        "message": f"Comments on {application.reference} are closed.",
                    }
                }
            )
        )
        return response
    with _received_lock:
        received = _received.setdefault(f"{g.council}:{application.reference}", [])
        comment_reference = f"RC-{application.reference.replace('/', '')}-{len(received) + 1}"
        received.append(
            {
                "comment_reference": comment_reference,
                "stance": body["stance"],
                "received_on": on.isoformat(),
                **comment,
            }
        )
    return {"reference": application.reference, "comment_reference": comment_reference}, 201


@bp.get("/applications/<path:reference>/received-comments")
def received_comments(reference: str):
    application = application_in_council(reference)
    with _received_lock:
        received = list(_received.get(f"{g.council}:{application.reference}", ()))
    return {"reference": application.reference, "comments": received}


@bp.get("/applications/<path:reference>")
def application_detail(reference: str):
    return application_in_council(reference).as_json(today())
