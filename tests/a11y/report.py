"""The accessibility suite's baseline of accepted findings and its HTML report.

The baseline (a11y-baseline.toml) accepts known findings until a date:

    [[accept]]
    rule = "axe:color-contrast"      # the rule id as the report shows it
    page = "/report/*/details"       # the page's path (a glob; tokens show as *)
    selector = "#description"        # the element's selector, or "*" for any
    expires = 2027-01-31             # after this date the finding counts again
    reason = "New text colour ships with the January release"
"""

from __future__ import annotations

import html
import tomllib
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

from tests.a11y.checks import PageState


@dataclass(frozen=True)
class Acceptance:
    rule: str
    page: str
    selector: str
    expires: date
    reason: str


def load_baseline(path: Path) -> list[Acceptance]:
    if not path.is_file():
        return []
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("accept", [])
    baseline = []
    for number, entry in enumerate(entries, 1):
        missing = {"rule", "page", "selector", "expires", "reason"} - entry.keys()
        if missing or not isinstance(entry["expires"], date):
            raise ValueError(
                f"{path}: accept entry {number} needs rule, page, selector, reason and an expires date"
                f" (missing {sorted(missing) or 'a date in expires'})"
            )
        baseline.append(Acceptance(**{key: entry[key] for key in Acceptance.__dataclass_fields__}))
    return baseline


def apply_baseline(state: PageState, baseline: list[Acceptance], today: date) -> None:
    """Mark the findings the baseline accepts; an expired entry accepts nothing and says so."""
    for finding in state.findings:
        for entry in baseline:
            if (
                entry.rule == finding.rule
                and fnmatchcase(state.page, entry.page)
                and (entry.selector == "*" or entry.selector == finding.selector)
            ):
                if entry.expires < today:
                    finding.expired = True
                else:
                    finding.accepted_by = entry.reason
                    finding.expired = False
                    break


def open_findings(state: PageState) -> list:
    return [finding for finding in state.findings if not finding.accepted_by]


_STYLE = """
body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 0 auto; max-width: 60rem; padding: 1rem;
       color: #0b0c0c; background: #fff; }
a { color: #1d70b8; } a:focus { outline: 3px solid #fd0; background: #fd0; color: #0b0c0c; }
table { border-collapse: collapse; }
th, td { border: 1px solid #505a5f; padding: .25rem .5rem; text-align: left; }
.finding { border-left: 5px solid #d4351c; padding: .25rem 1rem; margin: 1rem 0; }
.finding.accepted { border-left-color: #505a5f; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f3f2f1; padding: .5rem; }
img { max-width: 100%; height: auto; border: 1px solid #505a5f; }
"""


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)


def write_html(states: list[PageState], path: Path, target: str) -> None:
    """One self-contained page: a summary, then each journey, each page and state, each finding."""
    journeys: dict[str, list[PageState]] = {}
    for state in states:
        journeys.setdefault(f"{state.council}: {state.journey}", []).append(state)
    total_open = sum(len(open_findings(state)) for state in states)
    total_accepted = sum(len(state.findings) for state in states) - total_open
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Accessibility report: {_e(target)}</title><style>{_STYLE}</style></head><body>",
        '<a href="#main">Skip to the findings</a>',
        '<main id="main" tabindex="-1">',
        f"<h1>Accessibility report: {_e(target)}</h1>",
        f"<p>{len(states)} page states checked in {len(journeys)} journeys: "
        f"<strong>{total_open} findings not accepted</strong>, "
        f"{total_accepted} accepted by the baseline.</p>",
        "<table><caption>Journeys</caption><thead><tr><th scope='col'>Journey</th>"
        "<th scope='col'>Page states</th><th scope='col'>Findings not accepted</th></tr></thead><tbody>",
    ]
    for number, (name, journey_states) in enumerate(journeys.items(), 1):
        count = sum(len(open_findings(state)) for state in journey_states)
        out.append(
            f"<tr><td><a href='#journey-{number}'>{_e(name)}</a></td><td>{len(journey_states)}</td>"
            f"<td>{count}</td></tr>"
        )
    out.append("</tbody></table>")
    for number, (name, journey_states) in enumerate(journeys.items(), 1):
        out.append(f"<section aria-labelledby='journey-{number}'><h2 id='journey-{number}'>{_e(name)}</h2>")
        for state in journey_states:
            out.append(
                f"<h3>{_e(state.page)} ({_e(state.state)})</h3>"
                f"<p>Title: {_e(state.title)}<br>Address: <a href='{_e(state.url)}'>{_e(state.url)}</a></p>"
            )
            if not state.findings:
                out.append("<p>No findings.</p>")
                continue
            out.append("<details><summary>How to reproduce</summary><ol>")
            out.extend(f"<li>{_e(step)}</li>" for step in state.steps)
            out.append("</ol></details>")
            for finding in state.findings:
                accepted = " accepted" if finding.accepted_by else ""
                out.append(f"<div class='finding{accepted}'>")
                out.append(
                    f"<h4>WCAG {_e(finding.criterion)}: {_e(finding.rule)}"
                    f"{' (accepted)' if finding.accepted_by else ''}</h4><p>{_e(finding.message)}</p><dl>"
                )
                if finding.accepted_by:
                    out.append(f"<dt>Accepted by the baseline</dt><dd>{_e(finding.accepted_by)}</dd>")
                elif finding.expired:
                    out.append("<dt>Baseline</dt><dd>Its baseline entry has expired</dd>")
                if finding.selector:
                    out.append(f"<dt>Element</dt><dd><code>{_e(finding.selector)}</code></dd>")
                if finding.html:
                    out.append(f"<dt>HTML</dt><dd><pre>{_e(finding.html)}</pre></dd>")
                if finding.impact:
                    out.append(f"<dt>Impact (axe-core)</dt><dd>{_e(finding.impact)}</dd>")
                out.append("</dl>")
                if finding.screenshot:
                    out.append(
                        f"<img src='data:image/png;base64,{finding.screenshot}' "
                        f"alt='Screenshot of the element {_e(finding.selector)}'>"
                    )
                out.append("</div>")
        out.append("</section>")
    out.append("</main></body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
