"""Typed models every connector returns: frozen dataclasses, never raw dicts.

Money is ``Decimal`` in pounds; dates are ``date``; moments are timezone-aware ``datetime`` in UTC.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Generic, Literal, TypeVar

from connectors.clock import utcnow

T = TypeVar("T")


class ServiceKind(StrEnum):
    """The kinds of back-office service; the keys of a council's section in the deployment file."""

    ADDRESSES = "addresses"
    BINS = "bins"
    COUNCIL_TAX = "council_tax"
    PLANNING = "planning"
    STREET_REPORTS = "street_reports"
    CASES = "cases"
    WASTE = "waste"
    PAYMENTS = "payments"
    TEXT_MESSAGES = "text_messages"


@dataclass(frozen=True)
class Result(Generic[T]):
    """A value fetched from a back office, with where and when it came from.

    ``stale`` is True when the back office could not answer just now and this is the last data it gave,
    fetched at ``fetched_at``; ``problem`` then says, safely, why fresh data was not available. Show stale
    data
    with its age ("last updated 3 hours ago"), never as if it were current.
    """

    value: T
    council: str
    kind: ServiceKind
    fetched_at: datetime
    stale: bool = False
    problem: str | None = None

    def age(self, now: datetime | None = None) -> timedelta:
        return max((now or utcnow()) - self.fetched_at, timedelta(0))


# --- addresses ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """One addressable place, as the gazetteer (or OS Places) knows it."""

    uprn: str
    lines: tuple[str, ...]
    town: str
    postcode: str
    lad_gss: str
    latitude: float | None = None
    longitude: float | None = None

    @property
    def single_line(self) -> str:
        return ", ".join((*self.lines, self.town, self.postcode))

    def distance_m(self, latitude: float, longitude: float) -> float | None:
        if self.latitude is None or self.longitude is None:
            return None
        return distance_m(self.latitude, self.longitude, latitude, longitude)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine): plenty for "near my home" at county scale."""
    earth_radius_m = 6_371_000
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * earth_radius_m * math.asin(math.sqrt(a))


# --- bins --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BinCollection:
    """The collections of one bin type at one property.

    ``bin_type`` is a stable code ("refuse", "recycling", "garden", "food", "glass"); ``name`` is the
    council's own words for it ("Green lid recycling bin"). ``upcoming`` holds the next dates in order,
    ``next_date`` first, so a calendar (ICS) can be built from it. ``last_collection_missed`` is set when the
    council's system knows the last scheduled collection did not happen (a missed-bin report exists or the
    crew recorded it).
    """

    bin_type: str
    name: str
    next_date: date
    upcoming: tuple[date, ...] = ()
    last_date: date | None = None
    last_collection_missed: bool = False
    notes: str | None = None
    # What to put out ("Black bin"), how often ("weekly", "fortnightly") and the crew's round name, which a
    # resident quotes when they call about a missed bin.
    container: str | None = None
    frequency: str | None = None
    round: str | None = None


# --- council tax -------------------------------------------------------------------------------------------

InstalmentStatus = Literal["paid", "due", "overdue"]


@dataclass(frozen=True)
class Instalment:
    due_date: date
    amount: Decimal
    status: InstalmentStatus


@dataclass(frozen=True)
class Bill:
    """A council tax bill (demand notice) for one financial year, e.g. ``year`` = "2026/27"."""

    bill_id: str
    year: str
    issued_on: date
    amount: Decimal
    band: str | None = None
    document_url: str | None = None


@dataclass(frozen=True)
class CouncilTaxMatch:
    """A verified account: its reference as the council writes it, and the property (UPRN) it is for."""

    reference: str
    uprn: str | None


@dataclass(frozen=True)
class PortalLinkNotice:
    """That a portal account was linked to a council tax account: the council tells the account holder by
    its own channel (letter, e-billing email), with the address where they can undo it."""

    link_id: str
    linked_at: datetime
    unlink_url: str


@dataclass(frozen=True)
class CouncilTaxAccount:
    """The summary a dashboard shows: ``balance`` is what is owed now (positive) or in credit (negative);
    ``arrears`` is the overdue part of it."""

    reference: str
    property_address: str
    band: str
    balance: Decimal
    arrears: Decimal = Decimal("0")
    next_instalment: Instalment | None = None
    latest_bill: Bill | None = None
    payment_method: str | None = None

    @property
    def in_arrears(self) -> bool:
        return self.arrears > 0


# --- planning ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanningApplication:
    """A planning application. ``distance_m`` is set by ``applications_near`` (metres from the point asked
    about); ``comments_until`` is the last day public comments are accepted, ``comment_url`` where to make
    one."""

    reference: str
    address: str
    description: str
    status: str
    received_on: date
    latitude: float | None = None
    longitude: float | None = None
    decision: str | None = None
    decided_on: date | None = None
    comments_until: date | None = None
    comment_url: str | None = None
    documents_url: str | None = None
    applicant: str | None = None
    distance_m: float | None = None

    def open_for_comment(self, today: date) -> bool:
        return self.comments_until is not None and today <= self.comments_until


@dataclass(frozen=True)
class PlanningComment:
    """A published public comment. ``stance`` is "support", "object" or "neutral"; ``author`` is the name
    as the
    council publishes it (often redacted, e.g. "A resident of Unthank Road")."""

    comment_id: str
    application_reference: str
    stance: Literal["support", "object", "neutral"]
    text: str
    made_on: date
    author: str | None = None


# --- street reports (Open311 GeoReport v2) -----------------------------------------------------------------


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name: str


@dataclass(frozen=True)
class ServiceAttribute:
    """One question a service asks (GeoReport v2 service definition attribute).

    ``datatype`` is one of string, number, datetime, text, singlevaluelist, multivaluelist; ``variable`` False
    means an informational attribute the resident does not answer."""

    code: str
    datatype: str
    description: str
    required: bool = False
    variable: bool = True
    order: int = 0
    datatype_description: str | None = None
    values: tuple[AttributeValue, ...] = ()


@dataclass(frozen=True)
class Service:
    """A kind of report a council accepts (GeoReport v2 service). ``metadata`` True means it has a service
    definition with attributes."""

    code: str
    name: str
    description: str = ""
    metadata: bool = False
    type: str = "realtime"
    keywords: tuple[str, ...] = ()
    group: str | None = None


@dataclass(frozen=True)
class ServiceDefinition:
    service_code: str
    attributes: tuple[ServiceAttribute, ...] = ()


@dataclass(frozen=True)
class NewServiceRequest:
    """What the portal sends to create a report. Give a location as ``latitude``/``longitude``,
    ``address_string`` or ``address_id`` (at least one). ``attributes`` answers the service definition's
    questions: code -> value, or code -> several values for a multivaluelist."""

    service_code: str
    description: str = ""
    latitude: float | None = None
    longitude: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    attributes: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    media_url: str | None = None
    device_id: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class CreatedServiceRequest:
    """The back office's answer to a new request: its id, or a ``token`` to exchange for one later."""

    service_request_id: str | None
    token: str | None = None
    service_notice: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class ServiceRequest:
    """A report as the back office knows it (GeoReport v2 service request). Most fields are optional in the
    standard: every one but the id, status and service code may be absent."""

    service_request_id: str
    status: Literal["open", "closed"]
    service_code: str
    service_name: str | None = None
    status_notes: str | None = None
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: datetime | None = None
    updated_datetime: datetime | None = None
    expected_datetime: datetime | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    media_url: str | None = None

    def distance_m(self, latitude: float, longitude: float) -> float | None:
        if self.latitude is None or self.longitude is None:
            return None
        return distance_m(self.latitude, self.longitude, latitude, longitude)


