"""What a report holds, independent of its format: headline figures and sections of tables,
each table optionally drawn as a chart. Renderers (xlsx, pdf, html) only lay this out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class Percent(float):
    """A rate in per cent (19.0 means 19.0%): a number to every renderer that computes with it (the
    Excel cell, the chart), written "19.0%" wherever it is printed (page, PDF, CSV, the API's rows)."""

    def __str__(self) -> str:
        return f"{float(self):.1f}%"

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else float.__format__(self, spec)

    def __html__(self) -> str:  # Jinja prints it as written, not as the float
        return str(self)


class Change(Percent):
    """A change in per cent with its sign (+5.4%)."""

    def __str__(self) -> str:
        return f"{float(self):+.1f}%"


Cell = str | int | float | None


def cell_text(value: Cell) -> str | int | float | None:
    """A cell as JSON/CSV carry it: a rate as its written text ("19.0%"), anything else as it is."""
    return str(value) if isinstance(value, Percent) else value


@dataclass(frozen=True)
class Chart:
    kind: str  # "bar" | "line"
    category_column: int  # which column names the categories
    value_columns: tuple[int, ...]  # which columns are series


@dataclass
class Table:
    key: str  # stable id, used in download URLs and sheet names
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    chart: Chart | None = None
    note: str = ""

    def series(self) -> tuple[list[str], list[tuple[str, list[float]]]]:
        """Categories and (name, values) series for drawing the chart."""
        if self.chart is None:
            return [], []
        cats = [str(r[self.chart.category_column]) for r in self.rows]
        series = [(self.columns[c], [float(r[c] or 0) for r in self.rows]) for c in self.chart.value_columns]
        return cats, series


@dataclass(frozen=True)
class Figure:
    label: str
    value: str  # as printed: "1,055", "93.8%", "—"
    hint: str = ""  # e.g. "环比 +12.5%"
    number: int | Percent | None = None  # the same figure to compute with (None when it is "—")


@dataclass
class Report:
    title: str
    period_key: str
    period_label: str
    generated_at: datetime
    scope: str  # whose data: "全市" or a jurisdiction/unit name
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # plain-language findings, generated from the data

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)
