""" "Delete my portal data" leaves nothing behind: a resident makes every kind of personal data the portal
holds, deletes it, and no table has their id, email address, name, home address or anything they wrote.
Their ids are never given to the next resident, and their tracking links say the report is gone."""

import io
import json

from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models.identity import LinkedCouncilAccount, Resident, personal_data_sources
from app.models.reports import FollowedRequest, Report
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.conftest import ClientRequest
from tests.integration.reports.conftest import Journey
from tests.integration.tracking.conftest import (
    HOST,
    PRIYA,
    council_changes,
    link_in,
    resident_called,
    sign_in,
)

TOM = DEMO_RESIDENTS[1]
POTHOLE_ANSWERS = {"defect_type": "pothole", "location_on_road": "road", "depth": "deep"}
# What Priya writes, each findable wherever it is kept.
PLACE = "Layby opposite Quixotic Farm"
DESCRIPTION = "Zanzibar-shaped crater by the gate"
COMMENT = "Still there, now a Jacuzzi-sized pool"
FEEDBACK = "Quietly brilliant, thanks Wobbegong"
DRAFT = "Half-typed Xylophone Lane"


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "grey").save(buffer, "JPEG")
    return buffer.getvalue()


def _every_row() -> dict[str, list[dict]]:
    db.session.expire_all()
    return {
        table.name: [dict(row) for row in db.session.execute(select(table)).mappings()]
        for table in db.metadata.sorted_tables
    }


def _as_text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _makes_everything(app, portal, priya, sandbox) -> dict:
    """Priya reports a pothole with a photo (an acknowledgement email, a tracking link), leaves another
    report half done, comments with a photo, gives feedback, follows someone else's report, is emailed about
    a change, has a guest report made with her email, links her council tax account and sets her home."""
    visitor = ClientRequest(priya.client)
    walk = Journey(visitor, HOST).start("pothole")
    walk.go("place")
    walk.answer({"description": PLACE})
    walk.answer_questions(POTHOLE_ANSWERS)
    walk.answer({"description": DESCRIPTION})
    walk.answer(
        {"photo": (io.BytesIO(_jpeg()), "IMG_0001.JPG")}, form_index=-1, content_type="multipart/form-data"
    )
    walk.send()
    walk.answer({"rating": "satisfied", "comment": FEEDBACK})
    portal.deliver()

    half_done = Journey(visitor, HOST).start("pothole")
    half_done.go("place")
    half_done.answer({"description": DRAFT})

    [acknowledgement] = portal.mailbox(PRIYA.email)
    tracking_link = link_in(acknowledgement.body, "/report/track/")
    mine = portal(
        lambda: db.session.scalars(select(Report.reference).where(Report.resident_id.isnot(None))).one()
    )
    case_path = f"/requests/{mine}"
    visitor.post_form(
        f"{case_path}/comment",
        {"text": COMMENT, "photo": (io.BytesIO(_jpeg()), "hole.jpg")},
        host=HOST,
        content_type="multipart/form-data",
    )
    portal.deliver()

    others = portal.sent_pothole("someone.else@example.com")
    visitor.post_form(f"/requests/report/norfolk/{others.service_request_id}", {}, host=HOST)
    council_changes(sandbox, others.service_request_id, status="closed", description="Crew filled it.")
    portal.poll()
    portal.deliver()
    guest_report = portal.sent_pothole(PRIYA.email)  # as a guest, with her email, outside her home

    def outside_her_home():
        report = db.session.get(Report, guest_report.id)
        report.address = ", ".join(PRIYA.address)
        [message] = report.messages
        message.payload = {
            **message.payload,
            "request": {**message.payload["request"], "address_string": report.address},
        }
        db.session.commit()

    portal(outside_her_home)

    def at_home_following_a_nearby_report():
        resident = resident_called(PRIYA.email)
        resident.home_uprn = PRIYA.uprn
        db.session.add(
            FollowedRequest(council_slug="norfolk", service_request_id="NEARBY-1", resident_id=resident.id)
        )
        db.session.commit()
        return resident.id

    resident_id = portal(at_home_following_a_nearby_report)
    visitor.post_form(
        "/account/council-tax/link",
        {
            "council": "south-norfolk",
            "reference": PRIYA.council_tax_reference,
            "postcode": PRIYA.postcode,
            "surname": PRIYA.family_name,
        },
        host=HOST,
    )
    portal.deliver()  # the council is told, with the link that undoes it
    assert portal(lambda: db.session.scalars(select(LinkedCouncilAccount)).one().property_uprn) == PRIYA.uprn
    assert priya.portal("/account/your-data.json").status_code == 200
    return {"resident_id": resident_id, "tracking_link": tracking_link}