@dataclass(frozen=True)
class ServiceRequestUpdate:
    """A status update on a request (the servicerequestupdates extension used by FixMyStreet)."""

    update_id: str
    service_request_id: str
    status: str
    updated_datetime: datetime
    description: str = ""
    media_url: str | None = None
    external_status_code: str | None = None


# --- cases (CRM) -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """An enquiry, complaint or request the council is handling for a resident. ``status`` is a stable code
    ("open", "in_progress", "waiting_for_you", "closed"); ``status_label`` the council's words for it."""

    reference: str
    title: str
    category: str
    status: str
    status_label: str
    opened_at: datetime
    updated_at: datetime
    closed: bool = False


@dataclass(frozen=True)
class CaseNote:
    created_at: datetime
    text: str
    author: str | None = None


@dataclass(frozen=True)
class CaseStatusChange:
    status: str
    status_label: str
    changed_at: datetime


@dataclass(frozen=True)
class CaseAccepts:
    """What the CRM takes for a case now: an update while it is open, "not fixed" (reopening) once closed."""

    update: bool = False
    not_fixed: bool = False


@dataclass(frozen=True)
class CaseDetail:
    """A case with its public notes and its status history (oldest first); internal notes never reach it.
    ``accepts``: what the resident may add to it through the portal now (nothing, unless the CRM says)."""

    case: Case
    notes: tuple[CaseNote, ...] = ()
    description: str | None = None
    history: tuple[CaseStatusChange, ...] = ()
    accepts: CaseAccepts = CaseAccepts()


@dataclass(frozen=True)
class NewCaseUpdate:
    """What a resident adds to a CRM case: ``kind`` "update" on an open case, "not_fixed" on a closed one.
    ``update_id`` is the portal's own id, so that the CRM records it once however often it is sent.
    ``assisted_by``: the council whose contact centre added it for the resident, and the channel."""

    email: str
    kind: Literal["update", "not_fixed"]
    text: str
    update_id: str
    assisted_by: tuple[str, str] | None = None


@dataclass(frozen=True)
class CaseUpdateReceipt:
    reference: str
    update_reference: str
    status: str
    status_label: str


