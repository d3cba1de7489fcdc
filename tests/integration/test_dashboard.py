"""The dashboard against the sandbox's back offices over real HTTP: every tile from the right council, in
every theme, and honest when a back office is slow, down or broken."""

import dataclasses
from urllib.parse import unquote

import pytest
from sqlalchemy import event

from app import gazetteer_import
from app.backoffice import use_registry
from app.extensions import db
from app.models.identity import LinkedCouncilAccount, Resident
from app.theming import themes
from connectors.breaker import InProcessBreakerStore
from connectors.http import make_cache
from connectors.models import ServiceKind
from connectors.registry import ConnectorRegistry
from sandbox.demo_residents import DEMO_RESIDENTS
from tests.integration.conftest import GAZETTEER
from tests.support.calls_out import calls_out

pytestmark = pytest.mark.database_independent

PRIYA, TOM, MARGARET, DAVID = DEMO_RESIDENTS
TILES = ("bins", "council_tax", "planning", "street_reports", "cases")
HOSTS = [
    f"{slug}.localhost"
    for slug in (
        "norfolk",
        "breckland",
        "broadland",
        "great-yarmouth",
        "west-norfolk",
        "north-norfolk",
        "norwich",
        "south-norfolk",
    )
]


def tile(page, name):
    section = page.select_one(f"#tile-{name}")
    assert section is not None, name
    return section


def state(page, name):
    return tile(page, name).select_one("[data-tile-state]")["data-tile-state"]


def test_dashboard_needs_signing_in(client):
    response = client.get("/dashboard", headers={"Host": "norwich.localhost"})
    assert response.status_code == 302
    assert response.location.startswith("/sign-in")


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("demo", DEMO_RESIDENTS, ids=lambda demo: demo.given_name)
def test_every_demo_resident_sees_their_district_s_data_on_every_domain(
    app, sign_in, client_request, back_offices, host, demo
):
    sign_in(demo, host=host, council_tax=True)
    page = client_request.get("/dashboard", host=host)
    for name in ("bins", "council_tax", "planning", "street_reports", "cases"):
        assert state(page, name) == "loaded", (name, tile(page, name).get_text(" ", strip=True))
        assert tile(page, name).select_one("h2"), "a heading per tile"
        assert tile(page, name).select_one("[aria-live=polite]")
    with app.app_context():
        district = themes().by_gss_code(demo.district_gss).name
    assert f"From {district}" in tile(page, "bins").get_text()
    assert f"From {district}" in tile(page, "council_tax").get_text()
    assert "Norfolk County Council" in tile(page, "street_reports").get_text()
    bins = tile(page, "bins")
    assert bins.select(".govuk-summary-list__row"), "a next date per bin type"
    assert bins.select_one("a[href='/dashboard/bin-collections.ics']")
    assert "Balance" in tile(page, "council_tax").get_text()
    assert page.select_one("script[src*='htmx.min.js']")
    assert page.select_one("meta[name=htmx-config]")


def test_council_tax_needs_verification_and_offers_the_step_up_route(
    app, client, sign_in, client_request, back_offices
):
    sign_in(TOM, host="norwich.localhost")
    page = client_request.get("/dashboard", host="norwich.localhost")
    council_tax = tile(page, "council_tax")
    assert state(page, "council_tax") == "not_applicable"
    assert "Balance" not in council_tax.get_text()
    assert council_tax.select_one("a[href^='/account/council-tax/link']")


def test_cases_come_from_every_council_by_verified_email(app, client, sign_in, client_request, back_offices):
    sign_in(MARGARET, host="norfolk.localhost")
    page = client_request.get("/dashboard", host="norfolk.localhost")
    cases = tile(page, "cases")
    assert state(page, "cases") == "loaded"
    assert "Great Yarmouth Borough Council" in cases.get_text(), cases.get_text(" ", strip=True)
    case_links = [link["href"] for link in cases.select("a[href^='/requests/']")]
    assert case_links, "each case links to its case page"
    case_page = client_request.get(case_links[0], host="norfolk.localhost")
    assert case_page.h1
    assert cases.select_one("a[href='/requests']")


