"""One typed interface per kind of back-office service.

Every method either returns typed models (connectors/models.py) or raises a ConnectorError subclass
(connectors/errors.py): ``NotFound``, ``NotAuthorised``, ``Unavailable``, ``BadData``. Reads return a
``Result`` saying which council answered, when the data was fetched and whether it is stale; an adapter built
on connectors.http.HttpClient gets caching, stale-if-error, timeouts, retries and the circuit breaker for
free.

An adapter is council-agnostic: everything about a council (base URL, jurisdiction, credentials) comes
from its ``ConnectorSettings`` in the deployment file. To add one, write a module with
``build(settings: ConnectorSettings, registry: ConnectorRegistry) -> <Protocol>`` (get an HttpClient from
``registry.http_client(settings, headers=..., params=...)``), list it in connectors.registry.ADAPTERS,
and make it pass the shared contract suite for its kind in tests/contract/ (see docs/connectors.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from connectors.models import (
    Address,
    Bill,
    BinCollection,
    Case,
    CaseChanges,
    CaseDetail,
    CaseUpdateReceipt,
    CollectionSlot,
    CouncilTaxAccount,
    CouncilTaxMatch,
    CreatedServiceRequest,
    Instalment,
    NewBulkyBooking,
    NewCaseUpdate,
    NewGardenSubscription,
    NewPayment,
    NewPlanningComment,
    NewServiceRequest,
    NewTextMessage,
    Payment,
    PlanningApplication,
    PlanningComment,
    PortalLinkNotice,
    Refund,
    Result,
    SentTextMessage,
    Service,
    ServiceDefinition,
    ServiceRequest,
    ServiceRequestUpdate,
    WasteBooking,
)


@runtime_checkable
class AddressLookup(Protocol):
    """Addresses by postcode, by UPRN and nearest a point.

    Worked examples: app/address_lookup.py ``GazetteerLookup`` (the portal's own gazetteer table, imported by
    ``flask gazetteer import``; tests in tests/integration/test_addresses.py) and connectors/os_places.py
    ``OsPlacesLookup`` (the OS Places API; tests in tests/contract/test_addresses_contract.py against a
    loopback fake). Address lookups are not council-specific: the deployment file's ``[addresses]`` section
    picks one.

    Errors: ``Unavailable``/``BadData`` when a remote gazetteer fails; ``NotFound`` from ``address`` for a
    UPRN it does not know. An unknown postcode, or a point with no address near, is not an error: it has no
    addresses.
    """

    def addresses_for_postcode(self, postcode: str) -> Sequence[Address]:
        """Every address with this postcode (already normalised, e.g. "NR2 2PE"), in a sensible reading
        order."""
        ...

    def address(self, uprn: str) -> Address:
        """The address with this UPRN, or ``NotFound``."""
        ...

    def nearest(self, latitude: float, longitude: float, within_m: float) -> Address | None:
        """The address nearest a WGS84 point, if one is within ``within_m`` metres (routing a place on the
        map to its council when no boundary holds it)."""
        ...


@runtime_checkable
class BinCollections(Protocol):
    """A district's bin collection days, by property.

    Worked example: connectors/bins.py (the JSON REST contract in docs/api/bins.yaml; shared contract
    suite tests/contract/test_bins_contract.py). Cache TTL: hours (``[ttl] bins`` in the deployment file).

    Errors: ``NotFound`` for a UPRN the council does not collect from; ``Unavailable``; ``BadData``.
    """

    def collections(self, uprn: str) -> Result[tuple[BinCollection, ...]]:
        """The next collection of each bin type at this property, soonest first, with the upcoming dates."""
        ...


@runtime_checkable
class CouncilTax(Protocol):
    """A district's council tax accounts.

    Worked example: connectors/council_tax.py (docs/api/council-tax.yaml; contract suite
    tests/contract/test_council_tax_contract.py). Cache TTL: minutes. Only call the account methods for a
    reference the signed-in resident has proved with ``verify``; the portal records that proof.

    Errors: ``NotFound`` for an unknown reference; ``NotAuthorised`` when the back office refuses;
    ``Unavailable``; ``BadData``.
    """

    def verify(self, reference: str, postcode: str, surname: str) -> CouncilTaxMatch | None:
        """Whether this account reference belongs to the property with this postcode and a liable person with
        this surname (case and spacing ignored): the account (its reference and property) when it does.
        Never cached; None is the answer to a mismatch, not an error."""
        ...

    def tell_account_holder(self, reference: str, notice: PortalLinkNotice) -> str:
        """Ask the council to tell the account holder, by its own channel, that a portal account was linked
        to this account, with the address where they can undo it; the council's id for the notice. A repeated
        ``link_id`` is the same notice (the back office sends one)."""
        ...

    def account(self, reference: str) -> Result[CouncilTaxAccount]:
        """The account summary: balance, arrears, next instalment, latest bill."""
        ...

    def instalments(self, reference: str) -> Result[tuple[Instalment, ...]]:
        """This year's instalment plan, in date order."""
        ...

    def bills(self, reference: str) -> Result[tuple[Bill, ...]]:
        """Bills issued on the account, newest first."""
        ...


