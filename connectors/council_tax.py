"""Council tax over the My Norfolk council tax contract (docs/api/council-tax.yaml), for any district.

Deployment file: ``adapter = "council_tax_rest"`` with ``base_url`` and ``credentials = { api_key = ... }``.
"""

from __future__ import annotations

import re

from connectors import errors
from connectors.council_rest import Fields, document, rest_client, segment, with_message
from connectors.http import HttpClient, MalformedResponse
from connectors.models import Bill, CouncilTaxAccount, CouncilTaxMatch, Instalment, PortalLinkNotice, Result

REFERENCE = re.compile(r"^[A-Za-z0-9-]{4,20}$")
INSTALMENT_STATUSES = ("paid", "due", "overdue")


class RestCouncilTax:
    def __init__(self, http: HttpClient):
        self.http = http

    def verify(self, reference: str, postcode: str, surname: str) -> CouncilTaxMatch | None:
        answers = {"reference": reference.strip(), "postcode": postcode.strip(), "surname": surname.strip()}
        if not all(answers.values()):
            return None
        return self.http.post("accounts/verify", json=answers, parse=parse_verification)

    def tell_account_holder(self, reference: str, notice: PortalLinkNotice) -> str:
        reference = reference.strip()
        if not REFERENCE.match(reference):
            raise errors.NotFound(
                self.http.council, self.http.kind, "This is not a council tax account reference"
            )
        body = {
            "link_id": notice.link_id,
            "linked_at": notice.linked_at.isoformat(),
            "unlink_url": notice.unlink_url,
        }
        try:
            return self.http.post(
                f"accounts/{segment(reference)}/portal-links", json=body, parse=parse_notice
            )
        except errors.NotFound as error:
            raise with_message(error, "The council has no council tax account with this reference") from None

    def account(self, reference: str) -> Result[CouncilTaxAccount]:
        return self._get(reference, "", parse_account)

    def instalments(self, reference: str) -> Result[tuple[Instalment, ...]]:
        # The same document as account(), so one cached answer serves both.
        return self._get(reference, "", parse_instalments)

    def bills(self, reference: str) -> Result[tuple[Bill, ...]]:
        return self._get(reference, "/bills", parse_bills)

    def _get(self, reference: str, suffix: str, parse):
        reference = reference.strip()
        if not REFERENCE.match(reference):
            raise errors.NotFound(
                self.http.council, self.http.kind, "This is not a council tax account reference"
            )
        try:
            return self.http.get(f"accounts/{segment(reference)}{suffix}", parse=parse)
        except errors.NotFound as error:
            raise with_message(error, "The council has no council tax account with this reference") from None


def parse_verification(response) -> CouncilTaxMatch | None:
    answer = document(response)
    if not answer.boolean("match"):
        return None
    return CouncilTaxMatch(reference=answer.text("reference"), uprn=answer.optional_text("uprn"))


def parse_notice(response) -> str:
    return document(response).text("notice_id")


def parse_instalment(fields: Fields) -> Instalment:
    status = fields.text("status")
    if status not in INSTALMENT_STATUSES:
        raise MalformedResponse(f"{fields.where}.status {status[:20]!r} is not one of {INSTALMENT_STATUSES}")
    return Instalment(due_date=fields.date("due_date"), amount=fields.pence("amount_pence"), status=status)


def parse_bill(fields: Fields) -> Bill:
    return Bill(
        bill_id=fields.text("bill_id"),
        year=fields.text("financial_year"),
        issued_on=fields.date("issued_on"),
        amount=fields.pence("amount_pence"),
        band=fields.optional_text("band"),
        document_url=fields.optional_text("document_url"),
    )


def parse_account(response) -> CouncilTaxAccount:
    account = document(response)
    address = account.object("address")
    next_instalment = account.optional_object("next_instalment")
    latest_bill = account.optional_object("latest_bill")
    return CouncilTaxAccount(
        reference=account.text("reference"),
        property_address=", ".join((*address.texts("lines"), address.text("postcode"))),
        band=account.text("band"),
        balance=account.pence("balance_pence"),
        arrears=account.pence("arrears_pence"),
        next_instalment=parse_instalment(next_instalment) if next_instalment else None,
        latest_bill=parse_bill(latest_bill) if latest_bill else None,
        payment_method=account.optional_text("payment_method"),
    )


def parse_instalments(response) -> tuple[Instalment, ...]:
    plan = (parse_instalment(fields) for fields in document(response).objects("instalments"))
    return tuple(sorted(plan, key=lambda instalment: instalment.due_date))


def parse_bills(response) -> tuple[Bill, ...]:
    bills = (parse_bill(fields) for fields in document(response).objects("bills"))
    return tuple(sorted(bills, key=lambda bill: bill.issued_on, reverse=True))


def build(settings, registry) -> RestCouncilTax:
    return RestCouncilTax(rest_client(settings, registry))
