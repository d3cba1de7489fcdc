"""Postcodes, address lookup and routing (app/postcodes.py, app/address_lookup.py, app/routing.py), the
gazetteer import (app/gazetteer_import.py), and the address chooser pages."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app import address_lookup, address_problems, council_services, gazetteer_import, postcodes, routing
from app.council_services import CouncilService
from app.extensions import db
from app.models.gazetteer import GazetteerAddress
from app.reports.types import REPORT_TYPES
from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.gazetteer import GAZETTEER_CSV
from tests.browser.test_find_your_council import COUNCIL_NAMES, COUNTY, HOMES

TOM = next(resident for resident in DEMO_RESIDENTS if resident.given_name == "Tom")
DISTRICT_SLUGS = {
    "E07000145": "great-yarmouth",
    "E07000147": "north-norfolk",
    "E07000148": "norwich",
    "E07000149": "south-norfolk",
}


def sandbox_rows() -> list[dict[str, str]]:
    with GAZETTEER_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def a_postcode_in(town: str) -> str:
    return next(row["postcode"] for row in sandbox_rows() if row["town"] == town)


@pytest.fixture
def request_context(app):
    """Messages are translated into the request's language, so these tests run inside a request."""
    with app.test_request_context("/", headers={"Host": "norwich.localhost"}):
        yield app


@pytest.fixture
def gazetteer(request_context):
    summary = gazetteer_import.import_rows(sandbox_rows())
    assert summary.added > 600 and not summary.rejected
    return request_context


# --- postcodes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "postcode"), [("nr22pe", "NR2 2PE"), (" NR1  2DH ", "NR1 2DH"), ("pe301ab", "PE30 1AB")]
)
def test_postcodes_are_normalised(typed, postcode):
    assert postcodes.normalise_postcode(typed) == postcode


def test_an_empty_postcode_asks_for_one(request_context):
    with pytest.raises(address_problems.InvalidPostcode, match="^Enter a postcode$"):
        postcodes.normalise_postcode("   ")


@pytest.mark.parametrize("typed", ["NR1", "12345", "NR1 2D", "NR1 2DHX", "NRR 1AB", "<b>NR1</b>"])
def test_something_that_cannot_be_a_postcode_gets_an_example(request_context, typed):
    with pytest.raises(address_problems.InvalidPostcode, match="^Enter a real postcode, like NR1 2DH$"):
        postcodes.normalise_postcode(typed)


# --- addresses ------------------------------------------------------------------------------------


def test_addresses_at_a_postcode_come_in_reading_order(gazetteer):
    found = address_lookup.addresses_for_postcode("nr2 2pe")
    assert [address.lines[0] for address in found] == [
        "37 Unthank Road",
        "39 Unthank Road",
        "41 Unthank Road",
        "43 Unthank Road",
        "45 Unthank Road",
    ]
    tom = next(address for address in found if address.uprn == TOM.uprn)
    assert (tom.postcode, tom.town, tom.lad_gss) == ("NR2 2PE", "Norwich", "E07000148")


def test_every_demo_resident_is_in_the_gazetteer_exactly_as_the_sandbox_says(gazetteer):
    for resident in DEMO_RESIDENTS:
        address = address_lookup.address_for_uprn(resident.uprn)
        assert (address.lines[0], address.town) == resident.address
        assert (address.postcode, address.lad_gss) == (resident.postcode, resident.district_gss)


def test_an_unknown_postcode_says_so(gazetteer):
    with pytest.raises(address_problems.UnknownPostcode) as raised:
        address_lookup.addresses_for_postcode("NR99 9ZZ")
    assert (
        raised.value.message == "We could not find any addresses for NR99 9ZZ. Check the postcode is right."
    )


@pytest.mark.parametrize(
    ("town", "council"),
    [
        ("Lowestoft", "East Suffolk Council"),
        ("Brandon", "West Suffolk Council"),
        ("Wisbech", "Fenland District Council"),
    ],
)
def test_a_postcode_outside_norfolk_names_the_council_to_contact(gazetteer, town, council):
    postcode = a_postcode_in(town)
    with pytest.raises(address_problems.OutsideNorfolk) as raised:
        address_lookup.addresses_for_postcode(postcode)
    assert (
        raised.value.message
        == f"{postcode} is not in Norfolk: it is looked after by {council}. Contact them instead."
    )
    assert raised.value.contact_website.startswith("https://")


