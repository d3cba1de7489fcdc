"""Paid waste services against the sandbox's waste back office and GOV.UK Pay, over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import select

from app import gazetteer_import
from app.backoffice import use_registry
from app.extensions import db, limiter
from app.models.reports import MailboxMessage
from app.models.waste import WasteOrder
from app.reports import outbox
from tests.support.sandbox import PAY_KEY, SandboxServer

GAZETTEER = Path(__file__).resolve().parents[3] / "sandbox" / "data" / "gazetteer.csv"
HOST = "south-norfolk.localhost"
POSTCODE = "IP20 9DD"
HOME = "2630770894"  # 16 Church Street, Harleston: South Norfolk
SUCCEEDS, DECLINED = "4444333322221111", "4000000000000002"
POLICY = outbox.DeliveryPolicy(
    max_failures=5,
    base_delay=outbox.timedelta(0),
    max_delay=outbox.timedelta(0),
    lease=outbox.timedelta(minutes=2),
)


@pytest.fixture(scope="module")
def waste_sandbox(app, tmp_path_factory):
    """A sandbox of these tests' own, so that bookings and payments here are the only ones it holds; one for
    each database's run (it depends on `app`), so one run's bookings are not in the other's."""
    server = SandboxServer.start(tmp_path_factory.mktemp("waste-sandbox"), SANDBOX_BULKY_PLACES=60)
    yield server
    server.stop()


@pytest.fixture
def back_offices(app, waste_sandbox, tmp_path):
    connector_registry = waste_sandbox.registry(tmp_path / "connector-cache")
    use_registry(app, connector_registry)
    limiter.reset()
    with app.app_context():
        gazetteer_import.import_file(GAZETTEER)
    yield waste_sandbox
    waste_sandbox.clear_faults()
    use_registry(app, None)


