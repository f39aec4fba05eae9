"""Donation receipts (with valuations at cost), device certificates (refurbishment / sale, legal guarantee,
only the words the law allows), borrower cards (one, or A4 sheets) and loan agreements through the API."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from conftest import csrf_token
from fixtures_certificates import decode_codes, issue, pdf_pages, pdf_text
from sqlalchemy import select

from refurb.certificates.models import Certificate, DeviceValuation
from refurb.db import utcnow
from refurb.formatting import date_fr
from refurb.inventory.models import Device
from refurb.refurbishment import services as refurb
from refurb.refurbishment.common import add_months, today

FORBIDDEN = ("état neuf", "comme neuf", "à neuf")


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def _sale(**overrides):
    data = {"price": "120.00", "buyer": {"name": "Karim Benali", "phone": "06 12 34 56 78"}, "eligible": True,
            "eligibility_reason": "minima_sociaux", "payment_method": "cash"}
    data.update(overrides)
    return data


def _ids(db, tags):
    db.rollback()
    return {d.asset_tag: d.id for d in db.scalars(select(Device).where(Device.asset_tag.in_(tags)))}


# --- donation receipt ----------------------------------------------------------------------------

def test_receipt_for_a_company_with_values_at_cost(client, db, login_as, workshop):
    tags = workshop.donation(kind="company", devices=[
        {"category": "laptop", "brand": "HP", "model": "EliteBook 840", "serial_number": "5CG001"},
        {"category": "laptop", "brand": "HP", "model": "EliteBook 840", "serial_number": "5CG002"},
        {"category": "laptop", "brand": "HP", "model": "EliteBook 840", "serial_number": "5CG003"},
        {"category": "screen", "brand": "Dell", "model": "P2219H", "serial_number": "CN-P22", "has_storage": False}])
    ids = _ids(db, tags)
    from refurb.refurbishment.models import DeviceOrigin
    donation_id = db.get(DeviceOrigin, ids[tags[0]]).donation_id
    login_as("desk")
    assert f"/certificats/dons/{donation_id}" in client.get(f"/atelier/dons/{donation_id}").get_data(as_text=True)
    page = client.get(f"/certificats/dons/{donation_id}")
    assert page.status_code == 200 and "Valeur des appareils" in page.get_data(as_text=True)
    assert "valeur nette comptable" in page.get_data(as_text=True)
    token = csrf_token(client, f"/certificats/dons/{donation_id}")
    form = {"csrf_token": token}
    for tag in tags[:3]:
        form[f"value_{ids[tag]}"] = "100,00"
        form[f"basis_{ids[tag]}"] = "net_book_value"
    bad = {**form, f"value_{ids[tags[3]]}": "douze"}
    r = client.post(f"/certificats/dons/{donation_id}/valeurs", data=bad)
    assert r.status_code == 422
    assert "montant en euros attendu" in r.get_data(as_text=True)
    db.rollback()
    assert db.scalars(select(DeviceValuation)).all() == []  # all or nothing
    r = client.post(f"/certificats/dons/{donation_id}/valeurs", data=form)
    assert r.status_code == 303
    db.rollback()
    assert len(db.scalars(select(DeviceValuation)).all()) == 3

    r = issue(client, f"/certificats/dons/{donation_id}/attestation")
    assert r.status_code == 200
    text = pdf_text(r.data)
    assert "Attestation de don de matériel" in text
    assert "Transports Martin" in text and "73282932000074" in text and date_fr(today()) in text
    assert "Ordinateur portable HP EliteBook 840 3 100,00 € 300,00 €" in text
    assert "Écran Dell P2219H 1 non connue non connue" in text
    assert "Total 4 300,00 € (partiel)" in text
    for tag, serial in zip(tags, ("5CG001", "5CG002", "5CG003", "CN-P22")):
        line = next(line for line in text.splitlines() if line.startswith(tag))
        assert serial in line
    assert "n'est pas un reçu fiscal" in text and "Cerfa n° 16216" in text
    assert "Valeur nette comptable" in next(line for line in text.splitlines() if line.startswith(tags[0]))
    assert "valeur d'origine" not in text.lower() and "art. 238 bis du CGI" in " ".join(text.split())
    assert "Don en nature" in text and "Le donateur" in text and "Signature" in text
    db.rollback()
    cert = db.scalar(select(Certificate).where(Certificate.kind == "receipt"))
    assert cert.reference.startswith("ATT-") and cert.reference in text and cert.code in text
    # A value removed: the receipt changes, a new reference.
    client.post(f"/certificats/dons/{donation_id}/valeurs", data={**form, f"value_{ids[tags[0]]}": ""})
    text = pdf_text(issue(client, f"/certificats/dons/{donation_id}/attestation").data)
    db.rollback()
    assert len(db.scalars(select(Certificate).where(Certificate.kind == "receipt")).all()) == 2
    assert "Total 4 200,00 € (partiel)" in text
    # The public page shows the donation, not the donor's name.
    page = client.get(f"/verify/{cert.reference}?code={cert.code}").get_data(as_text=True)
    assert "Certificat authentique" in page and "DON-00001" in page and "5CG001" in page


def test_receipt_for_a_public_body_names_the_convention(client, db, login_as, workshop):
    tags = workshop.donation(kind="public_body", convention_reference="CONV-2026-12")
    from refurb.refurbishment.models import DeviceOrigin
    donation_id = db.get(DeviceOrigin, _ids(db, tags)[tags[0]]).donation_id
    login_as("manager")
    text = pdf_text(issue(client, f"/certificats/dons/{donation_id}/attestation").data)
    assert "Attestation de prise en charge de matériel" in text
    assert "Commune de Chinon" in text and "Organisme public" in text
    assert "convention n° CONV-2026-12" in text and "prix solidaires" in text
    assert "Cerfa n° 16216" not in text


def test_receipt_api_and_scope(client, db, workshop, api_token):
    tags = workshop.donation(kind="individual", site="EPN-B")
    from refurb.refurbishment.models import DeviceOrigin
    donation_id = db.get(DeviceOrigin, _ids(db, tags)[tags[0]]).donation_id
    r = client.get(f"/api/v1/donations/{donation_id}/receipt.pdf", headers=api_token("manager"))
    assert r.status_code == 200 and r.headers["X-Certificate-Reference"].startswith("ATT-")
    text = pdf_text(r.data)
    assert "Jeanne Dupont" in text and tags[0] in text and "Cerfa n° 11580" in text
    assert client.get(f"/api/v1/donations/{donation_id}/receipt.pdf", headers=api_token("tech")).status_code == 403
    assert client.get("/api/v1/donations/424242/receipt.pdf", headers=api_token("tech")).status_code == 404


# --- device certificate --------------------------------------------------------------------------

def test_sale_certificate_with_checks_erasure_grade_price_and_guarantee(client, db, login_as, workshop, api_token):
    [tag] = workshop.donation(kind="company", devices=[{"category": "laptop", "brand": "Lenovo",
                                                        "model": "ThinkPad T480 comme neuf",
                                                        "serial_number": "PF-1ABCDE", "condition": "état neuf"}])
    workshop.diagnose(tag, battery=83)
    workshop.erase(tag)
    workshop._do(tag, lambda db_, user, device: refurb.record_grading(db_, user, device, {
        "grade": "A", "functional": "limited", "notes": "Touche F5 dure, remis à neuf, Comme Neuf !",
        "battery_health": 83}))
    workshop.move(tag, "ready")
    r = client.post(f"/api/v1/devices/{tag}/sale", json=_sale(), headers=api_token("desk"))
    assert r.status_code == 201, r.json
    login_as("desk")
    r = issue(client, f"/certificats/appareils/{tag}/certificat")
    assert r.status_code == 200
    text = pdf_text(r.data)
    flat = " ".join(text.split())
    # A reservation on a function ("Touche F5 dure") is not "reconditionné" (R. 122-4): sold as used, the
    # defect stated plainly.
    assert "Certificat de vente" in text and "Appareil d'occasion" in text and "Appareil reconditionné" not in text
    assert "fonctionnel avec réserves" in " ".join(text.split()) and "Défaut signalé" in text
    assert tag in text and "PF-1ABCDE" in text and "ThinkPad T480" in text
    assert "Karim Benali" in text and "VTE-00001" in text
    assert "A — très bon état" in text and "Fonctionnel avec réserves" in text and "Touche F5 dure" in text
    assert "Alimentation et démarrage OK" in text and "Chargeur OK" in text and "83 %" in text
    assert "Données effacées le" in text and "catégorie NIST Clear" in text
    assert "120,00 € TTC" in text and "Espèces" in text
    delivered = today()
    assert f"Date de remise\n{date_fr(delivered)}" in text
    assert f"soit jusqu'au {date_fr(add_months(delivered, 24))}" in flat  # legal guarantee: 2 years
    assert f"soit jusqu'au {date_fr(add_months(delivered, 12))}" in flat  # presumption: 12 months
    assert f"Fin de garantie : {date_fr(add_months(delivered, 24))}" in text
    assert "art. L. 217-3" in flat and "art. L. 217-7" in flat and "biens d'occasion compris" in flat
    folded = _fold(text)
    for word in FORBIDDEN:
        assert _fold(word) not in folded, word


def test_a_device_not_refurbished_is_never_called_so(client, db, login_as, workshop, api_token):
    [tag] = workshop.donation(kind="company", devices=[{"category": "screen", "brand": "Iiyama",
                                                        "model": "ProLite", "serial_number": "IIY-1",
                                                        "has_storage": False}])
    workshop.move(tag, "diagnosing")
    workshop.move(tag, "ready")  # no diagnosis recorded: not "reconditionné" (R. 122-4)
    r = client.post(f"/api/v1/devices/{tag}/sale", json=_sale(price="20.00"), headers=api_token("desk"))
    assert r.status_code == 201 and r.json["sold_as_refurbished"] is False
    r = client.get(f"/api/v1/devices/{tag}/certificate.pdf", headers=api_token("desk"))
    assert r.status_code == 200
    text = pdf_text(r.data)
    assert "Certificat de vente" in text and "Appareil d'occasion" in text and "IIY-1" in text
    assert "reconditionn" not in _fold(text)
    assert "Aucun diagnostic enregistré" in text and "Appareil sans support de données" in text
    assert f"Fin de garantie : {date_fr(add_months(today(), 24))}" in text
    for word in FORBIDDEN:
        assert _fold(word) not in _fold(text)
    db.rollback()
    cert = db.scalar(select(Certificate).where(Certificate.kind == "device"))
    page = client.get(f"/verify/{cert.reference}?code={cert.code}").get_data(as_text=True)
    assert "Certificat de vente d&#39;un appareil d&#39;occasion" in page and "Karim Benali" not in page


def test_gift_and_loan_pool_certificates(client, db, login_as, workshop, api_token):
    [given, pooled] = workshop.donation(kind="association", devices=[{"category": "tablet"}, {"category": "tablet"}])
    for tag in (given, pooled):
        workshop.ready(tag)
    r = client.post(f"/api/v1/devices/{given}/gift", json={"recipient_kind": "person", "recipient_name": "Awa Diallo",
                                                             "eligible": True,
                                                             "eligibility_reason": "minima_sociaux"},
                    headers=api_token("desk"))
    assert r.status_code == 201, r.json
    workshop.move(pooled, "loan_pool")
    login_as("tech")
    text = pdf_text(issue(client, f"/certificats/appareils/{given}/certificat").data)
    assert "Certificat de reconditionnement" in text and "Awa Diallo" in text
    assert f"Appareil remis gratuitement le {date_fr(today())}" in text and "Garantie légale" not in text
    text = pdf_text(issue(client, f"/certificats/appareils/{pooled}/certificat").data)
    assert "Certificat de reconditionnement" in text and pooled in text


def test_device_certificate_refused_before_the_workshop_is_done(client, db, login_as, workshop, api_token):
    [tag] = workshop.donation(kind="company")
    login_as("tech")
    r = issue(client, f"/certificats/appareils/{tag}/certificat")
    assert r.status_code == 409 and "terminé l&#39;atelier" in r.get_data(as_text=True)
    [other] = workshop.donation(kind="company", site="EPN-B")
    assert client.get(f"/api/v1/devices/{other}/certificate.pdf", headers=api_token("tech")).status_code == 403
    assert client.get("/api/v1/devices/RF-999999/certificate.pdf", headers=api_token("tech")).status_code == 404
    db.rollback()
    assert db.scalars(select(Certificate)).all() == []


def test_device_page_panel_links(client, db, login_as, workshop):
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag)
    login_as("tech")
    html = client.get(f"/d/{tag}").get_data(as_text=True)
    assert f'action="/certificats/appareils/{tag}/certificat"' in html
    assert f'action="/certificats/appareils/{tag}/effacement"' in html
    assert "/certificats/dons/" in html
    issue(client, f"/certificats/appareils/{tag}/effacement")
    db.rollback()
    cert = db.scalar(select(Certificate))
    assert cert.reference in client.get(f"/d/{tag}").get_data(as_text=True)
    r = client.get(f"/certificats/{cert.reference}.pdf")  # reprint from the list
    assert r.status_code == 200 and cert.reference in pdf_text(r.data)
    listing = client.get(f"/certificats/?q={cert.reference[-4:]}").get_data(as_text=True)
    assert cert.reference in listing


# --- borrower cards and loan agreements ----------------------------------------------------------

def test_api_borrower_card_decodes(client, db, lk, api_token, tmp_path):
    b = lk.borrower(first_name="Élodie", last_name="Moreau")
    r = client.get(f"/api/v1/borrowers/{b.card_number}/card.pdf", headers=api_token("desk"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    assert "Élodie Moreau" in text and b.card_number in text and "Carte d'emprunteur" in text
    assert [c[2] for c in decode_codes(r.data, tmp_path) if c[1] == "code128"] == [b.card_number]
    other = lk.borrower(site="EPN-B")
    assert client.get(f"/api/v1/borrowers/{other.card_number}/card.pdf", headers=api_token("desk")).status_code == 403
    assert client.get(f"/api/v1/borrowers/{b.card_number}/card.pdf", headers=api_token("tech")).status_code == 403
    r = client.get("/api/v1/borrowers/U00000000/card.pdf", headers=api_token("desk"))
    assert r.status_code == 404 and "Carte inconnue" in r.json["error"]["message"]


def test_sheet_of_cards(client, db, lk, login_as, tmp_path):
    borrowers = [lk.borrower(last_name=f"Usager{i:02d}", commit=False) for i in range(12)]
    lk.borrower(site="EPN-B", last_name="Ailleurs")
    db.commit()
    login_as("desk")
    day = today().isoformat()
    r = client.get(f"/certificats/cartes.pdf?site=EPN-A&from={day}&to={day}")
    assert r.status_code == 200 and pdf_pages(r.data) == 2  # 10 cards a page
    found = sorted(c[2] for c in decode_codes(r.data, tmp_path) if c[1] == "code128")
    assert found == sorted(b.card_number for b in borrowers)
    assert "Ailleurs" not in pdf_text(r.data)
    r = client.get(f"/certificats/cartes.pdf?site=EPN-A&from={day}&to={day}&verso=1")
    assert pdf_pages(r.data) == 4 and "imprimez en recto verso" in pdf_text(r.data)
    chosen = borrowers[:3]
    r = client.get("/certificats/cartes.pdf?" + "&".join(f"card={b.card_number}" for b in chosen))
    assert pdf_pages(r.data) == 1 and all(b.card_number in pdf_text(r.data) for b in chosen)
    bad = client.get(f"/certificats/cartes.pdf?site=EPN-A&from={day}&to=2000-01-01")
    assert bad.status_code == 422 and "avant son début" in bad.get_data(as_text=True)
    assert client.get("/certificats/cartes.pdf?site=EPN-B").status_code == 403
    yesterday = (today() - timedelta(days=1)).isoformat()
    assert client.get(f"/certificats/cartes.pdf?site=EPN-A&from={yesterday}&to={yesterday}").status_code == 404


def test_api_loan_agreement(client, db, lk, api_token):
    from refurb.loans.models import Loan
    device = lk.device(brand="Lenovo", model="ThinkPad T14")
    b = lk.borrower(last_name="Contrat")
    now = utcnow()
    loan = Loan(device_id=device.id, borrower_id=b.id, site_id=lk.site("EPN-A").id, category="laptop",
                borrower_kind="resident", channel="desk", started_at=now, start_on=today(),
                due_on=today() + timedelta(days=14), renewals=0, rules_accepted_at=now, return_note="")
    db.add(loan)
    db.commit()
    r = client.get(f"/api/v1/loans/{loan.id}/agreement.pdf", headers=api_token("desk"))
    assert r.status_code == 200
    text = pdf_text(r.data)
    assert f"Contrat de prêt de matériel n° {loan.id}" in text and device.asset_tag in text
    assert f"à rendre le {date_fr(loan.due_on)}" in text and "Signature de l'emprunteur" in text
    assert client.get(f"/api/v1/loans/{loan.id}/agreement.pdf", headers=api_token("tech")).status_code == 403
    assert client.get("/api/v1/loans/999999/agreement.pdf", headers=api_token("desk")).status_code == 404


def test_documents_page_links_answer(client, login_as, workshop, lk):
    workshop.donation(kind="company")
    lk.borrower()
    login_as("manager")
    day = today()
    html = client.get(f"/documents/?site=EPN-A&from={day.replace(day=1).isoformat()}&to={day.isoformat()}") \
        .get_data(as_text=True)
    links = [h.replace("&amp;", "&") for h in re.findall(r'href="(/(?:certificats|rapports|verify)[^"]*)"', html)]
    for expected in ("/certificats/dons/1", "/certificats/cartes.pdf?site=EPN-A", "/rapports/activite.pdf?site=EPN-A",
                     "/rapports/activite.csv?site=EPN-A", "/certificats/?site=EPN-A", "/verify"):
        assert any(link.startswith(expected) for link in links), expected
    for link in links:
        assert client.get(link).status_code == 200, link
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/certificats/")}).status_code == 302
    login_as("tech")  # no borrower cards for the workshop
    html = client.get("/documents/?site=EPN-A").get_data(as_text=True)
    assert "/certificats/cartes.pdf" not in html and "/certificats/dons/1" in html
