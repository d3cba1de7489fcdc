"""docs/security.md names, for every ASVS 5.0 Level 1 and 2 requirement of chapters V2, V3, V5, V7, V8, V9
and V10, the test that proves it or why it does not apply. These tests keep that table honest: every
requirement is there once, every row says something, and every test it names exists."""

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "security.md"

# The Level 1 and 2 requirement ids of ASVS 5.0.0 (tag v5.0.0_release) in the chapters the table covers.
ASVS_LEVEL_2_IDS = (
    *("2.1.1", "2.1.2", "2.1.3", "2.2.1", "2.2.2", "2.2.3", "2.3.1", "2.3.2", "2.3.3", "2.3.4", "2.4.1"),
    *("3.2.1", "3.2.2", "3.3.1", "3.3.2", "3.3.3", "3.3.4", "3.4.1", "3.4.2", "3.4.3", "3.4.4", "3.4.5"),
    *("3.4.6", "3.5.1", "3.5.2", "3.5.3", "3.5.4", "3.5.5", "3.7.1", "3.7.2"),
    *("5.1.1", "5.2.1", "5.2.2", "5.2.3", "5.3.1", "5.3.2", "5.4.1", "5.4.2", "5.4.3"),
    *("7.1.1", "7.1.2", "7.1.3", "7.2.1", "7.2.2", "7.2.3", "7.2.4", "7.3.1", "7.3.2", "7.4.1", "7.4.2"),
    *("7.4.3", "7.4.4", "7.4.5", "7.5.1", "7.5.2", "7.6.1", "7.6.2"),
    *("8.1.1", "8.1.2", "8.2.1", "8.2.2", "8.2.3", "8.3.1", "8.4.1"),
    *("9.1.1", "9.1.2", "9.1.3", "9.2.1", "9.2.2", "9.2.3", "9.2.4"),
    *("10.1.1", "10.1.2", "10.2.1", "10.2.2", "10.3.1", "10.3.2", "10.3.3", "10.3.4", "10.4.1", "10.4.2"),
    *("10.4.3", "10.4.4", "10.4.5", "10.4.6", "10.4.7", "10.4.8", "10.4.9", "10.4.10", "10.4.11"),
    *("10.5.1", "10.5.2", "10.5.3", "10.5.4", "10.5.5", "10.6.1", "10.6.2", "10.7.1", "10.7.2", "10.7.3"),
)
ROW = re.compile(r"^\| (?P<id>\d+\.\d+\.\d+) \| (?P<level>[12]) \| (?P<text>.+?) \| (?P<evidence>.+) \|$")
TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::([\w:]+)(?:\[[^\]]*\])?`")
KINDS = ("Not applicable:", "No test yet:")


def rows() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in DOCUMENT.read_text().splitlines():
        match = ROW.match(line)
        if match:
            assert match["id"] not in found, f"{match['id']} is listed twice"
            found[match["id"]] = match["evidence"].strip()
    return found


@cache
def defined_names(path: str) -> set[str]:
    """Top-level functions and Class::method names defined in a test module."""
    tree = ast.parse((ROOT / path).read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return names


def test_every_requirement_of_the_chapters_is_listed_once():
    listed = rows()
    assert sorted(set(ASVS_LEVEL_2_IDS) - set(listed)) == []
    assert sorted(set(listed) - set(ASVS_LEVEL_2_IDS)) == [], "ids that are not ASVS 5.0 Level 1-2 ids"


def problems_of(evidence: str) -> list[str]:
    references = TEST_REFERENCE.findall(evidence)
    if not references and not evidence.startswith(KINDS):
        return [f"evidence must name tests or start with one of {KINDS}"]
    found = []
    for path, name in references:
        if not (name.startswith("test_") or "::test_" in name):
            found.append(f"{name} is not a test")
        elif not (ROOT / path).is_file():
            found.append(f"{path} does not exist")
        elif name not in defined_names(path):
            found.append(f"{path} has no {name}")
    return found


@pytest.mark.parametrize("requirement", ASVS_LEVEL_2_IDS)
def test_each_row_names_tests_or_says_why_not(requirement):
    assert problems_of(rows().get(requirement, "")) == []


def test_the_checker_notices_missing_tests_and_empty_rows():
    this = "tests/security/test_security_doc.py"
    assert problems_of(f"`{this}::test_each_row_names_tests_or_says_why_not[2.1.1]`") == []
    assert problems_of(f"`{this}::test_that_is_not_there`") == [f"{this} has no test_that_is_not_there"]
    assert problems_of("`tests/security/test_missing.py::test_x`") == [
        "tests/security/test_missing.py does not exist"
    ]
    assert problems_of(f"`{this}::rows`") == ["rows is not a test"]
    assert problems_of("Works fine.") != []
