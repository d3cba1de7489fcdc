"""A report journey in progress: what has been answered, and which page comes next.

The state lives in a ReportDraft row (never only in the cookie), so a person who goes back, reloads or loses
their connection finds every answer where they left it. The next page is always derived from what is missing,
so "change" links on the check page need no special mode: answer again and the journey returns to checking.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from flask import session

from app.extensions import db
from app.models.reports import ReportDraft
from app.reports.types import ReportType, report_type

SESSION_KEY = "report_drafts"
MAX_DRAFTS_PER_SESSION = 10


@dataclass
class Location:
    method: str  # "address" (chosen from a postcode's list) or "description" (a place in words)
    postcode: str | None = None
    uprn: str | None = None
    address: str | None = None
    description: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    gss_code: str | None = None  # the district the place is in, once known

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def summary(self) -> str:
        if self.method == "address":
            return self.address or self.postcode or ""
        return self.description or ""


@dataclass
class Choice:
    key: str
    name: str


@dataclass
class Question:
    """One attribute of the council's Open311 service definition, asked on a page of its own."""

    code: str
    text: str
    datatype: str  # string | number | datetime | text | singlevaluelist | multivaluelist
    required: bool
    description: str = ""
    choices: list[Choice] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict) -> Question:
        return cls(**{**data, "choices": [Choice(**choice) for choice in data.get("choices", [])]})

    def display(self, value) -> str:
        names = {choice.key: choice.name for choice in self.choices}
        if isinstance(value, list):
            return ", ".join(names.get(item, item) for item in value)
        return names.get(value, value) if value not in (None, "") else ""


@dataclass
class NearbyRequest:
    """An open report of the same kind near the place, as the council's back office lists it: drawn on the
    map and listed on "where is it?", and offered to follow on "already reported?"."""

    service_request_id: str
    description: str
    address: str
    status: str
    requested_at: str
    # Where the back office says it is (None: not known, so the report is listed but not drawn).
    latitude: float | None = None
    longitude: float | None = None

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def requested_on(self) -> date | None:
        return datetime.fromisoformat(self.requested_at).date() if self.requested_at else None


@dataclass
class AssistedBy:
    """A contact centre agent is making this report for someone: which council's, how they were contacted,
    and who."""

    council: str
    channel: str  # phone | face_to_face | email
    agent: str


@dataclass
class Outside:
    """The place is not in Norfolk, or is a trunk road: who to contact instead (None when the portal cannot
    tell)."""

    council_name: str | None
    website: str | None = None
    trunk_road: str | None = None  # the road's number or name, when it is National Highways' road


