"""Bin day reminders by text, through the sandbox's GOV.UK Notify over real HTTP: offered only where the
council sends texts, the number checked, then confirmed by a security code texted to it (wrong, expired and
used-up codes refused, new codes rate-limited, nothing else texted until it is confirmed), each collection
texted once through the outbox (failures retried, Notify's refusals parked, an attempt whose answer was lost
not repeated), stopped by the link in the text or from the account, and the number in the resident's data
until they delete it."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from app.bins import bin_days, reminders
from app.extensions import db, limiter
from app.models.bins import BinTextReminder, SentBinTextReminder
from app.models.identity import Resident
from app.models.reports import MessageKind, MessageStatus, OutboxMessage
from app.reports import outbox
from connectors.clock import utcnow
from connectors.errors import NotAuthorised
from connectors.govuk_notify import NotifyKey
from connectors.models import NewTextMessage
from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.notify import CONFIRMATION_TEMPLATE_ID

PRIYA, TOM, MARGARET, DAVID = DEMO_RESIDENTS
NORWICH = "norwich.localhost"
POLICY = outbox.DeliveryPolicy(
    max_failures=3, base_delay=timedelta(0), max_delay=timedelta(0), lease=timedelta(minutes=1)
)
NUMBER = "07700 900 982"
CONFIRM = "/bin-days/yours/texts/confirm"
STARTED = [""]


def texts_with(sandbox, reference: str) -> list[dict]:
    """The texts the sandbox's Notify holds with this reference (the sandbox serves both databases' runs)."""
    answer = requests.get(
        f"{sandbox.url}/notify/",
        params={"reference": reference},
        headers={"Accept": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 200
    return answer.json()["texts"]


def start_texts(client_request, number: str = NUMBER, host: str = NORWICH):
    return client_request.post_form("/bin-days/yours/texts", {"mobile_number": number}, host=host)


@pytest.fixture(autouse=True)
def _test_started():
    """Texts to one number from the other database's run of a test are not this run's."""
    STARTED[0] = datetime.now(UTC).isoformat()


def texts_to(sandbox, number: str) -> list[dict]:
    """The texts the sandbox's Notify holds for this number since the test started, newest first."""
    answer = requests.get(
        f"{sandbox.url}/notify/", params={"to": number}, headers={"Accept": "application/json"}, timeout=5
    )
    assert answer.status_code == 200
    return [text for text in answer.json()["texts"] if text["created_at"] >= STARTED[0]]


def codes_texted_to(sandbox, number: str) -> list[dict]:
    """The security code texts to this number since the test started, newest first."""
    return [text for text in texts_to(sandbox, number) if text["template"]["id"] == CONFIRMATION_TEMPLATE_ID]


def code_texted_to(sandbox, number: str) -> str:
    """The code in the newest security code text to this number (first in the text, for phones to offer)."""
    [newest, *older] = codes_texted_to(sandbox, number)
    code = newest["body"][:6]
    assert code.isdigit(), newest["body"]
    return code


def enter_code(client_request, code: str, expected_status: int = 302, host: str = NORWICH):
    return client_request.post_form(CONFIRM, {"code": code}, host=host, expected_status=expected_status)


def start_confirmed_texts(client_request, sandbox, number: str = NUMBER, host: str = NORWICH):
    assert start_texts(client_request, number, host).location == CONFIRM
    response = enter_code(client_request, code_texted_to(sandbox, number), host=host)
    assert response.location == "/bin-days/yours#text-reminders"


def reminder_row(app, resident_id: int) -> BinTextReminder:
    with app.app_context():
        reminder = db.session.scalar(
            select(BinTextReminder).where(BinTextReminder.resident_id == resident_id)
        )
        db.session.expunge(reminder)
        return reminder


def code_sent_ago(app, resident_id: int, **ago) -> None:
    """Time passes: the security code was texted this long ago."""
    with app.app_context():
        reminder = db.session.scalar(
            select(BinTextReminder).where(BinTextReminder.resident_id == resident_id)
        )
        reminder.code_sent_at = utcnow() - timedelta(**ago)
        db.session.commit()


def error_summary(page) -> str:
    return page.select_one(".govuk-error-summary").get_text(" ", strip=True)


def the_day_before_a_collection(app, uprn: str):
    with app.app_context():
        days = bin_days(uprn)
        collection_day = days.collections[0].next_date
        due = sorted(c.name for c in days.collections if collection_day in (c.next_date, *c.upcoming))
        return collection_day - timedelta(days=1), due


