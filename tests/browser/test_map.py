"""The map on "where is the problem?" in Chromium: "use my location", a pin placed by clicking and one moved
with the keyboard, the messages for a refused or inaccurate location, the open reports nearby as markers and a
list, the shared accessibility checks (axe, focus on every stop, the keyboard's way through, 320 px); and the
postcode route with JavaScript off. Routing uses the sandbox boundaries, as `make seed` loads them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from app.backoffice import use_registry
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import PROJECT_ROOT, portal_with_own_sandbox
from tests.browser.test_accessibility import (
    _assert_fits_horizontally,
    assert_tab_reaches_everything_with_visible_focus,
)
from tests.browser.test_report_journey import answer_the_councils_questions, assert_accessible, choose

# The South Norfolk address nearest to a Norwich address (7 School Lane, Costessey NR8 5QH).
COSTESSEY = {"latitude": 52.64957, "longitude": 1.22679}
COSTESSEY_UPRN = "2630188331"
# 41 Unthank Road, Norwich: the sandbox's county back office has two open pothole reports within 200 metres.
UNTHANK_ROAD = {"latitude": 52.62681, "longitude": 1.27873}
UNTHANK_ROAD_POTHOLE = "Deep pothole in the nearside lane outside the shop, cyclists are swerving round it."
POTHOLE_ANSWERS = {"defect_type": "pothole", "location_on_road": "road", "depth": "shallow"}
BIN_ANSWERS = {"bin_type": "recycling", "put_out_by_7am": "yes"}


@pytest.fixture(scope="module")
def mapped_portal(tmp_path_factory, base_url) -> Iterator:
    if base_url:
        pytest.skip("routes with the sandbox boundaries and back offices, not a live deployment's")
    with portal_with_own_sandbox(tmp_path_factory, "maps", gazetteer=True, map_tiles=True) as portal:
        boundaries = PROJECT_ROOT / "sandbox" / "data" / "boundaries.geojson"
        result = portal.app.test_cli_runner().invoke(args=["boundaries", "import", str(boundaries)])
        assert result.exit_code == 0, result.output
        use_registry(portal.app, portal.sandbox.registry(portal.instance / "connector-cache"))
        yield portal
        use_registry(portal.app, None)


@pytest.fixture
def located(browser, browser_context_args):
    context = browser.new_context(
        **browser_context_args, permissions=["geolocation"], geolocation={**COSTESSEY, "accuracy": 10}
    )
    yield context.new_page()
    context.close()


def start(page, portal, kind: str) -> None:
    page.goto(portal.url("norwich", "/report"))
    page.get_by_label(kind).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/postcode")


def status(page):
    return page.locator("[data-map-status]")


def finish(page) -> str:
    """From the council's questions to the check page: the council named there."""
    if "/already-reported" in page.url:
        choose(page, "choice", "none")
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/question/**")
    answer_the_councils_questions(page, POTHOLE_ANSWERS | BIN_ANSWERS)
    page.locator("#description").fill("Found with the map")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/photo")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/email")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/check")
    return page.locator(".govuk-summary-list").inner_text()


def test_use_my_location_sends_a_pothole_to_the_county_and_a_missed_bin_to_south_norfolk(
    mapped_portal, located
):
    page = located
    start(page, mapped_portal, "Pothole")
    page.get_by_role("link", name="describe the place instead").click()
    page.wait_for_url("**/place")
    page.get_by_role("button", name="Use my location").click()
    expect(status(page)).to_contain_text("deals with")
    assert "Norfolk County Council deals with this there." in status(page).inner_text()
    assert "7 School Lane" in status(page).inner_text()
    assert page.locator("#latitude").input_value() == "52.649570"
    assert page.locator("#longitude").input_value() == "1.226790"
    assert_accessible(page)
    page.locator("#description").fill("By the school gate")
    page.get_by_role("button", name="Continue").click()
    assert "Norfolk County Council" in finish(page)

    start(page, mapped_portal, "Missed bin")
    page.get_by_role("button", name="Use my location").click()
    expect(status(page)).to_contain_text("deals with")
    assert "South Norfolk Council deals with this there." in status(page).inner_text()
    assert page.locator("#postcode").input_value() == "NR8 5QH"
    page.get_by_role("button", name="Find address").click()
    page.wait_for_url("**/address")
    page.locator(f"input[value='{COSTESSEY_UPRN}']").check()
    page.get_by_role("button", name="Continue").click()
    summary = finish(page)
    assert "South Norfolk Council" in summary and "Norwich" not in summary


