"""A chart's numbers as CSV or JSON for councils' own reporting tools.

A count from 1 to 4 for one council could point at a person in a small area, so exports suppress it:
the CSV cell reads "[c]" (the ONS marker for confidential) and the JSON value is null with "suppressed": true.
Nought is not suppressed (it says nobody), nor are durations and percentages (they describe the service, not
people). A measure with nothing to measure it from is an empty CSV cell and a JSON null, not suppressed.
"""

from __future__ import annotations

import csv
import io

from app.insights.charts import Chart

SMALLEST_SHOWN = 5
SUPPRESSED = "[c]"


def suppressed(chart: Chart, value: float) -> bool:
    return chart.counts and 0 < value < SMALLEST_SHOWN


def _number(chart: Chart, value: float):
    return int(value) if chart.counts else round(value, 1)


def as_csv(chart: Chart) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([chart.row_heading, *(label for _, label in chart.series)])
    for row, row_label in chart.rows:
        cells = []
        for series, _ in chart.series:
            value = chart.value(row, series)
            if not chart.known(row, series):
                cells.append("")
                continue
            cells.append(SUPPRESSED if suppressed(chart, value) else _number(chart, value))
        writer.writerow([_safe(row_label), *cells])
    return out.getvalue()


def _safe(text: str) -> str:
    """A label a spreadsheet would take for a formula is quoted with an apostrophe."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_json(chart: Chart) -> dict:
    return {
        "chart": chart.key,
        "title": chart.title,
        "unit": chart.unit,
        "rows": [
            {
                "key": row,
                "label": row_label,
                "values": [
                    {
                        "council": series,
                        "value": None
                        if suppressed(chart, value) or not chart.known(row, series)
                        else _number(chart, value),
                        "suppressed": suppressed(chart, value),
                    }
                    for series, _ in chart.series
                    for value in [chart.value(row, series)]
                ],
            }
            for row, row_label in chart.rows
        ],
    }