def test_the_calendar_has_the_same_dates_as_the_tile(app, client, sign_in, client_request, back_offices):
    sign_in(PRIYA, host="south-norfolk.localhost")
    page = client_request.get("/dashboard", host="south-norfolk.localhost")
    response = client.get("/dashboard/bin-collections.ics", headers={"Host": "south-norfolk.localhost"})
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    starts = {line.split(":")[1] for line in body.split("\r\n") if line.startswith("DTSTART")}
    shown = tile(page, "bins").select(".govuk-summary-list__value")
    assert shown and len(starts) >= len(shown)
    assert body.count("BEGIN:VEVENT") == body.count("UID:") == body.count("DTSTAMP:")


def test_a_resident_without_a_home_address_is_asked_for_one_first(
    app, client, sign_in, client_request, back_offices
):
    resident_id = sign_in(DAVID, host="north-norfolk.localhost", home=False)
    response = client.get("/dashboard", headers={"Host": "north-norfolk.localhost"})
    assert response.location == "/dashboard/home-address"
    page = client_request.post_form(
        "/dashboard/home-address",
        {"postcode": "not one"},
        host="north-norfolk.localhost",
        expected_status=200,
    )
    summary = page.select_one(".govuk-error-summary")
    assert "Enter a real postcode, like NR1 2DH" in summary.get_text()
    assert summary.select_one("a")["href"] == "#postcode"
    assert page.select_one("input[name=postcode]")["value"] == "not one", "what they typed is kept"
    response = client_request.post_form(
        "/dashboard/home-address", {"postcode": "nr27 9es"}, host="north-norfolk.localhost"
    )
    assert response.location == "/dashboard/home-address/select?postcode=NR27+9ES"
    page = client_request.post_form(
        response.location, {}, host="north-norfolk.localhost", expected_status=200
    )
    assert "Select your address" in page.select_one(".govuk-error-summary").get_text()
    assert page.h1.text == "Select your home address"
    response = client_request.post_form(
        response.location, {"uprn": DAVID.uprn}, host="north-norfolk.localhost"
    )
    assert response.location == "/dashboard"
    with app.app_context():
        assert db.session.get(Resident, resident_id).home_uprn == DAVID.uprn
    page = client_request.get("/dashboard", host="north-norfolk.localhost")
    assert "From North Norfolk District Council" in tile(page, "bins").get_text()


def test_a_back_office_that_is_down_makes_its_tile_unavailable_and_leaves_the_rest(
    app, client, sign_in, client_request, back_offices, sandbox
):
    sign_in(TOM, host="norwich.localhost", council_tax=True)
    sandbox.inject("bins", "down", council="norwich")
    page = client_request.get("/dashboard", host="norwich.localhost")
    assert state(page, "bins") == "unavailable"
    text = tile(page, "bins").get_text(" ", strip=True)
    assert "Norwich City Council" in text and "0" in text  # says who to call, with the number
    for name in ("council_tax", "planning", "street_reports", "cases"):
        assert state(page, name) == "loaded", name


def test_a_back_office_that_fails_after_answering_once_shows_stale_data_with_its_age(
    app, sign_in, client_request, sandbox, tmp_path
):
    connectors = sandbox.registry(tmp_path / "cache")
    connectors.deployment.defaults["ttl"] = 0  # every page asks the back offices again
    use_registry(app, connectors)
    with app.app_context():
        gazetteer_import.import_file(GAZETTEER)
    try:
        sign_in(TOM, host="norwich.localhost", council_tax=True)
        page = client_request.get("/dashboard", host="norwich.localhost")
        assert state(page, "planning") == "loaded"
        sandbox.inject("planning", "malformed", council="norwich")
        page = client_request.get("/dashboard", host="norwich.localhost")
    finally:
        use_registry(app, None)
    planning = tile(page, "planning")
    assert state(page, "planning") == "stale", planning.get_text(" ", strip=True)
    notice = planning.select_one(".govuk-warning-text")
    assert "may be out of date" in notice.get_text() and "Warning" in notice.get_text()
    assert "Unthank Road" in planning.get_text(), "the last known applications are still shown"
    assert state(page, "bins") == "loaded"


