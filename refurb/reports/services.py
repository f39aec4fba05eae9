"""The one door of the reports area: the activity and impact report (its figures, the page's charts, the
PDF and the CSV)."""

from __future__ import annotations

from .figures import (
    DEFAULT_FACTORS,
    FACTOR_SETS,
    KIND_LABELS,
    ActivityReport,
    build_report,
    figure_rows,
    parse_period,
    period_presets,
    to_json,
)
from .output import charts_for, filename, fmt, kg, kg2, outcome_items, render_csv, render_pdf

__all__ = [
    "DEFAULT_FACTORS", "FACTOR_SETS", "KIND_LABELS", "ActivityReport", "build_report", "figure_rows", "parse_period",
    "period_presets", "to_json",
    "charts_for", "filename", "fmt", "kg", "kg2", "outcome_items", "render_csv", "render_pdf",
]
