"""Open reports nearby on "where is it?": the map page lists them (with their positions, which the map's
script draws as markers) for the pin's place and, without JavaScript, for the place the journey already has;
the list is the one "already reported?" offers; a back office that cannot say gives a message, and the
journey goes on."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from tests.integration.reports.conftest import gazetteer_home

pytestmark = pytest.mark.database_independent

TOM = gazetteer_home("100090912345")  # 41 Unthank Road, Norwich: two open pothole reports within 200 metres
MARGARET = gazetteer_home("100090201117")  # 7 Marine Parade, Great Yarmouth: none
OPEN_NEAR_TOM = {"NCC-000001", "NCC-000002"}
UNTHANK_ROAD_POTHOLE = "Deep pothole in the nearside lane outside the shop, cyclists are swerving round it."


def listed(page) -> list:
    return page.select("[data-nearby] li[data-label]")


def where(client_request, walk, latitude: float, longitude: float) -> dict:
    response = client_request.get(
        f"/report/{walk.token}/where",
        host=walk.host,
        query_string={"latitude": f"{latitude:.6f}", "longitude": f"{longitude:.6f}"},
    )
    return json.loads(response.get_data(as_text=True))


def offered_on_already_reported(walk) -> set[str]:
    page = walk.page()
    return {radio["value"] for radio in page.select(".govuk-radios__input")} - {"none"}


def test_coming_back_to_the_map_page_lists_the_open_reports_near_the_place_without_javascript(
    journey, back_offices, app_context
):
    walk = journey("norwich.localhost").start("pothole")
    walk.answer({"postcode": TOM.postcode})
    walk.answer({"uprn": TOM.uprn})
    assert walk.at("already-reported")
    offered = offered_on_already_reported(walk)
    assert offered == OPEN_NEAR_TOM

    walk.go("postcode")
    page = walk.page()
    items = listed(page)
    assert len(items) == 2
    assert items[0]["data-label"] == f"Open report 1: {UNTHANK_ROAD_POTHOLE}"
    assert UNTHANK_ROAD_POTHOLE in items[0].get_text()
    assert "Unthank Road, Norwich" in items[0].get_text() and "Reported" in items[0].get_text()
    for item in items:  # every one has the position the back office gave, for its marker
        latitude, longitude = float(item["data-latitude"]), float(item["data-longitude"])
        assert abs(latitude - TOM.latitude) < 0.002 and abs(longitude - TOM.longitude) < 0.002
    assert page.select_one("[data-nearby] h2").get_text(strip=True) == "Already reported near here?"


def test_the_pins_place_lists_what_already_reported_will_offer(
    client_request, journey, back_offices, app_context
):
    walk = journey("norwich.localhost").start("pothole")
    answer = where(client_request, walk, TOM.latitude, TOM.longitude)
    assert answer["council"] == "Norfolk County Council"
    assert answer["nearby_says"] == (
        "2 open reports of this kind are near here: they are on the map and listed below it."
    )
    items = BeautifulSoup(answer["nearby"], "html.parser").select("li[data-label]")
    labels = [item["data-label"] for item in items]
    assert labels[0] == f"Open report 1: {UNTHANK_ROAD_POTHOLE}" and len(labels) == 2
    assert all(item.get("data-latitude") and item.get("data-longitude") for item in items)

    walk.go("place")
    walk.answer(
        {"description": "Outside number 41", "latitude": f"{TOM.latitude}", "longitude": f"{TOM.longitude}"}
    )
    assert walk.at("already-reported")
    offered_page = walk.page()
    offered = [label.get_text(strip=True) for label in offered_page.select(".govuk-radios__label")]
    assert offered[:-1] == [item.select_one("span").get_text(strip=True) for item in items]


def test_a_place_with_nothing_open_nearby_says_so(client_request, journey, back_offices, app_context):
    walk = journey("great-yarmouth.localhost").start("pothole")
    answer = where(client_request, walk, MARGARET.latitude, MARGARET.longitude)
    assert answer["nearby_says"] == "No open reports of this kind are near here."
    assert "There are no open reports of this kind within 200 metres." in answer["nearby"]
    assert "data-label" not in answer["nearby"]


def test_a_missed_bin_is_at_a_home_and_lists_nothing(client_request, journey, back_offices, app_context):
    walk = journey("norwich.localhost").start("missed-bin")
    answer = where(client_request, walk, TOM.latitude, TOM.longitude)
    assert "nearby" not in answer and "nearby_says" not in answer
    walk.answer({"postcode": TOM.postcode})
    walk.answer({"uprn": TOM.uprn})
    walk.go("postcode")
    assert walk.page().select_one("[data-nearby]") is None


def test_a_back_office_that_cannot_list_gives_a_message_and_the_journey_goes_on(
    client_request, journey, back_offices, reports_sandbox, app_context
):
    reports_sandbox.inject("open311", "error", council="norfolk")
    walk = journey("norwich.localhost").start("pothole")
    answer = where(client_request, walk, TOM.latitude, TOM.longitude)
    assert answer["council"] == "Norfolk County Council", "the pin still says who deals with it"
    assert answer["nearby_says"] == "We cannot show reports already made near here at the moment."
    assert "the council's system is not answering" in answer["nearby"]
    assert "data-label" not in answer["nearby"]

    walk.answer({"postcode": TOM.postcode})
    walk.answer({"uprn": TOM.uprn})
    assert not walk.at("already-reported"), "nothing to offer: the journey goes on"
    banner = walk.page().select_one(".govuk-notification-banner")
    assert banner is not None and (
        "We could not check for reports already made near there, because Norfolk County Council's system is "
        "not answering. You can still report the problem."
    ) in " ".join(banner.get_text().split())
    assert walk.page().select_one(".govuk-notification-banner") is None, "said once"
    walk.go("postcode")
    page = walk.page()
    assert not listed(page)
    assert "the council's system is not answering" in page.select_one("[data-nearby]").get_text()
