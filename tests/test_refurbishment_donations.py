"""Donors and donations: devices created in one go with their origin, public-body caps,
SIRET checks, the donation form and its label sheet, and the API with its bad input."""

from datetime import timedelta

from conftest import csrf_token
from sqlalchemy import select

from refurb.clock import today
from refurb.inventory.models import Device, DeviceEvent
from refurb.refurbishment.common import siret_problem
from refurb.refurbishment.models import DeviceOrigin, Donation, Donor

GOOD_SIRET = "73282932000074"


def _donation(**overrides):
    data = {"donor": {"name": "Commune de Chinon", "kind": "public_body", "siret": "21370072300017",
                      "email": "informatique@ville-chinon.fr"},
            "site": "EPN-A", "received_on": (today() - timedelta(days=30)).isoformat(), "convention_reference": "CC-2026-014",
            "devices": [{"category": "laptop", "brand": "HP", "model": "ProBook 440 G5", "serial_number": "5CD8A1"},
                        {"category": "laptop", "brand": "HP", "model": "ProBook 440 G5", "serial_number": "5CD8A2"},
                        {"category": "screen", "brand": "Dell", "model": "P2217"}]}
    data.update(overrides)
    return data


def test_siret_luhn():
    assert siret_problem(GOOD_SIRET) is None
    assert siret_problem("73282932000075") == "clé de contrôle incorrecte (vérifiez la saisie)."
    assert siret_problem("1234") == "14 chiffres attendus."
    assert siret_problem("35600000049837") is None  # La Poste: digit sum multiple of 5


def test_api_donation_creates_devices_with_origin(client, db, api_token):
    response = client.post("/api/v1/donations", json=_donation(), headers=api_token("tech"))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["reference"].startswith("DON-")
    assert body["price_capped"] is True
    tags = [d["asset_tag"] for d in body["devices"]]
    assert len(tags) == 3 and all(t.startswith("RF-") for t in tags)
    assert [d["has_storage"] for d in body["devices"]] == [True, True, False]
    devices = db.scalars(select(Device).where(Device.asset_tag.in_(tags))).all()
    assert {d.state for d in devices} == {"received"}
    origins = db.scalars(select(DeviceOrigin)).all()
    assert len(origins) == 3 and all(o.price_capped and o.donation_id == body["id"] for o in origins)
    created = db.scalars(select(DeviceEvent).where(DeviceEvent.action == "created")).all()
    assert all(e.data["donation"] == body["reference"] for e in created)
    # the same SIRET names the same donor next time
    again = client.post("/api/v1/donations", json=_donation(devices=[{"category": "tablet"}]),
                        headers=api_token("tech"))
    assert again.status_code == 201
    assert again.json["donor"]["id"] == body["donor"]["id"]
    assert db.scalar(select(Donor).where(Donor.siret == "21370072300017")).name == "Commune de Chinon"
    assert client.get(f"/api/v1/donations/{body['id']}", headers=api_token("tech")).json["devices"][0]["asset_tag"] \
        == tags[0]


def test_company_and_individual_not_capped(client, db, api_token):
    response = client.post("/api/v1/donations", json=_donation(
        donor={"name": "Transports Martin", "kind": "company", "siret": GOOD_SIRET}), headers=api_token("manager"))
    assert response.status_code == 201
    assert response.json["price_capped"] is False
    assert not any(o.price_capped for o in db.scalars(select(DeviceOrigin)))


def _nothing_created(db):
    db.rollback()
    assert db.scalars(select(Donation)).all() == []
    assert db.scalars(select(Device)).all() == []
    assert db.scalars(select(Donor)).all() == []


def test_donation_with_zero_devices_refused(client, db, api_token):
    response = client.post("/api/v1/donations", json=_donation(devices=[]), headers=api_token("tech"))
    assert response.status_code == 422
    assert response.json["error"]["fields"]["devices"] == "Ajoutez au moins un appareil au don."
    _nothing_created(db)


def test_donation_bad_input_all_or_nothing(client, db, api_token):
    headers = api_token("tech")
    bad_device = _donation(devices=[{"category": "laptop"}, {"category": "grille-pain"}])
    response = client.post("/api/v1/donations", json=bad_device, headers=headers)
    assert response.status_code == 422
    assert "devices.1.category" in response.json["error"]["fields"]
    assert response.json["error"]["fields"]["devices.1.category"].startswith("Appareil 2 : La catégorie")
    company_without_siret = _donation(donor={"name": "Transports Martin", "kind": "company"})
    response = client.post("/api/v1/donations", json=company_without_siret, headers=headers)
    assert response.json["error"]["fields"]["donor.siret"] == "Le SIRET est obligatoire."
    wrong_key = _donation(donor={"name": "Transports Martin", "kind": "company", "siret": "73282932000075"})
    response = client.post("/api/v1/donations", json=wrong_key, headers=headers)
    assert "clé de contrôle" in response.json["error"]["fields"]["donor.siret"]
    future = _donation(received_on=(today() + timedelta(days=1)).isoformat())
    response = client.post("/api/v1/donations", json=future, headers=headers)
    assert response.json["error"]["fields"]["received_on"] == "La date de réception ne peut pas être dans le futur."
    twice = _donation(devices=[{"category": "laptop", "serial_number": "X1"}, {"category": "laptop", "serial_number": "x1"}])
    response = client.post("/api/v1/donations", json=twice, headers=headers)
    assert response.status_code == 422
    assert "déjà saisi" in response.json["error"]["fields"]["devices.1.serial_number"]
    _nothing_created(db)


