"""A resident's cases with every council, in one shape: reports made through the portal (with the changes the
status sync recorded and what the resident added) and the cases each council's CRM holds for their verified
email address.

Access control lives here: a case is found only through its owner. Someone else's report id, a guessed
reference or another resident's CRM reference all come back as None, the same answer as "no such case", so
that ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.backoffice import registry
from app.extensions import db
from app.models.identity import Resident
from app.models.reports import Report, ReportStatus
from app.models.tracking import CaseUpdate, CaseUpdateKind, EventSource, StatusEvent
from app.reports.types import report_type
from app.theming import themes
from app.tracking.status import (
    PARKED,
    RECEIVED,
    WAITING,
    StatusMeaning,
    crm_meaning,
    open311_meaning,
    open311_request_meaning,
)
from app.tracking.updates import FOLLOW_UP_PREFIX
from connectors.clock import as_utc
from connectors.errors import ConnectorError, NotFound
from connectors.models import CaseAccepts, ServiceRequest

REOPENED = open311_meaning("REOPENED")
REPORTED_AGAIN = StatusMeaning(_l("Reported again as a new request"), closed=False, colour="light-blue")
CRM_SEPARATOR = ":"


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    council_slug: str
    council_name: str
    title: str
    reference: str
    status: StatusMeaning
    last_activity: datetime
    from_portal: bool
    # "Reported on your behalf by <this>", when a council's contact centre made the report for the resident.
    made_by_contact_centre_of: str | None = None


@dataclass(frozen=True)
class TimelineEntry:
    happened_at: datetime
    heading: str
    text: str = ""
    status: StatusMeaning | None = None
    responsible: str | None = None
    author: str | None = None
    waiting: bool = False
    # The council's system refused it: it was not sent.
    refused: bool = False
    photo_token: str | None = None
    # When the portal learnt of it, to order entries a back office dates to the same whole second.
    known_at: datetime | None = None

    def sort_key(self) -> tuple[datetime, datetime]:
        return self.happened_at.replace(microsecond=0), self.known_at or self.happened_at


@dataclass(frozen=True)
class CaseView:
    summary: CaseSummary
    description: str
    where: str
    timeline: list[TimelineEntry]
    answers: list[dict] = field(default_factory=list)
    back_office_reference: str | None = None
    report: Report | None = None
    # A CRM case: what its CRM takes from the resident now, less what the portal is still sending.
    crm_accepts: CaseAccepts | None = None

    @property
    def can_add_update(self) -> bool:
        if self.crm_accepts is not None:
            return self.crm_accepts.update
        return self.report is not None and not self.summary.status.closed

    @property
    def can_say_not_fixed(self) -> bool:
        if self.crm_accepts is not None:
            return self.crm_accepts.not_fixed
        return self.report is not None and self.summary.status.closed

    @property
    def crm_reference(self) -> str | None:
        return None if self.summary.from_portal else self.summary.reference


@dataclass(frozen=True)
class CaseList:
    cases: list[CaseSummary]
    # Councils whose CRM did not answer: their cases may be missing from the list.
    unavailable: list[str]


def crm_case_id(council_slug: str, reference: str) -> str:
    return f"{council_slug}{CRM_SEPARATOR}{reference}"


# --- portal reports -----------------------------------------------------------------------------------------


def _events(report: Report) -> list[StatusEvent]:
    """The report's changes at the council, and those of any new request a "not fixed" became."""
    if not report.service_request_id:
        return []
    follow_ups = [found for update in _updates(report) if (found := follow_up_of(update))]
    return list(
        db.session.scalars(
            select(StatusEvent)
            .where(
                StatusEvent.council_slug == report.council_slug,
                StatusEvent.source == EventSource.OPEN311,
                StatusEvent.case_key.in_([report.service_request_id, *follow_ups]),
            )
            .order_by(StatusEvent.happened_at, StatusEvent.id)
        )
    )


def _updates(report: Report) -> list[CaseUpdate]:
    return list(
        db.session.scalars(select(CaseUpdate).filter_by(report_id=report.id).order_by(CaseUpdate.created_at))
    )


def _report_status(report: Report, events: list[StatusEvent], updates: list[CaseUpdate]) -> StatusMeaning:
    if report.status == ReportStatus.WAITING:
        return WAITING
    if report.status == ReportStatus.PARKED:
        return PARKED
    status = open311_meaning(events[-1].status) if events else RECEIVED
    # When the portal learnt of the closure (its own clock, finer than a back office's whole seconds): a
    # "not fixed" said after that answers this closure.
    last_closed = as_utc(events[-1].recorded_at) if events and status.closed else None
    not_fixed = [
        update
        for update in updates
        if update.kind == CaseUpdateKind.NOT_FIXED
        and last_closed
        and as_utc(update.created_at) >= last_closed
    ]
    if not not_fixed:
        return status
    return REPORTED_AGAIN if follow_up_of(not_fixed[-1]) else REOPENED


