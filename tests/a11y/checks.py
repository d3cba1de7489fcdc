"""The checks the accessibility suite makes on every page and state. Each returns Findings: what is wrong,
the WCAG success criterion, and the element (a CSS selector and its HTML), with a screenshot cropped to it
taken in the state in which it was found."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from tests.browser.axe import AXE_SCRIPT
from tests.support.page_checks import OVERFLOW_JS, focus_indicator_changes, tab_stops

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
MAX_ELEMENTS_PER_RULE = 5
MAX_TAB_STOPS = 120
DESKTOP = {"width": 1280, "height": 800}
# 320 CSS pixels wide: a 320px phone, and a 1280px window at 400% zoom (1280 / 4 = 320 by 800 / 4 = 200).
NARROW = {"width": 320, "height": 640}
ZOOMED_400 = {"width": 320, "height": 200}

# WCAG 1.4.12: line height 1.5, paragraph spacing 2, letter spacing 0.12, word spacing 0.16 (times the font
# size), set on each element's own style (a Content-Security-Policy may refuse an added stylesheet); undone by
# calling the function it returns.
TEXT_SPACING_JS = """
() => {
  const saved = [];
  for (const element of document.querySelectorAll('body, body *')) {
    saved.push([element, element.getAttribute('style')]);
    element.style.setProperty('line-height', '1.5', 'important');
    element.style.setProperty('letter-spacing', '0.12em', 'important');
    element.style.setProperty('word-spacing', '0.16em', 'important');
    if (element.tagName === 'P') element.style.setProperty('margin-bottom', '2em', 'important');
  }
  window.__a11yUndoSpacing = () => {
    for (const [element, style] of saved) {
      if (style === null) element.removeAttribute('style'); else element.setAttribute('style', style);
    }
  };
}
"""

# Text containers whose text no longer fits and is cut off (overflow hidden/clip) once spacing is increased.
CLIPPED_TEXT_JS = """
() => {
  const found = [];
  for (const element of document.body.querySelectorAll('*')) {
    if (!element.childNodes.length || element.getClientRects().length === 0) continue;
    const hasText = [...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!hasText) continue;
    const style = getComputedStyle(element);
    const hides = (value) => value === 'hidden' || value === 'clip';
    if (style.clip !== 'auto' || style.clipPath !== 'none' || style.position === 'absolute'
        && element.getBoundingClientRect().width <= 1) continue;
    const clippedX = hides(style.overflowX) && element.scrollWidth > element.clientWidth + 1;
    const clippedY = hides(style.overflowY) && element.scrollHeight > element.clientHeight + 1;
    if (clippedX || clippedY) found.push(window.__a11ySelector(element));
  }
  return found.slice(0, 10);
}
"""

# A selector for any element (ids first, else a path of tag:nth-of-type), installed once per page.
SELECTOR_JS = """
() => {
  window.__a11ySelector = (element) => {
    if (element.id) return '#' + CSS.escape(element.id);
    const parts = [];
    for (let node = element; node !== document.body && node.parentElement; node = node.parentElement) {
      if (node.id) { parts.unshift('#' + CSS.escape(node.id)); break; }
      const siblings = [...node.parentElement.children].filter((child) => child.tagName === node.tagName);
      const index = siblings.length > 1 ? `:nth-of-type(${siblings.indexOf(node) + 1})` : '';
      parts.unshift(node.tagName.toLowerCase() + index);
    }
    return parts.join(' > ') || 'body';
  };
}
"""

# In forced colours, controls drawn only by a background colour disappear: each needs a border, an outline,
# text, or to be a native control the browser draws itself.
FORCED_COLOURS_JS = """
() => {
  const found = [];
  const controls = document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, [role=button], a.govuk-button');
  for (const control of controls) {
    if (!control.getClientRects().length) continue;
    const style = getComputedStyle(control);
    if (style.visibility === 'hidden' || parseFloat(style.opacity) === 0) continue;
    const box = control.getBoundingClientRect();
    if (box.width < 2 || box.height < 2) continue;
    const type = (control.getAttribute('type') || '').toLowerCase();
    if (type === 'file') continue;  // the browser draws its own button, in system colours
    if (['radio', 'checkbox'].includes(type)) {
      // GOV.UK styles the label's ::before; the native input is transparent on top of it.
      const label = control.labels && control.labels[0];
      const before = label ? getComputedStyle(label, '::before') : null;
      if (before && parseFloat(before.borderTopWidth) > 0) continue;
      if (parseFloat(style.opacity) > 0 && style.appearance !== 'none') continue;
    }
    const border = ['Top', 'Right', 'Bottom', 'Left'].some(
      (side) => parseFloat(style[`border${side}Width`]) > 0 && style[`border${side}Style`] !== 'none');
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const text = (control.innerText || control.value || '').trim();
    if (!border && !outline && !text) found.push(window.__a11ySelector(control));
  }
  return found.slice(0, 10);
}
"""

# WCAG 2.5.8: a target under 24 by 24 CSS pixels passes only if a 24px circle centred on it meets no other
# target; inline links in a sentence are exempt.
TARGET_SIZE_JS = """
() => {
  const targets = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, summary')]
    .filter((t) => t.getClientRects().length && getComputedStyle(t).visibility !== 'hidden');
  const boxes = targets.map((t) => t.getBoundingClientRect());
  const found = [];
  targets.forEach((target, i) => {
    const box = boxes[i];
    if (box.width >= 24 && box.height >= 24) return;
    if (target.tagName === 'A' && getComputedStyle(target).display === 'inline') return;
    if (['radio', 'checkbox'].includes(target.type) && target.labels && target.labels.length) return;
    const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
    const near = boxes.some((other, j) => {
      if (j === i) return false;
      const dx = Math.max(other.left - cx, 0, cx - other.right);
      const dy = Math.max(other.top - cy, 0, cy - other.bottom);
      return Math.hypot(dx, dy) < 12;
    });
    if (near) found.push([window.__a11ySelector(target), Math.round(box.width), Math.round(box.height)]);
  });
  return found.slice(0, 10);
}
"""

HEADINGS_JS = """
() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role=heading]')]
  .filter((h) => h.getClientRects().length)
  .map((h) => [window.__a11ySelector(h), h.getAttribute('aria-level')
    ? parseInt(h.getAttribute('aria-level')) : parseInt(h.tagName.slice(1)), h.innerText.trim().slice(0, 80)])