def text_messages(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == MessageKind.TEXT_MESSAGE)
                .order_by(OutboxMessage.id)
            )
        )


def retry_due_now(app) -> None:
    """Time passes: the retries the outbox put off are due."""
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage)):
            message.next_attempt_at = utcnow()
        db.session.commit()


def deliver(app):
    with app.app_context():
        return outbox.run_once("texts-test", POLICY)


def test_texts_are_offered_only_where_the_council_sends_them(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
):
    sign_in(TOM, host=NORWICH)
    page = client_request.get("/bin-days/yours", host=NORWICH)
    section = page.select_one("#text-reminders").find_parent("div")
    assert "Norwich City Council can text your mobile" in section.get_text()
    assert page.select_one("main a[href='/bin-days/yours/texts']")


def test_texts_are_not_offered_where_the_council_sends_none(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
):
    sign_in(MARGARET, host="great-yarmouth.localhost")  # Great Yarmouth sends no texts
    page = client_request.get("/bin-days/yours", host="great-yarmouth.localhost")
    assert page.select_one("#text-reminders") is None
    assert "text" not in page.select_one("main").get_text().lower()
    response = client_request.get(
        "/bin-days/yours/texts", host="great-yarmouth.localhost", expected_status=302
    )
    assert response.location == "/bin-days/yours#text-reminders"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a UK mobile number, like 07700 900 982"),
        ("01603 212345", "Enter a mobile number starting 07, like 07700 900 982: we cannot text a landline"),
        ("07700 9OO 982", "using only numbers, spaces, brackets, hyphens and a plus sign"),
        ("0770 090 098", "The mobile number is too short"),
        ("+33 6 12 34 56 78", "text reminders only go to UK mobiles"),
    ],
)
def test_a_number_that_is_not_a_uk_mobile_is_explained_and_kept(
    app,
    client,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    typed,
    message,
):
    sign_in(TOM, host=NORWICH)
    response = client_request.post_form(
        "/bin-days/yours/texts", {"mobile_number": typed}, host=NORWICH, expected_status=400
    )
    page = client_request.check_page(response)
    assert page.title.get_text().startswith("Error: ")
    summary = page.select_one(".govuk-error-summary")
    assert message in summary.select_one("a[href='#mobile_number']").get_text(strip=True)
    field = page.select_one("input#mobile_number")
    assert field["value"] == typed and field["type"] == "tel" and field["autocomplete"] == "tel"
    assert "govuk-input--error" in field["class"]
    assert "mobile_number-error" in field["aria-describedby"]
    assert message in page.select_one("#mobile_number-error").get_text()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BinTextReminder)) == 0


def test_a_collection_is_texted_once_through_the_outbox_and_the_text_says_how_to_stop(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    resident_id = sign_in(TOM, host=NORWICH)
    number = "07700 900 101"
    start_confirmed_texts(client_request, sandbox, "+44 (0)7700 900-101")
    page = client_request.get("/bin-days/yours", host=NORWICH)
    assert f"We text {number} the day before each collection" in page.get_text()
    the_day_before, due = the_day_before_a_collection(app, TOM.uprn)

    with app.app_context():
        assert reminders.send_due(today=the_day_before - timedelta(days=1)) == 0
        # The email reminder was not asked for: only the text is queued, once however often the worker looks.
        assert reminders.send_due(today=the_day_before) == 1
        assert reminders.send_due(today=the_day_before) == 0
    [message] = text_messages(app)
    assert "07700" not in str(message.payload), "the outbox keeps no phone number"
    assert [outcome.outcome for outcome in deliver(app)] == ["delivered"]
    assert deliver(app) == []

    [text] = texts_with(sandbox, message.payload["reference"])
    assert text["phone_number"] == "07700900101"
    assert text["body"].startswith("Norwich City Council: bins out for tomorrow, ")
    assert all(name in text["body"] for name in due)
    assert text["reference"].startswith("bin-reminder-")
    stop_url = text["body"].rsplit("To stop these texts: ", 1)[1]
    assert urlsplit(stop_url).hostname == NORWICH and "/bin-days/texts/stop/" in stop_url

    stranger = app.test_client()  # the link works without signing in; looking at it stops nothing
    path = urlsplit(stop_url).path
    assert stranger.get(path, headers={"Host": NORWICH}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(BinTextReminder).where(BinTextReminder.resident_id == resident_id))
    stopped = stranger.post(path, headers={"Host": NORWICH})
    assert stopped.status_code == 200 and "texts stopped" in stopped.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(select(BinTextReminder).where(BinTextReminder.resident_id == resident_id))
            is None
        )
        assert reminders.send_due(today=the_day_before + timedelta(days=7)) == 0
    assert stranger.get(path[:-3] + "xyz", headers={"Host": NORWICH}).status_code == 404
    assert len(texts_with(sandbox, message.payload["reference"])) == 1


