"""Documents that hold up outside: erasure records that mean what they say (NIST SP 800-88), "reconditionné"
only when it is true (R. 122-4), a donation receipt a donor's accountant accepts (art. 238 bis CGI), long
text wrapped and never cut, French plurals from one helper. Each document is opened (text of the PDF)."""

from __future__ import annotations

import pytest
from fixtures_certificates import issue, pdf_text
from fixtures_documents import site_by_code
from fixtures_refurbishment import erasure_payload

from refurb.formatting import plural, plural_word
from refurb.refurbishment import catalog
from refurb.refurbishment import services as refurb
from refurb.settings import set_setting

LONG_ADDRESS = ("Maison des associations et du numérique solidaire, bâtiment B, 2e étage, "
                "12 rue des Tanneurs prolongée")
LONG_HEAD_OFFICE = "Hôtel de ville, service de l'inclusion numérique, 1 place du Général-de-Gaulle, 37500 Chinon"


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def laptop(workshop):
    [tag] = workshop.donation(kind="company")
    return tag


# --- erasure: the method fits the medium and the category (NIST SP 800-88) ------------------------

IMPOSSIBLE = [(method, kind) for method, (fits, _cats) in catalog.ERASURE_FIT.items()
              for kind in catalog.MEDIA_KINDS if kind not in fits]


def _category(method: str) -> str:
    return "destroy" if method == "destruction" else max(catalog.ERASURE_FIT[method][1])


@pytest.mark.parametrize("method, kind", IMPOSSIBLE)
def test_an_impossible_method_for_the_medium_is_refused_naming_the_right_one(client, api_token, laptop, method,
                                                                             kind):
    nist = _category(method)
    payload = erasure_payload(method=method, nist_category=nist,
                              media=[{"serial": "MEDIUM-1", "size_gb": 256, "kind": kind}])
    r = client.post(f"/api/v1/devices/{laptop}/erasures", json=payload, headers=api_token("tech"))
    assert r.status_code == 422, r.json
    message = r.json["error"]["fields"]["method"]
    right = catalog.ERASURE_METHODS[catalog.ERASURE_SUGGESTED[kind][nist if nist != "destroy" else "purge"]]
    assert catalog.MEDIA_KINDS[kind] in message and f"« {right} »" in message, message


def test_the_three_cases_the_review_found(client, api_token, laptop):
    def post(**kw):
        return client.post(f"/api/v1/devices/{laptop}/erasures", json=erasure_payload(**kw),
                           headers=api_token("tech"))

    r = post(method="overwrite", nist_category="purge", media=[{"serial": "HDD-1", "kind": "hdd"}])
    assert r.status_code == 422
    assert "jamais « Purge »" in r.json["error"]["fields"]["nist_category"]
    r = post(method="factory_reset", nist_category="clear", media=[{"serial": "HDD-1", "kind": "hdd"}])
    assert r.status_code == 422 and "« Réécriture (une passe ou plus) »" in r.json["error"]["fields"]["method"]
    r = post(method="nvme_sanitize", nist_category="purge", media=[{"serial": "SSD-1", "kind": "ssd"}])
    assert r.status_code == 422 and "« ATA Secure Erase »" in r.json["error"]["fields"]["method"]
    for method, kind, nist in (("ata_secure_erase", "hdd", "purge"), ("nvme_sanitize", "nvme", "purge"),
                               ("crypto_erase", "ssd", "purge"), ("factory_reset", "flash", "clear")):
        assert not refurb.check_sanitization(method, nist, [kind], tool="nwipe", tool_version="0.36")


def test_a_tool_needs_a_name_and_a_version(client, api_token, laptop):
    r = client.post(f"/api/v1/devices/{laptop}/erasures", json=erasure_payload(tool="x", tool_version=""),
                    headers=api_token("tech"))
    assert r.status_code == 422 and "nom de l'outil" in r.json["error"]["fields"]["tool"]
    r = client.post(f"/api/v1/devices/{laptop}/erasures", json=erasure_payload(tool_version=""),
                    headers=api_token("tech"))
    assert r.status_code == 422 and "version de l'outil" in r.json["error"]["fields"]["tool_version"]
    # a physical destruction needs no version
    assert not refurb.check_sanitization("destruction", "destroy", ["hdd"], tool="Broyeur", tool_version="")


def test_an_unverified_erasure_is_printed_as_such_and_not_counted(client, db, api_token, login_as, workshop, laptop):
    r = client.post(f"/api/v1/devices/{laptop}/erasures", json=erasure_payload(verified=False),
                    headers=api_token("tech"))
    assert r.status_code == 201 and r.json["erased"] is False and r.json["erasure_complete"] is False
    state = client.get(f"/api/v1/devices/{laptop}/refurbishment", headers=api_token("tech")).json
    assert state["erasure"]["ok"] is False
    login_as("tech")
    refused = issue(client, f"/certificats/appareils/{laptop}/effacement")
    assert refused.status_code == 409  # nothing erased for the certificate's purpose
    r = client.post(f"/api/v1/devices/{laptop}/erasures", json=erasure_payload(
        verification_method="Relecture complète (nwipe --verify=all)", operator_title="Technicien reconditionnement",
        media=[{"serial": "WD-WX41A1234567", "manufacturer": "Western Digital", "model": "WD5000LPVX", "size_gb": 500,
                "kind": "hdd"}]), headers=api_token("tech"))
    assert r.status_code == 201 and r.json["erased"] is True
    text = _flat(pdf_text(issue(client, f"/certificats/appareils/{laptop}/effacement").data))
    for field in ("Western Digital", "WD5000LPVX", "WD-WX41A1234567", "Disque dur (HDD)", "Réécriture", "Clear", "nwipe 0.36",
                  "Relecture complète", "Réemploi", "Technicien reconditionnement", "NON VÉRIFIÉ"):
        assert all(word in text for word in field.split()), field  # a cell may wrap: its words are all there


