"""A chart's exports: small counts suppressed, a measure with nothing to measure it from left empty (never
written as nought), and labels a spreadsheet would run as formulas quoted."""

from __future__ import annotations

import csv
import io

from app.insights import exports
from app.insights.charts import NO_DATA, Chart


def _rate_chart() -> Chart:
    return Chart(
        "not_fixed",
        "Said not fixed after closing",
        "",
        "Closed reports",
        [("not_fixed", "Said not fixed (%)")],
        [("norwich", "Norwich"), ("breckland", "Breckland")],
        {("not_fixed", "norwich"): 25.0},
        counts=False,
        unit="percent",
    ).layout()


def test_a_measure_with_nothing_to_measure_is_empty_not_nought():
    chart = _rate_chart()
    assert chart.cell("not_fixed", "norwich") == "25.0"
    assert chart.cell("not_fixed", "breckland") == NO_DATA
    assert [bar.text for bar in chart.bars] == ["25.0", NO_DATA]
    rows = list(csv.reader(io.StringIO(exports.as_csv(chart))))
    assert rows == [["Closed reports", "Norwich", "Breckland"], ["Said not fixed (%)", "25.0", ""]]
    [row] = exports.as_json(chart)["rows"]
    assert row["values"] == [
        {"council": "norwich", "value": 25.0, "suppressed": False},
        {"council": "breckland", "value": None, "suppressed": False},
    ]


def test_counts_from_one_to_four_are_suppressed_and_nought_is_not():
    chart = Chart(
        "sign_ins",
        "Sign-ins",
        "",
        "Measure",
        [("sign_ins", "=Sign-ins")],
        [("norwich", "Norwich"), ("breckland", "Breckland"), ("broadland", "Broadland")],
        {("sign_ins", "norwich"): 4, ("sign_ins", "broadland"): 5},
    ).layout()
    assert chart.cell("sign_ins", "breckland") == "0"
    rows = list(csv.reader(io.StringIO(exports.as_csv(chart))))
    assert rows[1] == ["'=Sign-ins", "[c]", "0", "5"]
