"""The journeys the accessibility suite walks on one council's site, checking every page and state on the
way. They know the portal's addresses and GOV.UK Frontend's markup, never a council: each works on any
deployment, and forms are filled in generically (the first choice of each question, made-up details)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin, urlsplit

from tests.a11y.checks import Finding, PageState, every_check
from tests.a11y.report import apply_baseline

MAX_FORM_PAGES = 15
TIMEOUT = 20_000
SUBMIT = (
    "main form button[type=submit]:not(.govuk-button--secondary):visible, "
    "main form input[type=submit]:visible"
)
# Path segments that identify one visit or record (tokens, case numbers, UPRNs): the same page for the report.
_TOKEN = re.compile(r"^(?=.*\d)[A-Za-z0-9_-]{5,}$")


def page_key(url: str) -> str:
    return "/".join("*" if _TOKEN.match(part) else part for part in urlsplit(url).path.split("/")) or "/"


@dataclass
class Settings:
    """What a tester tells the suite about their deployment (see tests/a11y/conftest.py's options)."""

    postcode: str
    username: str
    password: str
    username_selector: str
    password_selector: str
    submit_selector: str
    submit_reports: bool
    check_provider: bool
    report_types: list[str] | None
    baseline: list
    today: date = field(default_factory=date.today)


@dataclass
class Run:
    """Everything one session of the suite found; each council's titles, to find titles used twice."""

    states: list[PageState] = field(default_factory=list)
    titles: dict[tuple[str, str], str] = field(default_factory=dict)
    forms_with_errors_checked: set[tuple[str, str]] = field(default_factory=set)
    checked: set[tuple[str, str, str]] = field(default_factory=set)


class Audit:
    """One journey in one council: the steps so far (to reproduce a finding) and each page state checked."""

    def __init__(self, run: Run, settings: Settings, council: str, journey: str, base_url: str):
        self.run, self.settings, self.council, self.journey = run, settings, council, journey
        self.base_url = base_url.rstrip("/") + "/"
        self.steps: list[str] = []
        self.states: list[PageState] = []

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    def step(self, text: str) -> None:
        self.steps.append(text)

    def open(self, page, path: str) -> None:
        url = self.url(path)
        self.step(f"Go to {url}")
        page.goto(url, timeout=TIMEOUT)

    def check(self, page, state: str, *, error_state: bool = False) -> PageState | None:
        """Check the page as it is now, once per council, page and state (report types share most pages)."""
        page.wait_for_load_state("networkidle", timeout=TIMEOUT)
        key = page_key(page.url)
        if (self.council, key, state) in self.run.checked:
            return None
        self.run.checked.add((self.council, key, state))
        title = page.title()
        result = PageState(
            self.journey,
            self.council,
            key,
            page.url,
            state,
            title,
            list(self.steps),
            every_check(page, error_state=error_state),
        )
        first_use = self.run.titles.setdefault((self.council, title), key)
        if first_use != key and not error_state:
            result.findings.append(_title_used_twice(title, first_use))
        apply_baseline(result, self.settings.baseline, self.settings.today)
        self.states.append(result)
        self.run.states.append(result)
        return result


def _title_used_twice(title: str, first_use: str) -> Finding:
    return Finding("unique-title", "2.4.2", f"The title '{title}' is also the title of {first_use}", "title")


def _submit(page, audit: Audit, what: str) -> None:
    button = page.locator(SUBMIT).first
    label = (button.inner_text() or button.get_attribute("value") or "the button").strip()
    audit.step(f"{what}; press '{label}'")
    with page.expect_navigation(timeout=TIMEOUT):
        button.click()


def _has_errors(page) -> bool:
    return page.locator(".govuk-error-summary").count() > 0


def _value_for(field_: dict, settings: Settings) -> str:
    described = " ".join(
        field_[key] for key in ("name", "label", "autocomplete", "type", "inputmode")
    ).lower()
    if "email" in described:
        return "a11y.tester@example.com"
    if "postcode" in described or "postal-code" in described:
        return settings.postcode
    if "tel" in described or "phone" in described:
        return "01632 960000"
    if described.startswith("day") or "-day" in described or field_["name"].endswith("day"):
        return "1"
    if "-month" in described or field_["name"].endswith("month"):
        return "6"
    if "-year" in described or field_["name"].endswith("year"):
        return str(date.today().year - 1)
    if field_["type"] == "number" or field_["inputmode"] == "numeric":
        return "1"
    if "name" in described:
        return "Alex Tester"
    return "Accessibility test: please ignore"


_EMPTY_FIELDS_JS = """
() => [...document.querySelectorAll('main form input:not([type=hidden]):not([type=radio])'
    + ':not([type=checkbox]):not([type=submit]):not([type=file]), main form textarea')]
  .filter((f) => f.getClientRects().length && !f.value)
  .map((f) => ({id: f.id, name: f.name || '', type: f.type || '',
                autocomplete: f.getAttribute('autocomplete') || '',
                inputmode: f.getAttribute('inputmode') || '',
                label: f.labels && f.labels[0] ? f.labels[0].innerText.trim() : ''}))
"""


def fill_in(page, settings: Settings, *, checkboxes: bool = False) -> str:
    """Answer every empty question on the page; what was done, for the steps to reproduce."""
    done = []
    names = page.eval_on_selector_all(
        "main form input[type=radio]", "(radios) => [...new Set(radios.map((r) => r.name))]"
    )
    for name in names:
        group = page.locator(f"main form input[type=radio][name='{name}']")
        if not page.locator(f"main form input[type=radio][name='{name}']:checked").count():
            group.last.check(force=True)
            done.append(f"choose the last answer to '{name}'")
    if checkboxes:
        for name in page.eval_on_selector_all(
            "main form input[type=checkbox]", "(boxes) => [...new Set(boxes.map((b) => b.name))]"
        ):
            page.locator(f"main form input[type=checkbox][name='{name}']").first.check(force=True)
            done.append(f"tick the first box of '{name}'")
    for field_ in page.evaluate(_EMPTY_FIELDS_JS):
        value = _value_for(field_, settings)
        page.locator(f"[id='{field_['id']}']" if field_["id"] else f"[name='{field_['name']}']").first.fill(
            value
        )
        done.append(f"enter '{value}' in '{field_['label'] or field_['name']}'")
    for select in page.locator("main form select:visible").all():
        if select.evaluate("(s) => s.selectedIndex <= 0 && s.options.length > 1"):
            select.select_option(index=1)
            done.append("choose the first option of a list")
    return ", ".join(done) or "change nothing"


def check_errors(page, audit: Audit) -> None:
    """Every validation error of this form once per council: submitted empty, then with badly formed details
    where it asks for an email address or postcode."""
    key = (audit.council, page_key(page.url))
    if key in audit.run.forms_with_errors_checked or not page.locator(SUBMIT).count():
        return
    audit.run.forms_with_errors_checked.add(key)
    form_url = page.url
    _submit(page, audit, "Leave every answer empty")
    if not _has_errors(page):
        audit.open(page, form_url)  # nothing was required: back to the form, to answer it
        return
    audit.check(page, "errors: nothing answered", error_state=True)
    malformed = page.locator(
        "main form input[type=email], main form input[autocomplete=email], main form input[name*=postcode]"
    )
    if malformed.count():
        for index in range(malformed.count()):
            malformed.nth(index).fill("not valid @")
        _submit(page, audit, "Enter 'not valid @' as the email address or postcode")
        if _has_errors(page):
            audit.check(page, "errors: badly formed answers", error_state=True)
    audit.open(page, form_url)


def walk_form(page, audit: Audit, *, stop_at: str | None = None) -> None:
    """Check each page of a question-by-question journey, its errors first, then answer and go on, until a
    page without a form (or ``stop_at``, which is checked but not submitted)."""
    for _ in range(MAX_FORM_PAGES):
        audit.check(page, "as it opens")
        if (stop_at and stop_at in page.url) or not page.locator(SUBMIT).count():
            return
        check_errors(page, audit)
        at = page.url
        if stop_at and stop_at in at:
            return
        _submit(page, audit, fill_in(page, audit.settings).capitalize())
        if _has_errors(page):
            _submit(page, audit, fill_in(page, audit.settings, checkboxes=True).capitalize())
        if _has_errors(page) or page.url == at:
            audit.step(f"The journey stopped at {page.url}: the suite's made-up answers were not accepted")
            return


def start(page, audit: Audit) -> None:
    audit.open(page, "/")
    audit.check(page, "as it opens")
    for path in ("/accessibility-statement", "/cookies", "/privacy"):
        audit.open(page, path)
        audit.check(page, "as it opens")
    audit.open(page, "/no-such-page-here")
    audit.check(page, "not found")


def start_page_and_form_errors(page, audit: Audit) -> None:
    """The least each theme gets in `make test`: the start page, and a form's errors."""
    audit.open(page, "/")
    audit.check(page, "as it opens")
    audit.open(page, "/find-your-council/")
    check_errors(page, audit)


def find_your_council(page, audit: Audit) -> None:
    audit.open(page, "/find-your-council/")
    walk_form(page, audit)


def report_types(page, audit: Audit) -> list[tuple[str, str]]:
    audit.open(page, "/report")
    return [
        (radio.get_attribute("value"), radio.evaluate("(r) => r.labels[0].innerText.trim()"))
        for radio in page.locator("main form input[type=radio][name=report_type]").all()
    ]


def report(page, audit: Audit, value: str, label: str) -> None:
    """One report type from the list of reports to "check your answers"; sent only with --submit."""
    audit.open(page, "/report")
    audit.check(page, "as it opens")
    check_errors(page, audit)
    page.locator(f"main form input[type=radio][name=report_type][value='{value}']").check(force=True)
    _submit(page, audit, f"Choose '{label}'")
    walk_form(page, audit, stop_at="/check")
    if audit.settings.submit_reports and "/check" in page.url:
        _submit(page, audit, "Send the report")
        audit.check(page, "sent")


def waste_services(page, audit: Audit) -> None:
    """The paid waste services the start page offers, each to "check your answers" (never paid for)."""
    audit.open(page, "/")
    links = [link.get_attribute("href") for link in page.locator("main a[href*='/waste/']").all()]
    for href in links:
        audit.open(page, href)
        walk_form(page, audit, stop_at="/check")


def sign_in(page, audit: Audit) -> None:
    settings = audit.settings
    audit.open(page, "/")
    audit.step("Press 'Sign in'")
    page.get_by_role("button", name="Sign in").first.click()
    page.wait_for_load_state("networkidle", timeout=TIMEOUT)
    if not page.url.startswith(audit.base_url):
        if settings.check_provider:
            audit.check(page, "the identity provider's sign-in form")
        audit.step("Enter the test account's username and password and sign in")
        page.locator(settings.username_selector).first.fill(settings.username)
        page.locator(settings.password_selector).first.fill(settings.password)
        with page.expect_navigation(timeout=TIMEOUT):
            page.locator(settings.submit_selector).first.click()
        page.wait_for_url(re.compile("^" + re.escape(audit.base_url)), timeout=TIMEOUT)
    if "/dashboard/home-address" in page.url:
        walk_form(page, audit)


def signed_in(page, audit: Audit) -> None:
    """Sign in, then the dashboard with its tiles, My requests, a case, and the account pages with the
    errors of their forms (which are never sent correctly filled in: the test account stays as it was)."""
    sign_in(page, audit)
    audit.open(page, "/dashboard")
    audit.check(page, "with its tiles loaded")
    audit.open(page, "/requests")
    audit.check(page, "as it opens")
    cases = page.locator("main a[href*='/requests/']")
    if cases.count():
        href = cases.first.get_attribute("href")
        audit.open(page, href)
        audit.check(page, "as it opens")
    audit.open(page, "/account")
    audit.check(page, "as it opens")
    links = {
        link.get_attribute("href")
        for link in page.locator("main a[href*='/account/']").all()
        if not link.get_attribute("href").endswith(".json")
    }
    for href in sorted(links):
        audit.open(page, href)
        audit.check(page, "as it opens")
        if page.locator("main form input[type=text]:visible, main form input:not([type]):visible").count():
            check_errors(page, audit)


JOURNEYS = {
    "start": start,
    "find-your-council": find_your_council,
    "waste": waste_services,
    "signed-in": signed_in,
}