@runtime_checkable
class Planning(Protocol):
    """A district's (planning authority's) applications.

    Worked example: connectors/planning.py (docs/api/planning.yaml; contract suite
    tests/contract/test_planning_contract.py).

    Errors: ``NotFound`` for an unknown reference; ``Unavailable``; ``BadData``.
    """

    def applications_near(
        self, latitude: float, longitude: float, radius_m: int = 500
    ) -> Result[tuple[PlanningApplication, ...]]:
        """Current and recent applications within ``radius_m`` metres, nearest first, each with
        ``distance_m``."""
        ...

    def application(self, reference: str) -> Result[PlanningApplication]:
        """One application in full."""
        ...

    def comments(self, reference: str) -> Result[tuple[PlanningComment, ...]]:
        """The published public comments on an application, oldest first."""
        ...

    def comment(self, reference: str, comment: NewPlanningComment) -> str:
        """Send a resident's comment; the authority's reference for it. ``CommentsClosed`` once comments on
        the application are closed."""
        ...


@runtime_checkable
class StreetReports(Protocol):
    """Street reports (Open311 GeoReport v2 with the servicerequestupdates extension).

    Worked example: connectors/open311.py ``Open311Client`` (one module for every council that speaks Open311,
    JSON or XML; contract suite tests/contract/test_open311_contract.py, against the sandbox and recorded
    responses). Cache TTL: minutes. ``create_request`` is never retried automatically (not idempotent): the
    caller's outbox retries it.

    Errors: ``NotFound`` for an unknown service code or request id; ``NotAuthorised`` for a refused api_key;
    ``Unavailable``; ``BadData`` (including a request the server rejects as invalid, with its safe message).
    """

    def services(self) -> Result[tuple[Service, ...]]:
        """The kinds of report this council accepts."""
        ...

    def service_definition(self, service_code: str) -> Result[ServiceDefinition]:
        """The questions (attributes) a service asks."""
        ...

    def create_request(self, request: NewServiceRequest) -> CreatedServiceRequest:
        """Send a new report; returns its id (or a token)."""
        ...

    def requests(
        self,
        *,
        service_request_ids: Sequence[str] = (),
        service_code: str | None = None,
        status: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> Result[tuple[ServiceRequest, ...]]:
        """Reports, filtered as GeoReport v2's GET requests allows."""
        ...

    def request(self, service_request_id: str) -> Result[ServiceRequest]:
        """One report by id, or ``NotFound``."""
        ...

    def requests_near(
        self,
        latitude: float,
        longitude: float,
        radius_m: int = 250,
        *,
        service_code: str | None = None,
        status: str | None = "open",
    ) -> Result[tuple[ServiceRequest, ...]]:
        """Reports within ``radius_m`` metres, nearest first (for "already reported?")."""
        ...

    def updates(
        self, *, start_date: datetime | None = None, end_date: datetime | None = None
    ) -> Result[tuple[ServiceRequestUpdate, ...]]:
        """Status updates in a time window (FixMyStreet's servicerequestupdates extension)."""
        ...


@runtime_checkable
class Cases(Protocol):
    """A council's CRM: a resident's enquiries, complaints and requests.

    Worked example: connectors/cases.py (docs/api/cases.yaml; contract suite
    tests/contract/test_cases_contract.py). Only call ``cases_for_email`` and ``case`` with an email address
    the identity provider has verified. ``changes`` is for the status sync alone (app/tracking/sync.py): it
    names any resident's changed cases, so that the sync asks in detail only about its own residents' ones.

    Errors: ``NotFound`` for an unknown reference or one that is not this email's; ``NotAuthorised``;
    ``Unavailable``; ``BadData``.
    """

    def cases_for_email(self, email: str) -> Result[tuple[Case, ...]]:
        """Every case for this verified email address, most recently updated first."""
        ...

    def case(self, reference: str, email: str, *, as_of: datetime | None = None) -> Result[CaseDetail]:
        """One case with its notes, only if it belongs to this email address. ``as_of``, the moment
        ``changes`` gave for the case, makes it a fresh question: an answer cached before that change is
        never taken for the case after it."""
        ...

    def changes(self, since: datetime, *, limit: int = 500) -> Result[CaseChanges]:
        """Every case changed at or after ``since``, oldest first, up to ``until``: at most ``limit`` of
        them, unless more share one moment (an answer never splits a moment), with ``more`` set when others
        wait after ``until``. Ask next from ``until``, less a little for changes written late."""
        ...

    def add_update(self, reference: str, update: NewCaseUpdate) -> CaseUpdateReceipt:
        """Add the resident's update or "not fixed" to their case (``CaseDetail.accepts`` says which the CRM
        takes now); ``UpdateNotAccepted`` when it does not take it, ``NotFound`` when the case is not this
        email's. Sent again with the same ``update_id``, nothing is added twice. The case's cached answers
        for this email address are dropped, so that the next look sees the change."""
        ...

    def contact_email(self, reference: str) -> str | None:
        """The email address of a case's contact, whoever's case it is: for council staff finding the
        resident a case is about, never for a resident. ``NotFound`` for an unknown reference."""
        ...


@runtime_checkable
class WasteServices(Protocol):
    """A district's waste services system: bulky waste collection slots and bookings, garden waste
    subscriptions.

    Worked example: connectors/waste.py (docs/api/waste.yaml; contract suite
    tests/contract/test_waste_contract.py). Every call is fresh: slots and bookings are never served from the
    cache, and a stale answer is never taken for the truth.

    Errors: ``NotFound`` for an unknown booking or a property the district does not collect from;
    ``Unavailable``; ``BadData``. Booking raises ``SlotUnavailable`` when the day has gone; cancelling raises
    ``TooLateToCancel`` on or after the collection day.
    """

    def bulky_slots(self, uprn: str, items: int) -> tuple[CollectionSlot, ...]:
        """The next days a bulky collection of ``items`` items can be made at this property, soonest first."""
        ...

    def book_bulky(self, booking: NewBulkyBooking) -> WasteBooking:
        """Book a collection (not idempotent: look for the reference with ``bookings`` before retrying)."""
        ...

    def subscribe_garden(self, subscription: NewGardenSubscription) -> WasteBooking:
        """Record a year's garden waste subscription; the answer carries the permit number."""
        ...

    def garden_subscriptions(self, uprn: str) -> tuple[WasteBooking, ...]:
        """The property's garden waste subscriptions, latest ending first (for renewals)."""
        ...

    def bookings(self, reference: str) -> tuple[WasteBooking, ...]:
        """The bookings and subscriptions carrying this portal reference (none, or one)."""
        ...

    def cancel(self, booking_id: str) -> WasteBooking:
        """Cancel a bulky collection; cancelling a cancelled one answers it again."""
        ...


@runtime_checkable
class Payments(Protocol):
    """Card payments through GOV.UK Pay's API (each council its own Pay account and API key).

    Worked example: connectors/govuk_pay.py (the real Pay API; the sandbox's stand-in in sandbox/pay.py;
    contract suite tests/contract/test_pay_contract.py). Nothing is cached: every read asks Pay.

    Errors: ``NotFound`` for an unknown payment; ``NotAuthorised`` for a refused API key; ``Unavailable``;
    ``BadData`` (including a request Pay rejects, with Pay's error code in the detail).
    """

    # Where ``next_url`` sends the payer: a form leading there must allow it (CSP form-action).
    card_origin: str

    def create_payment(self, payment: NewPayment) -> Payment:
        """Create a payment; send the payer to its ``next_url``."""
        ...

    def payment(self, payment_id: str) -> Payment:
        """The payment's current state."""
        ...

    def payments_with_reference(self, reference: str) -> tuple[Payment, ...]:
        """Every payment created with this reference, newest first."""
        ...

    def cancel_payment(self, payment_id: str) -> None:
        """Cancel a payment that has not finished, so that a new one can take its place."""
        ...

    def refund(self, payment_id: str, amount_pence: int, refund_amount_available: int) -> Refund:
        """Refund ``amount_pence``; Pay refuses it unless ``refund_amount_available`` is still what it has."""
        ...


@runtime_checkable
class TextMessages(Protocol):
    """Text messages (SMS) to residents' mobile phones through a council's GOV.UK Notify service, with the
    council's own template.

    Worked example: connectors/govuk_notify.py (Notify's API; the sandbox's stand-in in sandbox/notify.py).
    Nothing is cached.

    Errors: ``NotAuthorised`` for a refused API key; ``Unavailable`` (Notify down, or rate limiting the
    service); ``BadData`` for a message Notify refuses (a number it cannot send to, an unknown template), with
    Notify's error name in ``code``: sending it again will fail the same way.
    """

    def send(self, message: NewTextMessage) -> SentTextMessage:
        """Ask the service to send the message."""
        ...

    def sent_with_reference(self, reference: str) -> tuple[SentTextMessage, ...]:
        """The messages sent with this reference (within the service's retention), newest first: whether an
        earlier attempt whose answer was lost did reach the service."""
        ...