def follow_up_of(update: CaseUpdate) -> str | None:
    """The new request a "not fixed" became, when the council could not reopen the first one."""
    found = update.back_office_update_id or ""
    return found.removeprefix(FOLLOW_UP_PREFIX) if found.startswith(FOLLOW_UP_PREFIX) else None


def report_summary(report: Report) -> CaseSummary:
    events, updates = _events(report), _updates(report)
    moments = [as_utc(report.created_at)]
    moments += [as_utc(event.happened_at) for event in events]
    moments += [as_utc(update.created_at) for update in updates]
    return CaseSummary(
        case_id=report.reference,
        council_slug=report.council_slug,
        council_name=themes().get(report.council_slug).name,
        title=str(report_type(report.report_type).title),
        reference=report.reference,
        status=_report_status(report, events, updates),
        last_activity=max(moments),
        from_portal=True,
        made_by_contact_centre_of=themes().get(report.staff_council_slug).name
        if report.staff_council_slug
        else None,
    )


def report_view(report: Report) -> CaseView:
    events, updates = _events(report), _updates(report)
    council = themes().get(report.council_slug).name
    reported = (
        _(
            "Reported on your behalf by %(council)s's contact centre",
            council=themes().get(report.staff_council_slug).name,
        )
        if report.staff_council_slug
        else _("Reported through My Norfolk")
    )
    timeline = [TimelineEntry(as_utc(report.created_at), reported)]
    if report.sent_at:
        timeline.append(
            TimelineEntry(as_utc(report.sent_at), _("Sent to %(council)s", council=council), status=RECEIVED)
        )
    for event in events:
        meaning = open311_meaning(event.status)
        timeline.append(
            TimelineEntry(
                as_utc(event.happened_at),
                str(meaning.label),
                text=event.description,
                status=meaning,
                responsible=event.responsible,
                known_at=as_utc(event.recorded_at),
            )
        )
    for update in updates:
        heading = _update_heading(update, crm=False)
        follow_up = follow_up_of(update)
        if follow_up:
            heading = _(
                "%(council)s could not reopen it, so we sent it again as a new request, %(reference)s",
                council=council,
                reference=follow_up,
            )
        timeline.append(
            TimelineEntry(
                as_utc(update.created_at),
                heading,
                text=update.text,
                status=REOPENED if update.kind == CaseUpdateKind.NOT_FIXED else None,
                waiting=update.delivered_at is None,
                photo_token=update.photo.token if update.photo else None,
            )
        )
    timeline.sort(key=TimelineEntry.sort_key)
    return CaseView(
        summary=report_summary(report),
        description=report.description,
        where=report.address or report.location_description or "",
        timeline=timeline,
        answers=[answer for answer in report.answers if answer.get("display")],
        back_office_reference=report.service_request_id
        if report.service_request_id and not report.service_request_id.startswith("token:")
        else None,
        report=report,
    )


def own_report(resident: Resident, reference: str) -> Report | None:
    """The resident's report with this reference: made while signed in, or claimed since."""
    return db.session.scalars(
        select(Report).filter_by(reference=reference.strip().upper(), resident_id=resident.id)
    ).one_or_none()


# --- CRM cases ----------------------------------------------------------------------------------------------


def _crm_summary(council_slug: str, case) -> CaseSummary:
    return CaseSummary(
        case_id=crm_case_id(council_slug, case.reference),
        council_slug=council_slug,
        council_name=themes().get(council_slug).name,
        title=case.title,
        reference=case.reference,
        status=crm_meaning(case.status, case.status_label, case.closed),
        last_activity=as_utc(case.updated_at),
        from_portal=False,
    )


def crm_updates(resident: Resident, council_slug: str | None = None, reference: str | None = None):
    """What the resident (or an agent for them) added to their CRM cases, oldest first."""
    query = select(CaseUpdate).where(
        CaseUpdate.resident_id == resident.id, CaseUpdate.crm_reference.is_not(None)
    )
    if council_slug is not None:
        query = query.where(
            CaseUpdate.crm_council_slug == council_slug, CaseUpdate.crm_reference == reference
        )
    return list(db.session.scalars(query.order_by(CaseUpdate.created_at, CaseUpdate.id)))


def _sending(update: CaseUpdate) -> bool:
    return update.delivered_at is None and update.refused_at is None


def _reopening(updates: list[CaseUpdate]) -> bool:
    """A "not fixed" still on its way: the case is as good as reopened, and nothing more can be added yet."""
    return any(update.kind == CaseUpdateKind.NOT_FIXED and _sending(update) for update in updates)