# --- "reconditionné" only when it is true ---------------------------------------------------------

def test_a_reservation_on_a_function_is_not_refurbished(db, workshop):
    [tag] = workshop.donation(kind="company", devices=[{"category": "laptop", "serial_number": "DVD-1"}])
    workshop.diagnose(tag)
    workshop.erase(tag)
    workshop._do(tag, lambda db_, user, device: refurb.record_grading(db_, user, device, {
        "grade": "B", "functional": "limited", "notes": "lecteur DVD HS"}))
    device = workshop.get(tag)
    gaps = refurb.refurbished_gaps(db, device)
    assert any("lecteur DVD HS" in gap for gap in gaps)
    assert "optical_drive" in catalog.CHECKLISTS["laptop"] and "optical_drive" in catalog.CHECKLISTS["desktop"]


# --- donation receipt, gift and sale certificates: identity, values, no cut address -----------------

def _organisation(db, address=LONG_ADDRESS):
    site = site_by_code(db, "EPN-A")
    site.address = address
    set_setting(db, "organisation_identifier", "W372001234")
    set_setting(db, "organisation_address", LONG_HEAD_OFFICE)
    set_setting(db, "organisation_status", "association d'intérêt général à caractère social (art. 238 bis 1-a "
                                           "du CGI)")
    db.commit()


def test_donation_receipt_names_the_beneficiary_and_wraps_its_address(client, db, login_as, workshop):
    _organisation(db)
    tags = workshop.donation(kind="company")
    from sqlalchemy import select

    from refurb.inventory.models import Device
    from refurb.refurbishment.models import DeviceOrigin
    device = db.scalar(select(Device).where(Device.asset_tag == tags[0]))
    donation_id = db.get(DeviceOrigin, device.id).donation_id
    login_as("manager")
    text = _flat(pdf_text(issue(client, f"/certificats/dons/{donation_id}/attestation").data))
    assert "RNA W372001234" in text and LONG_HEAD_OFFICE in text and f"{LONG_ADDRESS}, 37500 Chinon" in text
    assert "association d'intérêt général à caractère social (art. 238 bis 1-a du CGI)" in text
    assert "Cerfa n° 16216" in text and "n'est pas un reçu fiscal" in text and "…" not in text


def test_gift_and_sale_certificates_wrap_the_address_and_name_the_recipient_once(client, db, login_as, workshop,
                                                                                 api_token):
    _organisation(db)
    [given, sold] = workshop.donation(kind="association", devices=[{"category": "tablet"}, {"category": "tablet"}])
    for tag in (given, sold):
        workshop.ready(tag)
    assert client.post(f"/api/v1/devices/{given}/gift", json={
        "recipient_kind": "person", "recipient_name": "Awa Diallo", "eligible": True,
        "eligibility_reason": "minima_sociaux"}, headers=api_token("desk")).status_code == 201
    assert client.post(f"/api/v1/devices/{sold}/sale", json={
        "price": "50.00", "buyer": {"name": "Karim Benali"}, "eligible": True, "eligibility_reason": "minima_sociaux",
        "payment_method": "cash"}, headers=api_token("desk")).status_code == 201
    login_as("desk")
    for tag in (given, sold):
        text = _flat(pdf_text(issue(client, f"/certificats/appareils/{tag}/certificat").data))
        assert f"{LONG_ADDRESS}, 37500 Chinon" in text, text[:600]
        assert "…" not in text
    text = _flat(pdf_text(issue(client, f"/certificats/appareils/{given}/certificat").data))
    assert "Awa Diallo" in text and "Personne (bénéficiaire)" in text and "(Personne (bénéficiaire))" not in text


# --- French plurals, one helper -------------------------------------------------------------------

def test_french_plurals():
    assert plural(0, "lot") == "0 lot" and plural(1, "lot") == "1 lot" and plural(6, "don") == "6 dons"
    assert plural(1, "emprunteur différent") == "1 emprunteur différent"
    assert plural(2, "emprunteur différent") == "2 emprunteurs différents"
    assert plural(1200, "appareil") == "1\u202f200 appareils"
    assert plural_word(3, "jour-prêt", "jours-prêt") == "jours-prêt" and plural_word(2, "prix") == "prix"


# --- DEEE register (arrêté of 31 May 2021) ---------------------------------------------------------