"""

# WCAG 1.3.5: inputs collecting the user's own details say which (autocomplete), recognised by name or label.
PERSONAL_FIELDS = {
    "email": re.compile(r"e-?mail", re.I),
    "tel": re.compile(r"phone|telephone|mobile|\btel\b", re.I),
    "postal-code": re.compile(r"post ?code", re.I),
    "given-name": re.compile(r"first name|given name", re.I),
    "family-name": re.compile(r"last name|surname|family name", re.I),
    "name": re.compile(r"^(full )?name$|your name", re.I),
}
FIELDS_JS = """
() => [...document.querySelectorAll('input:not([type=hidden]):not([type=radio]):not([type=checkbox])'
                                    + ':not([type=submit]):not([type=file]), textarea')]
  .filter((f) => f.getClientRects().length)
  .map((f) => ({selector: window.__a11ySelector(f), name: f.name || '', type: f.type,
                label: f.labels && f.labels[0] ? f.labels[0].innerText.trim() : '',
                autocomplete: f.getAttribute('autocomplete') || ''}))
"""

ERROR_SUMMARY_JS = """
() => {
  const summary = document.querySelector('.govuk-error-summary, [role=alert][class*=error-summary]');
  if (!summary) return null;
  const focused = document.activeElement;
  const links = [...summary.querySelectorAll('a[href^="#"]')].map((link) => {
    const id = decodeURIComponent(link.getAttribute('href').slice(1));
    const target = document.getElementById(id);
    return {text: link.innerText.trim(), href: link.getAttribute('href'),
            field: !!target && target.matches('input, select, textarea, fieldset, [tabindex]')
              || !!(target && target.querySelector('input, select, textarea'))};
  });
  return {selector: window.__a11ySelector(summary), focused: summary === focused || summary.contains(focused),
          links, inlineErrors: document.querySelectorAll('.govuk-error-message').length};
}
"""


@dataclass
class Finding:
    rule: str
    criterion: str
    message: str
    selector: str = ""
    html: str = ""
    screenshot: str = ""  # base64 PNG of the element
    impact: str = ""
    accepted_by: str = ""  # the baseline entry's reason, when the finding is accepted
    expired: bool = False


@dataclass
class PageState:
    journey: str
    council: str
    page: str  # the page's path, tokens replaced
    url: str
    state: str
    title: str
    steps: list[str]
    findings: list[Finding] = field(default_factory=list)


def _criterion_from_tags(tags: list[str]) -> str:
    for tag in tags:
        match = re.fullmatch(r"wcag(\d)(\d)(\d+)", tag)
        if match:
            return ".".join(match.groups())
    return "best practice"


def _element(page, selector: str) -> tuple[str, str]:
    """The element's HTML (its start, up to 300 characters) and a base64 PNG cropped to it."""
    try:
        locator = page.locator(selector).first
        html = locator.evaluate("(e) => e.outerHTML", timeout=2000)[:300]
    except Exception:  # noqa: BLE001 - the element went away: the finding stands without it
        return "", ""
    try:
        locator.scroll_into_view_if_needed(timeout=2000)
        picture = base64.b64encode(locator.screenshot(timeout=3000, animations="disabled")).decode()
    except Exception:  # noqa: BLE001 - zero-size or hidden elements cannot be photographed
        picture = ""
    return html, picture