def _update_heading(update: CaseUpdate, crm: bool) -> str:
    not_fixed = update.kind == CaseUpdateKind.NOT_FIXED
    if update.staff_council_slug:
        centre = themes().get(update.staff_council_slug).name
        if not_fixed:
            return _("%(council)s's contact centre said for you that this is not fixed", council=centre)
        if crm:
            return _("%(council)s's contact centre added an update for you", council=centre)
        return _("%(council)s's contact centre added a comment for you", council=centre)
    if not_fixed:
        return _("You said this is not fixed")
    return _("You added an update") if crm else _("You added a comment")


def own_crm_case(resident: Resident, case_id: str) -> CaseView | None:
    """A CRM case, asked for with the resident's own verified email: the CRM answers only for its owner."""
    council_slug, _separator, reference = case_id.partition(CRM_SEPARATOR)
    if not reference or not resident.email or council_slug not in registry().councils_serving("cases"):
        return None
    try:
        detail = registry().cases(council_slug).case(reference, resident.email).value
    except NotFound:
        return None
    added = crm_updates(resident, council_slug, detail.case.reference)
    reopening = _reopening(added)
    timeline = (
        [
            TimelineEntry(
                as_utc(change.changed_at),
                change.status_label,
                status=crm_meaning(change.status, change.status_label, change.status == "closed"),
            )
            for change in detail.history
        ]
        + [
            TimelineEntry(
                as_utc(note.created_at), _("Note from the council"), text=note.text, author=note.author
            )
            for note in detail.notes
        ]
        + [
            TimelineEntry(
                as_utc(update.created_at),
                _update_heading(update, crm=True),
                text=update.text,
                status=REOPENED if update.kind == CaseUpdateKind.NOT_FIXED else None,
                waiting=_sending(update),
                refused=update.refused_at is not None,
            )
            for update in added
        ]
    )
    timeline.sort(key=lambda entry: entry.happened_at)
    summary = _crm_summary(council_slug, detail.case)
    if reopening:
        summary = replace(
            summary, status=REOPENED, last_activity=max(summary.last_activity, as_utc(added[-1].created_at))
        )
    return CaseView(
        summary=summary,
        description=detail.description or "",
        where="",
        timeline=timeline,
        crm_accepts=CaseAccepts() if reopening else detail.accepts,
    )


# --- the list -----------------------------------------------------------------------------------------------


def cases_for(resident: Resident) -> CaseList:
    summaries = [
        report_summary(report)
        for report in db.session.scalars(select(Report).filter_by(resident_id=resident.id))
    ]
    unavailable = []
    if resident.email:
        reopening = {
            (update.crm_council_slug, update.crm_reference)
            for update in crm_updates(resident)
            if update.kind == CaseUpdateKind.NOT_FIXED and _sending(update)
        }
        for council_slug in registry().councils_serving("cases"):
            try:
                found = registry().cases(council_slug).cases_for_email(resident.email).value
            except ConnectorError:
                unavailable.append(themes().get(council_slug).name)
                continue
            summaries += [
                replace(_crm_summary(council_slug, case), status=REOPENED)
                if (council_slug, case.reference) in reopening
                else _crm_summary(council_slug, case)
                for case in found
            ]
    summaries.sort(key=lambda case: case.last_activity, reverse=True)
    return CaseList(cases=summaries, unavailable=unavailable)


# --- someone else's report: its public parts only -----------------------------------------------------------


@dataclass(frozen=True)
class PublicReport:
    council_slug: str
    council_name: str
    request: ServiceRequest
    status: StatusMeaning
    timeline: list[TimelineEntry]


def public_report(council_slug: str, request_id: str) -> PublicReport | None:
    """What the council publishes about a report (GeoReport v2 has no personal details), and the public
    updates the status sync recorded; never the portal's own record of who reported it."""
    if council_slug not in registry().councils_serving("street_reports"):
        return None
    try:
        found = registry().street_reports(council_slug).request(request_id).value
    except NotFound:
        return None
    events = list(
        db.session.scalars(
            select(StatusEvent)
            .filter_by(council_slug=council_slug, source=EventSource.OPEN311, case_key=request_id)
            .order_by(StatusEvent.happened_at, StatusEvent.id)
        )
    )
    timeline = []
    if found.requested_datetime:
        timeline.append(TimelineEntry(found.requested_datetime, _("Reported"), status=RECEIVED))
    timeline += [
        TimelineEntry(
            as_utc(event.happened_at),
            str(open311_meaning(event.status).label),
            text=event.description,
            status=open311_meaning(event.status),
            responsible=event.responsible,
        )
        for event in events
    ]
    status = open311_meaning(events[-1].status) if events else open311_request_meaning(found.status)
    if status.closed != (found.status == "closed"):
        status = open311_request_meaning(found.status)
    return PublicReport(
        council_slug=council_slug,
        council_name=themes().get(council_slug).name,
        request=found,
        status=status,
        timeline=timeline,
    )
