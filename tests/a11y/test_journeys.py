"""Each journey through a council's site, every page and state checked: a journey fails on any finding the
baseline does not accept (see tests/a11y/conftest.py for where it runs)."""

import pytest

from tests.a11y import journeys
from tests.a11y.journeys import Audit
from tests.a11y.report import open_findings

STEPS = {
    "start": journeys.start,
    "start-page-and-form-errors": journeys.start_page_and_form_errors,
    "find-your-council": journeys.find_your_council,
    "waste": journeys.waste_services,
    "signed-in": journeys.signed_in,
}


def _describe(states) -> str:
    lines = []
    for state in states:
        for finding in open_findings(state):
            lines.append(
                f"- {state.page} ({state.state}): WCAG {finding.criterion} {finding.rule} at "
                f"{finding.selector or 'the page'}: {finding.message}"
                + (" [its baseline entry has expired]" if finding.expired else "")
            )
    return "\n".join(lines)


def test_journey(page, council, council_url, journey, a11y_run, a11y_settings):
    if journey == "signed-in" and not (a11y_settings.username and a11y_settings.password):
        pytest.skip("signing in needs a test account: set A11Y_USERNAME and A11Y_PASSWORD")
    page.set_default_timeout(journeys.TIMEOUT)
    audits = []
    if journey == "reports":
        types = journeys.report_types(
            page, Audit(a11y_run, a11y_settings, council.label, journey, council_url)
        )
        wanted = a11y_settings.report_types
        for value, label in types:
            if wanted is None or value in wanted:
                audit = Audit(a11y_run, a11y_settings, council.label, f"report: {label}", council_url)
                audits.append(audit)
                journeys.report(page, audit, value, label)
        assert audits, f"no report types on {council_url}report (wanted {wanted})"
    else:
        audit = Audit(a11y_run, a11y_settings, council.label, journey, council_url)
        audits.append(audit)
        STEPS[journey](page, audit)
    states = [state for audit in audits for state in audit.states]
    assert states, "the journey checked no page"
    problems = _describe(states)
    assert not problems, f"{len(problems.splitlines())} accessibility findings:\n{problems}"
