"""Borrowers: registration with duplicate detection, who sees whom, PIN and blocks, the GDPR page,
exports, erasure on request, and `refurb purge-borrowers`."""

import html
import json
from datetime import timedelta

from conftest import csrf_token
from sqlalchemy import func, select

from refurb.clock import today
from refurb.db import utcnow
from refurb.loans.models import Borrower, Loan, Reservation


def T(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _fresh(db):
    db.rollback()
    db.expire_all()


def _form(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/usagers/nouveau"), **data})


BASE = {"first_name": "Élodie", "last_name": "Martin", "phone": "06 12 34 56 78", "email": "", "kind": "resident",
        "organisation": "", "home_site": "EPN-A", "referring_partner": "CCAS de Chinon", "pin": "", "consent": "on"}


def test_register_then_lend_and_duplicates(login_as, db):
    client = login_as("desk")
    page = T(client.get("/usagers/nouveau"))
    assert "pas de pièce d'identité" in page and 'name="pin"' in page
    r = _form(client, "/usagers/nouveau", BASE | {"action": "desk", "pin": "4321"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/prets/comptoir")
    b = db.scalar(select(Borrower))
    assert b.card_number.startswith("U") and b.consent_at is not None and b.pin_hash and "4321" not in b.pin_hash
    assert b.referring_partner == "CCAS de Chinon" and b.phone == "0612345678"
    assert "Élodie Martin" in T(client.get("/prets/comptoir"))
    # the same person again: refused, with a link to her page
    r = _form(client, "/usagers/nouveau", BASE | {"first_name": "ELODIE", "phone": "0612345678"})
    assert r.status_code == 422
    body = T(r)
    assert "déjà inscrit" in body and f"/usagers/{b.card_number}" in body
    # missing contact, bad PIN: errors tied to the fields, nothing saved
    r = _form(client, "/usagers/nouveau", BASE | {"last_name": "Autre", "phone": "", "pin": "12a4"})
    assert r.status_code == 422
    body = T(r)
    assert 'id="e-phone"' in body and "téléphone ou courriel" in body and "4 chiffres" in body
    _fresh(db)
    assert db.scalar(select(func.count()).select_from(Borrower)) == 1
    # edit
    r = client.post(f"/usagers/{b.card_number}/modifier", data={
        "csrf_token": csrf_token(client, f"/usagers/{b.card_number}/modifier"), **BASE, "email": "e@example.org"})
    assert r.status_code == 303
    _fresh(db)
    assert db.get(Borrower, b.id).email == "e@example.org"


def test_borrower_page_card_and_visibility(app, login_as, db, lk):
    client = login_as("desk")
    own, other = lk.borrower("EPN-A"), lk.borrower("EPN-B")
    page = T(client.get(f"/usagers/{own.card_number}"))
    assert own.card_number in page and "<svg" in page and 'aria-label="Code-barres de la carte' in page
    card = client.get(f"/usagers/{own.card_number}/carte.pdf")
    assert card.status_code == 200 and card.data.startswith(b"%PDF")
    # a borrower of another site: not visible by browsing...
    assert client.get(f"/usagers/{other.card_number}").status_code == 403
    listing = T(client.get("/usagers/"))
    assert own.last_name in listing and other.last_name not in listing
    assert other.card_number not in T(client.get(f"/usagers/?q={other.last_name}"))
    # ...but served at the desk when the card is scanned (the person is there)
    body = T(client.post("/prets/comptoir/scan", data={"csrf_token": csrf_token(client, "/prets/comptoir"),
                                                        "code": other.card_number}, headers={"HX-Request": "true"}))
    assert other.full_name in body
    # the manager sees the whole network
    manager = app.test_client()
    from conftest import login
    login(manager, "manager")
    assert manager.get(f"/usagers/{other.card_number}").status_code == 200


def test_pin_and_block(login_as, db, lk):
    client = login_as("desk")
    b = lk.borrower("EPN-A")
    token = csrf_token(client, f"/usagers/{b.card_number}")
    refused = client.post(f"/usagers/{b.card_number}/pin", data={"csrf_token": token, "pin": "99"})
    assert refused.status_code == 422 and "4 chiffres" in T(refused)
    client.post(f"/usagers/{b.card_number}/pin", data={"csrf_token": token, "pin": "2468"})
    _fresh(db)
    assert db.get(Borrower, b.id).has_pin
    refused = client.post(f"/usagers/{b.card_number}/blocage", data={"csrf_token": token, "action": "block",
                                                                      "reason": ""})
    assert refused.status_code == 422 and "motif du blocage" in T(refused).lower()
    _fresh(db)
    assert not db.get(Borrower, b.id).blocked
    client.post(f"/usagers/{b.card_number}/blocage", data={"csrf_token": token, "action": "block",
                                                            "reason": "Tablette non rendue"})
    _fresh(db)
    assert db.get(Borrower, b.id).blocked and db.get(Borrower, b.id).block_reason == "Tablette non rendue"
    client.post(f"/usagers/{b.card_number}/blocage", data={"csrf_token": token, "action": "unblock"})
    _fresh(db)
    assert not db.get(Borrower, b.id).blocked


def test_gdpr_page_exports_and_erasure(client, login_as, db, lk, api_headers):
    desk = login_as("desk")
    b = lk.borrower("EPN-A", first_name="Rose", last_name="Lavande", email="rose@example.org")
    tablet = lk.device("EPN-A", "tablet")
    h = api_headers("desk")
    loan_id = desk.post("/api/v1/loans", json={"asset_tag": tablet.asset_tag, "borrower_card": b.card_number},
                        headers=h).json["id"]
    page = T(desk.get(f"/usagers/{b.card_number}/donnees"))
    assert "Rose" in page and "rose@example.org" in page and tablet.asset_tag in page
    assert "Effacement impossible tant que du matériel est en prêt" in page
    data = json.loads(desk.get(f"/usagers/{b.card_number}/donnees.json").data)
    assert data["borrower"]["email"] == "rose@example.org" and data["loans"][0]["asset_tag"] == tablet.asset_tag
    assert "pin_hash" not in json.dumps(data)
    csv_text = desk.get(f"/usagers/{b.card_number}/donnees.csv").data.decode("utf-8-sig")
    assert "rose@example.org" in csv_text and tablet.asset_tag in csv_text
    token = csrf_token(desk, f"/usagers/{b.card_number}/donnees")
    r = desk.post(f"/usagers/{b.card_number}/effacer", data={"csrf_token": token})
    assert r.status_code == 422 and "Cochez la case de confirmation" in T(r)
    r = desk.post(f"/usagers/{b.card_number}/effacer", data={"csrf_token": token, "confirm": "on"})
    assert r.status_code == 422 and "encore en prêt" in T(r)
    _fresh(db)
    assert db.get(Borrower, b.id).anonymised_at is None
    desk.post(f"/api/v1/loans/{loan_id}/return", json={"condition": "complete"}, headers=h)
    r = desk.post(f"/usagers/{b.card_number}/effacer", data={"csrf_token": token, "confirm": "on"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/usagers/")
    _fresh(db)
    gone = db.get(Borrower, b.id)
    assert gone.anonymised_at and gone.card_number is None and gone.email is None and gone.phone is None
    assert "Rose" not in gone.full_name and "Lavande" not in gone.full_name
    # the loan stays, counted, without identity
    assert db.scalar(select(func.count()).select_from(Loan).where(Loan.borrower_id == b.id)) == 1
    assert desk.get(f"/usagers/{b.card_number}").status_code == 404


def test_purge_borrowers_command(app, db, lk):
    old = lk.borrower("EPN-A", last_name="Ancien", last_activity_days=4 * 365)
    old_out = lk.borrower("EPN-A", last_name="AncienEnPret", last_activity_days=4 * 365)
    old_booked = lk.borrower("EPN-A", last_name="AncienReserve", last_activity_days=4 * 365)
    recent = lk.borrower("EPN-A", last_name="Recent", last_activity_days=30)
    device = lk.device("EPN-A", "router", state="on_loan")
    now = utcnow()
    db.add(Loan(device_id=device.id, borrower_id=old_out.id, site_id=device.site_id, category="router",
                borrower_kind="resident", channel="desk", started_at=now, start_on=today(),
                due_on=today() + timedelta(days=7), renewals=0, rules_accepted_at=now, return_note=""))
    db.add(Reservation(borrower_id=old_booked.id, site_id=device.site_id, category="router",
                       start_on=today() + timedelta(days=3), end_on=today() + timedelta(days=5),
                       release_on=today() + timedelta(days=5), status="active", note=""))
    db.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["purge-borrowers", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 usager inactif depuis plus de 1\u202f095 jours : serait anonymisé" in dry.output
    assert "simulation" in dry.output
    _fresh(db)
    assert db.get(Borrower, old.id).anonymised_at is None
    short = runner.invoke(args=["purge-borrowers", "--inactive-days", "10", "--dry-run"])
    assert "2 usagers inactifs depuis plus de 10 jours : seraient anonymisés" in short.output  # "Recent" too, but not the one with a loan or a booking
    real = runner.invoke(args=["purge-borrowers"])
    assert real.exit_code == 0 and "1 usager inactif depuis plus de 1\u202f095 jours : anonymisé." in real.output
    _fresh(db)
    assert db.get(Borrower, old.id).anonymised_at is not None and db.get(Borrower, old.id).card_number is None
    assert db.get(Borrower, old_out.id).anonymised_at is None
    assert db.get(Borrower, old_booked.id).anonymised_at is None
    assert db.get(Borrower, recent.id).anonymised_at is None
    bad = runner.invoke(args=["purge-borrowers", "--inactive-days", "0"])
    assert bad.exit_code != 0


def test_card_and_agreement_pdfs_read_back(login_as, db, lk, api_headers, tmp_path):
    """The card's Code 128 decodes to the card number (150 dpi, like a cheap office printer);
    the agreement names the devices, due dates and the borrower."""
    import io
    import shutil
    import subprocess

    import pytest
    zxingcpp = pytest.importorskip("zxingcpp")
    Image = pytest.importorskip("PIL.Image")
    from pypdf import PdfReader

    client = login_as("desk")
    b = lk.borrower("EPN-A", first_name="Hélène", last_name="Œuvray")
    router = lk.device("EPN-A", "router", brand="Huawei", model="E5576")
    loan = client.post("/api/v1/loans", json={"asset_tag": router.asset_tag, "borrower_card": b.card_number,
                                              "deposit": 20}, headers=api_headers("desk")).json
    agreement = PdfReader(io.BytesIO(client.get(f"/prets/{loan['id']}/contrat.pdf").data))
    text = agreement.pages[0].extract_text()
    assert router.asset_tag in text and "Hélène Œuvray" in text and b.card_number in text and "20,00" in text
    card_pdf = client.get(f"/usagers/{b.card_number}/carte.pdf").data
    assert "Hélène Œuvray" in PdfReader(io.BytesIO(card_pdf)).pages[0].extract_text()
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    (tmp_path / "card.pdf").write_bytes(card_pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(tmp_path / "card.pdf"), str(tmp_path / "p")],
                   check=True)
    image = Image.open(next(tmp_path.glob("p*.png")))
    found = [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)]
    assert found == [b.card_number]