def test_a_clicked_pin_and_a_keyboard_moved_pin_fill_the_position(mapped_portal, page):
    start(page, mapped_portal, "Pothole")
    page.goto(page.url.replace("/postcode", "/place"))
    canvas = page.locator("[data-map-canvas]")
    canvas.click(position={"x": 100, "y": 80})
    expect(status(page)).to_contain_text("The pin is")
    clicked = (page.locator("#latitude").input_value(), page.locator("#longitude").input_value())
    assert all(clicked)

    page.locator("#latitude").fill("")
    page.locator("#longitude").fill("")
    canvas.focus()
    page.keyboard.press("Enter")  # the pin goes to the middle of the map, and has the focus
    assert page.evaluate("document.activeElement.classList.contains('portal-map__pin')")
    centre = page.evaluate(
        "(() => { const r = document.activeElement.getBoundingClientRect(); return r.x; })()"
    )
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    moved = page.evaluate(
        "(() => { const r = document.activeElement.getBoundingClientRect(); return r.x; })()"
    )
    assert moved - centre == pytest.approx(30, abs=1)
    assert page.locator("#latitude").input_value() == ""  # not used until Enter
    page.keyboard.press("Enter")
    expect(page.locator("#longitude")).not_to_have_value("")
    assert float(page.locator("#longitude").input_value()) != float(clicked[1])
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(page)


@pytest.mark.parametrize(
    ("permissions", "accuracy", "message"),
    [
        ([], 10, "this browser was not allowed to share it"),
        (["geolocation"], 500, "only known to within 500 metres"),
    ],
)
def test_a_refused_or_rough_location_says_so(
    mapped_portal, browser, browser_context_args, permissions, accuracy, message
):
    context = browser.new_context(
        **browser_context_args, permissions=permissions, geolocation={**COSTESSEY, "accuracy": accuracy}
    )
    page = context.new_page()
    start(page, mapped_portal, "Pothole")
    page.get_by_role("button", name="Use my location").click()
    expect(status(page)).to_contain_text(message)
    assert page.locator("#postcode").input_value() == ""
    context.close()


def test_a_point_over_the_border_names_the_council_to_contact(mapped_portal, browser, browser_context_args):
    lowestoft = {"latitude": 52.48781, "longitude": 1.73398}
    context = browser.new_context(
        **browser_context_args, permissions=["geolocation"], geolocation={**lowestoft, "accuracy": 10}
    )
    page = context.new_page()
    start(page, mapped_portal, "Missed bin")
    page.get_by_role("button", name="Use my location").click()
    expect(status(page)).to_contain_text("East Suffolk Council")
    context.close()


def test_the_postcode_route_works_without_javascript(mapped_portal, browser, browser_context_args):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    start(page, mapped_portal, "Missed bin")
    assert not page.locator("[data-map]").is_visible()
    page.locator("#postcode").fill("NR8 5QH")
    page.get_by_role("button", name="Find address").click()
    page.wait_for_url("**/address")
    assert page.locator(f"input[value='{COSTESSEY_UPRN}']").count() == 1
    context.close()


def located_at(browser, browser_context_args, where: dict):
    return browser.new_context(
        **browser_context_args, permissions=["geolocation"], geolocation={**where, "accuracy": 10}
    )


def markers(page):
    return page.locator(".portal-map__marker")


def test_open_reports_nearby_are_named_markers_and_a_list(mapped_portal, browser, browser_context_args):
    context = located_at(browser, browser_context_args, UNTHANK_ROAD)
    page = context.new_page()
    start(page, mapped_portal, "Pothole")
    page.goto(page.url.replace("/postcode", "/place"))
    expect(page.locator("[data-nearby] li")).to_have_count(0)
    page.get_by_role("button", name="Use my location").click()
    expect(status(page)).to_contain_text("2 open reports of this kind are near here")

    items = page.locator("[data-nearby] li[data-label]")
    expect(items).to_have_count(2)
    expect(markers(page)).to_have_count(2)
    labels = items.evaluate_all("items => items.map(item => item.dataset.label)")
    assert labels[0] == f"Open report 1: {UNTHANK_ROAD_POTHOLE}"
    for number, label in enumerate(labels, start=1):
        marker = page.get_by_role("button", name=label, exact=True)
        expect(marker).to_have_text(str(number))
        assert marker.is_visible(), "the map shows every report within 200 metres of its pin"
    first = page.get_by_role("button", name=labels[0], exact=True)
    first.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "nearby-report-1", "Enter goes to the list item"
    page.get_by_role("button", name=labels[1], exact=True).click()
    assert page.evaluate("document.activeElement.id") == "nearby-report-2", "so does a click"

    # The same reports are offered on "already reported?".
    page.locator("#description").fill("Outside number 41")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/already-reported")
    offered = page.locator(".govuk-radios__label").all_inner_texts()
    assert [text.strip() for text in offered[:-1]] == [label.split(": ", 1)[1] for label in labels]

    # Back on the map page, the map opens at the place with its pin, says where that is, and draws the list.
    page.go_back()
    page.wait_for_url("**/place")
    expect(markers(page)).to_have_count(2)
    expect(page.locator(".portal-map__pin")).to_have_count(1)
    expect(status(page)).to_contain_text("The pin is near 41 Unthank Road")
    assert page.locator("#description").input_value() == "Outside number 41"
    context.close()


