"""The Documents page and what it lists; CSV/XLSX exports (formula injection neutralised)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from conftest import login
from fixtures_documents import make_device

from refurb.clock import today
from refurb.documents.services import DATASETS, IMPORTERS
from refurb.tabular import neutralise, to_csv, to_xlsx


def test_documents_page_lists_what_can_be_printed(app, client, db, login_as):
    login_as("manager")
    html = client.get("/documents/").get_data(as_text=True)
    assert "Documents à imprimer" in html
    for text in ("Inventaire du jour", "Inventaire à la fin de la période", "Rapports d&#39;inventaire physique",
                 "Liste des appareils", "Importer des appareils"):
        assert text in html
    assert "/documents/inventory.pdf?site=EPN-A" in html
    last_year = today().year - 1
    html = client.get(f"/documents/?site=*&from={last_year}-01-01&to={last_year}-12-31").get_data(as_text=True)
    assert "tout le réseau" in html and "/documents/inventory.pdf?site=*" in html
    assert f"at={last_year}-12-31" in html


def test_documents_page_period_checks(app, client, db, login_as):
    login_as("manager")
    start, end = today() - timedelta(days=10), today() - timedelta(days=40)
    r = client.get(f"/documents/?from={start}&to={end}")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert f"La fin de la période ({end:%d/%m/%Y}) est avant son début ({start:%d/%m/%Y})" in html
    assert "Inventaire du jour" not in html
    r = client.get(f"/documents/?from={today():%d-%m-%Y}")
    assert r.status_code == 422 and "AAAA-MM-JJ" in r.get_data(as_text=True)


def test_documents_page_by_role(app, client, db, login_as):
    login_as("desk")
    html = client.get("/documents/").get_data(as_text=True)
    assert "Inventaire du jour" in html and "Liste des appareils" in html
    assert "Importer des appareils" not in html and "inventaire physique" not in html.lower().split("<main")[1]
    assert client.get("/documents/?site=EPN-B").status_code == 404  # not one of theirs


def test_documents_page_lists_each_area_s_documents_to_its_roles(app, db):
    """Certificates, borrower cards, the activity report, the loans, donations and DEEE exports and the imports
    are listed with the documents' own, each to the roles that may print it."""
    everything = ("Attestations de don et certificats d&#39;effacement", "Certificats émis",
                  "Cartes d&#39;emprunteur (planche A4)", "Rapport d&#39;activité et d&#39;impact", "Liste des prêts",
                  "Liste des dons", "Registre DEEE", "Importer des usagers", "Importer des appareils")
    for username, hidden in (("manager", ()),
                             ("tech", ("Cartes d&#39;emprunteur", "Liste des prêts", "Importer des usagers")),
                             ("desk", ("Registre DEEE", "Importer des appareils"))):
        user = app.test_client()
        login(user, username)
        html = user.get("/documents/?site=EPN-A").get_data(as_text=True)
        for title in everything:
            assert (title in html) == (not any(title.startswith(h) for h in hidden)), (username, title)
    sections = re.findall(r'<h2 id="sec-\d+">([^<]+)</h2>', html)
    assert sections == ["Inventaires", "Certificats et attestations", "Rapports", "Exports et imports"]


def test_devices_export_csv_and_xlsx(app, client, db, login_as):
    from openpyxl import load_workbook

    make_device(db, "RF-000001", "EPN-A", brand="=cmd|' /C calc'!A0", model="+33 6", serial="-5")
    make_device(db, "RF-000002", "EPN-B", brand="HP", model="ProBook")
    db.commit()
    login_as("tech")
    r = client.get("/exports/devices.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    text = r.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Étiquette;Catégorie;État;Marque;Modèle;N° de série")
    assert "RF-000001" in text and "RF-000002" not in text  # the technician's sites only
    assert "'=cmd|" in text and ";'+33 6;" in text and ";'-5;" in text
    r = client.get("/exports/devices.xlsx")
    ws = load_workbook(io.BytesIO(r.data)).active
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value}
    assert cells["=cmd|' /C calc'!A0"].data_type == "s"
    assert client.get("/exports/devices.pdf").status_code == 404
    assert client.get("/exports/nothing.csv").status_code == 404
    manager = app.test_client()
    assert login(manager, "manager").status_code == 302
    text = manager.get("/exports/devices.csv?site=EPN-B").data.decode("utf-8-sig")
    assert "RF-000002" in text and "RF-000001" not in text


def test_export_helpers_and_extension():
    assert neutralise("=1+1") == "'=1+1" and neutralise("@x") == "'@x" and neutralise("\tx") == "'\tx"
    assert neutralise("Lenovo") == "Lenovo" and neutralise("") == ""
    data = to_csv([("a", "A"), ("b", "B")], [["=x", 3], ["ok", None]])
    assert data.startswith("\ufeff".encode()) and data.decode("utf-8-sig") == "A;B\r\n'=x;3\r\nok;\r\n"
    xlsx = to_xlsx([("a", "A")], [["=SUM(A1:A2)"]], title="Essai: [1]")
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(xlsx)).active
    assert ws.title == "Essai   1" and ws["A2"].data_type == "s" and ws["A2"].value == "=SUM(A1:A2)"
    assert set(DATASETS) == {"devices", "loans", "donations", "recycling"} and set(IMPORTERS) == {"devices", "borrowers"}
