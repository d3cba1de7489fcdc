"""Linking a council tax account to a resident's portal account, and undoing it.

The council's council tax system checks the reference, postcode and surname, and names the property the
account is for: the portal links it only when that property is the home address on the resident's portal
account.
Wrong answers are limited per resident and per account reference (COUNCIL_TAX_GUESS_LIMIT), so neither one
resident nor many can guess their way in. Every link is told to the account holder by their council, by the
council's own channel (the portal does not know who holds the account), through the outbox, with a signed
link that undoes it without signing in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from app import rate_limits
from app.auth.assurance import COUNCIL_TAX
from app.backoffice import registry
from app.extensions import db
from app.models.identity import LinkedCouncilAccount, PersonalDataSource, Resident, register_personal_data
from app.models.reports import DeliveryAttempt, OutboxMessage, utcnow
from app.reports.outbox import PermanentFailure, handles
from app.theming import themes
from connectors import errors
from connectors.errors import ConnectorError
from connectors.models import CouncilTaxMatch, PortalLinkNotice, ServiceKind

LINK_NOTICE = "council_tax_link_notice"
UNLINK_SALT = "council-tax-unlink"
GUESS_LIMIT = "COUNCIL_TAX_GUESS_LIMIT"


class CheckUnavailable(Exception):
    """The council's council tax system cannot answer right now."""


@dataclass(frozen=True)
class Claim:
    council_slug: str
    reference: str
    postcode: str
    surname: str


def verify(claim: Claim) -> CouncilTaxMatch | None:
    """Ask the council's council tax back office whether the reference, postcode and surname belong
    together; the account (and the property it is for) when they do."""
    connectors = registry()
    if not connectors.serves(claim.council_slug, ServiceKind.COUNCIL_TAX):
        raise CheckUnavailable()
    try:
        return connectors.council_tax(claim.council_slug).verify(
            claim.reference, claim.postcode, claim.surname
        )
    except ConnectorError as error:
        raise CheckUnavailable() from error


def _identities(resident: Resident, claim: Claim) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return ("resident", str(resident.id)), ("reference", claim.council_slug, claim.reference)


def locked_until(resident: Resident, claim: Claim) -> datetime | None:
    """When this resident, or anyone, may try this account reference again after too many wrong answers."""
    times = [rate_limits.blocked_until(GUESS_LIMIT, *identity) for identity in _identities(resident, claim)]
    return max((time for time in times if time is not None), default=None)


def count_wrong_answer(resident: Resident, claim: Claim) -> None:
    for identity in _identities(resident, claim):
        rate_limits.count(GUESS_LIMIT, *identity)


def link(resident: Resident, claim: Claim, match: CouncilTaxMatch) -> LinkedCouncilAccount:
    """Link the account (replacing a link to another account at the same council) and queue the notice to
    its holder; linking the same account again changes nothing and sends the holder nothing more."""
    council = themes().get(claim.council_slug)
    for existing in list(resident.linked_accounts):
        if existing.service == COUNCIL_TAX and existing.council_gss == council.gss_code:
            if existing.account_reference == match.reference and existing.property_uprn == match.uprn:
                return existing
            resident.linked_accounts.remove(existing)
    db.session.flush()
    linked = LinkedCouncilAccount(
        service=COUNCIL_TAX,
        council_gss=council.gss_code,
        account_reference=match.reference,
        property_uprn=match.uprn,
        linked_at=utcnow(),
    )
    resident.linked_accounts.append(linked)
    db.session.flush()
    db.session.add(
        OutboxMessage(
            kind=LINK_NOTICE,
            payload={
                "council": council.slug,
                "reference": linked.account_reference,
                "link_id": str(linked.id),
                "linked_at": linked.linked_at.isoformat(),
                "unlink_url": url_for(
                    "account.unlink_council_tax", token=unlink_token(linked), _external=True
                ),
            },
        )
    )
    return linked


def end_links_elsewhere(resident: Resident) -> int:
    """A resident who moved home keeps no council tax link for a property that is not their home now;
    how many ended."""
    elsewhere = [
        linked
        for linked in resident.linked_accounts
        if linked.service == COUNCIL_TAX and linked.property_uprn != resident.home_uprn
    ]
    for linked in elsewhere:
        resident.linked_accounts.remove(linked)
    return len(elsewhere)


def unlink_token(linked: LinkedCouncilAccount) -> str:
    # No expiry: the council's letter may be read weeks later. Ids are never reused, so the token can only
    # ever name this link.
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNLINK_SALT).dumps(
        [linked.id, linked.account_reference]
    )


class UnknownUnlinkToken(Exception):
    """Not a token the portal signed."""


def link_for(token: str) -> LinkedCouncilAccount | None:
    """The link an unlink token names, or None when it has already been removed."""
    try:
        link_id, reference = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNLINK_SALT).loads(
            token
        )
    except (BadSignature, ValueError, TypeError):
        raise UnknownUnlinkToken() from None
    linked = db.session.get(LinkedCouncilAccount, link_id)
    return linked if linked is not None and linked.account_reference == reference else None


@handles(LINK_NOTICE)
def deliver_notice(message: OutboxMessage) -> str:
    payload = message.payload
    notice = PortalLinkNotice(
        link_id=payload["link_id"],
        linked_at=datetime.fromisoformat(payload["linked_at"]),
        unlink_url=payload["unlink_url"],
    )
    try:
        registry().council_tax(payload["council"]).tell_account_holder(payload["reference"], notice)
    except (errors.NotFound, errors.NotAuthorised) as error:
        raise PermanentFailure(f"the council tax back office refused the notice: {error}") from None
    return "delivered"


def _notices_of(resident: Resident):
    link_ids = [str(linked.id) for linked in resident.linked_accounts]
    return select(OutboxMessage.id).where(
        OutboxMessage.kind == LINK_NOTICE, OutboxMessage.payload["link_id"].as_string().in_(link_ids)
    )


def export_notices(resident: Resident) -> list[dict]:
    return [
        {
            "council": message.payload.get("council"),
            "reference": message.payload.get("reference"),
            "linked_at": message.payload.get("linked_at"),
            "sent_to_the_council": message.delivered_at is not None,
        }
        for message in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(_notices_of(resident)))
        )
    ]


def forget_notices(resident: Resident) -> None:
    """The council keeps the notice it sent; the portal's copy (with its undo link) goes."""
    notice_ids = list(db.session.scalars(_notices_of(resident)))
    if notice_ids:
        db.session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.message_id.in_(notice_ids)))
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(notice_ids)))


register_personal_data(PersonalDataSource("council_tax_link_notices", export_notices, forget_notices))