def test_a_pin_somewhere_else_lists_what_is_open_there(mapped_portal, browser, browser_context_args):
    context = located_at(browser, browser_context_args, UNTHANK_ROAD)
    page = context.new_page()
    start(page, mapped_portal, "Pothole")
    page.get_by_role("button", name="Use my location").click()
    expect(markers(page)).to_have_count(2)
    # The postcode page fills the postcode; a pin dragged far away lists what is open there instead.
    assert page.locator("#postcode").input_value() == "NR2 2PE"
    page.evaluate("window.scrollTo(0, 0)")
    canvas = page.locator("[data-map-canvas]")
    box = canvas.bounding_box()
    canvas.click(position={"x": 10, "y": box["height"] - 10})
    expect(status(page)).to_contain_text("No open reports of this kind are near here.")
    expect(markers(page)).to_have_count(0)
    expect(page.locator("[data-nearby]")).to_contain_text("no open reports of this kind within 200 metres")
    context.close()


def test_a_back_office_that_cannot_list_says_so_on_the_map_page(mapped_portal, browser, browser_context_args):
    # Ten metres from where the other tests asked, so no answer the connector cached for them stands in.
    context = located_at(browser, browser_context_args, {**UNTHANK_ROAD, "latitude": 52.62690})
    page = context.new_page()
    start(page, mapped_portal, "Pothole")
    mapped_portal.sandbox.inject("open311", "down", council="norfolk")
    try:
        page.get_by_role("button", name="Use my location").click()
        expect(status(page)).to_contain_text("We cannot show reports already made near here")
        assert "Norfolk County Council deals with this there." in status(page).inner_text()
        expect(markers(page)).to_have_count(0)
        expect(page.locator("[data-nearby]")).to_contain_text("the council's system is not answering")
    finally:
        mapped_portal.sandbox.clear_faults()
    context.close()


@pytest.mark.parametrize("step", ["postcode", "place"])
def test_the_map_page_passes_the_shared_accessibility_checks(
    mapped_portal, browser, browser_context_args, step
):
    """With JavaScript on and the open reports near the pin drawn: axe, visible focus on every Tab stop, the
    keyboard reaching the map, each marker and the button that carries on, and no sideways scrolling at 320
    CSS pixels."""
    context = located_at(browser, browser_context_args, UNTHANK_ROAD)
    page = context.new_page()
    start(page, mapped_portal, "Pothole")
    page.goto(page.url.replace("/postcode", f"/{step}"))
    page.get_by_role("button", name="Use my location").click()
    expect(markers(page)).to_have_count(2)
    page.mouse.move(0, 0)  # no hover styles on whatever the pointer was left over
    assert_no_axe_violations(page)
    assert_tab_reaches_everything_with_visible_focus(page)

    reached = []
    page.locator("[data-locate]").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "(() => { const e = document.activeElement;"
                " return e.getAttribute('aria-label') || e.innerText.trim() || e.className; })()"
            )
        )
        if reached[-1] in ("Continue", "Find address"):
            break
    assert "Map" in reached, reached
    for label in page.locator("[data-nearby] li[data-label]").evaluate_all(
        "items => items.map(item => item.dataset.label)"
    ):
        assert label in reached, f"Tab never reached the marker {label!r}: {reached}"
    assert reached[-1] in ("Continue", "Find address"), reached

    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 720})
        _assert_fits_horizontally(page, f"{step} at {width}px")
    assert_no_axe_violations(page)
    context.close()


def test_an_answer_for_an_earlier_place_of_the_pin_is_not_used(mapped_portal, browser, browser_context_args):
    context = located_at(browser, browser_context_args, UNTHANK_ROAD)
    page = context.new_page()
    start(page, mapped_portal, "Pothole")
    held = []

    def hold_the_first(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/where?**", hold_the_first)
    page.locator("[data-map-canvas]").click(position={"x": 200, "y": 150})  # somewhere in Norfolk
    page.get_by_role("button", name="Use my location").click()
    expect(status(page)).to_contain_text("The pin is near 41 Unthank Road")
    expect(markers(page)).to_have_count(2)
    with page.expect_response("**/where?**") as late:
        held[0].continue_()
    assert late.value.ok
    page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 100)))")
    assert "The pin is near 41 Unthank Road" in status(page).inner_text()
    assert markers(page).count() == 2
    assert page.locator("#postcode").input_value() == "NR2 2PE"
    context.close()
