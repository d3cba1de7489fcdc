"""The baseline accepts a finding only while its entry has not expired; the report says which."""

from datetime import date

import pytest

from tests.a11y.checks import Finding, PageState
from tests.a11y.report import apply_baseline, load_baseline, open_findings, write_html

BASELINE = """
[[accept]]
rule = "axe:color-contrast"
page = "/report/*/details"
selector = "#description"
expires = 2027-01-31
reason = "New text colour in the January release"
"""


def _state() -> PageState:
    finding = Finding("axe:color-contrast", "1.4.3", "Low contrast", "#description", "<textarea>", "")
    other = Finding("axe:color-contrast", "1.4.3", "Low contrast", "#email", "<input>", "")
    return PageState(
        "report", "norwich", "/report/*/details", "http://x/", "as it opens", "T", ["Go"], [finding, other]
    )


def test_an_entry_accepts_its_finding_until_it_expires(tmp_path):
    path = tmp_path / "a11y-baseline.toml"
    path.write_text(BASELINE)
    baseline = load_baseline(path)

    state = _state()
    apply_baseline(state, baseline, date(2027, 1, 31))
    assert [finding.selector for finding in open_findings(state)] == ["#email"]

    expired = _state()
    apply_baseline(expired, baseline, date(2027, 2, 1))
    assert [finding.selector for finding in open_findings(expired)] == ["#description", "#email"]
    assert expired.findings[0].expired

    write_html([state, expired], tmp_path / "index.html", "http://x/")
    html = (tmp_path / "index.html").read_text()
    assert "Accepted by the baseline" in html and "Its baseline entry has expired" in html
    assert "<strong>3 findings not accepted</strong>" in html


def test_an_entry_without_an_expiry_date_is_refused(tmp_path):
    path = tmp_path / "a11y-baseline.toml"
    path.write_text(BASELINE.replace("expires = 2027-01-31", 'expires = "soon"'))
    with pytest.raises(ValueError, match="expires date"):
        load_baseline(path)
