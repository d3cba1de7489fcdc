"""The accessibility suite's command-line options (registered by tests/conftest.py, so that they exist however
pytest is started). Each falls back to an environment variable, which `make a11y` passes through."""

import os


def add_options(parser) -> None:
    group = parser.getgroup("a11y", "accessibility suite (tests/a11y, docs/accessibility-testing.md)")
    group.addoption(
        "--submit",
        action="store_true",
        default=os.environ.get("A11Y_SUBMIT", "") in ("1", "true", "yes"),
        help="send each report after 'check your answers' (a test environment only)",
    )
    group.addoption(
        "--a11y-check-provider",
        action="store_true",
        default=os.environ.get("A11Y_CHECK_PROVIDER", "") in ("1", "true", "yes"),
        help="check the identity provider's sign-in page too (often another supplier's)",
    )
    group.addoption(
        "--a11y-report",
        default=os.environ.get("A11Y_REPORT", ""),
        help="folder for index.html (the findings); written after a run against --base-url",
    )
    group.addoption(
        "--a11y-baseline",
        default=os.environ.get("A11Y_BASELINE", "a11y-baseline.toml"),
        help="TOML file of accepted findings, each with an expiry date",
    )
    group.addoption(
        "--a11y-postcode",
        default=os.environ.get("A11Y_POSTCODE", "NR2 2PE"),
        help="a postcode in the council's area, for address questions",
    )
    group.addoption(
        "--a11y-journeys",
        default=os.environ.get("A11Y_JOURNEYS", ""),
        help="comma-separated journeys (start, find-your-council, reports, waste, signed-in); all unset",
    )
    group.addoption(
        "--a11y-report-types",
        default=os.environ.get("A11Y_REPORT_TYPES", ""),
        help="comma-separated report types (the radio values on /report); all unset",
    )
    group.addoption(
        "--a11y-username-selector",
        default=os.environ.get(
            "A11Y_USERNAME_SELECTOR",
            "input[autocomplete=username], input[type=email], input[name=username], input[name=email]",
        ),
        help="CSS selector of the identity provider's username field",
    )
    group.addoption(
        "--a11y-password-selector",
        default=os.environ.get("A11Y_PASSWORD_SELECTOR", "input[type=password]"),
        help="CSS selector of the identity provider's password field",
    )
    group.addoption(
        "--a11y-submit-selector",
        default=os.environ.get(
            "A11Y_SUBMIT_SELECTOR", "form button[type=submit], form input[type=submit], form button"
        ),
        help="CSS selector of the identity provider's sign-in button",
    )
