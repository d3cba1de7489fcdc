"""Charts as plain data, laid out here and drawn by the Jinja SVG template staff/insights/_chart.html.

Plain SVG from a template rather than a charting library: the page needs horizontal bars only, the output must
carry <title>/<desc>, text labels and patterns we control, and a library (matplotlib, pygal) would add a large
dependency or JavaScript for what is a few rectangles. Each bar has its series and value written beside it,
and every other series is hatched, so colour is never the only cue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 640
SERIES_LABEL = 20  # each bar's council is written on the line above it
VALUE_WIDTH = 70
BAR_HEIGHT = 20
BAR_GAP = 6
ROW_HEADING = 26
ROW_GAP = 14
NO_DATA = "no data"


@dataclass(frozen=True)
class Bar:
    row: str
    series: str
    series_label: str
    value: float
    text: str
    x: int
    y: int
    width: int
    hatched: bool


@dataclass
class Chart:
    key: str
    title: str
    description: str
    row_heading: str
    rows: list[tuple[str, str]]  # (key, label)
    series: list[tuple[str, str]]  # (key, label): the councils, side by side
    values: dict[tuple[str, str], float]  # (row key, series key) -> value
    counts: bool = True  # counts are suppressed when small in exports; durations are not
    unit: str = ""
    bars: list[Bar] = field(default_factory=list)
    row_labels: list[tuple[str, int]] = field(default_factory=list)
    height: int = 0

    def value(self, row: str, series: str) -> float:
        return self.values.get((row, series), 0)

    def text(self, value: float) -> str:
        return f"{value:,.0f}" if self.counts else f"{value:,.1f}"

    def known(self, row: str, series: str) -> bool:
        """A count is nought when not found; a measure (a duration, a percentage) is unknown: nothing to
        measure it from."""
        return self.counts or (row, series) in self.values

    def cell(self, row: str, series: str) -> str:
        return self.text(self.value(row, series)) if self.known(row, series) else NO_DATA

    def layout(self) -> Chart:
        largest = max([self.value(row, series) for row, _ in self.rows for series, _ in self.series] + [0])
        scale = (WIDTH - VALUE_WIDTH) / largest if largest else 0
        y = 0
        self.bars, self.row_labels = [], []
        for row, row_label in self.rows:
            y += ROW_HEADING
            self.row_labels.append((row_label, y - 8))
            for index, (series, series_label) in enumerate(self.series):
                value = self.value(row, series)
                self.bars.append(
                    Bar(
                        row=row,
                        series=series,
                        series_label=series_label,
                        value=value,
                        text=self.cell(row, series),
                        x=0,
                        y=y + SERIES_LABEL,
                        width=max(round(value * scale), 1 if value else 0),
                        hatched=index % 2 == 1,
                    )
                )
                y += SERIES_LABEL + BAR_HEIGHT + BAR_GAP
            y += ROW_GAP
        self.height = y
        return self

    @property
    def width(self) -> int:
        return WIDTH
