"""The activity report's period presets (this month, last month, this year, last year, from today) and its
headline figures as large numbers before the tables."""

import html
import re
from datetime import date

import pytest

from refurb.reports.services import period_presets


def T(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("day, expected", [
    (date(2026, 1, 15), {"month": ("2026-01-01", "2026-01-15"), "last_month": ("2025-12-01", "2025-12-31"),
                         "year": ("2026-01-01", "2026-01-15"), "last_year": ("2025-01-01", "2025-12-31")}),
    (date(2028, 3, 1), {"month": ("2028-03-01", "2028-03-01"), "last_month": ("2028-02-01", "2028-02-29"),
                        "year": ("2028-01-01", "2028-03-01"), "last_year": ("2027-01-01", "2027-12-31")}),
])
def test_report_period_presets(day, expected):
    assert {p.key: (p.start.isoformat(), p.end.isoformat()) for p in period_presets(day)} == expected


def test_report_page_offers_the_presets_from_today_and_big_headline_figures(login_as):
    from refurb.clock import today

    month, last_month, year, last_year = period_presets(today())
    client = login_as("manager")
    page = T(client.get("/rapports/activite"))
    for p in (month, last_month, year, last_year):
        assert f"from={p.start.isoformat()}&to={p.end.isoformat()}" in page and f">{p.label}</a>" in page
    assert re.search(r'aria-current="true">Ce mois-ci<', page)  # the period shown by default
    shown = T(client.get(f"/rapports/activite?from={last_month.start}&to={last_month.end}&site=*"))
    assert re.search(r'aria-current="true">Le mois dernier<', shown)
    headline = shown[shown.index('class="report-headline"'):shown.index("<h2>Chiffres clés</h2>")]
    assert "<strong>0</strong> appareil collecté" in headline and "<strong>0,0</strong> kg CO2e évité</li>" in headline


