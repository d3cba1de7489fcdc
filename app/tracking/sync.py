"""Status sync: the worker asks each council's back office what changed, records every change once, and tells
each follower once per change.

Open311: GET servicerequestupdates from a little before the newest update already seen (the overlap covers
clock skew and updates written late), keeping updates about requests someone here follows. CRM: the cases
changed since the feed's last ``until`` (less a minute, for changes written late), page by page; of those,
only the cases of the portal's own residents are asked for in detail (status history and public notes), so a
pass costs calls per changed case, not per resident. Each back office has a cursor with its own schedule; one
that fails is asked again after an exponentially growing delay, so a council that is down is not hammered and
does not slow the others; the cursor moves only when a pass succeeds.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.backoffice import registry
from app.database import release_connection
from app.extensions import db
from app.models.identity import Resident
from app.models.reports import FollowedRequest, Report
from app.models.tracking import CaseUpdate, EventSource, PollCursor, StatusEvent, Subscription
from app.theming import themes
from app.tracking import followers
from app.tracking.status import HANDED_ON
from connectors.clock import as_utc, utcnow
from connectors.errors import ConfigurationError, ConnectorError, NotFound
from connectors.models import CaseChange, CaseDetail, ServiceRequestUpdate
from connectors.protocols import Cases

log = logging.getLogger(__name__)
OVERLAP = timedelta(minutes=10)
FIRST_LOOK_BACK = timedelta(days=1)
# The server's clock may run ahead of ours: ask a little into the future.
CLOCK_AHEAD = timedelta(minutes=5)
# The CRM changes feed is asked again from a minute before its last ``until``: a change written late (its
# moment earlier than when it became visible) still shows; recording by external id makes re-reading harmless.
CRM_OVERLAP = timedelta(minutes=1)
CRM_PAGE = 500
# Pages a pass reads past where the last one stopped; the rest waits for the next pass, so that a pass after a
# long outage stays well inside the lease. Pages that only re-read the overlap do not count: a minute holding
# more changes than that must not stop the cursor moving.
CRM_PAGES_PER_PASS = 20


@dataclass(frozen=True)
class PollPolicy:
    interval: timedelta
    max_delay: timedelta
    lease: timedelta = timedelta(minutes=5)

    @classmethod
    def from_config(cls) -> PollPolicy:
        config = current_app.config
        return cls(
            interval=timedelta(seconds=config["TRACKING_POLL_SECONDS"]),
            max_delay=timedelta(seconds=config["TRACKING_POLL_MAX_DELAY_SECONDS"]),
        )

    def delay_after(self, failures: int) -> timedelta:
        """After a failure: the interval doubled per consecutive failure, with jitter, up to max_delay."""
        exponential = self.interval * (2 ** max(failures - 1, 0))
        return min(exponential, self.max_delay) * random.uniform(0.8, 1.2)


@dataclass(frozen=True)
class PollOutcome:
    council_slug: str
    source: str
    new_events: int
    notified: int
    error: str | None = None


def back_offices() -> list[tuple[str, str]]:
    connectors = registry()
    return [(council, EventSource.OPEN311) for council in connectors.councils_serving("street_reports")] + [
        (council, EventSource.CRM) for council in connectors.councils_serving("cases")
    ]


def poll_due(worker: str, policy: PollPolicy | None = None, *, force: bool = False) -> list[PollOutcome]:
    """Poll every back office whose turn has come (all of them with ``force``)."""
    policy = policy or PollPolicy.from_config()
    cursors = {
        (cursor.council_slug, cursor.source): cursor for cursor in db.session.scalars(select(PollCursor))
    }
    now = utcnow()
    outcomes = []
    for council_slug, source in back_offices():
        cursor = cursors.get((council_slug, source))
        # A cheap look first: the worker calls this every few seconds and most of the time nothing is due.
        if cursor is not None and not force and as_utc(cursor.next_poll_at) > now:
            continue
        if _claim(council_slug, source, policy, force):
            outcomes.append(poll(council_slug, source, policy))
    return outcomes


def _cursor(council_slug: str, source: str) -> PollCursor:
    cursor = db.session.get(PollCursor, (council_slug, source))
    if cursor is None:
        cursor = PollCursor(council_slug=council_slug, source=source, next_poll_at=utcnow(), failures=0)
        db.session.add(cursor)
        db.session.commit()
    return cursor


def _claim(council_slug: str, source: str, policy: PollPolicy, force: bool) -> bool:
    """Take the back office's lease, if it is due and no other worker holds it (a conditional UPDATE)."""
    _cursor(council_slug, source)
    now = utcnow()
    conditions = [
        PollCursor.council_slug == council_slug,
        PollCursor.source == source,
        or_(PollCursor.locked_until.is_(None), PollCursor.locked_until < now),
    ]
    if not force:
        conditions.append(PollCursor.next_poll_at <= now)
    won = db.session.execute(
        update(PollCursor)
        .where(*conditions)
        .values(locked_until=now + policy.lease)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return won.rowcount == 1


def poll(council_slug: str, source: str, policy: PollPolicy) -> PollOutcome:
    pollers: dict[str, Callable[[str, PollCursor], tuple[list[StatusEvent], str | None]]] = {
        EventSource.OPEN311: _poll_open311,
        EventSource.CRM: _poll_crm,
    }
    cursor = _cursor(council_slug, source)
    try:
        events, problem = pollers[source](council_slug, cursor)
        notified = sum(followers.notify_followers(event) for event in events)
        db.session.commit()
    except (ConnectorError, ConfigurationError) as error:
        db.session.rollback()
        events, notified, problem = [], 0, f"{type(error).__name__}: {error}"
    except Exception as error:  # noqa: BLE001 - one back office's surprise must not stop the others' sync
        db.session.rollback()
        log.exception("Status sync with %s %s failed unexpectedly", council_slug, source)
        events, notified, problem = [], 0, f"{type(error).__name__}: {error}"
    cursor = _cursor(council_slug, source)
    now = utcnow()
    cursor.last_polled_at = now
    cursor.locked_until = None
    if problem:
        cursor.failures += 1
        cursor.last_error = problem[:2000]
        cursor.next_poll_at = now + policy.delay_after(cursor.failures)
        log.warning(
            "Status sync with %s %s failed (%s times): %s", council_slug, source, cursor.failures, problem
        )
    else:
        cursor.failures = 0
        cursor.last_error = None
        cursor.next_poll_at = now + policy.interval
    db.session.commit()
    return PollOutcome(council_slug, source, len(events), notified, problem)


def _record(event: StatusEvent) -> StatusEvent | None:
    """Keep the event unless it is already kept; the unique constraint settles a race between workers."""
    exists = db.session.scalar(
        select(StatusEvent.id).filter_by(
            council_slug=event.council_slug, source=event.source, external_id=event.external_id
        )
    )
    if exists is not None:
        return None
    try:
        with db.session.begin_nested():
            db.session.add(event)
            db.session.flush()
    except IntegrityError:
        return None
    return event


# --- Open311 ------------------------------------------------------------------------------------------------


def followed_request_ids(council_slug: str) -> set[str]:
    """Requests someone here cares about: reported through the portal, or followed."""
    reported = db.session.scalars(
        select(Report.service_request_id).where(
            Report.council_slug == council_slug, Report.service_request_id.is_not(None)
        )
    )
    subscribed = db.session.scalars(
        select(Subscription.service_request_id).where(Subscription.council_slug == council_slug)
    )
    followed = db.session.scalars(
        select(FollowedRequest.service_request_id).where(FollowedRequest.council_slug == council_slug)
    )
    return {*reported, *subscribed, *followed}


def _poll_open311(council_slug: str, cursor: PollCursor) -> tuple[list[StatusEvent], str | None]:
    now = utcnow()
    last_seen = as_utc(cursor.last_seen_at)
    start = last_seen - OVERLAP if last_seen else now - FIRST_LOOK_BACK
    # Everything the back office is asked, it is asked without a database connection (the worker's is back in
    # the pool, and on SQLite no lock is held); what it said is then recorded in one short transaction.
    release_connection()
    result = registry().street_reports(council_slug).updates(start_date=start, end_date=now + CLOCK_AHEAD)
    updates = sorted(result.value, key=lambda item: item.updated_datetime)
    wanted = followed_request_ids(council_slug)
    own = set(
        db.session.scalars(
            select(CaseUpdate.back_office_update_id).where(
                CaseUpdate.back_office_update_id.in_([item.update_id for item in updates])
            )
        )
    )
    news = [item for item in updates if item.service_request_id in wanted and item.update_id not in own]
    release_connection()
    responsible = {item.update_id: _responsible(council_slug, item) for item in news}
    events = []
    for item in news:
        recorded = _record(
            StatusEvent(
                council_slug=council_slug,
                source=EventSource.OPEN311,
                case_key=item.service_request_id,
                external_id=item.update_id,
                status=item.status,
                description=item.description,
                media_url=item.media_url,
                responsible=responsible[item.update_id],
                happened_at=item.updated_datetime,
            )
        )
        if recorded is not None:
            events.append(recorded)
    if updates:
        newest = updates[-1].updated_datetime
        cursor.last_seen_at = max(newest, last_seen) if last_seen else newest
    # An answer served stale from the cache means the back office did not answer: back off.
    return events, result.problem if result.stale else None


def _responsible(council_slug: str, item: ServiceRequestUpdate) -> str | None:
    """Who the council handed the request to (the request's agency_responsible), when it was handed on."""
    if item.status.upper() not in HANDED_ON:
        return None
    try:
        # The update's time in end_date makes this a fresh question, not an answer cached before the change;
        # GeoReport v2 servers ignore the other arguments when service_request_id is given.
        found = (
            registry()
            .street_reports(council_slug)
            .requests(service_request_ids=(item.service_request_id,), end_date=item.updated_datetime)
            .value
        )
    except ConnectorError:
        return None
    agency = found[0].agency_responsible if found else None
    return agency if agency and agency != themes().get(council_slug).name else None


# --- CRM ----------------------------------------------------------------------------------------------------


def _poll_crm(council_slug: str, cursor: PollCursor) -> tuple[list[StatusEvent], str | None]:
    cases = registry().cases(council_slug)
    stored = as_utc(cursor.last_seen_at)
    # A first pass only finds where the feed is now: the history before it is not news, and is recorded
    # (silently) when its case next changes. Later passes start a minute early.
    since = stored - CRM_OVERLAP if stored else utcnow() - CRM_OVERLAP
    news_since = since if stored else None
    # The CRM is asked everything first, without a database connection (see _poll_open311); what it said is
    # then recorded in one short transaction, as far as it answered.
    fetched: list[tuple[Resident, CaseDetail]] = []
    problem = None
    pages = 0
    release_connection()
    while True:
        result = cases.changes(since, limit=CRM_PAGE)
        if result.stale:
            # The CRM did not answer; an old answer from the cache is no news. The cursor stays where it was.
            problem = result.problem
            break
        page = result.value
        problem = _fetch_crm_cases(council_slug, cases, page.changes, fetched)
        if problem:
            break
        if stored is None or page.until > stored:
            pages += 1
        since = page.until
        if not page.more or pages >= CRM_PAGES_PER_PASS:
            break
    events: list[StatusEvent] = []
    for resident, detail in fetched:
        events += _record_crm_case(council_slug, resident, detail, news_since)
    if problem is None:
        cursor.last_seen_at = since
    return events, problem


def _fetch_crm_cases(
    council_slug: str,
    cases: Cases,
    changes: tuple[CaseChange, ...],
    fetched: list[tuple[Resident, CaseDetail]],
) -> str | None:
    """Fetch the changed cases of the portal's residents (one query for the page's addresses), adding each
    with its residents to ``fetched``; the CRM's problem when it stops answering."""
    latest: dict[str, CaseChange] = {}
    for change in changes:
        latest[change.reference] = change
    emails = {change.email.lower() for change in latest.values()}
    residents: dict[str, list[Resident]] = {}
    if emails:
        for resident in db.session.scalars(
            select(Resident).where(func.lower(Resident.email).in_(emails)).order_by(Resident.id)
        ):
            residents.setdefault(resident.email.lower(), []).append(resident)
        release_connection()
    for change in latest.values():
        owners = residents.get(change.email.lower())
        if not owners:
            continue
        try:
            result = cases.case(change.reference, change.email, as_of=change.updated_at)
        except NotFound:
            # Gone, or no longer this address's, since the feed answered: nothing to tell anyone, and one
            # vanished case must not hold up the council's sync.
            log.info("CRM case %s of %s is not its address's any more", change.reference, council_slug)
            continue
        if result.stale:
            return result.problem
        fetched.extend((resident, result.value) for resident in owners)
    return None


def crm_event_keys(detail) -> list[tuple[str, StatusEvent]]:
    """Each status change and public note of a CRM case as an event. CRMs append to both lists, so an entry's
    position (with its text) identifies it even where the CRM gives no id."""
    reference = detail.case.reference
    entries = []
    for index, change in enumerate(detail.history):
        entries.append(
            (
                f"{reference}:status:{index}:{change.status}",
                StatusEvent(
                    status=change.status, description=change.status_label, happened_at=change.changed_at
                ),
            )
        )
    for index, note in enumerate(detail.notes):
        digest = hashlib.sha256(note.text.encode()).hexdigest()[:16]
        entries.append(
            (
                f"{reference}:note:{index}:{digest}",
                StatusEvent(status=followers.CRM_NOTE, description=note.text, happened_at=note.created_at),
            )
        )
    return entries


def _record_crm_case(
    council_slug: str, resident: Resident, detail: CaseDetail, news_since: datetime | None
) -> list[StatusEvent]:
    reference = detail.case.reference
    first_sight = (
        db.session.scalar(
            select(StatusEvent.id).filter_by(
                council_slug=council_slug, source=EventSource.CRM, case_key=reference
            )
        )
        is None
    )
    if resident.contact_by_email and followers.find(council_slug, reference, resident.email) is None:
        followers.subscribe(council_slug, reference, resident.email, resident_id=resident.id, confirmed=True)
    new = []
    for external_id, event in crm_event_keys(detail):
        event.council_slug, event.source, event.case_key, event.external_id = (
            council_slug,
            EventSource.CRM,
            reference,
            external_id,
        )
        recorded = _record(event)
        if recorded is not None:
            new.append(recorded)
    if not first_sight:
        return new
    # The history a case already had when the portal first saw it is not news to its resident; what changed
    # since the feed was last read is (a first pass reads nothing as news), except the opening of the case and
    # what came with it: the resident opened it.
    if news_since is None:
        return []
    opened = detail.case.opened_at
    return [event for event in new if event.happened_at >= news_since and event.happened_at > opened]
