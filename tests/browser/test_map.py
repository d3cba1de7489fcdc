"""The map on "where is the problem?" in Chromium: "use my location", a pin placed by clicking and one moved
with the keyboard, the messages for a refused or inaccurate location, 320 px and axe; and the postcode route
with JavaScript off. Routing uses the sandbox boundaries, as `make seed` loads them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from app.backoffice import use_registry
from tests.browser.conftest import PROJECT_ROOT, portal_with_own_sandbox
from tests.browser.test_report_journey import answer_the_councils_questions, assert_accessible, choose

# The South Norfolk address nearest to a Norwich address (7 School Lane, Costessey NR8 5QH).
COSTESSEY = {"latitude": 52.64957, "longitude": 1.22679}
COSTESSEY_UPRN = "2630188331"
POTHOLE_ANSWERS = {"defect_type": "pothole", "location_on_road": "road", "depth": "shallow"}
BIN_ANSWERS = {"bin_type": "recycling", "put_out_by_7am": "yes"}


@pytest.fixture(scope="module")
def mapped_portal(tmp_path_factory, sandbox, base_url) -> Iterator:
    if base_url:
        pytest.skip("routes with the sandbox boundaries and back offices, not a live deployment's")
    tiles = f"{sandbox.url}/tiles/{{z}}/{{x}}/{{y}}.png"
    with portal_with_own_sandbox(tmp_path_factory, "maps", gazetteer=True, MAP_TILE_URL=tiles) as portal:
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
