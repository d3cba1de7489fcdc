"""Signed-in residents get their address and email filled in and see what they paid for in My requests; a
guest who signs in later with the same verified email can claim their bookings; the data is exported and
erased with the rest of the resident's."""

from sqlalchemy import select

from app.extensions import db
from app.models.identity import Resident
from app.models.waste import WasteOrder
from app.waste.personal_data import export_orders, forget_resident_in_orders
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.waste.conftest import Checkout, order

PRIYA = DEMO_RESIDENTS[0]  # South Norfolk


def _home(app, uprn: str) -> None:
    with app.app_context():
        resident = db.session.scalars(select(Resident)).one()
        resident.home_uprn = uprn
        db.session.commit()


def test_a_signed_in_resident_starts_at_the_items_with_their_address_and_email(
    app, back_offices, with_sandbox_idp, visitor, client_request, pay
):
    visitor.host = "south-norfolk.localhost"
    assert visitor.sign_in_at_sandbox(PRIYA).status_code == 302
    _home(app, PRIYA.uprn)
    journey = Checkout(client_request).start("bulky")

    assert journey.at("items"), "the address is their home"
    journey.answer({"item-mattress": "1"})
    day = journey.page().select("input[name=collection_date]")[0]["value"]
    journey.answer({"collection_date": day})
    journey.answer({"location": "Front garden"})
    contact = journey.page()
    assert contact.select_one("input[name=email]")["value"] == PRIYA.email
    journey.answer({"email": PRIYA.email, "phone": "01632 960002"})
    journey.come_back(pay.pay(journey.pay_button()))

    with app.app_context():
        booked = order()
        assert booked.resident_id is not None and booked.uprn == PRIYA.uprn
        reference = booked.reference
    requests_page = client_request.get("/requests", host="south-norfolk.localhost")
    assert reference in requests_page.select_one("#payments").find_next("table").text


def test_a_guest_who_signs_in_with_the_same_email_claims_their_bookings(
    app, back_offices, with_sandbox_idp, visitor, client_request, pay
):
    journey = Checkout(client_request).start("bulky").address()
    journey.answer({"item-sofa": "1"})
    journey.answer({"collection_date": journey.page().select("input[name=collection_date]")[0]["value"]})
    journey.answer({"location": "Drive"})
    journey.answer({"email": PRIYA.email.upper(), "phone": "01632 960002"})
    journey.come_back(pay.pay(journey.pay_button()))
    visitor.host = "south-norfolk.localhost"
    assert visitor.sign_in_at_sandbox(PRIYA).status_code == 302

    mine = client_request.get("/requests", host="south-norfolk.localhost")
    assert "You paid for 1 booking without signing in" in mine.text
    client_request.post_form(
        "/requests", {}, host="south-norfolk.localhost", form_index=len(mine.select("main form")) - 1
    )

    with app.app_context():
        claimed = order()
        resident = db.session.scalars(select(Resident)).one()
        assert claimed.resident_id == resident.id
        exported = export_orders(resident)
        assert [entry["reference"] for entry in exported] == [claimed.reference]
        assert exported[0]["phone"] == "01632 960002"
        forget_resident_in_orders(resident)
        db.session.commit()
        kept = db.session.scalars(select(WasteOrder)).one()
        assert (kept.resident_id, kept.email, kept.phone) == (None, None, None)
        assert kept.amount_pence and kept.payment_id, "the council's finance record stays"