def test_a_hung_back_office_does_not_hold_the_page_past_its_budget(
    app, sign_in, client_request, sandbox, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "DASHBOARD_BUDGET_SECONDS", 0.5)
    with app.app_context():
        gazetteer_import.import_file(GAZETTEER)
    sign_in(PRIYA, host="south-norfolk.localhost")

    def back_offices(cache):
        connectors = sandbox.registry(tmp_path / cache)
        connectors.deployment.defaults["ttl"] = 0  # every page asks the back offices again
        use_registry(app, connectors)

    try:
        back_offices("cache")
        page = client_request.get("/dashboard", host="south-norfolk.localhost")
        assert state(page, "planning") == "loaded"
        sandbox.inject("planning", "slow", delay=2.0, council="south-norfolk")

        # Had the page waited for planning it would be loaded: it shows what it had, with its age.
        page = client_request.get("/dashboard", host="south-norfolk.localhost")
        planning = tile(page, "planning")
        assert state(page, "planning") == "stale", planning.get_text(" ", strip=True)
        assert "may be out of date" in planning.select_one(".govuk-warning-text").get_text()
        assert not planning.select_one("[hx-get]"), "without JavaScript the page is complete"
        assert state(page, "bins") == "loaded"

        back_offices("empty")
        page = client_request.get("/dashboard", host="south-norfolk.localhost")
        assert state(page, "planning") == "unavailable"
        assert state(page, "bins") == "loaded"
    finally:
        use_registry(app, None)