@pytest.mark.parametrize("uprn", ["999999999999", "not-a-uprn", "", "1234567890123"])
def test_a_uprn_not_in_the_gazetteer_says_to_search_by_postcode(gazetteer, uprn):
    with pytest.raises(address_problems.UnknownUprn, match="Search for it by its postcode"):
        address_lookup.address_for_uprn(uprn)


# --- routing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("resident", DEMO_RESIDENTS, ids=lambda resident: resident.given_name)
def test_district_services_go_to_the_district_and_county_services_to_the_county(gazetteer, resident):
    for service in council_services.DISTRICT_SERVICES:
        routed = routing.council_for(service, uprn=resident.uprn)
        assert (routed.council, routed.gss_code) == (
            DISTRICT_SLUGS[resident.district_gss],
            resident.district_gss,
        )
        assert routed.located_by == "uprn"
    for service in council_services.COUNTY_SERVICES:
        routed = routing.council_for(service, uprn=resident.uprn)
        assert (routed.council, routed.council_name) == ("norfolk", "Norfolk County Council")


def test_report_types_route_by_their_service(gazetteer):
    routed = {
        report_type.slug: routing.council_for(report_type.service, uprn=TOM.uprn).council
        for report_type in REPORT_TYPES
    }
    assert routed == {
        "missed-bin": "norwich",
        "fly-tipping": "norwich",
        "abandoned-vehicle": "norwich",
        "pothole": "norfolk",
        "street-light": "norfolk",
    }


def test_coordinates_are_routed_by_the_nearest_gazetteer_address(gazetteer):
    routed = routing.council_for(CouncilService.FLY_TIPPING, latitude=52.6269, longitude=1.2789)
    assert routed.council == "norwich" and routed.located_by == "nearest_address"
    assert routed.address.postcode == "NR2 2PE" and routed.distance_m < 50
    assert routing.council_for("highways", latitude=52.6269, longitude=1.2789).council == "norfolk"


def test_coordinates_far_from_any_address_are_not_routed(gazetteer):
    with pytest.raises(address_problems.UnknownPlace, match="could not tell which council"):
        routing.council_for(CouncilService.HIGHWAYS, latitude=52.90, longitude=2.50)  # the North Sea


def test_coordinates_over_the_border_name_the_district_or_county_to_contact(gazetteer):
    lowestoft = next(row for row in sandbox_rows() if row["town"] == "Lowestoft")
    place = {"latitude": float(lowestoft["latitude"]), "longitude": float(lowestoft["longitude"])}
    with pytest.raises(address_problems.OutsideNorfolk, match="East Suffolk Council"):
        routing.council_for(CouncilService.FLY_TIPPING, **place)
    with pytest.raises(address_problems.OutsideNorfolk, match="Suffolk County Council"):
        routing.council_for(CouncilService.HIGHWAYS, **place)


# --- importing ------------------------------------------------------------------------------------


def test_the_import_command_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["gazetteer", "import", str(GAZETTEER_CSV)])
    assert first.exit_code == 0 and "0 updated, 0 unchanged, 0 rejected" in first.output
    second = runner.invoke(args=["gazetteer", "import", str(GAZETTEER_CSV)])
    assert second.exit_code == 0 and "0 added, 0 updated" in second.output and "0 rejected" in second.output
    with app.app_context():
        assert db.session.query(GazetteerAddress).count() == len(sandbox_rows())