class Pay:
    """What the sandbox's GOV.UK Pay holds, asked over its API, and its card page used as a payer would."""

    def __init__(self, sandbox: SandboxServer):
        self.sandbox = sandbox

    def payments(self, reference: str) -> list[dict]:
        answer = requests.get(
            f"{self.sandbox.url}/pay/v1/payments",
            params={"reference": reference},
            headers={"Authorization": f"Bearer {PAY_KEY}"},
            timeout=5,
        )
        answer.raise_for_status()
        return answer.json()["results"]

    def successful(self, reference: str) -> list[dict]:
        return [payment for payment in self.payments(reference) if payment["state"]["status"] == "success"]

    def pay(self, next_url: str, card: str = SUCCEEDS, session: requests.Session | None = None) -> str:
        """Enter a card on the card page; the URL Pay sends the payer back to (the portal's return URL)."""
        session = session or requests.Session()
        page = session.get(next_url, timeout=5)
        assert page.status_code == 200, page.text
        action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
        answer = session.post(
            urljoin(page.url, action),
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
        if answer.status_code == 303:
            return answer.headers["Location"]
        return re.search(r'<a href="([^"]+)">Go back to try the payment again', answer.text).group(1)

    def cancel(self, next_url: str) -> str:
        session = requests.Session()
        page = session.get(next_url, timeout=5)
        action = re.findall(r'<form method="post" action="([^"]+)"', page.text)[1]
        return session.post(urljoin(page.url, action), allow_redirects=False, timeout=5).headers["Location"]

    def bookings(self, reference: str) -> list[dict]:
        answer = requests.get(
            f"{self.sandbox.url}/waste/south-norfolk/bookings",
            params={"reference": reference},
            headers={"X-API-Key": self.sandbox.api_key},
            timeout=5,
        )
        answer.raise_for_status()
        return answer.json()["bookings"]


@pytest.fixture
def pay(back_offices):
    return Pay(back_offices)


class Checkout:
    """Walks a waste journey as a browser without JavaScript would, checking every page on the way."""

    def __init__(self, client_request, host: str = HOST):
        self.client_request = client_request
        self.host = host
        self.path = None

    def start(self, kind: str) -> Checkout:
        self.path = self.client_request.post_form(f"/waste/{kind}", {}, host=self.host).location
        return self

    @property
    def token(self) -> str:
        return re.match(r"^/waste/([^/]+)/", self.path).group(1)

    def page(self):
        return self.client_request.get(self.path, host=self.host)

    def answer(self, data: dict, expected_status: int = 302):
        response = self.client_request.post_form(
            self.path, data, host=self.host, expected_status=expected_status
        )
        if expected_status == 302:
            self.path = response.location
            return response
        return response if isinstance(response, BeautifulSoup) else self.client_request.check_page(response)

    def at(self, step: str) -> bool:
        return urlsplit(self.path).path.endswith(f"/{step}")

    def address(self, postcode: str = POSTCODE, uprn: str = HOME) -> Checkout:
        assert self.at("postcode"), self.path
        self.answer({"postcode": postcode})
        self.answer({"uprn": uprn})
        return self

    def bulky(self, items: dict | None = None, *, slot: int = 0) -> Checkout:
        self.start("bulky").address()
        assert self.at("items"), self.path
        self.answer({f"item-{code}": str(n) for code, n in (items or {"sofa": 1, "fridge": 1}).items()})
        assert self.at("collection-day"), self.path
        day = self.page().select("input[name=collection_date]")[slot]["value"]
        self.answer({"collection_date": day})
        self.answer({"location": "On the drive, by the garage"})
        self.answer({"email": "guest@example.com", "phone": "01632 960001"})
        assert self.at("check"), self.path
        return self

    def garden(self, bins: int = 2, postcode: str = "NR15 2AH", uprn: str = "2630651463") -> Checkout:
        self.start("garden").address(postcode, uprn)
        assert self.at("bins"), self.path
        self.answer({"bins": str(bins)})
        self.answer({"email": "guest@example.com"})
        assert self.at("check"), self.path
        return self

    def pay_form(self) -> tuple[str, dict]:
        """The check page's pay form as a tab that shows it holds it: its action and hidden fields."""
        assert self.at("check"), self.path
        form = self.page().select("form")[-1]
        return form["action"], {
            field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")
        }

    def press(self, pay_form: tuple[str, dict], expected_status: int = 303, **data):
        """Press "Continue to payment": GOV.UK Pay's next_url (or where the portal sends the payer)."""
        action, fields = pay_form
        response = self.client_request.client.post(
            action, data={**fields, **data}, headers={"Host": self.host}
        )
        assert response.status_code == expected_status, (
            response.status_code,
            response.get_data(as_text=True)[:500],
        )
        return response.location if expected_status in (302, 303) else response

    def pay_button(self, expected_status: int = 303, **data):
        return self.press(self.pay_form(), expected_status, **data)

    def come_back(self, return_url: str, client=None):
        """Follow Pay's return URL in this browser (or another one's client)."""
        parts = urlsplit(return_url)
        assert parts.hostname == self.host
        return (client or self.client_request.client).get(parts.path, headers={"Host": self.host})


@pytest.fixture
def checkout(client_request, back_offices):
    return lambda host=HOST: Checkout(client_request, host)


def order(reference_or_token: str | None = None) -> WasteOrder:
    db.session.expire_all()
    query = select(WasteOrder).order_by(WasteOrder.id.desc())
    if reference_or_token:
        query = query.where(
            (WasteOrder.reference == reference_or_token) | (WasteOrder.token == reference_or_token)
        )
    return db.session.scalars(query).first()


def deliver_all() -> list:
    return outbox.run_once("test-worker", POLICY, batch=50)


def mailbox(to: str = "guest@example.com") -> list[MailboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(MailboxMessage).where(MailboxMessage.recipient == to).order_by(MailboxMessage.id)
        )
    )


def time_passes() -> None:
    """Every retry the outbox scheduled is due now."""
    from sqlalchemy import update

    from app.models.reports import MessageStatus, OutboxMessage

    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.PENDING)
        .values(next_attempt_at=outbox.utcnow() - outbox.timedelta(seconds=1))
    )
    db.session.commit()


def payers_gone_for(minutes: int) -> None:
    """Every payment in progress was started, and last asked about, this long ago."""
    from sqlalchemy import update

    then = outbox.utcnow() - outbox.timedelta(minutes=minutes)
    db.session.execute(update(WasteOrder).values(updated_at=then, checked_at=then))
    db.session.commit()


# Signing in through the sandbox's identity provider, as tests/integration/auth does.
from tests.integration.auth.conftest import sandbox_idp, visitor, with_sandbox_idp  # noqa: E402,F401