def _finding(page, rule: str, criterion: str, message: str, selector: str, impact: str = "") -> Finding:
    html, picture = _element(page, selector) if selector else ("", "")
    return Finding(rule, criterion, message, selector, html, picture, impact)


def axe(page) -> list[Finding]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    violations = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(r => r.violations)",
        AXE_TAGS,
    )
    findings = []
    for violation in violations:
        for node in violation["nodes"][:MAX_ELEMENTS_PER_RULE]:
            selector = " ".join(map(str, node["target"]))
            finding = _finding(
                page,
                f"axe:{violation['id']}",
                _criterion_from_tags(violation["tags"]),
                f"{violation['help']} ({node.get('failureSummary', '').strip()}) <{violation['helpUrl']}>",
                selector,
                violation.get("impact") or "",
            )
            findings.append(finding)
    return findings


def keyboard(page) -> list[Finding]:
    """Every tab stop shows a visible focus change (2.4.7), the keyboard reaches everything (2.1.1), the skip
    link comes first (2.4.1) and focus never sticks on one element (2.1.2)."""
    everything, stops = tab_stops(page, MAX_TAB_STOPS)
    focusables, groups = everything["focusables"], everything["groups"]
    findings = []
    if stops and not stops[0]["isSkipLink"]:
        findings.append(
            _finding(
                page,
                "skip-link-first",
                "2.4.1",
                "The first Tab stop is not a skip link",
                stops[0]["selector"],
            )
        )
    elif not stops and focusables:
        findings.append(_finding(page, "keyboard-reach", "2.1.1", "Tab reaches nothing on the page", ""))
    seen = []
    for stop in stops:
        if seen and stop["index"] == seen[-1]:
            findings.append(
                _finding(page, "focus-trap", "2.1.2", "Tab keeps the focus on one element", stop["selector"])
            )
            break
        seen.append(stop["index"])
        if (
            stop["before"] is None
            or not stop["visibleSize"]
            or not focus_indicator_changes(stop["before"], stop["after"])
        ):
            page.evaluate("(s) => document.querySelector(s)?.focus()", stop["selector"])
            findings.append(
                _finding(
                    page,
                    "focus-visible",
                    "2.4.7",
                    f"No visible focus indicator on {stop['description']}",
                    stop["selector"],
                )
            )
    if len(stops) < MAX_TAB_STOPS:
        reached = {groups[stop["index"]] for stop in stops if stop["index"] >= 0}
        for index, description in enumerate(focusables):
            if groups[index] not in reached:
                findings.append(
                    _finding(page, "keyboard-reach", "2.1.1", f"The keyboard cannot reach {description}", "")
                )
    page.evaluate("document.activeElement && document.activeElement.blur()")
    return findings


