"""Card payments through the GOV.UK Pay API (https://docs.payments.service.gov.uk/api_reference/), for any
council with a Pay account.

Deployment file: ``adapter = "govuk_pay"``, ``base_url`` (``https://publicapi.payments.service.gov.uk`` in
production; the sandbox's stand-in is ``http://127.0.0.1:5001/pay``) and ``credentials = { api_key = ... }``
naming the variable that holds the council's own Pay API key (sent as a Bearer token). ``card_origin`` is
the origin of Pay's hosted card pages (``https://card.payments.service.gov.uk``; the base URL's origin when
unset): the portal lets its pay button's redirect go there.

Nothing is cached: every read asks Pay.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from connectors import errors
from connectors.council_rest import Fields, document, segment
from connectors.http import HttpClient
from connectors.models import NewPayment, Payment, Refund


class GovUkPay:
    def __init__(self, http: HttpClient, card_origin: str):
        self.http = http
        self.card_origin = card_origin

    def create_payment(self, payment: NewPayment) -> Payment:
        body = {
            "amount": payment.amount_pence,
            "reference": payment.reference,
            "description": payment.description,
            "return_url": payment.return_url,
            "language": payment.language,
        }
        if payment.email:
            body["email"] = payment.email
        return self.http.post("v1/payments", json=body, parse=parse_payment)

    def payment(self, payment_id: str) -> Payment:
        return self.http.get_fresh(f"v1/payments/{segment(payment_id)}", parse=parse_payment)

    def payments_with_reference(self, reference: str) -> tuple[Payment, ...]:
        return self.http.get_fresh(
            "v1/payments", params={"reference": reference, "display_size": 500}, parse=parse_search
        )

    def cancel_payment(self, payment_id: str) -> None:
        """Cancel a payment nobody has finished (Pay then reports it cancelled, P0040)."""
        self.http.post(f"v1/payments/{segment(payment_id)}/cancel", parse=lambda response: None)

    def refund(self, payment_id: str, amount_pence: int, refund_amount_available: int) -> Refund:
        try:
            return self.http.post(
                f"v1/payments/{segment(payment_id)}/refunds",
                json={"amount": amount_pence, "refund_amount_available": refund_amount_available},
                parse=parse_refund,
            )
        except errors.BadData as error:
            raise type(error)(
                error.council,
                error.kind,
                "The payment could not be refunded",
                detail=error.detail,
                code=error.code,
            ) from None


def parse_payment(response) -> Payment:
    return payment_from(document(response))


def payment_from(fields: Fields) -> Payment:
    state = fields.object("state")
    refunds = fields.optional_object("refund_summary")
    links = fields.optional_object("_links")
    next_url = links.optional_object("next_url") if links else None
    return Payment(
        payment_id=fields.text("payment_id"),
        amount_pence=int(fields.number("amount")),
        reference=fields.text("reference"),
        description=fields.text("description"),
        status=state.text("status"),
        finished=state.boolean("finished"),
        code=state.optional_text("code"),
        message=state.optional_text("message"),
        created_at=fields.moment("created_date"),
        next_url=next_url.text("href") if next_url else None,
        email=fields.optional_text("email"),
        refund_status=refunds.optional_text("status") if refunds else None,
        refund_available_pence=int(refunds.optional_number("amount_available") or 0) if refunds else 0,
        refund_submitted_pence=int(refunds.optional_number("amount_submitted") or 0) if refunds else 0,
    )


def parse_search(response) -> tuple[Payment, ...]:
    payments = tuple(payment_from(entry) for entry in document(response).objects("results"))
    return tuple(sorted(payments, key=lambda payment: payment.created_at, reverse=True))


def parse_refund(response) -> Refund:
    fields = document(response)
    return Refund(
        refund_id=fields.text("refund_id"),
        amount_pence=int(fields.number("amount")),
        status=fields.text("status"),
    )


def build(settings, registry) -> GovUkPay:
    headers = {"Accept": "application/json"}
    if settings.credentials.get("api_key"):
        headers["Authorization"] = f"Bearer {settings.credentials['api_key']}"
    http = registry.http_client(settings, headers=headers)
    card_origin = settings.options.get("card_origin")
    if not card_origin:
        parts = urlsplit(settings.base_url)
        card_origin = f"{parts.scheme}://{parts.netloc}"
    return GovUkPay(http, card_origin.rstrip("/"))
