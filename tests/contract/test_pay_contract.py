"""The payments contract suite: the GOV.UK Pay adapter (connectors/govuk_pay.py) against the sandbox's
stand-in for Pay, which answers as Pay's API reference documents (field names, states, error codes), and the
hosted card page with Pay's test cards."""

import re
import uuid

import pytest
import requests

from connectors.errors import BadData, NotAuthorised, NotFound, Unavailable
from connectors.models import NewPayment, Payment, Refund
from tests.contract.conftest import registry_for

RETURN_URL = "https://my.south-norfolk.gov.uk/waste/abc/return"


def new_payment(amount: int = 4700, **changes) -> NewPayment:
    return NewPayment(
        **{
            "amount_pence": amount,
            "reference": f"NFK-{uuid.uuid4().hex[:8].upper()}",
            "description": "Bulky waste collection: 2 items",
            "return_url": RETURN_URL,
            "email": "guest@example.com",
            "language": "en",
            **changes,
        }
    )


def pay_on_card_page(next_url: str, card: str, session: requests.Session | None = None) -> requests.Response:
    """What a payer does on Pay's hosted page: open next_url, enter a card, continue."""
    session = session or requests.Session()
    page = session.get(next_url, timeout=5)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    return session.post(
        requests.compat.urljoin(page.url, action),
        data={
            "card_number": card,
            "expiry_month": "12",
            "expiry_year": "35",
            "name": "A Guest",
            "cvc": "123",
        },
        allow_redirects=False,
        timeout=5,
    )


@pytest.fixture
def pay(contract_registry):
    return contract_registry.payments("south-norfolk")


def test_a_new_payment_is_created_with_a_next_url(pay):
    asked = new_payment()
    created = pay.create_payment(asked)

    assert isinstance(created, Payment)
    assert (created.amount_pence, created.reference, created.status, created.finished) == (
        4700,
        asked.reference,
        "created",
        False,
    )
    assert created.in_progress and created.next_url and created.email == "guest@example.com"
    assert pay.payment(created.payment_id) == created
    assert pay.payments_with_reference(asked.reference) == (created,)
    assert pay.payments_with_reference("NFK-NOTHING") == ()


def test_the_success_card_pays_and_returns_to_the_service(pay):
    created = pay.create_payment(new_payment())

    answer = pay_on_card_page(created.next_url, "4444333322221111")

    assert (answer.status_code, answer.headers["Location"]) == (303, RETURN_URL)
    paid = pay.payment(created.payment_id)
    assert (paid.status, paid.finished, paid.succeeded, paid.next_url) == ("success", True, True, None)
    assert (paid.refund_status, paid.refund_available_pence) == ("available", 4700)


@pytest.mark.parametrize("card", ["4000000000000002", "4000000000000069", "4000000000000127"])
def test_declined_cards_fail_with_p0010(pay, card):
    created = pay.create_payment(new_payment())

    answer = pay_on_card_page(created.next_url, card)

    assert answer.status_code == 200 and "declined" in answer.text
    failed = pay.payment(created.payment_id)
    assert (failed.status, failed.finished, failed.code) == ("failed", True, "P0010")


def test_the_cancel_link_cancels_with_p0030(pay):
    created = pay.create_payment(new_payment())
    session = requests.Session()
    page = session.get(created.next_url, timeout=5)
    cancel = re.findall(r'<form method="post" action="([^"]+)"', page.text)[1]

    answer = session.post(requests.compat.urljoin(page.url, cancel), allow_redirects=False, timeout=5)

    assert answer.headers["Location"] == RETURN_URL
    assert (pay.payment(created.payment_id).status, pay.payment(created.payment_id).code) == (
        "cancelled",
        "P0030",
    )


def test_next_url_opens_the_card_page_once(pay):
    created = pay.create_payment(new_payment())
    requests.get(created.next_url, timeout=5)

    assert requests.get(created.next_url, timeout=5).status_code == 400


def test_a_wrong_card_number_is_asked_again_without_finishing(pay):
    created = pay.create_payment(new_payment())

    answer = pay_on_card_page(created.next_url, "4444333322221112")

    assert answer.status_code == 400 and "Enter a valid card number" in answer.text
    assert pay.payment(created.payment_id).in_progress


def test_a_refund_needs_the_amount_still_available(pay):
    created = pay.create_payment(new_payment(amount=3000))
    pay_on_card_page(created.next_url, "4444333322221111")

    with pytest.raises(BadData) as mismatch:
        pay.refund(created.payment_id, 3000, refund_amount_available=2000)
    refund = pay.refund(created.payment_id, 3000, refund_amount_available=3000)

    assert mismatch.value.code == "P0604"
    assert isinstance(refund, Refund) and refund.amount_pence == 3000
    refunded = pay.payment(created.payment_id)
    assert (refunded.refund_status, refunded.refund_available_pence, refunded.refund_submitted_pence) == (
        "full",
        0,
        3000,
    )
    with pytest.raises(BadData):
        pay.refund(created.payment_id, 3000, refund_amount_available=0)


def test_an_unfinished_payment_is_cancelled_by_the_service(pay):
    created = pay.create_payment(new_payment())

    pay.cancel_payment(created.payment_id)

    assert (pay.payment(created.payment_id).status, pay.payment(created.payment_id).code) == (
        "cancelled",
        "P0040",
    )


def test_pay_refuses_what_its_api_refuses(pay):
    with pytest.raises(BadData) as refused:
        pay.create_payment(new_payment(amount=0))
    assert refused.value.code == "P0102"
    with pytest.raises(BadData):
        pay.create_payment(new_payment(return_url="javascript:alert(1)"))
    with pytest.raises(NotFound):
        pay.payment("no-such-payment")


def test_a_wrong_key_is_refused(contract_sandbox, tmp_path):
    from tests.support.sandbox import sandbox_environ

    registry = registry_for(contract_sandbox.url, tmp_path / "cache")
    registry._environ = {**sandbox_environ(), "PORTAL_PAY_KEY_SOUTH_NORFOLK": "wrong-key"}

    with pytest.raises(NotAuthorised):
        registry.payments("south-norfolk").create_payment(new_payment())


@pytest.mark.parametrize("mode", ["down", "error"])
def test_pay_down_is_unavailable(faulty_sandbox, mode):
    sandbox, registry = faulty_sandbox
    sandbox.inject("pay", mode)

    with pytest.raises(Unavailable):
        registry.payments("south-norfolk").create_payment(new_payment())
    with pytest.raises(Unavailable):
        registry.payments("south-norfolk").payments_with_reference("NFK-ANY")
