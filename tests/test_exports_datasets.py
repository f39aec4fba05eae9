"""CSV/XLSX exports of loans, donations and the DEEE register: columns, site scope, roles, no borrower
names, formula injection neutralised, listed on the Documents page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from refurb.clock import start_of_day_utc, today
from refurb.refurbishment.models import (
    DeviceOrigin,
    Donation,
    Donor,
    RecyclingBatch,
    RecyclingItem,
)

EVIL = "=HYPERLINK(\"http://x\",\"clic\")"
# Dates of the arranged records, before today whatever the day
STARTED = today() - timedelta(days=10)
DUE = STARTED + timedelta(days=14)
RECEIVED = today() - timedelta(days=40)
HANDED_OVER = today() - timedelta(days=70)


@pytest.fixture
def data(db, lk):
    """A loan, a donation and a recycling batch at EPN-A, and the same at EPN-B (the other site)."""
    from refurb.loans.models import Loan

    out = {}
    for code, evil in (("EPN-A", True), ("EPN-B", False)):
        site = lk.site(code)
        device = lk.device(code, state="on_loan", commit=False)
        borrower = lk.borrower(code, first_name="Zoé", last_name=f"Secrète{code[-1]}", commit=False)
        db.flush()
        now = start_of_day_utc(STARTED) + timedelta(hours=10)
        loan = Loan(device_id=device.id, borrower_id=borrower.id, site_id=site.id, category="laptop",
                    borrower_kind="resident", channel="desk", started_at=now, start_on=STARTED,
                    due_on=DUE, renewals=1, rules_accepted_at=now,
                    deposit_amount=Decimal("50.00"), deposit_method="cheque", deposit_status="held")
        donor = Donor(kind="association", name=(EVIL if evil else "Les Amis d'Éole") + f" {code}")
        donated = [lk.device(code, state="received", commit=False) for _ in range(2)]
        db.add_all([loan, donor])
        db.flush()
        donation = Donation(donor_id=donor.id, site_id=site.id, received_on=RECEIVED)
        db.add(donation)
        db.flush()
        db.add_all([DeviceOrigin(device_id=d.id, donation_id=donation.id) for d in donated])
        scrap = lk.device(code, state="recycled", commit=False)
        batch = RecyclingBatch(site_id=site.id, handed_over_on=HANDED_OVER, waste_code="20 01 35*",
                               weight_kg=Decimal("42.50"), producer_siret="12345678900011",
                               carrier_name=("+33 Transports" if evil else "Trans Loire"),
                               carrier_siret="98765432100022", facility_name="Écosystem Tri",
                               facility_siret="11122233300044", treatment_code="R4",
                               tracking_number=f"BSD-{code}-0001")
        db.add(batch)
        db.flush()
        db.add(RecyclingItem(batch_id=batch.id, device_id=scrap.id))
        db.commit()
        out[code] = {"loan": loan.id, "card": borrower.card_number, "tag": device.asset_tag,
                     "donation": donation.reference, "donated": sorted(d.asset_tag for d in donated),
                     "batch": batch.reference, "scrap": scrap.asset_tag}
    return out


def _csv(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _xlsx(response) -> list[tuple]:
    wb = load_workbook(io.BytesIO(response.get_data()))
    return [tuple(c.value for c in row) for row in wb.worksheets[0].iter_rows()], wb.worksheets[0]


def test_loans_export_csv_card_only_and_site_scope(client, login_as, data):
    login_as("desk")  # accueil, EPN-A + BUS
    r = client.get("/exports/loans.csv")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    rows = _csv(r)
    assert rows[0] == ["N° de prêt", "Étiquette", "Catégorie", "Carte usager", "Site", "Début", "Retour prévu",
                       "Rendu le", "État au retour", "Prolongations", "Caution (€)", "Caution : état"]
    assert len(rows) == 2  # EPN-B's loan is not there
    line = rows[1]
    assert line[:2] == [str(data["EPN-A"]["loan"]), data["EPN-A"]["tag"]]
    assert line[3:7] == [data["EPN-A"]["card"], "EPN-A", f"{STARTED:%d/%m/%Y}", f"{DUE:%d/%m/%Y}"]
    assert line[2] and line[7] == "" and line[8] == ""  # category label; not returned yet
    assert line[9] == "1" and line[10] == "50,00" and line[11] == "Encaissée"
    body = r.get_data().decode("utf-8")
    assert "Secrète" not in body and "Zoé" not in body  # no borrower name in an export


def test_loans_export_network_role_sees_all_and_site_filter(client, login_as, data):
    login_as("admin")
    rows = _csv(client.get("/exports/loans.csv"))
    assert {r[4] for r in rows[1:]} == {"EPN-A", "EPN-B"}
    rows = _csv(client.get("/exports/loans.csv?site=EPN-B"))
    assert [r[0] for r in rows[1:]] == [str(data["EPN-B"]["loan"])]


def test_donations_export_xlsx_formula_neutralised(client, login_as, data):
    login_as("tech")  # EPN-A only (a manager is a network role)
    r = client.get("/exports/donations.xlsx")
    assert r.status_code == 200
    rows, ws = _xlsx(r)
    assert rows[0] == ("Référence du don", "Reçu le", "Donateur", "Type de donateur", "Site", "Nombre d'appareils",
                       "Étiquettes")
    assert len(rows) == 2
    ref, received, donor, kind, site, count, tags = rows[1]
    assert ref == data["EPN-A"]["donation"] and received.date() == RECEIVED
    assert donor == EVIL + " EPN-A" and kind == "Association" and site == "EPN-A" and count == 2
    assert tags.split() == data["EPN-A"]["donated"]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"  # the "=HYPERLINK" donor name stays text
    # the CSV prefixes it with an apostrophe
    rows = _csv(client.get("/exports/donations.csv"))
    assert rows[1][2] == "'" + EVIL + " EPN-A"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_recycling_register_export(client, login_as, data):
    login_as("tech")
    rows = _csv(client.get("/exports/recycling.csv"))
    # the arrêté of 31 May 2021's columns first, in its order
    assert rows[0][:5] == ["Date d'expédition", "Dénomination du déchet", "Code du déchet", "Contient des POP",
                           "Quantité (t)"]
    assert len(rows) == 2
    line = dict(zip(rows[0], rows[1]))
    assert line["Date d'expédition"] == f"{HANDED_OVER:%d/%m/%Y}" and line["Référence du lot"] == data["EPN-A"]["batch"]
    assert line["Code du déchet"] == "20 01 35*" and line["Quantité (kg)"] == "42,50"
    assert line["Quantité (t)"] == "0,043" and line["Contient des POP"] == "non"
    assert line["Transporteur"] == "'+33 Transports"  # neutralised
    assert line["SIRET du transporteur"] == "98765432100022" and line["N° du bordereau de suivi"] == "BSD-EPN-A-0001"
    assert line["Étiquettes"] == data["EPN-A"]["scrap"] and line["Nombre d'appareils"] == "1"
    rows, ws = _xlsx(client.get(f"/exports/recycling.xlsx?annee={HANDED_OVER.year}"))
    assert rows[1][5] == 42.5 and rows[1][8] == "+33 Transports"
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)
    assert len(_csv(client.get(f"/exports/recycling.csv?annee={HANDED_OVER.year - 1}"))) == 1  # titles only


@pytest.mark.parametrize("username,key,status", [
    ("tech", "loans", 403), ("tech", "donations", 200), ("desk", "recycling", 403), ("desk", "donations", 200),
    ("kiosk", "loans", 403), ("manager", "recycling", 200),
])
def test_export_roles(client, login_as, data, username, key, status):
    login_as(username)
    assert client.get(f"/exports/{key}.csv").status_code == status


def test_documents_page_lists_the_exports(client, login_as, data):
    login_as("manager")
    html = client.get("/documents/").get_data(as_text=True)
    for key in ("loans", "donations", "recycling"):
        assert f"/exports/{key}.csv" in html and f"/exports/{key}.xlsx" in html
    assert "/imports/borrowers" in html


def test_documents_page_lists_only_what_the_role_may_export(client, login_as, data):
    login_as("tech")
    html = client.get("/documents/").get_data(as_text=True)
    assert "/exports/recycling.csv" in html and "/exports/loans.csv" not in html
    assert "/imports/borrowers" not in html