class UpdateNotAccepted(Exception):
    """The CRM refused an update: the case does not take this kind of update now (409 not_accepted)."""


@dataclass(frozen=True)
class CaseChange:
    """A case that changed, as the CRM's changes feed names it: which, whose (the contact's email address,
    compared without case) and when it last changed. Any resident's: the portal keeps only its own
    residents'."""

    reference: str
    email: str
    updated_at: datetime


@dataclass(frozen=True)
class CaseChanges:
    """One answer of the changes feed: every case changed from the ``since`` asked up to ``until``
    (exclusive), oldest first. ``more`` means the answer stopped early at its limit: ask again from
    ``until``."""

    changes: tuple[CaseChange, ...]
    until: datetime
    more: bool = False


# --- waste services (bulky collections, garden waste subscriptions) ---------------------------------------


@dataclass(frozen=True)
class CollectionSlot:
    """A day the district's crews can still collect bulky items from a property, with the places left."""

    date: date
    places_left: int


@dataclass(frozen=True)
class BulkyItem:
    code: str
    name: str
    quantity: int


@dataclass(frozen=True)
class NewBulkyBooking:
    """A paid bulky waste collection to book. ``reference`` is the portal's, unique per booking: the back
    office refuses a second booking with it, and ``bookings(reference)`` finds the first."""

    reference: str
    uprn: str
    collection_date: date
    items: tuple[BulkyItem, ...]
    location: str
    amount_pence: int
    payment_reference: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class NewGardenSubscription:
    reference: str
    uprn: str
    bins: int
    start_date: date
    amount_pence: int
    payment_reference: str
    email: str | None = None


@dataclass(frozen=True)
class WasteBooking:
    """A booking as the back office holds it: a bulky collection (``collection_date``, ``items``) or a garden
    waste subscription (``permit_number``, ``start_date`` to ``end_date``)."""

    booking_id: str
    reference: str
    kind: Literal["bulky", "garden"]
    status: Literal["booked", "cancelled"]
    uprn: str
    amount_pence: int
    collection_date: date | None = None
    items: tuple[BulkyItem, ...] = ()
    permit_number: str | None = None
    bins: int | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True)
class NewPlanningComment:
    """A resident's comment on a planning application, as the planning authority records it: the name and
    address it publishes in its rules (usually redacted), the stance and the text."""

    name: str
    address: str
    stance: Literal["support", "object", "neutral"]
    text: str


class CommentsClosed(Exception):
    """The planning authority refused a comment: comments on the application are closed."""


class SlotUnavailable(Exception):
    """The back office refused a booking because its day has no places left (or has passed)."""


class TooLateToCancel(Exception):
    """The back office refused a cancellation: the collection is today or has happened."""


# --- payments (GOV.UK Pay) ----------------------------------------------------------------------------------


PAYMENT_IN_PROGRESS = frozenset({"created", "started", "submitted", "capturable"})


@dataclass(frozen=True)
class NewPayment:
    """What GOV.UK Pay's "create a payment" takes. Money is in pence, as Pay counts it."""

    amount_pence: int
    reference: str
    description: str
    return_url: str
    email: str | None = None
    language: Literal["en", "cy"] = "en"


@dataclass(frozen=True)
class Payment:
    """A payment as GOV.UK Pay reports it: ``status`` is created, started, submitted, capturable, success,
    failed, cancelled or error; ``code`` says why one failed (P0010 declined, P0020 expired, P0030 cancelled
    by the user, P0040 cancelled by the service, P0050 provider error)."""

    payment_id: str
    amount_pence: int
    reference: str
    description: str
    status: str
    finished: bool
    created_at: datetime
    code: str | None = None
    message: str | None = None
    next_url: str | None = None
    email: str | None = None
    refund_status: str | None = None
    refund_available_pence: int = 0
    refund_submitted_pence: int = 0

    @property
    def in_progress(self) -> bool:
        return not self.finished and self.status in PAYMENT_IN_PROGRESS

    @property
    def succeeded(self) -> bool:
        return self.status == "success"


@dataclass(frozen=True)
class Refund:
    refund_id: str
    amount_pence: int
    status: str  # submitted | success | error


# --- text messages (GOV.UK Notify) --------------------------------------------------------------------------


class TextTemplate(StrEnum):
    """Which of the council's text message templates a message uses."""

    REMINDER = "reminder"
    CONFIRMATION_CODE = "confirmation_code"  # a security code confirming a mobile number is the resident's


@dataclass(frozen=True)
class NewTextMessage:
    """A text message to send with one of the council's templates: ``personalisation`` fills its
    ((placeholders)); ``reference`` is the sender's own identifier, by which the message can be found
    again."""

    phone_number: str
    personalisation: dict[str, str]
    reference: str
    template: TextTemplate = TextTemplate.REMINDER


@dataclass(frozen=True)
class SentTextMessage:
    """A text message the service accepted: its id there, and the sender's reference."""

    notification_id: str
    reference: str | None