def test_deee_register_line_has_the_arretes_columns_in_csv_and_xlsx(client, api_token, login_as, workshop):
    import csv
    import io

    from openpyxl import load_workbook

    [tag] = workshop.donation(kind="company", devices=[{"category": "laptop"}])
    workshop.erase(tag)
    batch = {"asset_tags": [tag], "weight_kg": 1250, "waste_code": "20 01 35*", "contains_pop": True,
             "eco_organisme": "ecosystem", "carrier": "Transports Martin", "carrier_address": "3 rue du Port, 37000 Tours",
             "carrier_siret": "73282932000074", "carrier_receipt": "37-2026-0042", "facility": "Envie 2E Touraine",
             "facility_address": "ZI des Gués, 37700 Saint-Pierre-des-Corps", "treatment_code": "R4",
             "tracking_number": "BSD-LEGAL-1"}
    r = client.post("/api/v1/recycling-batches", json=batch, headers=api_token("tech"))
    assert r.status_code == 201, r.json
    assert r.json["weight_t"] == "1.250" and r.json["contains_pop"] is True and r.json["carrier_receipt"] == "37-2026-0042"
    login_as("tech")
    rows = list(csv.reader(io.StringIO(client.get("/atelier/registre-deee.csv").get_data(as_text=True)), delimiter=";"))
    line = dict(zip(rows[0], rows[1]))
    expected = {"Dénomination du déchet": "Déchets d'équipements électriques et électroniques (matériel informatique)",
                "Code du déchet": "20 01 35*", "Contient des POP": "oui", "Quantité (t)": "1,250",
                "Éco-organisme": "ecosystem", "Transporteur": "Transports Martin",
                "Adresse du transporteur": "3 rue du Port, 37000 Tours", "N° de récépissé du transporteur": "37-2026-0042",
                "Installation de destination": "Envie 2E Touraine",
                "Adresse de l'installation": "ZI des Gués, 37700 Saint-Pierre-des-Corps", "Code du traitement": "R4",
                "N° du bordereau de suivi": "BSD-LEGAL-1"}
    for column, value in expected.items():
        assert line[column] == value, column
    xlsx = client.get("/atelier/registre-deee.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    titles = [c.value for c in next(sheet.iter_rows(max_row=1))]
    values = dict(zip(titles, [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]))
    assert values["Quantité (t)"] == 1.25 and values["N° de récépissé du transporteur"] == "37-2026-0042"
    page = client.get(f"/atelier/recyclage/{r.json['id']}").get_data(as_text=True)
    assert "1,250 t" in page and "récépissé n° 37-2026-0042" in page and "ecosystem" in page


# --- loan agreement: the deposit taken and the data-protection information (RGPD art. 13) ----------

def test_loan_agreement_states_the_deposit_and_the_borrowers_rights(client, db, lk, api_token):
    from datetime import timedelta
    from decimal import Decimal

    from refurb.clock import today, utcnow
    from refurb.loans.models import Loan

    set_setting(db, "borrower_retention_days", "730")
    set_setting(db, "privacy_contact", "rgpd@reseau-chinonais.example.fr")
    set_setting(db, "organisation_address", LONG_HEAD_OFFICE)
    device = lk.device(brand="Lenovo", model="ThinkPad T14")
    b = lk.borrower(last_name="Contrat")
    now = utcnow()
    loan = Loan(device_id=device.id, borrower_id=b.id, site_id=lk.site("EPN-A").id, category="laptop",
                borrower_kind="resident", channel="desk", started_at=now, start_on=today(),
                due_on=today() + timedelta(days=14), renewals=0, rules_accepted_at=now, return_note="",
                deposit_amount=Decimal("50.00"), deposit_method="cheque", deposit_status="held")
    db.add(loan)
    db.commit()
    text = _flat(pdf_text(client.get(f"/api/v1/loans/{loan.id}/agreement.pdf", headers=api_token("desk")).data))
    assert "Caution reçue : 50,00 € (chèque)" in text
    assert f"Responsable du traitement : Réseau numérique du Chinonais, {LONG_HEAD_OFFICE}" in text
    assert "exécution du contrat de prêt (RGPD, art. 6, 1, b)" in text
    assert "Durée de conservation : 730 jours (environ 2 ans) après votre dernier prêt" in text
    assert "rgpd@reseau-chinonais.example.fr" in text and "réclamation à la CNIL" in text
    assert "art. 15 à 21" in text


# --- inventory and activity report: labels and headers whole ----------------------------------------

def test_inventory_subtotal_labels_and_report_headers_are_not_cut(client, db, login_as, workshop):
    from fixtures_documents import make_many

    make_many(db, 3, "EPN-A", state="loan_pool", category="laptop", start=1)
    db.commit()
    login_as("manager")
    text = pdf_text(client.get("/documents/inventory.pdf?site=EPN-A").data)
    assert "Total Ordinateurs portables · Parc de prêt" in text and "…" not in text
    report = pdf_text(client.get("/rapports/activite.pdf?site=*").data)
    assert "…" not in report
    flat = _flat(report)
    assert "Réemployés" in flat and "Poids unitaire" in flat and "appareil" in flat and " 1 emprunteurs" not in flat
