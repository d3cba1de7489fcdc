"""The signed-in pages beyond the dashboard, in Chromium, with JavaScript on and off: the account page, the
council tax link, the home address questions, a report made through the report-a-problem journey, "your
reports", "My requests" with one CRM case and one report's case (adding a comment to the report and an
update to the CRM case), commenting on a planning application, text reminders of bin days; and each form's
error state, where sending it empty has one.

axe-core scans every page in a district's theme and in the county's. In the district's theme each page is
also tabbed through from the top (every focusable element is reached and shows where the focus is) and laid
out at 320 CSS pixels and at 640 (a 1280px window zoomed to 200%) without scrolling sideways. Themes change
colours and logos, not layout, so one theme is enough for those. Each page is opened once per theme and has
all its checks on that one visit (resizing lays the same page out again, so a form's error state, the
answer to a POST, is checked without sending it twice).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from playwright.sync_api import Page, expect

from app.backoffice import use_registry
from app.reports import outbox
from sandbox import places, planning
from sandbox.demo_residents import DEMO_RESIDENTS
from sandbox.notify import CONFIRMATION_TEMPLATE_ID
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import PortalWithSandbox, new_shared_context, portal_with_own_sandbox
from tests.browser.test_accessibility import ZOOMED_VIEWPORT, _assert_fits_horizontally
from tests.support.page_checks import focus_indicator_changes as _focus_indicator_changes
from tests.support.page_checks import tab_through as _tab_through
from tests.support.sandbox import SandboxServer

PRIYA = DEMO_RESIDENTS[0]  # South Norfolk; the sandbox's CRM holds cases for her
TIMEOUT = 15_000
DISTRICT, COUNTY = "south-norfolk", "norfolk"
THEMES = (DISTRICT, COUNTY)
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 640}
# What each theme's journey reports: a district's report goes to the district, a county's to the county.
REPORT_KIND = {DISTRICT: "missed-bin", COUNTY: "pothole"}
POLICY = outbox.DeliveryPolicy(
    max_failures=5,
    base_delay=outbox.timedelta(0),
    max_delay=outbox.timedelta(0),
    lease=outbox.timedelta(minutes=1),
)
# Focus from the very top of the document, as on a page just opened: a script of the portal or the error
# summary may have moved it already, and Chromium tabs on from wherever focus last was.
FOCUS_THE_TOP_JS = """() => {
  const top = document.createElement('span');
  top.tabIndex = -1;
  document.body.prepend(top);
  top.focus();
  window.scrollTo(0, 0);
}"""

# What _tab_through cannot tell about each element it listed (window.__focusables): whether it is a honeypot
# for robots (out of the tab order and hidden from assistive technology on purpose: nobody should reach it),
# and for a radio or checkbox its group and whether focusing it changes the box drawn for it (GOV.UK Frontend
# hides the input itself and draws it, and its focus ring, as its label's ::before).
FOCUSABLES_JS = """() => window.__focusables.map(element => {
  const honeypot = element.tabIndex < 0 && Boolean(element.closest('[aria-hidden=true]'));
  if (element.tagName !== 'INPUT' || !['radio', 'checkbox'].includes(element.type)) return {honeypot};
  const label = element.labels && element.labels[0];
  const drawn = () => {
    const style = getComputedStyle(label, '::before');
    const transparent = /rgba\\(.*, 0\\)$/.test(style.outlineColor) || style.outlineColor === 'transparent';
    const outline = style.outlineStyle === 'none' || parseFloat(style.outlineWidth) === 0 || transparent
      ? 'none' : `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`;
    return {outline, boxShadow: style.boxShadow};
  };
  let labelShowsFocus = false;
  if (label) {
    const active = document.activeElement;
    element.blur();
    const before = drawn();
    element.focus();
    const after = drawn();
    element.blur();
    if (active && active.focus) active.focus();
    // A transparent outline (there for Windows' high contrast mode) shows nothing anywhere else.
    labelShowsFocus = ['outline', 'boxShadow'].some(
      name => after[name] !== before[name] && after[name] !== 'none');
  }
  return {
    honeypot,
    radio: element.type === 'radio',
    group: `${element.form ? element.form.action : ''}#${element.name}`,
    labelShowsFocus,
    // GOV.UK's are transparent: whatever focus does to the input itself, nobody sees it.
    shown: parseFloat(getComputedStyle(element).opacity) > 0,
  };
})"""


def _shows_focus(stop: dict, kind: dict) -> bool:
    if stop["before"] is None or not stop["visibleSize"]:
        return False
    if kind.get("labelShowsFocus"):
        return True
    return kind.get("shown", True) and bool(_focus_indicator_changes(stop["before"], stop["after"]))


def assert_focus_is_visible_everywhere(page: Page, what: str) -> None:
    """Tab through the page from the top: every focusable element is reached and shows that it has focus.

    The checks of tests/browser/test_accessibility.py, plus what forms need: a radio group is one Tab stop
    (the arrow keys move within it), and a GOV.UK radio or checkbox shows focus on the box drawn for it."""
    page.evaluate(FOCUS_THE_TOP_JS)
    focusables, stops = _tab_through(page)
    kinds = page.evaluate(FOCUSABLES_JS)
    reached = {stop["index"] for stop in stops}
    groups_reached = {kinds[i]["group"] for i in reached if "group" in kinds[i]}
    not_reached = [
        focusables[i]
        for i, kind in enumerate(kinds)
        if i not in reached
        and not kind["honeypot"]
        and not (kind.get("radio") and kind["group"] in groups_reached)
    ]
    assert not not_reached, f"{what}: the keyboard cannot reach " + ", ".join(not_reached)
    invisible = [stop["description"] for stop in stops if not _shows_focus(stop, kinds[stop["index"]])]
    invisible += [
        focusables[i]
        for i, kind in enumerate(kinds)
        if i not in reached and "group" in kind and not kind["labelShowsFocus"]
    ]
    assert not invisible, f"{what}: no visible focus indicator on " + "; ".join(invisible)


@pytest.fixture(scope="module")
def signed_in_portal(tmp_path_factory, base_url) -> Iterator[PortalWithSandbox]:
    """A portal of its own signing residents in through a sandbox of its own, the gazetteer imported."""
    if base_url:
        pytest.skip("signs in through the local sandbox's identity provider, not a live deployment's")
    with portal_with_own_sandbox(tmp_path_factory, "signed-in", gazetteer=True) as portal:
        use_registry(portal.app, portal.sandbox.registry(portal.instance / "connector-cache"))
        yield portal


@dataclass
class Resident:
    page: Page
    javascript: bool
    portal: PortalWithSandbox

    def open(self, slug: str, path: str) -> None:
        """Open a page of this council, signing in there first if this council has not seen us yet."""
        if not self.page.url.startswith(self.portal.url(slug, "/")):
            self.sign_in(slug)
        response = self.page.goto(self.portal.url(slug, path))
        assert response is not None and response.ok, f"{path} answered {response and response.status}"

    def sign_in(self, slug: str) -> None:
        page = self.page
        self.portal.sign_in(page, slug, PRIYA)
        if "/home-address" in page.url:  # the first visit asks for a home address before the dashboard
            page.get_by_label("What is your home postcode?").fill(PRIYA.postcode)
            self.submit()
            page.get_by_label("Select an address").select_option(PRIYA.uprn)
            self.submit()
            page.wait_for_url(re.compile(r"/dashboard$"))

    def code_texted_to(self, number: str) -> str:
        """The security code in the newest text the portal's sandbox Notify holds for this number."""
        answer = requests.get(
            f"{self.portal.sandbox.url}/notify/",
            params={"to": number},
            headers={"Accept": "application/json"},
            timeout=5,
        )
        [newest, *older] = [
            text for text in answer.json()["texts"] if text["template"]["id"] == CONFIRMATION_TEMPLATE_ID
        ]
        return newest["body"][:6]

    def submit(self) -> None:
        """Press the form's main button and wait for the page that answers."""
        with self.page.expect_navigation():
            self.page.locator("main form button[type=submit]:not(.govuk-button--secondary)").first.click()

    def submit_empty(self, slug: str, what: str, error: str) -> None:
        """Send the form as it is and check the page that says what is missing."""
        self.submit()
        expect(self.page.locator(".govuk-error-summary")).to_contain_text(error)
        self.examine(slug, f"{what}, sent empty")

    def examine(self, slug: str, what: str) -> None:
        """Every check this page gets in this theme, on the page as it is now."""
        page = self.page
        # A module script runs after the document is parsed, so a visible heading can come before it.
        page.wait_for_load_state("load")
        expect(page.locator("h1")).to_be_visible()
        assert page.evaluate("document.body.classList.contains('js-enabled')") == self.javascript
        assert_service_navigation_signed_in(page, PRIYA.name)
        assert_no_axe_violations(page)
        if slug != DISTRICT:
            return
        assert_focus_is_visible_everywhere(page, what)
        try:
            for viewport in (NARROW, ZOOMED_VIEWPORT):
                page.set_viewport_size(viewport)
                _assert_fits_horizontally(page, f"{what} ({page.url})")
            heading = page.locator("h1").bounding_box()  # 200% zoom: the heading is whole, not cut off
            assert heading and heading["x"] >= 0 and heading["x"] + heading["width"] <= viewport["width"]
        finally:
            page.set_viewport_size(WIDE)


