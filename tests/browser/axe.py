"""axe-core in the browser tests: `assert_no_axe_violations(page)` after the page has loaded.

axe-core is added to every page of the shared contexts (tests/browser/conftest.py) as an init script,
once per context rather than sent over the wire for each scan; for any other page `inject_axe(context)`
does the same before the page opens.
"""

from axe_playwright_python.sync_playwright import Axe

AXE_SCRIPT = Axe().axe_script
MAX_ELEMENTS_SHOWN = 5


def inject_axe(context) -> None:
    """Make axe-core available in every page this browser context opens from now on."""
    context.add_init_script(AXE_SCRIPT)


def axe_violations(page) -> list[dict]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    return page.evaluate("() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")


def describe_violations(violations: list[dict]) -> str:
    """One readable paragraph per rule: what is wrong, where, and axe's explanation."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>"
        )
        for node in violation["nodes"][:MAX_ELEMENTS_SHOWN]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node.get('failureSummary', '')}")
            lines.append(f"      {node['html'][:200]}")
        if len(violation["nodes"]) > MAX_ELEMENTS_SHOWN:
            lines.append(f"    and {len(violation['nodes']) - MAX_ELEMENTS_SHOWN} more elements")
    return "\n".join(lines)


def assert_no_axe_violations(page) -> None:
    violations = axe_violations(page)
    assert not violations, (
        f"axe-core found {len(violations)} problems on {page.url}:\n{describe_violations(violations)}"
    )