def test_a_tile_fragment_is_the_same_partial_and_a_plain_request_gets_the_page(
    app, client, sign_in, client_request, back_offices
):
    sign_in(PRIYA, host="south-norfolk.localhost")
    response = client.get(
        "/dashboard/tiles/bins", headers={"Host": "south-norfolk.localhost", "HX-Request": "true"}
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and 'data-tile-state="loaded"' in fragment
    response = client.get("/dashboard/tiles/bins", headers={"Host": "south-norfolk.localhost"})
    assert response.status_code == 302 and response.location == "/dashboard#tile-bins"
    response = client.get(
        "/dashboard/tiles/nonsense", headers={"Host": "south-norfolk.localhost", "HX-Request": "true"}
    )
    assert response.status_code == 404


def test_the_back_offices_are_asked_without_a_database_connection_held(
    app, client, sign_in, client_request, back_offices
):
    """A page may wait for its back offices up to its budget: meanwhile other requests need the connection."""
    sign_in(PRIYA, host="south-norfolk.localhost", council_tax=True)
    with calls_out() as calls:
        client_request.get("/dashboard", host="south-norfolk.localhost")
        fragment = client.get(
            "/dashboard/tiles/planning", headers={"Host": "south-norfolk.localhost", "HX-Request": "true"}
        )
        calendar = client.get("/dashboard/bin-collections.ics", headers={"Host": "south-norfolk.localhost"})
    assert fragment.status_code == calendar.status_code == 200
    assert len(calls) >= len(TILES)
    assert [call for call in calls if call.holding_connection] == []


def runs_javascript(client, host):
    client.set_cookie("portal_javascript", "1", domain=host)


def test_with_javascript_the_shell_comes_first_asking_no_back_office(
    app, client, sign_in, client_request, back_offices, sandbox
):
    sign_in(PRIYA, host="south-norfolk.localhost")
    for service in ("open311", "bins", "council_tax", "planning", "cases"):
        sandbox.inject(service, "down")  # a back office asked would turn its tile unavailable at once
    runs_javascript(client, "south-norfolk.localhost")

    page = client_request.get("/dashboard", host="south-norfolk.localhost")

    for name in ("bins", "planning", "street_reports", "cases"):
        assert state(page, name) == "loading", name
        body = tile(page, name).select_one(".portal-tile__body")
        assert body["hx-get"] == f"/dashboard/tiles/{name}" and body["hx-trigger"] == "load"
        assert body["aria-live"] == "polite"
        assert "Loading" in body.get_text() and "longer than usual" not in body.get_text()
        fallback = body.select_one("noscript")
        assert "Show the whole page without JavaScript" in fallback.decode_contents()
    assert state(page, "council_tax") == "not_applicable", "no council tax account linked: nothing to load"
    fragment = client.get(
        "/dashboard/tiles/bins", headers={"Host": "south-norfolk.localhost", "HX-Request": "true"}
    )
    assert 'data-tile-state="unavailable"' in fragment.get_data(as_text=True)


def test_the_shell_shows_at_once_what_the_connectors_already_hold(
    app, client, sign_in, client_request, back_offices
):
    resident_id = sign_in(PRIYA, host="south-norfolk.localhost")
    client_request.get("/dashboard", host="south-norfolk.localhost")  # without JavaScript: every tile fetched
    with app.app_context():
        db.session.add(
            LinkedCouncilAccount(
                resident_id=resident_id,
                service="council-tax",
                council_gss=PRIYA.district_gss,
                account_reference=PRIYA.council_tax_reference,
            )
        )
        db.session.commit()
    runs_javascript(client, "south-norfolk.localhost")

    page = client_request.get("/dashboard", host="south-norfolk.localhost")

    assert state(page, "bins") == "loaded"
    assert not tile(page, "bins").select_one(".portal-tile__body").has_attr("hx-get")
    assert state(page, "council_tax") == "loading", "linked since: not yet asked"


def test_a_browser_that_stopped_running_javascript_can_ask_for_the_whole_page(
    app, client, sign_in, client_request, back_offices
):
    sign_in(PRIYA, host="south-norfolk.localhost")
    runs_javascript(client, "south-norfolk.localhost")
    response = client.get("/dashboard?javascript=off", headers={"Host": "south-norfolk.localhost"})
    assert response.status_code == 200
    assert 'data-tile-state="loaded"' in response.get_data(as_text=True)
    assert any(
        header.startswith("portal_javascript=;") and "Expires=Thu, 01 Jan 1970" in header
        for header in response.headers.getlist("Set-Cookie")
    )
    assert client.get_cookie("portal_javascript", domain="south-norfolk.localhost") is None


def registry_with_own_planning_office(sandbox, planning_office, cache_dir):
    deployment = sandbox.deployment()
    sections = dict(deployment.sections)
    planning = ("south-norfolk", ServiceKind.PLANNING)
    sections[planning] = {
        **sections[planning],
        "base_url": sections[planning]["base_url"].replace(sandbox.url, planning_office.url),
    }
    deployment = dataclasses.replace(
        deployment, sections=sections, defaults={**deployment.defaults, "ttl": 0, "retries": 0}
    )
    return ConnectorRegistry(
        deployment,
        cache=make_cache(cache_dir),
        breakers=InProcessBreakerStore(),
        environ={"PORTAL_SANDBOX_API_KEY": sandbox.api_key},
    )


def test_stopping_one_back_office_turns_its_tile_stale_or_unavailable_and_leaves_the_rest(
    app, sign_in, client_request, sandbox, stoppable_sandbox, tmp_path
):
    """South Norfolk's planning back office runs on a sandbox of its own, so that it alone can be stopped."""
    planning_office = stoppable_sandbox
    with app.app_context():
        gazetteer_import.import_file(GAZETTEER)
    sign_in(PRIYA, host="south-norfolk.localhost", council_tax=True)
    use_registry(app, registry_with_own_planning_office(sandbox, planning_office, tmp_path / "cache"))
    try:
        page = client_request.get("/dashboard", host="south-norfolk.localhost")
        assert [state(page, name) for name in TILES] == ["loaded"] * len(TILES)
        shown = tile(page, "planning").select_one(".portal-tile__list").get_text(" ", strip=True)

        planning_office.stop()
        page = client_request.get("/dashboard", host="south-norfolk.localhost")
        planning = tile(page, "planning")
        assert state(page, "planning") == "stale", planning.get_text(" ", strip=True)
        assert "may be out of date" in planning.select_one(".govuk-warning-text").get_text()
        assert shown in planning.get_text(" ", strip=True), "the last known applications are still shown"
        assert [state(page, name) for name in TILES if name != "planning"] == ["loaded"] * (len(TILES) - 1)

        # Nothing cached (say, after a restart): unavailable, with South Norfolk's number.
        use_registry(app, registry_with_own_planning_office(sandbox, planning_office, tmp_path / "empty"))
        page = client_request.get("/dashboard", host="south-norfolk.localhost")
        planning = tile(page, "planning").get_text(" ", strip=True)
        assert state(page, "planning") == "unavailable"
        assert "South Norfolk Council" in planning and "01632 960177" in planning
        assert [state(page, name) for name in TILES if name != "planning"] == ["loaded"] * (len(TILES) - 1)
    finally:
        use_registry(app, None)


def test_a_fragment_asked_for_after_the_session_ended_moves_the_whole_page_to_sign_in(client):
    response = client.get(
        "/dashboard/tiles/bins",
        headers={
            "Host": "south-norfolk.localhost",
            "HX-Request": "true",
            "HX-Current-URL": "http://south-norfolk.localhost/dashboard",
        },
    )
    assert response.status_code == 200 and not response.get_data()
    assert unquote(response.headers["HX-Redirect"]) == "/sign-in?next=/dashboard", (
        "back to the page afterwards"
    )
    response = client.get("/dashboard/tiles/bins", headers={"Host": "south-norfolk.localhost"})
    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_a_fragment_for_a_resident_without_a_home_address_moves_the_whole_page_to_the_dashboard(
    client, sign_in, back_offices
):
    sign_in(PRIYA, host="south-norfolk.localhost", home=False)
    response = client.get(
        "/dashboard/tiles/bins", headers={"Host": "south-norfolk.localhost", "HX-Request": "true"}
    )
    assert response.status_code == 200 and not response.get_data()
    assert response.headers["HX-Redirect"] == "/dashboard"


def test_planning_near_home_links_to_comment_while_comments_are_open(sign_in, client_request, back_offices):
    sign_in(TOM, host="norwich.localhost")
    planning = tile(client_request.get("/dashboard", host="norwich.localhost"), "planning")
    comment = planning.find("a", string=lambda text: text and text.startswith("Comment on 26/01187/HH"))
    assert comment is not None, planning.get_text(" ", strip=True)
    assert comment["href"] == "/planning/26/01187/HH/comment"
    assert " by " in comment.parent.get_text(), "says until when"


def _queries_of(app, action) -> list[str]:
    statements = []

    def record(connection, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def test_a_page_that_reads_nothing_of_the_resident_does_not_load_them(
    app, client, sign_in, client_request, back_offices
):
    sign_in(PRIYA, host="norwich.localhost")
    client_request.get("/", host="norwich.localhost")  # works out their district once, from their address
    pages = []
    statements = _queries_of(app, lambda: pages.append(client_request.get("/", host="norwich.localhost")))
    assert not [statement for statement in statements if "residents" in statement], statements
    navigation = pages[0].select_one(".govuk-service-navigation")
    assert PRIYA.name in navigation.get_text(), "the navigation names who is signed in, from the session"
    assert navigation.select_one("form button").get_text(strip=True) == "Sign out"
    banner = pages[0].select_one(".govuk-notification-banner")
    assert "You live in South Norfolk" in banner.get_text(), "their district, remembered in the session"


def test_the_navigation_takes_a_changed_name_from_the_next_page_that_loads_the_resident(
    app, client, sign_in, client_request, back_offices
):
    resident_id = sign_in(PRIYA, host="south-norfolk.localhost")
    with app.app_context():
        db.session.get(Resident, resident_id).name = "Priya Shah-Jones"
        db.session.commit()
    client_request.get("/dashboard", host="south-norfolk.localhost")
    page = client_request.get("/", host="south-norfolk.localhost")
    assert "Priya Shah-Jones" in page.select_one(".govuk-service-navigation").get_text()


def test_moving_home_moves_the_your_council_banner(app, client, sign_in, client_request, back_offices):
    sign_in(DAVID, host="norwich.localhost")
    page = client_request.get("/", host="norwich.localhost")
    assert "You live in North Norfolk" in page.select_one(".govuk-notification-banner").get_text()
    response = client_request.post_form(
        "/dashboard/home-address", {"postcode": PRIYA.postcode}, host="norwich.localhost"
    )
    client_request.post_form(response.location, {"uprn": PRIYA.uprn}, host="norwich.localhost")
    page = client_request.get("/", host="norwich.localhost")
    assert "You live in South Norfolk" in page.select_one(".govuk-notification-banner").get_text()