def test_a_failed_delivery_is_retried_and_an_attempt_notify_received_is_not_repeated(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    sign_in(TOM, host=NORWICH)
    number = "07700 900 202"
    start_confirmed_texts(client_request, sandbox, number)
    the_day_before, _ = the_day_before_a_collection(app, TOM.uprn)
    with app.app_context():
        assert reminders.send_due(today=the_day_before) == 1

    [message] = text_messages(app)
    sandbox.inject("notify", "error")  # Notify answers 500
    [outcome] = deliver(app)
    assert outcome.outcome == "failed" and "Unavailable" in outcome.error
    assert texts_with(sandbox, message.payload["reference"]) == []
    sandbox.clear_faults()

    # Notify received the next attempt, but its answer never came back (the worker died, the line dropped):
    # the retry finds it by its reference and sends nothing more.
    [message] = text_messages(app)
    back_offices.text_messages("norwich").send(
        NewTextMessage(
            phone_number=number,
            personalisation={"body": message.payload["body"]},
            reference=message.payload["reference"],
        )
    )
    retry_due_now(app)
    [outcome] = deliver(app)
    assert outcome.outcome == "found"
    assert len(texts_with(sandbox, message.payload["reference"])) == 1
    [message] = text_messages(app)
    assert message.status == MessageStatus.DELIVERED and message.attempts == 2


def test_a_text_notify_refuses_is_parked_at_once(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    sign_in(TOM, host=NORWICH)
    start_confirmed_texts(client_request, sandbox, "07700 900 303")
    the_day_before, _ = the_day_before_a_collection(app, TOM.uprn)
    with app.app_context():
        assert reminders.send_due(today=the_day_before) == 1
    back_offices.text_messages("norwich").template_id = "00000000-0000-4000-8000-000000000000"
    [outcome] = deliver(app)
    assert outcome.outcome == "parked"
    assert "GOV.UK Notify refused the text: BadRequestError" in outcome.error
    [message] = text_messages(app)
    assert message.status == MessageStatus.PARKED and message.failures == 1
    assert texts_with(sandbox, message.payload["reference"]) == []


def test_notify_refuses_a_token_not_signed_with_the_services_secret(back_offices, sandbox):  # noqa: F811
    texts = back_offices.text_messages("norwich")
    genuine = texts.key
    reference = f"forged-{uuid.uuid4()}"
    message = NewTextMessage(phone_number=NUMBER, personalisation={"body": "hello"}, reference=reference)
    try:
        texts.key = NotifyKey(genuine.service_id, "11111111-2222-4333-8444-555555555555")
        with pytest.raises(NotAuthorised):
            texts.send(message)
        texts.key = NotifyKey("11111111-2222-4333-8444-555555555555", genuine.secret)
        with pytest.raises(NotAuthorised):
            texts.send(message)
    finally:
        texts.key = genuine
    expired = genuine.token(now=time.time() - 120)
    answer = requests.post(
        f"{sandbox.url}/notify/v2/notifications/sms",
        json={
            "phone_number": NUMBER,
            "template_id": texts.template_id,
            "personalisation": {"body": "x"},
            "reference": reference,
        },
        headers={"Authorization": f"Bearer {expired}"},
        timeout=5,
    )
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["message"].startswith("Error: Your system clock")
    assert texts_with(sandbox, reference) == []


def test_codes_texted_are_rate_limited_per_resident_and_the_number_typed_is_kept(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    sign_in(TOM, host=NORWICH)
    limiter.reset()  # the numbers below were counted in the other database's run
    limit = app.config["TEXT_REMINDER_NUMBER_RATE_LIMIT"]
    app.config["TEXT_REMINDER_NUMBER_RATE_LIMIT"] = "2 per day"
    try:
        start_texts(client_request, "07700 900 401")
        # The same number again while its code still works: back to the code, with no second text.
        assert start_texts(client_request, "07700 900 401").location == CONFIRM
        assert len(codes_texted_to(sandbox, "07700 900 401")) == 1
        start_texts(client_request, "07700 900 402")
        response = client_request.post_form(
            "/bin-days/yours/texts", {"mobile_number": "07700 900 403"}, host=NORWICH, expected_status=429
        )
    finally:
        app.config["TEXT_REMINDER_NUMBER_RATE_LIMIT"] = limit
    page = client_request.check_page(response)
    assert "You have asked for too many security codes. Try again after" in error_summary(page)
    assert page.select_one("input#mobile_number")["value"] == "07700 900 403"
    assert codes_texted_to(sandbox, "07700 900 403") == []
    with app.app_context():
        assert db.session.scalar(select(BinTextReminder.mobile_number)) == "07700900402"


def test_codes_texted_to_one_number_are_rate_limited_whoever_asks(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    limiter.reset()
    limit = app.config["TEXT_REMINDER_NUMBER_RATE_LIMIT"]
    app.config["TEXT_REMINDER_NUMBER_RATE_LIMIT"] = "1 per day"
    try:
        sign_in(TOM, host=NORWICH)
        start_texts(client_request, "07700 900 404")
        # Another resident (a district that texts too) gives the same number: it has had its code for today.
        sign_in(PRIYA, host="south-norfolk.localhost")
        response = client_request.post_form(
            "/bin-days/yours/texts",
            {"mobile_number": "07700 900 404"},
            host="south-norfolk.localhost",
            expected_status=429,
        )
    finally:
        app.config["TEXT_REMINDER_NUMBER_RATE_LIMIT"] = limit
    assert "too many security codes" in error_summary(client_request.check_page(response))
    assert len(codes_texted_to(sandbox, "07700 900 404")) == 1


def test_the_number_is_in_the_residents_data_and_goes_with_it(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    resident_id = sign_in(TOM, host=NORWICH)
    start_confirmed_texts(client_request, sandbox, "07700 900 504")
    the_day_before, _ = the_day_before_a_collection(app, TOM.uprn)
    with app.app_context():
        assert reminders.send_due(today=the_day_before) == 1
    data = client_request.get("/account/your-data.json", host=NORWICH).json
    assert data["bin_text_reminders"]["mobile_number"] == "07700900504"
    assert data["bin_text_reminders"]["number_confirmed_at"] is not None
    assert data["bin_text_reminders"]["security_code_sent_at"] is not None
    privacy = client_request.get("/privacy", host=NORWICH).select_one("main").get_text(" ", strip=True)
    assert "your mobile number, when you confirmed it with the security code we texted" in privacy
    assert data["bin_text_reminders"]["sent"] == [
        {"collection_date": (the_day_before + timedelta(days=1)).isoformat(), "uprn": TOM.uprn}
    ]

    [message] = text_messages(app)
    client_request.post_form("/account/delete", {}, host=NORWICH)
    with app.app_context():
        assert db.session.get(Resident, resident_id) is None
        for model in (BinTextReminder, SentBinTextReminder):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
    # The text queued before the resident left is not sent: the outbox never held the number.
    [outcome] = deliver(app)
    assert outcome.outcome == "stopped"
    assert texts_with(sandbox, message.payload["reference"]) == []


def test_stopping_from_the_account(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
):
    resident_id = sign_in(TOM, host=NORWICH)
    start_texts(client_request)
    page = client_request.get("/bin-days/yours/texts", host=NORWICH)
    assert page.select_one("input#mobile_number")["value"] == NUMBER
    response = client_request.post_form("/bin-days/yours", {}, host=NORWICH, form_index=2)
    assert response.location == "/bin-days/yours#text-reminders"
    with app.app_context():
        assert (
            db.session.scalar(select(BinTextReminder).where(BinTextReminder.resident_id == resident_id))
            is None
        )
    page = client_request.get("/bin-days/yours", host=NORWICH)
    assert "Norwich City Council can text your mobile" in page.get_text()


def test_a_security_code_is_texted_and_typing_it_in_confirms_the_number(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    resident_id = sign_in(TOM, host=NORWICH)
    assert start_texts(client_request, "07700 900 611").location == CONFIRM
    [text] = codes_texted_to(sandbox, "07700 900 611")
    code = text["body"][:6]
    assert text["body"].startswith(f"{code} is your security code from Norwich City Council")
    assert "It expires in 15 minutes" in text["body"]
    assert text["reference"].startswith("confirm-number-")
    stored = reminder_row(app, resident_id)
    assert stored.confirmed_at is None and stored.code_digest and code not in stored.code_digest

    page = client_request.get(CONFIRM, host=NORWICH)
    assert page.h1.get_text(strip=True) == "Check your phone"
    assert "We have sent a text message with a security code to 07700 900 611." in page.get_text()
    field = page.select_one("input#code")
    assert field["autocomplete"] == "one-time-code" and field["inputmode"] == "numeric"
    assert page.select_one("label[for=code]").get_text(strip=True) == "Text message code"
    assert page.select_one("main a[href='/bin-days/yours/texts']").get_text(strip=True) == (
        "Change the mobile number"
    )
    assert page.select_one("button#new-code").get_text(strip=True) == "Send a new code"
    yours = client_request.get("/bin-days/yours", host=NORWICH)
    assert "We will not text it until you enter the security code" in yours.get_text()

    # Copied with a space in the middle, as phones show it.
    assert enter_code(client_request, f"{code[:3]} {code[3:]}").location == "/bin-days/yours#text-reminders"
    page = client_request.get("/bin-days/yours", host=NORWICH)
    banner = page.select_one(".govuk-notification-banner--success").get_text(" ", strip=True)
    assert (
        "Your mobile number is confirmed. We will text 07700 900 611 the day before each collection" in banner
    )
    assert "We text 07700 900 611 the day before each collection" in page.get_text()
    stored = reminder_row(app, resident_id)
    assert stored.confirmed_at is not None and stored.code_digest is None
    # The code has been used: the page is not offered again, and the same number needs no new code.
    assert client_request.get(CONFIRM, host=NORWICH, expected_status=302).location == (
        "/bin-days/yours#text-reminders"
    )
    assert start_texts(client_request, "07700 900 611").location == "/bin-days/yours#text-reminders"
    assert len(codes_texted_to(sandbox, "07700 900 611")) == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the security code from the text message"),
        ("12a456", "Enter the security code using only the numbers in the text message"),
        ("12345", "The security code has 6 numbers: enter all of them"),
        ("1234567", "The security code has 6 numbers: enter all of them"),
    ],
)
def test_a_code_that_cannot_be_one_is_explained_kept_and_not_counted(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
    typed,
    message,
):
    resident_id = sign_in(TOM, host=NORWICH)
    start_texts(client_request, "07700 900 612")
    page = client_request.check_page(enter_code(client_request, typed, expected_status=400))
    assert page.title.get_text().startswith("Error: ")
    assert message in page.select_one(".govuk-error-summary a[href='#code']").get_text(strip=True)
    assert message in page.select_one("#code-error").get_text()
    assert page.select_one("input#code").get("value", "") == typed
    assert reminder_row(app, resident_id).wrong_codes == 0


def test_wrong_codes_are_counted_and_after_five_only_a_new_code_will_do(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    resident_id = sign_in(TOM, host=NORWICH)
    start_texts(client_request, "07700 900 613")
    code = code_texted_to(sandbox, "07700 900 613")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for tries_left in (4, 3, 2, 1):
        page = client_request.check_page(enter_code(client_request, wrong, expected_status=400))
        expected = (
            "The security code is not right. Check the text message sent to 07700 900 613 and try again: "
            f"you have {tries_left} more {'try' if tries_left == 1 else 'tries'}"
        )
        assert expected in error_summary(page)
        assert page.select_one("input#code")["value"] == wrong
    page = client_request.check_page(enter_code(client_request, wrong, expected_status=400))
    assert "You have entered a wrong security code too many times" in error_summary(page)
    # Now even the right code is refused: it could have been guessed.
    page = client_request.check_page(enter_code(client_request, code, expected_status=400))
    assert "too many times" in error_summary(page)
    assert "no longer works" in page.select_one("main").get_text()
    assert reminder_row(app, resident_id).confirmed_at is None

    # A new code can be asked for at once, and it works.
    assert client_request.post_form(CONFIRM, {}, host=NORWICH, form_index=1).location == CONFIRM
    new_code = code_texted_to(sandbox, "07700 900 613")
    page = client_request.get(CONFIRM, host=NORWICH)
    assert (
        "We have sent a new security code to 07700 900 613."
        in page.select_one(".govuk-notification-banner--success").get_text()
    )
    enter_code(client_request, new_code)
    assert reminder_row(app, resident_id).confirmed_at is not None


def test_a_code_expires(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    resident_id = sign_in(TOM, host=NORWICH)
    start_texts(client_request, "07700 900 614")
    code = code_texted_to(sandbox, "07700 900 614")
    code_sent_ago(app, resident_id, minutes=15, seconds=1)
    page = client_request.check_page(enter_code(client_request, code, expected_status=400))
    assert "The security code has expired: a code works for 15 minutes" in error_summary(page)
    assert page.select_one("input#code")["value"] == code
    assert reminder_row(app, resident_id).confirmed_at is None

    minutes = app.config["TEXT_REMINDER_CODE_MINUTES"]
    app.config["TEXT_REMINDER_CODE_MINUTES"] = 30  # a deployment that gives longer
    try:
        assert enter_code(client_request, code).location == "/bin-days/yours#text-reminders"
    finally:
        app.config["TEXT_REMINDER_CODE_MINUTES"] = minutes


def test_a_new_code_waits_a_minute_replaces_the_old_one_and_is_rate_limited(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    resident_id = sign_in(TOM, host=NORWICH)
    limiter.reset()
    limit = app.config["TEXT_REMINDER_NUMBER_RATE_LIMIT"]
    app.config["TEXT_REMINDER_NUMBER_RATE_LIMIT"] = "2 per day"
    try:
        start_texts(client_request, "07700 900 615")
        first = code_texted_to(sandbox, "07700 900 615")

        response = client_request.post_form(CONFIRM, {}, host=NORWICH, form_index=1, expected_status=429)
        page = client_request.check_page(response)
        assert "Wait a minute before asking for a new code" in error_summary(page)
        assert page.select_one(".govuk-error-summary a[href='#new-code']")
        assert page.select_one("button#new-code")["aria-describedby"] == "new-code-error"
        assert len(codes_texted_to(sandbox, "07700 900 615")) == 1

        code_sent_ago(app, resident_id, seconds=61)
        assert client_request.post_form(CONFIRM, {}, host=NORWICH, form_index=1).location == CONFIRM
        second = code_texted_to(sandbox, "07700 900 615")
        code_sent_ago(app, resident_id, seconds=61)
        response = client_request.post_form(CONFIRM, {}, host=NORWICH, form_index=1, expected_status=429)
    finally:
        app.config["TEXT_REMINDER_NUMBER_RATE_LIMIT"] = limit
    assert "You have asked for too many security codes" in error_summary(client_request.check_page(response))
    assert len(codes_texted_to(sandbox, "07700 900 615")) == 2

    if first != second:  # one time in a million they are the same
        page = client_request.check_page(enter_code(client_request, first, expected_status=400))
        assert "The security code is not right" in error_summary(page)
    assert enter_code(client_request, second).location == "/bin-days/yours#text-reminders"


def test_when_notify_cannot_send_the_code_nothing_is_saved_and_the_number_is_kept(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    sign_in(TOM, host=NORWICH)
    sandbox.inject("notify", "error")
    response = client_request.post_form(
        "/bin-days/yours/texts", {"mobile_number": "07700 900 616"}, host=NORWICH, expected_status=503
    )
    sandbox.clear_faults()
    page = client_request.check_page(response)
    assert "We could not send a text to 07700 900 616 just now" in error_summary(page)
    assert page.select_one("input#mobile_number")["value"] == "07700 900 616"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BinTextReminder)) == 0


def test_an_unconfirmed_number_is_never_texted_a_reminder(
    app,
    client_request,
    sign_in,  # noqa: F811
    back_offices,  # noqa: F811
    sandbox,
):
    sign_in(TOM, host=NORWICH)
    start_texts(client_request, "07700 900 617")
    the_day_before, _ = the_day_before_a_collection(app, TOM.uprn)
    with app.app_context():
        assert reminders.send_due(today=the_day_before) == 0
    assert text_messages(app) == []

    # Confirmed, a reminder is queued; the number is then changed before it goes: the new number, not yet
    # confirmed, is not texted, and nor is the old one.
    enter_code(client_request, code_texted_to(sandbox, "07700 900 617"))
    with app.app_context():
        assert reminders.send_due(today=the_day_before) == 1
    start_texts(client_request, "07700 900 618")
    [message] = text_messages(app)
    [outcome] = deliver(app)
    assert outcome.outcome == "unconfirmed"
    assert texts_with(sandbox, message.payload["reference"]) == []
    assert [len(texts_to(sandbox, number)) for number in ("07700 900 617", "07700 900 618")] == [1, 1]
    assert all(
        text["template"]["id"] == CONFIRMATION_TEMPLATE_ID
        for number in ("07700 900 617", "07700 900 618")
        for text in texts_to(sandbox, number)
    )
