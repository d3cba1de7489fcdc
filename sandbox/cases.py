"""Every council's CRM (docs/api/cases.yaml): a resident's cases by the email address the identity provider
verified, each with its public notes and status history, and the feed of cases changed since a moment that the
portal's status sync reads.

The demo cases' moments are worked out back from now, so an "open for four days" case stays four days old in
any demo. What an officer does afterwards happens at a real moment and is kept (SQLite, sandbox/store.py):

    POST /cases/<council>/_admin/cases/<reference>   {"status": "closed", "note": "...", "author": "..."}

adds a status change and/or a public note now, as a council officer would (with the API key, like the rest:
faults injected for the cases service apply to it too).

Residents' updates arrive by POST /cases/<council>/cases/<reference>/updates where a case accepts them: every
CRM here but Great Yarmouth's (which takes no updates from the portal) takes an update on an open case, and
"not fixed" on a case closed within the last REOPEN_DAYS days, which reopens it. They are kept with the case
(not published as its notes);

    GET /cases/<council>/_admin/cases/<reference>/updates

reads them back, as a council officer would see them, for tests and demonstrations.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app, g, jsonify, request
from werkzeug.exceptions import NotFound

from sandbox import bins, store
from sandbox.back_office import InvalidParameter, back_office_blueprint, require, today
from sandbox.councils import council as sandbox_council
from sandbox.councils import councils
from sandbox.demo_residents import DEMO_RESIDENTS

bp = back_office_blueprint("cases")

# A closed case can be reopened ("not fixed") this long after it was closed.
REOPEN_DAYS = 28
UPDATE_KINDS = ("update", "not_fixed")
UPDATE_MAX = 2000
CHANNELS = ("phone", "face_to_face", "email")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REOPENED_LABEL = "Reopened"

STATUS_LABELS = {
    "open": "Received",
    "in_progress": "Being dealt with",
    "waiting_for_you": "Waiting for your reply",
    "closed": "Closed",
}


@dataclass(frozen=True)
class Step:
    """A status change and/or a public note, this many hours before now (a demo case's), or at a real moment
    (an officer's, made through _admin)."""

    hours_ago: float
    status: str | None = None
    note: str | None = None
    author: str | None = None
    at: datetime | None = None
    # The council's words for this status change, when not its status's usual label ("Reopened").
    label: str | None = None

    def moment(self, now: datetime) -> datetime:
        return self.at if self.at is not None else now - timedelta(hours=self.hours_ago)


@dataclass(frozen=True)
class Case:
    reference: str
    council: str
    email: str
    title: str
    category: str
    description: str
    steps: tuple[Step, ...]
    internal_note: str = ""  # never published: proves the contract leaves it out

    def history(self, now: datetime) -> list[dict]:
        return [
            {
                "status": step.status,
                "status_label": step.label or STATUS_LABELS[step.status],
                "changed_at": _iso(step.moment(now)),
            }
            for step in self.steps
            if step.status
        ]

    def accepts(self, now: datetime) -> dict:
        if not _takes_updates(self.council):  # its cases accept nothing and say so
            return {"update": False, "not_fixed": False}
        last = [step for step in self.steps if step.status][-1]
        if last.status != "closed":
            return {"update": True, "not_fixed": False}
        return {"update": False, "not_fixed": now - last.moment(now) <= timedelta(days=REOPEN_DAYS)}

    def summary(self, now: datetime) -> dict:
        history = self.history(now)
        status = history[-1]["status"]
        return {
            "reference": self.reference,
            "title": self.title,
            "category": self.category,
            "status": status,
            "status_label": history[-1]["status_label"],
            "opened_at": history[0]["changed_at"],
            "updated_at": _iso(self.updated_at(now)),
            "closed": status == "closed",
        }

    def updated_at(self, now: datetime) -> datetime:
        # To the second, as the contract's moments are, so that the feed and the case agree on it.
        return max(step.moment(now) for step in self.steps).replace(microsecond=0)

    def detail(self, now: datetime) -> dict:
        return {
            **self.summary(now),
            "description": self.description,
            "notes": [
                {
                    "created_at": _iso(step.moment(now)),
                    "text": step.note,
                    "author": step.author,
                }
                for step in self.steps
                if step.note
            ],
            "status_history": self.history(now),
            "accepts": self.accepts(now),
        }


def _takes_updates(council: str) -> bool:
    """Whether the council's CRM takes residents' updates from the portal (sandbox/data/councils.toml)."""
    return sandbox_council(council).demo.crm_takes_updates


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _email(given_name: str) -> str:
    return next(resident.email for resident in DEMO_RESIDENTS if resident.given_name == given_name)


CASES = (
    Case(
        reference="NCC-HW-2026-114502",
        council="norfolk",
        email=_email("Tom"),
        title="Pothole on Unthank Road",
        category="pothole",
        description="A deep pothole in the northbound lane outside 39 Unthank Road.",
        steps=(
            Step(96, "open"),
            Step(
                72, "in_progress", "An inspector has visited: it meets our criteria for repair.", "Highways"
            ),
            Step(20, None, "A repair is booked within 28 days.", "Highways"),
        ),
    ),
    Case(
        reference="GYBC-FT-2026-02211",
        council="great-yarmouth",
        email=_email("Margaret"),
        title="Fly-tipping behind Marine Parade",
        category="fly_tipping",
        description="Bags of rubbish and a mattress dumped in the service lane behind 7 Marine Parade.",
        steps=(
            Step(24 * 30, "open"),
            Step(
                24 * 29,
                "in_progress",
                "Our enforcement officer is looking for evidence.",
                "Environmental rangers",
            ),
            Step(24 * 26, "closed", "The waste was cleared on the same day. Thank you for reporting it."),
        ),
        internal_note="No evidence found; no fixed penalty.",
    ),
    Case(
        reference="NCC-SL-2026-118730",
        council="norfolk",
        email=_email("David"),
        title="Street light not working on Church Street, Cromer",
        category="street_light",
        description="The street light outside 3 Church Street stays off at night.",
        steps=(
            Step(30, "open", "We have passed this to our street lighting contractor.", "Street lighting"),
        ),
    ),
    Case(
        reference="NCC-GR-2026-03317",
        council="norwich",
        email=_email("Tom"),
        title="Graffiti on the bus shelter, Unthank Road",
        category="graffiti",
        description="Spray-painted tags across the glass of the bus shelter opposite 41 Unthank Road.",
        steps=(
            Step(24 * 9, "open"),
            Step(24 * 8, "in_progress", "Our cleansing team will remove it.", "City cleansing"),
            Step(24 * 2, "closed", "The graffiti has been removed.", "City cleansing"),
        ),
    ),
    Case(
        reference="NCC-CT-2026-110001",
        council="norfolk",
        email="someone.else@example.org",
        title="Hedge overhanging the footway",
        category="overgrown_vegetation",
        description="Not a demo resident's case: lists by email must never show it to them.",
        steps=(Step(200, "open"),),
    ),
)


def priya_missed_bin(on: date) -> Case:
    """Reported the morning after her garden waste bin was missed (sandbox/bins.py decides which day)."""
    reported = datetime.combine(bins.priya_round(on).missed_garden_on + timedelta(days=1), time(8, 40), UTC)
    hours_ago = (datetime.combine(on, time(12, 0), UTC) - reported).total_seconds() / 3600
    return Case(
        reference="SNC-MB-2026-08841",
        council="south-norfolk",
        email=_email("Priya"),
        title="Missed garden waste collection",
        category="missed_bin",
        description="The brown garden waste bin at 12 Orchard Way was out on time but not emptied.",
        steps=(
            Step(
                hours_ago, "open", "Thank you for telling us. We have asked the crew to return.", "Waste team"
            ),
            Step(
                hours_ago - 6, "in_progress", "The crew will empty your garden waste bin on its next round."
            ),
        ),
        internal_note="Crew sheet says road blocked by parked van.",
    )


SCHEMA = """
CREATE TABLE IF NOT EXISTS officer_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    council TEXT NOT NULL,
    reference TEXT NOT NULL,
    at TEXT NOT NULL,
    status TEXT,
    note TEXT,
    author TEXT
);
CREATE TABLE IF NOT EXISTS resident_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    council TEXT NOT NULL,
    reference TEXT NOT NULL,
    update_id TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    email TEXT NOT NULL,
    assisted_council TEXT,
    assisted_channel TEXT,
    receipt TEXT NOT NULL,
    UNIQUE (council, update_id)
);
"""


def officer_steps():
    return store.for_app(current_app._get_current_object(), "cases", SCHEMA)


def cases_on(on: date) -> tuple[Case, ...]:
    """The demo cases, each with what officers have done to it since, in the order they did it."""
    with officer_steps().connect() as connection:
        rows = connection.execute(
            "SELECT council, reference, at, status, note, author FROM officer_steps ORDER BY id"
        ).fetchall()
        updates = connection.execute(
            "SELECT council, reference, at, kind FROM resident_updates ORDER BY id"
        ).fetchall()
    added: dict[tuple[str, str], list[Step]] = {}
    for row in rows:
        added.setdefault((row["council"], row["reference"]), []).append(
            Step(0, row["status"], row["note"], row["author"], at=datetime.fromisoformat(row["at"]))
        )
    for row in updates:
        # A resident's update changes the case (its updated_at) without a public note; "not fixed" reopens it.
        reopened = row["kind"] == "not_fixed"
        added.setdefault((row["council"], row["reference"]), []).append(
            Step(
                0,
                "open" if reopened else None,
                at=datetime.fromisoformat(row["at"]),
                label=REOPENED_LABEL if reopened else None,
            )
        )
    for steps in added.values():
        steps.sort(key=lambda step: step.at)
    return tuple(
        replace(case, steps=(*case.steps, *added.get((case.council, case.reference), ())))
        for case in (priya_missed_bin(on), *CASES)
    )


def now() -> datetime:
    """Now, on the sandbox's today (SANDBOX_TODAY) at the real time of day, so tests can fix the date."""
    if current_app.config.get("SANDBOX_TODAY") is None:
        return datetime.now(UTC)
    return datetime.combine(today(), time(12, 0), tzinfo=UTC)


def _question() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _email_argument() -> str:
    email = _question().get("email")
    return require(email if isinstance(email, str) else None, "email").strip().casefold()


@bp.post("/cases/search")
def cases_for_email():
    email, moment = _email_argument(), now()
    mine = [
        case.summary(moment)
        for case in cases_on(moment.date())
        if case.council == g.council and case.email == email
    ]
    mine.sort(key=lambda case: case["updated_at"], reverse=True)
    return {"cases": mine}


@bp.post("/cases/<reference>/lookup")
def case_detail(reference: str):
    email = _email_argument()
    moment = now()
    known = cases_on(moment.date())
    case = next((case for case in known if case.reference == reference and case.council == g.council), None)
    if case is None or case.email != email:
        # The same answer for "no such case" and "not yours": a reference alone reveals nothing.
        raise NotFound(description=f"No case {reference} for this email address.")
    return case.detail(moment)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return moment


def _limit(text: str) -> int:
    limit = int(text)
    if not 1 <= limit <= 1000:
        raise ValueError("out of range")
    return limit


@bp.get("/cases/changes")
def changes():
    """Every case changed in [since, now), oldest first, cut at ``limit`` between two moments (never within
    one), so that the answer is complete up to ``until`` and ``since=until`` asks for the rest."""
    since = require(request.args.get("since"), "since", _moment)
    limit = require(request.args.get("limit") or "100", "limit", _limit)
    moment = now()
    bound = moment.replace(microsecond=0)
    changed = sorted(
        (case.updated_at(moment), case.reference, case.email)
        for case in cases_on(moment.date())
        if case.council == g.council and since <= case.updated_at(moment) < bound
    )
    page, rest = changed, []
    if len(changed) > limit:
        cut = changed[limit][0]
        # More than `limit` changes at one moment go out together: a cut within a moment would never move on.
        page = [change for change in changed if change[0] < cut] or [
            change for change in changed if change[0] == cut
        ]
        rest = changed[len(page) :]
    return {
        "changes": [
            {"reference": reference, "email": email, "updated_at": _iso(updated_at)}
            for updated_at, reference, email in page
        ],
        "until": _iso(rest[0][0] if rest else bound),
        "more": bool(rest),
    }


@bp.post("/_admin/cases/<reference>")
def officer_changes(reference: str):
    """An officer changes a case in the CRM (a status, a public note or both), now."""
    values = request.get_json(silent=True) or {}
    status, note, author = values.get("status"), values.get("note"), values.get("author")
    if status is not None and status not in STATUS_LABELS:
        raise InvalidParameter(description=f"The status must be one of {', '.join(STATUS_LABELS)}.")
    if not status and not note:
        raise InvalidParameter(description="Send a status, a note or both.")
    moment = now().replace(microsecond=0)
    if not any(case.reference == reference and case.council == g.council for case in cases_on(moment.date())):
        raise NotFound(description=f"No case {reference}.")
    with officer_steps().connect() as connection:
        connection.execute(
            "INSERT INTO officer_steps (council, reference, at, status, note, author)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (g.council, reference, moment.isoformat(), status, note, author),
        )
    return {"reference": reference, "at": _iso(moment)}


def _case_of(reference: str, moment: datetime) -> Case:
    case = next(
        (
            case
            for case in cases_on(moment.date())
            if case.reference == reference and case.council == g.council
        ),
        None,
    )
    if case is None:
        raise NotFound(description=f"No case {reference}.")
    return case


def _not_accepted(message: str):
    response = jsonify({"error": {"code": "not_accepted", "message": message}})
    response.status_code = 409
    return response


def _update_text(body: dict) -> str:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > UPDATE_MAX:
        raise InvalidParameter(description=f"text must be text of 1 to {UPDATE_MAX} characters.")
    if CONTROL_CHARACTERS.search(text):
        raise InvalidParameter(description="text holds control characters.")
    return text.strip()


def _assisted(body: dict) -> tuple[str | None, str | None]:
    assisted = body.get("assisted")
    if assisted is None:
        return None, None
    if (
        not isinstance(assisted, dict)
        or not isinstance(assisted.get("council"), str)
        or councils().get(assisted["council"]) is None
        or assisted.get("channel") not in CHANNELS
    ):
        raise InvalidParameter(
            description="assisted needs a council and a channel (phone, face_to_face, email)."
        )
    return assisted["council"], assisted["channel"]


@bp.post("/cases/<reference>/updates")
def add_update(reference: str):
    """A resident's update, or their "not fixed" that reopens a closed case, once per update_id."""
    body = _question()
    email = _email_argument()
    update_id = body.get("update_id")
    if not isinstance(update_id, str) or not 1 <= len(update_id) <= 64:
        raise InvalidParameter(description="update_id must be text of 1 to 64 characters.")
    kind = body.get("kind")
    if kind not in UPDATE_KINDS:
        raise InvalidParameter(description=f"kind must be one of {', '.join(UPDATE_KINDS)}.")
    text = _update_text(body)
    assisted_council, assisted_channel = _assisted(body)
    moment = now().replace(microsecond=0)
    case = _case_of(reference, moment)
    if case.email != email:
        raise NotFound(description=f"No case {reference} for this email address.")
    with officer_steps().connect() as connection:
        earlier = connection.execute(
            "SELECT receipt FROM resident_updates WHERE council = ? AND update_id = ?", (g.council, update_id)
        ).fetchone()
        if earlier is not None:
            return json.loads(earlier["receipt"]), 200
        if not case.accepts(moment)[kind]:
            if not _takes_updates(case.council):
                return _not_accepted("This council's system takes no updates from the portal.")
            return _not_accepted(
                f"{reference} is open: there is nothing to reopen."
                if kind == "not_fixed" and not case.summary(moment)["closed"]
                else f"{reference} does not take this update now."
            )
        count = connection.execute(
            "SELECT COUNT(*) FROM resident_updates WHERE council = ? AND reference = ?",
            (g.council, reference),
        ).fetchone()[0]
        status = "open" if kind == "not_fixed" else case.summary(moment)["status"]
        receipt = {
            "reference": reference,
            "update_reference": f"{reference}-U{count + 1}",
            "status": status,
            "status_label": REOPENED_LABEL if kind == "not_fixed" else case.summary(moment)["status_label"],
        }
        connection.execute(
            "INSERT INTO resident_updates (council, reference, update_id, at, kind, text, email,"
            " assisted_council, assisted_channel, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                g.council,
                reference,
                update_id,
                moment.isoformat(),
                kind,
                text,
                email,
                assisted_council,
                assisted_channel,
                json.dumps(receipt),
            ),
        )
    return receipt, 201


@bp.post("/cases/<reference>/contact")
def case_contact(reference: str):
    """Whose case this is, for a council's contact centre (server to server, anyone's case)."""
    case = _case_of(reference, now())
    return {"reference": case.reference, "email": case.email}


@bp.get("/_admin/cases/<reference>/updates")
def received_updates(reference: str):
    """What residents added to a case, as a council officer sees it in the CRM (not in the contract)."""
    _case_of(reference, now())
    with officer_steps().connect() as connection:
        rows = connection.execute(
            "SELECT update_id, at, kind, text, email, assisted_council, assisted_channel, receipt"
            " FROM resident_updates WHERE council = ? AND reference = ? ORDER BY id",
            (g.council, reference),
        ).fetchall()
    return {
        "reference": reference,
        "updates": [
            {
                "update_id": row["update_id"],
                "update_reference": json.loads(row["receipt"])["update_reference"],
                "at": row["at"],
                "kind": row["kind"],
                "text": row["text"],
                "email": row["email"],
                "assisted": {"council": row["assisted_council"], "channel": row["assisted_channel"]}
                if row["assisted_council"]
                else None,
            }
            for row in rows
        ],
    }