class Journey:
    def __init__(self, draft: ReportDraft):
        self.draft = draft

    @property
    def token(self) -> str:
        return self.draft.token

    @property
    def type(self) -> ReportType:
        found = report_type(self.draft.report_type)
        assert found is not None, "a draft is only created for a known report type"
        return found

    def _get(self, key, default=None):
        return (self.draft.answers or {}).get(key, default)

    def _set(self, **values) -> None:
        # A new dict, so that SQLAlchemy sees the JSON column change.
        self.draft.answers = {**(self.draft.answers or {}), **values}

    def _forget(self, *keys: str) -> None:
        self.draft.answers = {
            key: value for key, value in (self.draft.answers or {}).items() if key not in keys
        }

    # Location and routing

    @property
    def postcode(self) -> str | None:
        return self._get("postcode")

    def set_postcode(self, postcode: str) -> None:
        self._set(postcode=postcode)
        self._forget(
            "location", "council", "outside", "nearby", "nearby_unavailable", "questions", "attributes"
        )

    @property
    def location(self) -> Location | None:
        data = self._get("location")
        return Location(**data) if data else None

    def set_location(self, location: Location) -> None:
        self._set(location=asdict(location))
        self._forget(
            "council",
            "outside",
            "area_asked",
            "nearby",
            "nearby_checked",
            "nearby_unavailable",
            "questions",
            "attributes",
        )

    def area_needed(self) -> None:
        """The place alone does not say which district it is in: the person is asked."""
        self._set(area_asked=True)

    @property
    def council_slug(self) -> str | None:
        return self._get("council")

    def route_to(self, council_slug: str) -> None:
        self._set(council=council_slug)
        self._forget("outside")

    @property
    def outside(self) -> Outside | None:
        data = self._get("outside")
        return Outside(**data) if data else None

    def route_outside(self, outside: Outside) -> None:
        self._set(outside=asdict(outside))
        self._forget("council")

    # Already reported?

    @property
    def nearby(self) -> list[NearbyRequest]:
        return [NearbyRequest(**item) for item in self._get("nearby", [])]

    @property
    def nearby_unavailable(self) -> bool:
        """The council's back office could not list its open reports near the place: nothing is offered, the
        journey goes on, and the map page says so."""
        return bool(self._get("nearby_unavailable"))

    def set_nearby(self, requests: list[NearbyRequest] | None) -> None:
        """The open reports near the place, or None when the back office could not say."""
        if requests is None:
            self._set(nearby=[], nearby_checked=True, nearby_unavailable=True)
            return
        self._set(nearby=[asdict(item) for item in requests], nearby_checked=not requests)
        self._forget("nearby_unavailable")

    def nearby_answered(self) -> None:
        self._set(nearby_checked=True)

    # The council's questions

    @property
    def questions(self) -> list[Question] | None:
        data = self._get("questions")
        return None if data is None else [Question.from_dict(item) for item in data]

    def set_questions(self, questions: list[Question]) -> None:
        self._set(questions=[asdict(question) for question in questions])

    def question(self, code: str) -> Question | None:
        return next((question for question in self.questions or [] if question.code == code), None)

    @property
    def attributes(self) -> dict:
        return self._get("attributes", {})

    def answer(self, code: str, value) -> None:
        self._set(attributes={**self.attributes, code: value})

    # Details, photo, contact

    @property
    def description(self) -> str | None:
        return self._get("description")

    def set_description(self, description: str) -> None:
        self._set(description=description)

    @property
    def photo_step_done(self) -> bool:
        return bool(self._get("photo_step_done"))

    def photo_answered(self) -> None:
        self._set(photo_step_done=True)

    @property
    def email_answered(self) -> bool:
        return "email" in (self.draft.answers or {})

    @property
    def email(self) -> str | None:
        return self._get("email")

    def set_email(self, email: str | None) -> None:
        self._set(email=email or None)

    # Made by a contact centre for someone (assisted digital)

    @property
    def assisted_by(self) -> AssistedBy | None:
        data = self._get("assisted_by")
        return AssistedBy(**data) if data else None

    def set_assisted_by(self, assisted_by: AssistedBy) -> None:
        self._set(assisted_by=asdict(assisted_by))

    # Where next

    def next_step(self, signed_in: bool) -> tuple[str, dict]:
        location = self.location
        if location is None:
            return ("reports.address", {}) if self.postcode else ("reports.postcode", {})
        if self.outside:
            return "reports.outside", {}
        if self.council_slug is None:
            return "reports.area", {}
        if self.type.check_nearby and not self._get("nearby_checked"):
            return "reports.nearby", {}
        for question in self.questions or []:
            if question.code not in self.attributes:
                return "reports.question", {"code": question.code}
        if self.description is None:
            return "reports.details", {}
        if not self.photo_step_done:
            return "reports.photo", {}
        if not signed_in and not self.email_answered:
            return "reports.email", {}
        return "reports.check", {}

    def steps(self, signed_in: bool) -> list[tuple[str, dict]]:
        """The pages this journey passes through, in order, given the answers so far (for back links)."""
        location = self.location
        steps: list[tuple[str, dict]] = [("reports.postcode", {})]
        steps.append(
            ("reports.place", {})
            if location and location.method == "description"
            else ("reports.address", {})
        )
        if self._get("area_asked"):
            steps.append(("reports.area", {}))
        if self.outside:
            return [*steps, ("reports.outside", {})]
        if self.type.check_nearby and self.nearby:
            steps.append(("reports.nearby", {}))
        steps.extend(("reports.question", {"code": question.code}) for question in self.questions or [])
        steps.extend([("reports.details", {}), ("reports.photo", {})])
        if not signed_in:
            steps.append(("reports.email", {}))
        steps.append(("reports.check", {}))
        return steps

    def is_complete(self, signed_in: bool) -> bool:
        return self.next_step(signed_in)[0] == "reports.check" and self.council_slug is not None


def start(report_type_slug: str, made_on: str, resident_id: int | None) -> Journey:
    draft = ReportDraft(
        token=secrets.token_urlsafe(24),
        report_type=report_type_slug,
        made_on=made_on,
        answers={},
        resident_id=resident_id,
        idempotency_key=secrets.token_urlsafe(24),
    )
    db.session.add(draft)
    tokens = [draft.token, *session.get(SESSION_KEY, [])][:MAX_DRAFTS_PER_SESSION]
    session[SESSION_KEY] = tokens
    return Journey(draft)


def session_tokens() -> list[str]:
    """The journeys this browser session started."""
    return list(session.get(SESSION_KEY, []))


def find(token: str) -> Journey | None:
    """The journey with this token, if it belongs to this browser session."""
    if token not in session.get(SESSION_KEY, []):
        return None
    draft = db.session.execute(db.select(ReportDraft).filter_by(token=token)).scalar_one_or_none()
    return Journey(draft) if draft else None