def reflow(page) -> list[Finding]:
    """Nothing passes the edge at 320 CSS pixels (a phone) or at 400% zoom of a 1280px window (1.4.10)."""
    findings = []
    for name, viewport in (("320px wide", NARROW), ("400% zoom (320 by 200 CSS px)", ZOOMED_400)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(50)
        layout = page.evaluate(OVERFLOW_JS)
        if layout["scrollWidth"] > layout["width"] or layout["overflowing"]:
            widest = page.evaluate(
                """() => { const w = document.documentElement.clientWidth; let found = null, right = w;
                  for (const e of document.body.querySelectorAll('*')) { const b = e.getBoundingClientRect();
                    if (b.width > 1 && b.right > right + 1) { right = b.right; found = e; } }
                  return found ? window.__a11ySelector(found) : ''; }"""
            )
            findings.append(
                _finding(
                    page,
                    "reflow",
                    "1.4.10",
                    f"At {name} the page is {layout['scrollWidth']}px wide; past the edge: "
                    f"{', '.join(layout['overflowing'][:5])}",
                    widest,
                )
            )
    page.set_viewport_size(DESKTOP)
    return findings


def text_spacing(page) -> list[Finding]:
    page.evaluate(TEXT_SPACING_JS)
    try:
        return [
            _finding(
                page, "text-spacing", "1.4.12", "Text is cut off with WCAG 1.4.12 text spacing", selector
            )
            for selector in page.evaluate(CLIPPED_TEXT_JS)
        ]
    finally:
        page.evaluate("window.__a11yUndoSpacing()")


def forced_colours(page) -> list[Finding]:
    page.emulate_media(forced_colors="active")
    try:
        invisible = page.evaluate(FORCED_COLOURS_JS)
        return [
            _finding(
                page,
                "forced-colours",
                "1.4.11",
                "In forced colours (Windows contrast themes) this control has no border, outline or text: "
                "it disappears",
                selector,
            )
            for selector in invisible
        ]
    finally:
        page.emulate_media(forced_colors="none")


def target_size(page) -> list[Finding]:
    return [
        _finding(
            page,
            "target-size",
            "2.5.8",
            f"A {width} by {height} CSS px target with another target within 12px of its centre",
            selector,
        )
        for selector, width, height in page.evaluate(TARGET_SIZE_JS)
    ]


def structure(page) -> list[Finding]:
    """One h1, headings that never skip a level downwards (1.3.1, 2.4.6), a page language (3.1.1)."""
    findings = []
    headings = page.evaluate(HEADINGS_JS)
    h1s = [heading for heading in headings if heading[1] == 1]
    if len(h1s) != 1:
        findings.append(
            _finding(
                page,
                "one-h1",
                "1.3.1",
                f"The page has {len(h1s)} h1 headings: {[heading[2] for heading in h1s]}",
                h1s[1][0] if len(h1s) > 1 else "",
            )
        )
    previous = 1  # GOV.UK's error summary (an h2) comes before the h1
    for selector, level, text in headings:
        if level > previous + 1:
            findings.append(
                _finding(page, "heading-order", "1.3.1", f"h{level} '{text}' follows h{previous}", selector)
            )
        previous = level
    lang = page.evaluate("document.documentElement.getAttribute('lang') || ''")
    if not re.fullmatch(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]+)*", lang):
        findings.append(_finding(page, "lang", "3.1.1", f"The page's lang is {lang!r}", "html"))
    return findings


def autocomplete(page) -> list[Finding]:
    findings = []
    for field_ in page.evaluate(FIELDS_JS):
        described = f"{field_['name']} {field_['label']} {field_['type']}"
        for token, pattern in PERSONAL_FIELDS.items():
            if pattern.search(described) and field_["autocomplete"] in ("", "on", "off"):
                findings.append(
                    _finding(
                        page,
                        "autocomplete",
                        "1.3.5",
                        f"'{field_['label'] or field_['name']}' asks for the user's own {token} "
                        f"but has no autocomplete={token}",
                        field_["selector"],
                    )
                )
                break
    return findings


def error_summary(page) -> list[Finding]:
    """After a failed submit: the error summary has the focus and each of its links leads to its field
    (3.3.1, 2.4.3)."""
    summary = page.evaluate(ERROR_SUMMARY_JS)
    if summary is None:
        if page.locator(".govuk-error-message, [aria-invalid=true]").count():
            return [_finding(page, "error-summary", "3.3.1", "Errors are shown without an error summary", "")]
        return []
    findings = []
    if not summary["focused"]:
        findings.append(
            _finding(
                page,
                "error-summary-focus",
                "2.4.3",
                "The error summary does not take the focus",
                summary["selector"],
            )
        )
    if not summary["links"]:
        findings.append(
            _finding(
                page,
                "error-summary-links",
                "3.3.1",
                "The error summary links to no field",
                summary["selector"],
            )
        )
    for link in summary["links"]:
        if not link["field"]:
            findings.append(
                _finding(
                    page,
                    "error-summary-links",
                    "3.3.1",
                    f"The error '{link['text']}' links to {link['href']}, which is no field on the page",
                    f"{summary['selector']} a[href='{link['href']}']",
                )
            )
    return findings


AFTER_NEXT_RENDERING_JS = (
    "() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => resolve())))"
)


def every_check(page, *, error_state: bool) -> list[Finding]:
    """All of them, the page left at its desktop size and normal colours afterwards."""
    page.set_viewport_size(DESKTOP)
    page.evaluate(SELECTOR_JS)
    findings = axe(page) + structure(page) + autocomplete(page) + target_size(page) + forced_colours(page)
    if error_state:
        findings += error_summary(page)
    findings += text_spacing(page) + reflow(page)
    # Back at the desktop size, the page's media-query listeners (the service navigation hides its Menu button
    # on wide screens) run at the next rendering step: wait for it, or the keyboard check counts that button.
    page.evaluate(AFTER_NEXT_RENDERING_JS)
    page.evaluate(SELECTOR_JS)
    findings += keyboard(page)
    return findings
