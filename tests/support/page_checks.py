"""Checks of a page in Chromium that axe-core cannot make, shared by the browser tests (tests/browser) and the
accessibility suite for live sites (tests/a11y): where the keyboard focus goes and whether it shows, and what
passes the viewport's edge when the page reflows."""

from __future__ import annotations

FOCUSABLE = (
    "a[href], area[href], button, input:not([type=hidden]), select, textarea, summary, iframe, "
    "[contenteditable=''], [contenteditable=true], [tabindex]:not([tabindex='-1'])"
)

# Snapshots the styles that can show focus, for the focused element or (on the first call on a page) for every
# focusable one.
FOCUS_STYLES_JS = """
(focusableSelector) => {
  const styles = (element) => {
    const style = getComputedStyle(element);
    return {
      outline: style.outlineStyle === 'none' || parseFloat(style.outlineWidth) === 0
        ? 'none' : `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
      boxShadow: style.boxShadow,
      background: style.backgroundColor,
      color: style.color,
    };
  };
  const describe = (element) =>
    `<${element.tagName.toLowerCase()}${element.id ? ' id=' + element.id : ''}` +
    `${element.className && typeof element.className === 'string' ? ' class=' + element.className : ''}>` +
    ` "${(element.innerText || element.getAttribute('aria-label') || element.alt || '').trim()}"`;
  const selector = (element) => {
    if (element.id) return '#' + CSS.escape(element.id);
    const parts = [];
    for (let node = element; node && node !== document.body; node = node.parentElement) {
      const siblings = [...node.parentElement.children].filter((child) => child.tagName === node.tagName);
      const index = siblings.length > 1 ? `:nth-of-type(${siblings.indexOf(node) + 1})` : '';
      parts.unshift(node.tagName.toLowerCase() + index);
      if (node.parentElement.id) { parts.unshift('#' + CSS.escape(node.parentElement.id)); break; }
    }
    return parts.join(' > ');
  };
  if (!window.__unfocusedStyles) {
    window.__unfocusedStyles = new Map();
    window.__focusables = [];
    for (const element of document.querySelectorAll(focusableSelector)) {
      const style = getComputedStyle(element);
      if (element.disabled || element.closest('[inert]') || !element.getClientRects().length
          || style.visibility === 'hidden' || element.tabIndex < 0) continue;
      window.__unfocusedStyles.set(element, styles(element));
      window.__focusables.push(element);
    }
    // A radio group is one tab stop: the keyboard reaches the rest with the arrow keys.
    const groups = window.__focusables.map((element, index) =>
      element.type === 'radio' && element.name ? `radio:${element.name}` : `${index}`);
    return {focusables: window.__focusables.map(describe), groups};
  }
  const element = document.activeElement;
  if (!element || element === document.body || element === document.documentElement) return null;
  const box = element.getBoundingClientRect();
  return {
    index: window.__focusables.indexOf(element),
    description: describe(element),
    selector: selector(element),
    isSkipLink: element.matches('a[href^="#"]') && /skip/i.test(element.className + ' ' + element.innerText),
    before: window.__unfocusedStyles.get(element) || null,
    after: styles(element),
    visibleSize: box.width > 1 && box.height > 1,
  };
}
"""


def focus_indicator_changes(before: dict, after: dict) -> list[str]:
    """The styles that changed visibly when an element took the focus."""
    return [
        name
        for name in ("outline", "boxShadow", "background")
        if after[name] != before[name] and after[name] not in ("none", "rgba(0, 0, 0, 0)")
    ]


# Moves the keyboard's starting point to the top of the document (as loading the page does), wherever the
# focus was (an error summary takes it, say).
_FROM_THE_TOP_JS = """
() => {
  delete window.__unfocusedStyles;
  const root = document.documentElement;
  const tabindex = root.getAttribute('tabindex');
  root.setAttribute('tabindex', '-1');
  root.focus({preventScroll: true});
  if (tabindex === null) root.removeAttribute('tabindex'); else root.setAttribute('tabindex', tabindex);
}
"""


def tab_through(page, limit: int | None = None) -> tuple[list[str], list[dict]]:
    """Press Tab from the top of the page until focus leaves the page or comes round again; returns what was
    focusable (descriptions) and each stop, in order. ``limit`` caps the presses on very long pages."""
    everything, stops = tab_stops(page, limit)
    return everything["focusables"], stops


def tab_stops(page, limit: int | None = None) -> tuple[dict, list[dict]]:
    """As tab_through, with each focusable element's group (a radio group is one tab stop) as well."""
    page.evaluate(_FROM_THE_TOP_JS)
    everything = page.evaluate(FOCUS_STYLES_JS, FOCUSABLE)
    focusables = everything["focusables"]
    stops = []
    presses = len(focusables) + 2 if limit is None else min(limit, len(focusables) + 2)
    for _ in range(presses):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_STYLES_JS, FOCUSABLE)
        if stop is None or (stops and stop["index"] == stops[0]["index"]):
            break
        stops.append(stop)
    return everything, stops


# Elements whose right edge passes the viewport's: text or images cut off, or a horizontal scrollbar.
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const overflowing = [];
  // Inside a box that fits and hides its overflow (a map's tiles, say), nothing makes the page
  // scroll sideways.
  const insideAFittingClip = (element) => {
    for (let parent = element.parentElement; parent && parent !== document.body;
         parent = parent.parentElement) {
      const overflowX = getComputedStyle(parent).overflowX;
      if (overflowX === 'hidden' || overflowX === 'clip') {
        const box = parent.getBoundingClientRect();
        return box.left >= -1 && box.right <= width + 1;
      }
    }
    return false;
  };
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    const clipped = style.clip !== 'auto' || style.clipPath !== 'none' || insideAFittingClip(element);
    if (box.width > 1 && !clipped && (box.right > width + 1 || box.left < -1)) {
      overflowing.push(`${element.tagName.toLowerCase()}.${[...element.classList].join('.')}` +
        ` (${Math.round(box.left)} to ${Math.round(box.right)}px)`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, overflowing: overflowing.slice(0, 10)};
}
"""
