"""The activity and impact report: every figure of a small hand-built history (tests/fixtures_certificates.py,
March 2026) checked against values computed by hand; the page (SVG charts, tables), the PDF, the CSV
(formula-safe), the factor sets, bad periods and site scoping."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
import time_machine
from fixtures_certificates import AFTER_THE_HISTORY, pdf_text

MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture(autouse=True)
def _after_the_history():
    """The history is dated by hand (March 2026), and a loan still out counts up to today: every test here
    runs on a fixed day after it, whatever the day the suite runs."""
    with time_machine.travel(AFTER_THE_HISTORY, tick=True):
        yield

# Hand computation (see build_activity_history):
# collected: D1 company (L1, L2, K1) + D2 public body (T1, S1) + D3 individual (L3) + E1 without donation = 7;
#   D4 (February) and E2 (April) are outside.
# refurbished: first "ready" in March: L1, L2, K1, T1 (twice ready, once counted), L3, E1 = 6 (L4: February).
# sold: L2 150 + L3 90 + L4 100 + E1 20 = 4 devices, 360 €. donated: K1. loan pool: L1, L4. parts: S1.
# loans started in March: 10/03 (b2), 03/03 (b1), 28/03 (b3, still out), 31/03 (b2) = 4 loans, 3 borrowers;
# loan-days: 1-5 March (loan from February) 5 + 10-12 3 + 3-17 15 + 28-31 4 + 31 1 = 28.
# recycled: BSD-1 12.50 kg (S1, R1) + BSD-2 3.20 kg (R2) = 2 batches, 3 devices, 15.70 kg.
# reused: sold (L2, L3, L4, E1) + donated (K1) + pool (L1, L4) − L4 (pooled before its sale) = 4 laptops,
#   1 desktop, 1 screen (no factor).
# Restart 2021: waste 4 × 1.83 + 8.87 = 16.19 kg; CO2e 4 × 265.3 × 0.5 + 435.9 × 0.5 = 530.60 + 217.95 = 748.55.
# eReuse 2026: CO2e 4 × 156.2 + 169.0 = 793.80; waste 16.19 (Restart weights).
NETWORK = {
    "collected": {"total": 7, "donations": 3,
                  "by_donor_kind": {"company": 3, "public_body": 2, "association": 0, "individual": 1, "none": 1},
                  "by_category": {"laptop": 3, "desktop": 1, "tablet": 1, "smartphone": 1, "screen": 1}},
    "refurbished": {"total": 6, "by_category": {"laptop": 3, "desktop": 1, "tablet": 1, "screen": 1}},
    "sold": {"total": 4, "amount_eur": 360.0, "by_category": {"laptop": 3, "screen": 1}},
    "donated": {"total": 1, "by_category": {"desktop": 1}},
    "loan_pool": {"total": 2, "by_category": {"laptop": 2}},
    "lent": {"loans": 4, "borrowers": 3, "loan_days": 28},
    "parts": {"total": 1},
    "recycled": {"devices": 3, "batches": 2, "kg": 15.7},
}
# EPN-A only: D1 + D2 + E1 = 6 collected (2 donations); refurbished L1, L2, K1, T1, E1 = 5; sold L2, L4, E1 = 270 €;
# loans 10/03, 03/03, 31/03 = 3 (b1, b2), loan-days 5 + 3 + 15 + 1 = 24; BSD-1 only;
# reused 3 laptops (L1, L2, L4) + K1 + E1: waste 3 × 1.83 + 8.87 = 14.36, CO2e 3 × 132.65 + 217.95 = 615.90.
SITE_A = {
    "collected": {"total": 6, "donations": 2,
                  "by_donor_kind": {"company": 3, "public_body": 2, "association": 0, "individual": 0, "none": 1},
                  "by_category": {"laptop": 2, "desktop": 1, "tablet": 1, "smartphone": 1, "screen": 1}},
    "refurbished": {"total": 5, "by_category": {"laptop": 2, "desktop": 1, "tablet": 1, "screen": 1}},
    "sold": {"total": 3, "amount_eur": 270.0, "by_category": {"laptop": 2, "screen": 1}},
    "donated": {"total": 1, "by_category": {"desktop": 1}},
    "loan_pool": {"total": 2, "by_category": {"laptop": 2}},
    "lent": {"loans": 3, "borrowers": 2, "loan_days": 24},
    "parts": {"total": 1},
    "recycled": {"devices": 2, "batches": 1, "kg": 12.5},
}


def test_every_figure_of_the_network(client, activity_history, api_token):
    r = client.get(f"/api/v1/reports/activity?{MARCH}", headers=api_token("manager"))
    assert r.status_code == 200, r.json
    body = r.json
    assert body["period"] == {"from": "2026-03-01", "to": "2026-03-31"} and body["site"] is None
    for key, expected in NETWORK.items():
        assert body[key] == expected, key
    impact = body["impact"]
    assert impact["reused"] == 6
    assert impact["e_waste_avoided_kg"] == pytest.approx(16.19)
    assert impact["co2e_avoided_kg"] == pytest.approx(748.55)
    assert impact["not_counted"] == {"screen": 1}
    assert impact["by_category"] == [
        {"category": "laptop", "devices": 4, "weight_kg": 1.83, "e_waste_avoided_kg": 7.32,
         "co2e_avoided_kg_per_device": 132.65, "co2e_avoided_kg": 530.6},
        {"category": "desktop", "devices": 1, "weight_kg": 8.87, "e_waste_avoided_kg": 8.87,
         "co2e_avoided_kg_per_device": 217.95, "co2e_avoided_kg": 217.95},
        {"category": "screen", "devices": 1, "weight_kg": None, "e_waste_avoided_kg": None,
         "co2e_avoided_kg_per_device": None, "co2e_avoided_kg": None}]
    factors = body["factors"]
    assert factors["key"] == "restart2021" and factors["label"] == "Restart Project 2021"
    assert factors["displacement"] == 0.5 and factors["categories"]["laptop"]["co2e_kg_per_device"] == 265.3
    assert "screen" in factors["without_factor"] and "laptop" not in factors["without_factor"]


def test_every_figure_of_one_site_and_the_other_factor_set(client, activity_history, api_token):
    body = client.get(f"/api/v1/reports/activity?{MARCH}&site=EPN-A", headers=api_token("desk")).json
    assert body["site"] == "EPN-A"
    for key, expected in SITE_A.items():
        assert body[key] == expected, key
    assert body["impact"]["reused"] == 5
    assert body["impact"]["e_waste_avoided_kg"] == pytest.approx(14.36)
    assert body["impact"]["co2e_avoided_kg"] == pytest.approx(615.90)
    body = client.get(f"/api/v1/reports/activity?{MARCH}&factors=ereuse2026", headers=api_token("admin")).json
    assert body["factors"]["label"] == "eReuse 2026 (ADEME Base Carbone)"
    assert body["impact"]["co2e_avoided_kg"] == pytest.approx(793.80)
    assert body["impact"]["e_waste_avoided_kg"] == pytest.approx(16.19)
    assert any("majorant" in line for line in body["factors"]["assumptions"])


def test_page_with_charts_pdf_and_csv(client, activity_history, login_as):
    login_as("manager")
    r = client.get(f"/rapports/activite?{MARCH}&site=*&factors=restart2021")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert html.count('role="img"') == 3 and "<title id=\"chart-collected-t\">" in html
    assert "Entreprise : 3 appareils" in html  # the chart's description names every figure
    assert "Restart Project 2021" in html and "748,6 kg CO2e" in html and "16,2 kg" in html
    assert "28 jours-prêt" in html and "3 emprunteurs différents" in html
    assert "Catégories sans facteur" in html and "écran" in html
    assert "<td>Ordinateurs portables</td><td class=\"num\">4</td><td class=\"num\">1,83</td>" in html

    r = client.get(f"/rapports/activite.pdf?{MARCH}&site=*&factors=ereuse2026")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    flat = " ".join(text.split())
    for expected in ("Rapport d'activité et d'impact", "Tout le réseau", "Période du 01/03/2026 au 31/03/2026",
                     "Facteurs d'impact eReuse 2026 (ADEME Base Carbone)", "7 (3 dons)", "4 — 360,00 €",
                     "4 prêts, 3 emprunteurs différents, 28 jours-prêt", "3 appareils, 15,7 kg (2 lots)", "16,2 kg",
                     "793,8 kg CO2e", "Ordinateurs portables 4 1,83 7,3 156,2 624,8"):
        assert expected in flat, expected

    r = client.get(f"/rapports/activite.csv?{MARCH}&site=EPN-A")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Rubrique", "Indicateur", "Valeur", "Unité"]
    values = {row[1]: row[2] for row in rows[1:]}
    assert values["Du"] == "01/03/2026" and values["Au"] == "31/03/2026" and values["Site"] == "EPN A"
    assert values["Appareils collectés — Entreprise"] == "3" and values["Appareils collectés — total"] == "6"
    assert values["Montant des ventes"] == "270,00" and values["Jours-prêt"] == "24"
    assert values["Poids recyclé (DEEE)"] == "12,50" and values["CO2e évité"] == "615,90"
    assert values["Déchets électroniques évités"] == "14,36"
    assert values["Non comptés (pas de facteur) — Écran"] == "1"


def test_csv_is_formula_safe(client, db, activity_history, login_as):
    from sqlalchemy import select

    from refurb.sites.models import Site
    site = db.scalar(select(Site).where(Site.code == "EPN-A"))
    site.name = "=HYPERLINK(\"http://evil\")"
    db.commit()
    login_as("manager")
    data = client.get(f"/rapports/activite.csv?{MARCH}&site=EPN-A").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in data and ";=HYPERLINK" not in data


@pytest.mark.parametrize("query, field, message", [
    ("from=2026-03-31&to=2026-03-01", "to", "est avant son début"),
    ("from=31/03/2026", "from", "AAAA-MM-JJ"),
    ("from=2026-03-01&to=demain", "to", "AAAA-MM-JJ"),
    (f"{MARCH}&factors=ademe", "factors", "Jeu de facteurs inconnu"),
])
def test_bad_input(client, login_as, api_token, query, field, message):
    r = client.get(f"/api/v1/reports/activity?{query}", headers=api_token("manager"))
    assert r.status_code == 422 and message in r.json["error"]["fields"][field]
    assert client.get(f"/api/v1/reports/activity.pdf?{query}", headers=api_token("manager")).status_code == 422
    login_as("manager")
    page = client.get(f"/rapports/activite?{query}")
    assert page.status_code == 422 and message in page.get_data(as_text=True).replace("&#39;", "'")
    assert client.get(f"/rapports/activite.pdf?{query}").status_code == 422


def test_site_scope(client, login_as, api_token):
    tech = api_token("tech")
    r = client.get(f"/api/v1/reports/activity?{MARCH}&site=EPN-B", headers=tech)
    assert r.status_code == 403 and "site que vous ne servez pas" in r.json["error"]["message"]
    r = client.get(f"/api/v1/reports/activity?{MARCH}", headers=tech)
    assert r.status_code == 403 and "réservé aux gestionnaires" in r.json["error"]["message"]
    r = client.get(f"/api/v1/reports/activity?{MARCH}&site=NULLE-PART", headers=tech)
    assert r.status_code == 404
    assert client.get(f"/api/v1/reports/activity?{MARCH}&site=EPN-A", headers=tech).status_code == 200
    login_as("tech")  # the page defaults to the current site
    r = client.get("/rapports/activite")
    assert r.status_code == 200 and "EPN A" in r.get_data(as_text=True)


def test_empty_period(client, api_token):
    body = client.get("/api/v1/reports/activity?from=2020-01-01&to=2020-01-31", headers=api_token("admin")).json
    assert body["collected"]["total"] == 0 and body["impact"]["co2e_avoided_kg"] == 0
    assert body["lent"] == {"loans": 0, "borrowers": 0, "loan_days": 0}


def test_loan_days_end_on_the_date_of_the_return_in_paris_in_any_season(db, lk):
    """A loan's days run up to the date of its return in Paris: late in a UTC evening that is the next day in
    summer (UTC+2) from 22:00, in winter (UTC+1) from 23:00 only, and on the night the clocks change. The dates
    are written, as this file's history is: the clock is frozen on 16/11/2026 here (``_after_the_history``),
    after every one of them, on any day the suite runs."""
    from datetime import date, timedelta

    from refurb.loans import services as loans_svc
    from refurb.loans.models import Loan
    from refurb.reports import figures

    utc = timezone.utc
    cases = [  # (start, returned at (UTC), the return's date in Paris)
        (date(2026, 7, 1), datetime(2026, 7, 10, 22, 30, tzinfo=utc), date(2026, 7, 11)),
        (date(2026, 7, 1), datetime(2026, 7, 10, 21, 59, tzinfo=utc), date(2026, 7, 10)),
        (date(2026, 1, 5), datetime(2026, 1, 10, 22, 30, tzinfo=utc), date(2026, 1, 10)),
        (date(2026, 1, 5), datetime(2026, 1, 10, 23, 30, tzinfo=utc), date(2026, 1, 11)),
        (date(2026, 3, 20), datetime(2026, 3, 29, 22, 15, tzinfo=utc), date(2026, 3, 30)),  # summer time from 29/03
        (date(2026, 10, 20), datetime(2026, 10, 25, 22, 15, tzinfo=utc), date(2026, 10, 25)),  # winter from 25/10
        (date(2026, 5, 4), datetime(2026, 5, 6, 9, 0, tzinfo=utc), date(2026, 5, 6)),
    ]
    borrower, desk = lk.borrower("EPN-A"), lk.user("desk")
    for start, returned_at, _paris in cases:
        loan = loans_svc.check_out(db, desk, borrower, [lk.device("EPN-A", "tablet").asset_tag])[0]
        loans_svc.return_loan(db, desk, loan, condition="complete")
        loan = db.get(Loan, loan.id)
        loan.start_on, loan.due_on = start, start + timedelta(days=14)
        loan.started_at, loan.returned_at = datetime.combine(start, datetime.min.time(), utc), returned_at
        db.commit()
    report = figures.build_report(db, lk.user("admin"), site_code=None, start="2026-01-01", end="2026-10-31")
    assert report.loans == len(cases)
    assert report.loan_days == sum((paris - start).days + 1 for start, _at, paris in cases)
    # a period ending before the return counts up to its last day only
    report = figures.build_report(db, lk.user("admin"), site_code=None, start="2026-07-01", end="2026-07-10")
    assert report.loan_days == 10 + 10