def test_deleting_my_data_leaves_nothing_behind(app, portal, priya, sandbox):
    made = _makes_everything(app, portal, priya, sandbox)
    needles = [
        PRIYA.email,
        PRIYA.given_name,
        PRIYA.family_name,
        PRIYA.address[0],
        PRIYA.uprn,
        PRIYA.council_tax_reference,
        PLACE,
        DESCRIPTION,
        COMMENT,
        FEEDBACK,
        DRAFT,
        f"resident:{made['resident_id']}",
    ]
    before = portal(_every_row)
    everywhere = json.dumps(before, default=_as_text)
    for needle in needles:
        assert needle.lower() in everywhere.lower(), f"the test made no {needle!r}"
    assert before["report_photos"] and before["tracking_subscriptions"] and before["dev_mailbox"]
    assert any(row["kind"] == "council_tax_link_notice" for row in before["outbox_messages"])

    ClientRequest(priya.client).post_form("/account/delete", {}, host=HOST)
    portal.deliver()

    after = portal(_every_row)
    for table, rows in after.items():
        for row in rows:
            for column, value in row.items():
                if value is None:
                    continue
                if column == "resident_id" or (table == "residents" and column == "id"):
                    assert value != made["resident_id"], (table, row)
                found = _as_text(value).lower()
                for needle in needles:
                    assert needle.lower() not in found, (table, column, needle)
    assert after["report_photos"] == []
    assert after["residents"] == []
    assert all(row["resident_id"] is None for row in after["portal_sessions"])  # only the signed-out browser
    assert all(
        row["event"] != "signed_in" or row["actor"].startswith("erased:") for row in after["audit_events"]
    )

    gone = ClientRequest(app.test_client()).get(made["tracking_link"], host=HOST, expected_status=410)
    assert gone.h1.get_text(strip=True) == "This report is no longer available"

    # The next resident gets a new id, and nothing of Priya's.
    sign_in(app, TOM)
    assert portal(lambda: resident_called(TOM.email).id) > made["resident_id"]


def test_a_deleted_residents_id_is_never_given_again(app_context):
    first = Resident(issuer="https://idp.example", subject="first", email="first@example.com")
    db.session.add(first)
    db.session.commit()
    first_id = first.id
    db.session.delete(first)
    db.session.commit()
    second = Resident(issuer="https://idp.example", subject="second", email="second@example.com")
    db.session.add(second)
    db.session.commit()
    assert second.id > first_id


def test_what_the_back_offices_said_about_the_resident_is_forgotten(app, back_offices):
    def asked(wanted) -> set[str]:
        """Each cached question: its URL and, for a search by email, its body."""
        return {
            f"{response.url} {response.request.body!r}" for response in back_offices.cached_answers(wanted)
        }

    with app.app_context():
        priya = Resident(issuer="https://idp.example", subject="priya", email=PRIYA.email)
        priya.linked_accounts.append(
            LinkedCouncilAccount(
                service="council-tax",
                council_gss=PRIYA.district_gss,
                account_reference=PRIYA.council_tax_reference,
            )
        )
        db.session.add(priya)
        db.session.commit()
        back_offices.cases("south-norfolk").cases_for_email(PRIYA.email.upper())
        back_offices.council_tax("south-norfolk").account(PRIYA.council_tax_reference)
        back_offices.council_tax("south-norfolk").bills(PRIYA.council_tax_reference)
        back_offices.cases("south-norfolk").cases_for_email(TOM.email)
        assert len(asked(lambda url, body: True)) == 4

        [source] = [
            source for source in personal_data_sources if source.name == "answers_kept_from_council_systems"
        ]
        assert len(source.export(priya)) == 3
        source.delete(priya)

        [kept] = asked(lambda url, body: True)
        assert "tom" in kept.lower()