def test_addressbase_plus_columns_are_understood(app, tmp_path: Path):
    export = tmp_path / "addressbase.csv"
    export.write_text(
        "UPRN,ORGANISATION_NAME,SUB_BUILDING_NAME,BUILDING_NAME,BUILDING_NUMBER,THOROUGHFARE,POST_TOWN,"
        "POSTCODE,LATITUDE,LONGITUDE,LOCAL_CUSTODIAN_CODE\n"
        "100091000001,,FLAT 2,ST ANDREWS HOUSE,,ST ANDREWS STREET,NORWICH,NR2 4AD,52.6301,1.2912,2625\n"
        "100091000002,,,,12,ST ANDREWS STREET,NORWICH,nr24ad,52.6302,1.2913,2625\n"
        "not-a-uprn,,,,1,HIGH STREET,NORWICH,NR2 4AD,52.63,1.29,2625\n"
        "100091000003,,,,14,ST ANDREWS STREET,NORWICH,NR2 4AD,52.63,1.29,9999\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["gazetteer", "import", str(export)])
    assert "2 added" in result.output and "2 rejected" in result.output
    assert (
        "line 4: UPRN 'not-a-uprn'" in result.output
        and "line 5: no local authority GSS code" in result.output
    )
    with app.app_context():
        flat = address_lookup.address_for_uprn("100091000001")
        assert flat.lines == ("FLAT 2", "ST ANDREWS HOUSE", "ST ANDREWS STREET")
        assert (flat.town, flat.postcode, flat.lad_gss) == ("Norwich", "NR2 4AD", "E07000148")
        assert address_lookup.address_for_uprn("100091000002").lines == ("12 ST ANDREWS STREET",)


def test_llpg_style_columns_are_understood(app, tmp_path: Path):
    export = tmp_path / "llpg.csv"
    export.write_text(
        "UPRN,SAO_TEXT,PAO_START_NUMBER,PAO_START_SUFFIX,PAO_TEXT,STREET_DESCRIPTION,TOWN_NAME,POSTCODE_LOCATOR,"
        "LATITUDE,LONGITUDE,LAD_GSS\n"
        "2630999001,Annexe,7,A,,Orchard Way,Wymondham,NR18 0SX,52.5712,1.1125,E07000149\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["gazetteer", "import", str(export)])
    assert "1 added" in result.output, result.output
    with app.app_context():
        assert address_lookup.address_for_uprn("2630999001").lines == ("Annexe", "7A Orchard Way")


def sandbox_row(uprn: str) -> dict[str, str]:
    return next(row for row in sandbox_rows() if row["uprn"] == uprn)


# National Grid references for two sandbox addresses, worked out from their latitude/longitude by the other
# direction of OS's "A guide to coordinate systems in Great Britain" (Helmert ETRS89 -> OSGB36, then the
# Annex C.1 projection), rounded to 0.1 m as NLPG DTF 7.3 and AddressBase exports write them.
UNTHANK_ROAD_41 = ("100090912345", 622001.2, 308275.1)  # Tom's home, Norwich
WHERRY_ROAD_1 = ("100090288778", 652965.8, 307132.4)  # Great Yarmouth


def test_llpg_national_grid_coordinates_are_converted_to_latitude_and_longitude(app, tmp_path: Path):
    uprn, easting, northing = UNTHANK_ROAD_41
    export = tmp_path / "dtf73.csv"
    export.write_text(
        "UPRN,PAO_START_NUMBER,STREET_DESCRIPTION,TOWN_NAME,POSTCODE_LOCATOR,X_COORDINATE,Y_COORDINATE,"
        "LOCAL_CUSTODIAN_CODE\n"
        f"{uprn},41,UNTHANK ROAD,NORWICH,NR2 2PE,{easting},{northing},2625\n"
        "2630999101,1,HIGH STREET,NORWICH,NR2 2PE,six hundred,308275.1,2625\n"
        "2630999102,2,HIGH STREET,NORWICH,NR2 2PE,622001.2,,2625\n"
        "2630999103,3,HIGH STREET,NORWICH,NR2 2PE,722001.2,308275.1,2625\n"
        "2630999104,4,HIGH STREET,NORWICH,NR2 2PE,0.00,0.00,2625\n"
        "2630999105,5,HIGH STREET,NORWICH,NR2 2PE,700000,1300000,2625\n"
        "2630999106,6,HIGH STREET,NORWICH,NR2 2PE,,,2625\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["gazetteer", "import", str(export)])
    assert "2 added" in result.output and "5 rejected" in result.output, result.output
    grid_error = "eastings and northings must be numbers on the British National Grid"
    assert f"line 3: {grid_error}, not 'six hundred' and '308275.1'" in result.output
    assert f"line 4: {grid_error}, not '622001.2' and ''" in result.output
    assert f"line 5: {grid_error}, not '722001.2' and '308275.1'" in result.output
    assert "line 6: easting 0 and northing 0 is not a place" in result.output
    assert "line 7: easting 700000 and northing 1300000 are not in Great Britain" in result.output

    sandbox = sandbox_row(uprn)
    with app.test_request_context("/", headers={"Host": "norwich.localhost"}):
        home = address_lookup.address_for_uprn(uprn)
        assert home.lines == ("41 UNTHANK ROAD",) and home.lad_gss == "E07000148"
        assert home.distance_m(float(sandbox["latitude"]), float(sandbox["longitude"])) < 5
        assert (round(home.latitude, 6), round(home.longitude, 6)) == (home.latitude, home.longitude)
        # The point of having coordinates: a place near the home now routes by it (the dashboard's planning
        # and street-report tiles need them too). A row with no coordinates still imports, without them.
        routed = routing.council_for("highways", latitude=52.6269, longitude=1.2789)
        assert routed.address.uprn == uprn and routed.council == "norfolk"
        assert address_lookup.address_for_uprn("2630999106").latitude is None


def test_addressbase_eastings_and_northings_are_understood_and_latitude_longitude_win(app, tmp_path: Path):
    yarmouth_uprn, easting, northing = WHERRY_ROAD_1
    tom_uprn, tom_easting, tom_northing = UNTHANK_ROAD_41
    a_km_east = tom_easting + 1000
    export = tmp_path / "addressbase-core.csv"
    export.write_text(
        "UPRN,BUILDING_NUMBER,THOROUGHFARE,POST_TOWN,POSTCODE,EASTING,NORTHING,LATITUDE,LONGITUDE,"
        "LOCAL_CUSTODIAN_CODE\n"
        f"{yarmouth_uprn},1,WHERRY ROAD,GREAT YARMOUTH,NR30 1NT,{easting},{northing},,,2615\n"
        # Both given (and disagreeing by a kilometre): the latitude and longitude are used as they are.
        f"{tom_uprn},41,UNTHANK ROAD,NORWICH,NR2 2PE,{a_km_east},{tom_northing},52.62681,1.27873,2625\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["gazetteer", "import", str(export)])
    assert "2 added" in result.output and "0 rejected" in result.output, result.output
    sandbox = sandbox_row(yarmouth_uprn)
    with app.app_context():
        yarmouth = address_lookup.address_for_uprn(yarmouth_uprn)
        assert yarmouth.distance_m(float(sandbox["latitude"]), float(sandbox["longitude"])) < 5
        assert yarmouth.lad_gss == "E07000145"
        tom = address_lookup.address_for_uprn(tom_uprn)
        assert (tom.latitude, tom.longitude) == (52.62681, 1.27873)


def test_the_import_help_names_the_coordinate_columns(app):
    result = app.test_cli_runner().invoke(args=["gazetteer", "import", "--help"])
    assert "X_COORDINATE/Y_COORDINATE" in result.output and "EASTING/NORTHING" in result.output


def test_a_file_with_no_usable_rows_fails_with_advice(app, tmp_path: Path):
    export = tmp_path / "wrong.csv"
    export.write_text("id,street\n1,High Street\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["gazetteer", "import", str(export)])
    assert result.exit_code != 0 and "check the column names" in result.output


# --- the address chooser pages --------------------------------------------------------------------


def error_summary(page) -> list[tuple[str, str]]:
    return [(link.get_text(strip=True), link["href"]) for link in page.select(".govuk-error-summary a")]


def test_the_postcode_page_asks_one_question(gazetteer, client_request):
    page = client_request.get("/find-your-council/", host="breckland.localhost")
    assert page.select_one("h1 label[for=postcode]").get_text(strip=True) == "What is the postcode?"
    assert page.select_one("input#postcode")["autocomplete"] == "postal-code"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a postcode"),
        ("NR1", "Enter a real postcode, like NR1 2DH"),
        ("NR99 9ZZ", "We could not find any addresses for NR99 9ZZ. Check the postcode is right."),
    ],
)
def test_a_wrong_postcode_is_explained_and_kept(gazetteer, client_request, typed, message):
    page = client_request.post_form(
        "/find-your-council/", {"postcode": typed}, host="norwich.localhost", expected_status=200
    )
    assert error_summary(page) == [(message, "#postcode")]
    assert page.select_one("input#postcode").get("value", "") == typed
    assert page.title.string.startswith("Error: ")


def test_a_postcode_outside_norfolk_says_who_to_contact(gazetteer, client_request):
    postcode = a_postcode_in("Wisbech")
    page = client_request.post_form("/find-your-council/", {"postcode": postcode}, expected_status=200)
    assert "looked after by Fenland District Council" in error_summary(page)[0][0]


def test_choosing_an_address_shows_who_does_what_there(gazetteer, client_request):
    response = client_request.post_form(
        "/find-your-council/", {"postcode": "nr2 2pe"}, host="norfolk.localhost"
    )
    assert response.location.endswith("/find-your-council/address?postcode=NR2+2PE")

    page = client_request.get("/find-your-council/address?postcode=NR2+2PE", host="norfolk.localhost")
    options = [option.get_text(strip=True) for option in page.select("select#uprn option")]
    assert options[0] == "5 addresses found" and "41 Unthank Road" in options

    response = client_request.post_form(
        "/find-your-council/address?postcode=NR2+2PE", {"uprn": TOM.uprn}, host="norfolk.localhost"
    )
    page = client_request.get(response.location, host="norfolk.localhost")
    rows = {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(strip=True)
        for row in page.select(".govuk-summary-list__row")
    }
    assert rows["Bins and recycling"] == "Norwich City Council"
    assert rows["Roads, pavements and potholes"] == "Norfolk County Council"


@pytest.mark.database_independent
@pytest.mark.parametrize("slug", HOMES)
def test_every_councils_site_finds_the_councils_at_an_address_it_serves(gazetteer, client_request, slug):
    """The browser walks find your council in a few themes (tests/browser/test_find_your_council.py); here
    each council's own site answers for the home that walk uses there: its district empties the bins."""
    home, host = HOMES[slug], f"{slug}.localhost"
    typed = home.postcode.lower().replace(" ", "")
    response = client_request.post_form("/find-your-council/", {"postcode": typed}, host=host)
    page = client_request.get(response.location, host=host)
    assert home.uprn in [option.get("value") for option in page.select("select#uprn option")]

    response = client_request.post_form(response.location, {"uprn": home.uprn}, host=host)
    assert response.location.endswith(f"/find-your-council/{home.uprn}")
    page = client_request.get(response.location, host=host)
    assert home.first_line in page.select_one("main .govuk-body-l").get_text()
    rows = {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(strip=True)
        for row in page.select(".govuk-summary-list__row")
    }
    assert rows["Bins and recycling"] == rows["Council tax"] == COUNCIL_NAMES[home.district_gss]
    assert rows["Roads, pavements and potholes"] == rows["Social care"] == COUNTY.name


def test_choosing_nothing_asks_to_select_an_address(gazetteer, client_request):
    page = client_request.post_form(
        "/find-your-council/address?postcode=NR2+2PE", {"uprn": ""}, expected_status=200
    )
    assert error_summary(page) == [("Select your address", "#uprn")]


def test_an_address_not_at_the_postcode_is_refused(gazetteer, client_request):
    page = client_request.post_form(
        "/find-your-council/address?postcode=NR2+2PE", {"uprn": "2630112001"}, expected_status=200
    )
    assert error_summary(page) == [("Select an address from the list", "#uprn")]


def test_an_edited_postcode_in_the_address_page_url_goes_back_to_the_question(gazetteer, client_request):
    page = client_request.get("/find-your-council/address?postcode=NOPE", expected_status=400)
    assert error_summary(page) == [("Enter a real postcode, like NR1 2DH", "#postcode")]


def test_an_unknown_uprn_page_explains(gazetteer, client_request):
    page = client_request.get("/find-your-council/999999999999", expected_status=404)
    assert "Search for it by its postcode" in page.get_text()