def test_donation_known_serial_rolls_back_everything(client, db, api_token, workshop):
    workshop.device(serial_number="5CD8A2")
    response = client.post("/api/v1/donations", json=_donation(), headers=api_token("tech"))
    assert response.status_code == 409
    assert "5CD8A2" in response.json["error"]["message"] and "Rien n'a été enregistré" in response.json["error"]["message"]
    db.rollback()
    assert db.scalars(select(Donation)).all() == []
    assert len(db.scalars(select(Device)).all()) == 1  # only the one arranged
    confirmed = client.post("/api/v1/donations", json=_donation(allow_known_serial=True), headers=api_token("tech"))
    assert confirmed.status_code == 201


def test_donation_at_another_site_forbidden(client, api_token, db):
    response = client.post("/api/v1/donations", json=_donation(site="EPN-B"), headers=api_token("tech"))
    assert response.status_code == 403
    _nothing_created(db)


def test_donation_form_creates_devices_and_offers_labels(client, login_as, db):
    login_as("tech")
    token = csrf_token(client, "/atelier/dons/nouveau")
    form = {"csrf_token": token, "donor_id": "", "donor_kind": "public_body", "donor_name": "Commune de Seuilly",
            "donor_siret": "", "site": "EPN-A", "received_on": today().isoformat(), "erasure_certificate_required": ["0", "1"],
            "convention_reference": "CC-12", "conditions": "",
            "line_category": ["laptop", "screen", ""], "line_brand": ["Lenovo", "Dell", ""],
            "line_model": ["T480", "P2219H", ""], "line_serial_number": ["", "", ""],
            "line_quantity": ["2", "1", ""], "line_has_storage": ["", "", ""]}
    response = client.post("/atelier/dons/nouveau", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert "Don DON-" in html and "3 appareils créés" in html
    tags = [d.asset_tag for d in db.scalars(select(Device).order_by(Device.id))]
    assert len(tags) == 3
    assert "/labels?" + "&".join(f"tag={t}" for t in tags) in html.replace("&amp;", "&")
    assert "Certificat d&#39;effacement des données demandé" in html or "Certificat d'effacement des données demandé" in html
    assert "Prix solidaires" in html
    assert html.count("<td>à faire</td>") == 2 and html.count("<td>sans objet</td>") == 1  # erasure per device
    donation = db.scalars(select(Donation)).one()
    assert donation.erasure_certificate_required and donation.convention_reference == "CC-12"


def test_donation_form_errors_kept_on_lines(client, login_as, db):
    login_as("tech")
    token = csrf_token(client, "/atelier/dons/nouveau")
    form = {"csrf_token": token, "donor_kind": "company", "donor_name": "Transports Martin",
            "donor_siret": "123", "site": "EPN-A", "received_on": today().isoformat(),
            "line_category": ["", "laptop"], "line_brand": ["Lenovo", "HP"], "line_model": ["", ""],
            "line_serial_number": ["", "SN1"], "line_quantity": ["", "3"], "line_has_storage": ["", ""]}
    response = client.post("/atelier/dons/nouveau", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Ligne 2 : un numéro de série désigne un seul appareil" in html
    form["line_quantity"] = ["", "1"]
    response = client.post("/atelier/dons/nouveau", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ligne 1 : La catégorie est obligatoire." in html
    assert "Le SIRET : 14 chiffres attendus." in html
    assert 'value="Transports Martin"' in html  # what was typed stays
    _nothing_created(db)
    # "Ajouter des lignes" keeps what was typed and saves nothing
    form["add_lines"] = "1"
    response = client.post("/atelier/dons/nouveau", data=form)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('name="line_category"') == 5


def test_donor_pages(client, login_as, db):
    login_as("desk")
    token = csrf_token(client, "/atelier/donateurs/nouveau")
    response = client.post("/atelier/donateurs/nouveau", data={"csrf_token": token, "kind": "company",
                                                              "name": "Boulangerie Rabelais", "siret": "732 829 320 00074"})
    assert response.status_code == 303
    donor = db.scalars(select(Donor)).one()
    assert donor.siret == GOOD_SIRET
    again = client.post("/atelier/donateurs/nouveau", data={"csrf_token": token, "kind": "association",
                                                           "name": "Autre", "siret": GOOD_SIRET})
    assert again.status_code == 422
    assert "Boulangerie Rabelais" in again.get_data(as_text=True)
    listing = client.get("/atelier/donateurs?q=rabel")
    assert "Boulangerie Rabelais" in listing.get_data(as_text=True)
