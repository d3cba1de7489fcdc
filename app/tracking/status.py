"""What a back office's status means to a resident: open or closed, and for a closed case, honestly how it was
closed (fixed, no action needed, passed to another organisation, not the council's responsibility).

Open311 servers report FixMyStreet's update statuses (INVESTIGATING, ACTION_SCHEDULED, FIXED,
NOT_COUNCILS_RESPONSIBILITY, ...); CRMs report their own statuses with a label, and a closed flag.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


class Closure:
    FIXED = "fixed"
    NO_ACTION = "no_action"
    PASSED_ON = "passed_on"
    NOT_RESPONSIBLE = "not_responsible"
    CLOSED = "closed"


@dataclass(frozen=True)
class StatusMeaning:
    label: str
    closed: bool
    closure: str | None = None
    # The GOV.UK tag colour modifier (govuk-tag--<colour>); None is the default blue.
    colour: str | None = None


WAITING = StatusMeaning(_l("Waiting to be sent"), closed=False, colour="grey")
PARKED = StatusMeaning(_l("Delayed: we are looking into it"), closed=False, colour="orange")
RECEIVED = StatusMeaning(_l("Received"), closed=False, colour="light-blue")

OPEN311_STATUSES: dict[str, StatusMeaning] = {
    "OPEN": RECEIVED,
    "REOPENED": StatusMeaning(_l("Reopened"), closed=False, colour="light-blue"),
    "INVESTIGATING": StatusMeaning(_l("Being investigated"), closed=False, colour="blue"),
    "IN_PROGRESS": StatusMeaning(_l("Being dealt with"), closed=False, colour="blue"),
    "ACTION_SCHEDULED": StatusMeaning(_l("Work scheduled"), closed=False, colour="blue"),
    "FIXED": StatusMeaning(_l("Fixed"), closed=True, closure=Closure.FIXED, colour="green"),
    "RESOLVED": StatusMeaning(_l("Fixed"), closed=True, closure=Closure.FIXED, colour="green"),
    "NO_FURTHER_ACTION": StatusMeaning(
        _l("No action needed"), closed=True, closure=Closure.NO_ACTION, colour="grey"
    ),
    "UNABLE_TO_FIX": StatusMeaning(
        _l("No action needed"), closed=True, closure=Closure.NO_ACTION, colour="grey"
    ),
    "DUPLICATE": StatusMeaning(
        _l("Closed: already reported"), closed=True, closure=Closure.NO_ACTION, colour="grey"
    ),
    "INTERNAL_REFERRAL": StatusMeaning(
        _l("Passed to another organisation"), closed=True, closure=Closure.PASSED_ON, colour="purple"
    ),
    "NOT_COUNCILS_RESPONSIBILITY": StatusMeaning(
        _l("Not our responsibility"), closed=True, closure=Closure.NOT_RESPONSIBLE, colour="purple"
    ),
    "CLOSED": StatusMeaning(_l("Closed"), closed=True, closure=Closure.CLOSED, colour="grey"),
}
# Statuses the council closes with by handing the request to someone else: the sync asks who.
HANDED_ON = ("INTERNAL_REFERRAL", "NOT_COUNCILS_RESPONSIBILITY")


def open311_meaning(status: str) -> StatusMeaning:
    """An Open311 update status; an unknown one is shown in the council's own words, as open."""
    known = OPEN311_STATUSES.get(status.upper())
    if known is not None:
        return known
    return StatusMeaning(status.replace("_", " ").capitalize(), closed=False)


def open311_request_meaning(status: str) -> StatusMeaning:
    """A request's own status: GeoReport v2 only says open or closed."""
    return OPEN311_STATUSES["CLOSED"] if status == "closed" else RECEIVED


def crm_meaning(status: str, label: str, closed: bool) -> StatusMeaning:
    """A CRM case status, in the council's own label."""
    if closed:
        return StatusMeaning(label, closed=True, closure=Closure.CLOSED, colour="grey")
    colour = "orange" if status == "waiting_for_you" else "light-blue" if status == "open" else "blue"
    return StatusMeaning(label, closed=False, colour=colour)
