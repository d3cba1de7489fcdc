"""Where a report goes: the council is decided from the place and the kind of report, whatever council's site
it was made on; places outside Norfolk get a hand-off; open reports nearby are offered before a duplicate."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.reports import FollowedRequest, MailboxMessage, ReportStatus
from sandbox.gazetteer import GAZETTEER_CSV
from tests.integration.reports.conftest import deliver_all, gazetteer_home, reports

pytestmark = pytest.mark.database_independent

MARGARET = gazetteer_home("100090201117")  # 7 Marine Parade, Great Yarmouth
TOM = gazetteer_home("100090912345")  # 41 Unthank Road, Norwich: open pothole reports nearby
BIN_ANSWERS = {"bin_type": "recycling", "put_out_by_7am": "yes"}


def test_a_guest_on_great_yarmouth_reports_a_missed_bin_and_a_pothole(journey, back_offices, app_context):
    bin_walk = journey("great-yarmouth.localhost").start("missed-bin")
    bin_walk.answer({"postcode": "nr302en"})
    assert bin_walk.at("address")
    bin_walk.answer({"uprn": MARGARET.uprn})
    bin_walk.answer_questions(BIN_ANSWERS)
    bin_walk.answer({"description": ""})  # optional for a missed bin
    bin_walk.answer({})
    bin_walk.answer({"email": "margaret.guest@example.com"})
    bin_walk.send()

    pothole = journey("great-yarmouth.localhost").start("pothole")
    pothole.answer({"postcode": "NR30 2EN"})
    pothole.answer({"uprn": MARGARET.uprn})
    if pothole.at("already-reported"):
        pothole.answer({"choice": "none"})
    pothole.answer_questions({"defect_type": "pothole", "location_on_road": "road", "depth": "shallow"})
    pothole.answer({"description": "In the road outside number 7"})
    pothole.answer({})
    pothole.answer({"email": "margaret.guest@example.com"})
    pothole.send()

    deliver_all()
    bin_report, pothole_report = reports()
    assert bin_report.reference != pothole_report.reference
    assert (bin_report.council_slug, bin_report.status) == ("great-yarmouth", ReportStatus.SENT)
    assert (pothole_report.council_slug, pothole_report.status) == ("norfolk", ReportStatus.SENT)

    at_great_yarmouth = (
        back_offices.street_reports("great-yarmouth").request(bin_report.service_request_id).value
    )
    assert at_great_yarmouth.service_code == "missed_bin"
    assert at_great_yarmouth.address_id == MARGARET.uprn
    assert bin_report.reference in at_great_yarmouth.description
    at_county = back_offices.street_reports("norfolk").request(pothole_report.service_request_id).value
    assert pothole_report.reference in at_county.description

    assert "sent to Great Yarmouth Borough Council" in bin_walk.page().get_text()
    assert "sent to Norfolk County Council" in pothole.page().get_text()
    subjects = sorted(message.subject for message in db.session.scalars(select(MailboxMessage)))
    assert subjects == sorted(
        [
            f"Your report to Great Yarmouth Borough Council: {bin_report.reference}",
            f"Your report to Norfolk County Council: {pothole_report.reference}",
        ]
    )


def test_the_council_follows_the_place_not_the_site(journey, back_offices, app_context):
    walk = journey("breckland.localhost").start("missed-bin")
    walk.answer({"postcode": MARGARET.postcode})
    walk.answer({"uprn": MARGARET.uprn})
    walk.answer_questions(BIN_ANSWERS)
    walk.answer({"description": ""})
    walk.answer({})
    walk.answer({"email": ""})
    page = walk.page()
    assert "Great Yarmouth Borough Council" in page.select_one(".govuk-summary-list").get_text()
    walk.send()
    assert reports()[0].council_slug == "great-yarmouth"
    assert reports()[0].made_on == "breckland"


def test_a_postcode_outside_norfolk_gets_a_hand_off_naming_who_to_contact(journey, back_offices, app_context):
    walk = journey("west-norfolk.localhost").start("missed-bin")
    walk.answer({"postcode": "CB8 0RD"})
    assert walk.at("outside-norfolk")
    page = walk.page()
    assert "West Suffolk Council" in page.get_text()
    assert page.select_one("a[href='https://www.westsuffolk.gov.uk']")


def test_an_unknown_postcode_is_explained_on_the_postcode_page(journey, back_offices, app_context):
    walk = journey().start("missed-bin")
    page = walk.answer({"postcode": "NR99 9ZZ"}, expected_status=200)
    [link] = page.select(".govuk-error-summary a")
    assert "We could not find any addresses for NR99 9ZZ" in link.get_text()
    assert link["href"] == "#postcode"


def test_the_maps_text_names_the_street_of_a_flat_not_the_flat(
    client_request, journey, back_offices, app_context
):
    flat = gazetteer_home("2605239807")  # Flat 1, 52 Hall Lane, Swaffham
    walk = journey("norwich.localhost").start("pothole")
    response = client_request.get(
        f"/report/{walk.token}/where",
        host=walk.host,
        query_string={"latitude": f"{flat.latitude:.6f}", "longitude": f"{flat.longitude:.6f}"},
    )
    answer = response.get_json()
    assert answer["street"] == "Hall Lane"
    assert answer["description"].endswith(", on Hall Lane.")
    tom = client_request.get(
        f"/report/{walk.token}/where",
        host=walk.host,
        query_string={"latitude": f"{TOM.latitude:.6f}", "longitude": f"{TOM.longitude:.6f}"},
    ).get_json()
    assert tom["street"] == "Unthank Road"


def test_coordinates_route_a_street_report_to_the_district_there(journey, back_offices, app_context):
    walk = journey("norfolk.localhost").start("fly-tipping")
    walk.go("place")
    walk.answer(
        {
            "description": "Behind the beach shelter",
            "latitude": str(MARGARET.latitude + 0.0004),
            "longitude": str(MARGARET.longitude),
        }
    )
    assert not walk.at("area")
    walk.answer_questions({"waste_type": "household", "amount": "bag", "hazardous": "no"})
    walk.answer({"description": "Two bags"})
    walk.answer({})
    walk.answer({"email": ""})
    assert "Great Yarmouth Borough Council" in walk.page().select_one(".govuk-summary-list").get_text()


def test_open_reports_nearby_can_be_followed_instead_of_sending_a_duplicate(
    journey, back_offices, app_context
):
    walk = journey("norwich.localhost").start("pothole")
    walk.answer({"postcode": TOM.postcode})
    walk.answer({"uprn": TOM.uprn})
    assert walk.at("already-reported")
    page = walk.page()
    offered = [label.get_text(strip=True) for label in page.select(".govuk-radios__label")]
    assert "Deep pothole in the nearside lane outside the shop, cyclists are swerving round it." in offered
    assert offered[-1] == "No, mine is a different problem"

    chosen = page.select(".govuk-radios__input")[0]["value"]
    walk.answer({"choice": chosen})
    assert f"/following/{chosen}" in walk.path
    following = walk.page()
    assert "already been reported" in following.h1.get_text()
    progress = following.select_one(f"main a[href$='/{chosen}']")
    assert progress is not None and "/norfolk/" in progress["href"]
    assert reports() == []
    [followed] = db.session.scalars(select(FollowedRequest)).all()
    assert (followed.council_slug, followed.service_request_id) == ("norfolk", chosen)


def test_saying_it_is_a_different_problem_carries_on(journey, back_offices, app_context):
    walk = journey("norwich.localhost").start("pothole")
    walk.answer({"postcode": TOM.postcode})
    walk.answer({"uprn": TOM.uprn})
    page = walk.answer({}, expected_status=200)
    assert page.select_one(".govuk-error-summary a")["href"] == "#choice"
    walk.answer({"choice": "none"})
    assert "/question/" in walk.path


def test_a_pothole_by_a_trunk_road_is_handed_to_national_highways(journey, back_offices, app, app_context):
    roads = GAZETTEER_CSV.with_name("trunk_roads.geojson")
    assert app.test_cli_runner().invoke(args=["boundaries", "import-roads", str(roads)]).exit_code == 0
    # The sandbox A47 ends at 52.61, 1.72 in Great Yarmouth; 10 m east of that is on its verge.
    walk = journey("norwich.localhost").start("pothole")
    walk.go("place")
    walk.answer({"description": "On the roundabout", "latitude": "52.61", "longitude": "1.72015"})
    assert walk.at("outside-norfolk")
    page = walk.page()
    assert "National Highways looks after this road" in page.select_one("h1").get_text()
    assert (
        "The A11 there is a trunk road" in page.get_text()
        or "The A47 there is a trunk road" in page.get_text()
    )
    assert page.select_one("a[href='https://nationalhighways.co.uk/contact-us/']")