def assert_service_navigation_signed_in(page: Page, name: str) -> None:
    """The service navigation says who is signed in and leads to their account, their requests, reporting and
    signing out."""
    navigation = page.get_by_role("navigation", name="Your account")
    expect(navigation).to_contain_text(name)
    for link in ("Your account", "My requests", "Report a problem"):
        expect(navigation.get_by_role("link", name=link, exact=True)).to_be_visible()
    expect(navigation.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


@pytest.fixture(scope="module", params=[True, False], ids=["javascript", "no-javascript"])
def resident(request, browser, browser_context_args, signed_in_portal) -> Iterator[Resident]:
    """Priya, signed in, in one browser for the whole module (with or without the portal's JavaScript)."""
    context = new_shared_context(browser, browser_context_args, javascript=request.param, viewport=WIDE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    yield Resident(page, request.param, signed_in_portal)
    context.close()


@pytest.mark.parametrize("slug", THEMES)
def test_the_account_pages(resident, slug):
    resident.open(slug, "/")
    resident.examine(slug, "the start page, signed in")
    resident.open(slug, "/dashboard")
    resident.examine(slug, "the dashboard")

    resident.open(slug, "/account")
    expect(resident.page.get_by_role("heading", name="Your details", level=1)).to_be_visible()
    resident.examine(slug, "the account page")

    resident.page.get_by_role("link", name="Link your council tax account").click()
    expect(resident.page.get_by_role("heading", level=1)).to_contain_text("council tax")
    resident.examine(slug, "linking council tax")
    resident.submit_empty(slug, "linking council tax", "Enter your council tax account reference")

    resident.open(slug, "/account/contact-preferences")
    resident.examine(slug, "contact preferences")

    resident.open(slug, "/account/delete")  # only looked at: its button deletes Priya's data
    resident.examine(slug, "deleting your data")


@pytest.mark.parametrize("slug", THEMES)
def test_the_home_address_questions(resident, slug):
    page = resident.page
    resident.open(slug, "/account")
    page.get_by_role("link", name=re.compile("Change.*home address")).click()
    expect(page.get_by_role("heading", name="What is your home postcode?")).to_be_visible()
    page.get_by_label("What is your home postcode?").fill("")
    resident.examine(slug, "the home postcode question")
    resident.submit_empty(slug, "the home postcode question", "Enter a postcode")

    page.get_by_label("What is your home postcode?").fill(PRIYA.postcode)
    resident.submit()
    expect(page.get_by_role("heading", name="Select your home address")).to_be_visible()
    resident.examine(slug, "the home address list")
    resident.submit_empty(slug, "the home address list", "Select")
    page.get_by_label("Select an address").select_option(PRIYA.uprn)
    resident.submit()
    page.wait_for_url(re.compile(r"/dashboard$"))


def choose(page: Page, name: str, value: str | None = None) -> None:
    """Answer a question: the radio or option with this value, or the first one."""
    field = page.locator(f"main [name='{name}']")
    if field.first.evaluate("element => element.tagName") == "SELECT":
        options = field.locator("option:not([value=''])")
        field.select_option(value or options.first.get_attribute("value"))
    elif value:
        page.locator(f"main input[name='{name}'][value='{value}']").check()
    else:
        field.first.check()


@pytest.mark.parametrize("slug", THEMES)
def test_a_report_made_signed_in_then_your_reports_and_my_requests(resident, slug):
    page, kind = resident.page, REPORT_KIND[slug]
    resident.open(slug, "/report")
    resident.examine(slug, "what to report")
    resident.submit_empty(slug, "what to report", "Select what you want to report")
    choose(page, "report_type", kind)
    resident.submit()

    assert "/postcode" in page.url, page.url
    page.locator("#postcode").fill("")
    resident.examine(slug, "the report's postcode")
    resident.submit_empty(slug, "the report's postcode", "postcode")
    page.locator("#postcode").fill(PRIYA.postcode)
    resident.submit()

    assert "/address" in page.url, page.url
    resident.examine(slug, "the report's address")
    resident.submit_empty(slug, "the report's address", "Select an address")
    choose(page, "uprn", PRIYA.uprn)
    resident.submit()

    if "/already-reported" in page.url:
        resident.examine(slug, "already reported nearby")
        resident.submit_empty(slug, "already reported nearby", "Select")
        choose(page, "choice", "none")
        resident.submit()

    while "/question/" in page.url:
        code = page.url.rsplit("/", 1)[1]
        resident.examine(slug, f"the council's question {code}")
        resident.submit()
        if page.locator(".govuk-error-summary").count():  # a question the council needs answered
            resident.examine(slug, f"the council's question {code}, sent empty")
        if page.locator("main input[type=radio][name=answer]").count():
            choose(page, "answer")
        elif page.locator("main #answer").count():
            page.locator("main #answer").fill("Seen on the way to work")
        if "/question/" in page.url and page.url.rsplit("/", 1)[1] == code:
            resident.submit()

    assert "/details" in page.url, page.url
    resident.examine(slug, "the report's details")
    resident.submit()
    if "/details" in page.url:  # some kinds of report need a description
        expect(page.locator(".govuk-error-summary")).to_contain_text("Describe the problem")
        resident.examine(slug, "the report's details, sent empty")
        page.locator("#description").fill("Reported by a signed-in resident")
        resident.submit()

    assert "/photo" in page.url, page.url
    resident.examine(slug, "the report's photo")
    resident.submit()

    assert "/check" in page.url, "a signed-in resident is not asked for an email address: " + page.url
    resident.examine(slug, "checking the report")
    resident.submit()

    assert page.url.endswith("/confirmation"), page.url
    reference = page.locator(".govuk-panel__body strong").inner_text().strip()
    resident.examine(slug, "the report's confirmation")
    with page.expect_navigation():
        page.locator("main form[action$='/feedback'] button[type=submit]").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select how you felt")
    resident.examine(slug, "the report's feedback, sent empty")

    with resident.portal.app.app_context():
        outbox.run_once("signed-in-pages-worker", POLICY, batch=50)

    resident.open(slug, "/report/yours")
    expect(page.locator("main")).to_contain_text(reference)
    resident.examine(slug, "your reports")

    resident.open(slug, "/requests")
    expect(page.get_by_role("heading", name="My requests", level=1)).to_be_visible()
    resident.examine(slug, "My requests")
    crm_case = page.locator("main table a[href*=':']").first  # a CRM case's id is <council>:<reference>
    expect(crm_case).to_be_visible()  # the sandbox's CRM holds Priya's cases
    crm_case_path = crm_case.get_attribute("href")

    page.locator(f"main table a[href$='/requests/{reference}']").click()
    expect(page.locator(".govuk-summary-list")).to_contain_text(reference)
    resident.examine(slug, "the report's case page")
    page.get_by_role("button", name="Add a comment or photo").click()
    resident.examine(slug, "adding a comment")
    resident.submit_empty(slug, "adding a comment", "Enter")

    resident.open(slug, crm_case_path)
    expect(page.locator("ol.app-timeline")).to_be_visible()
    resident.examine(slug, "a CRM case page")
    # The council's CRM takes updates on this open case: adding one, with its error state.
    page.get_by_role("button", name="Add an update").click()
    expect(page.get_by_role("heading", name="Add an update", level=1)).to_be_visible()
    resident.examine(slug, "adding an update to a CRM case")
    resident.submit_empty(slug, "adding an update to a CRM case", "Enter what you want to add to your case")
    page.locator("#text").fill("Seen again this morning")
    resident.submit()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your update is on its way")
    expect(page.locator("ol.app-timeline")).to_contain_text("Seen again this morning")
    resident.examine(slug, "a CRM case page with an update waiting to be sent")


def application_open_for_comment_near_priya(sandbox: SandboxServer) -> str:
    """The reference of the South Norfolk application nearest Priya's home that still takes comments (in the
    sandbox's planning register, whose dates move with today's)."""
    latitude, longitude = places.location_of(PRIYA.uprn)
    with sandbox.app.app_context():
        register = planning.register()
    open_for_comment = [
        application
        for application in register.values()
        if application.council == DISTRICT
        and application.decision is None
        and application.received_days_ago < planning.CONSULTATION_DAYS
    ]
    nearest = min(
        open_for_comment,
        key=lambda application: (
            (application.latitude - latitude) ** 2 + (application.longitude - longitude) ** 2
        ),
    )
    return nearest.reference


@pytest.mark.parametrize("slug", THEMES)
def test_commenting_on_a_planning_application(resident, slug):
    page = resident.page
    resident.open(
        slug, f"/planning/{application_open_for_comment_near_priya(resident.portal.sandbox)}/comment"
    )
    expect(page.get_by_role("heading", name="Comment on this planning application", level=1)).to_be_visible()
    rules = page.get_by_role("heading", name="What the council publishes").bounding_box()
    question = page.locator("main fieldset legend").first.bounding_box()
    assert rules and question and rules["y"] < question["y"], "the council's rules on publication come first"
    expect(page.locator("#name")).to_have_value(PRIYA.name)
    resident.examine(slug, "commenting on a planning application")

    page.locator("#text").fill("The extension would overlook our garden.")
    page.locator("#name").fill("")
    resident.submit_empty(
        slug, "commenting on a planning application", "Select whether you object, support or are neutral"
    )
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your name")
    expect(page.locator("#text")).to_have_value("The extension would overlook our garden.")


@pytest.mark.parametrize("slug", THEMES)
def test_text_reminders_of_bin_days(resident, slug):
    page = resident.page
    resident.open(slug, "/bin-days/yours")
    resident.examine(slug, "your bin calendar and reminders")
    page.get_by_role("button", name="Get text reminders").click()
    number = page.get_by_label("What is your mobile number?")
    expect(number).to_be_visible()
    resident.examine(slug, "the mobile number question")
    resident.submit_empty(slug, "the mobile number question", "Enter a UK mobile number, like 07700 900 982")

    number.fill("01508 533633")
    resident.submit()
    expect(page.locator(".govuk-error-summary")).to_contain_text("we cannot text a landline")
    expect(number).to_have_value("01508 533633")
    number.fill("07700 900 777")
    resident.submit()
    page.wait_for_url(re.compile(r"/bin-days/yours/texts/confirm$"))
    expect(page.get_by_role("heading", name="Check your phone", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("security code to 07700 900 777")
    resident.examine(slug, "check your phone")
    resident.submit_empty(slug, "check your phone", "Enter the security code from the text message")
    code = page.get_by_label("Text message code")
    with page.expect_navigation():
        page.get_by_role("button", name="Send a new code").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Wait a minute before asking for a new code")
    resident.examine(slug, "check your phone, a new code asked for too soon")

    texted = resident.code_texted_to("07700 900 777")
    wrong = f"{(int(texted) + 1) % 1_000_000:06d}"
    code.fill(wrong)
    resident.submit()
    expect(page.locator(".govuk-error-summary")).to_contain_text("you have 4 more tries")
    expect(code).to_have_value(wrong)
    resident.examine(slug, "check your phone, a wrong code")
    code.fill(texted)
    resident.submit()
    page.wait_for_url(re.compile(r"/bin-days/yours#text-reminders$"))
    confirmed = page.locator(".govuk-notification-banner--success")
    expect(confirmed).to_contain_text("Your mobile number is confirmed")
    expect(page.get_by_role("heading", name="Email reminders", level=2)).to_be_visible()
    expect(page.locator("main")).to_contain_text("We text 07700 900 777 the day before each collection")
    resident.examine(slug, "your bin calendar and reminders, texts on")
    with page.expect_navigation():
        page.get_by_role("button", name="Stop text reminders").click()
    expect(page.get_by_role("button", name="Get text reminders")).to_be_visible()
