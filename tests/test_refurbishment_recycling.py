"""Recycling in batches: all or nothing, a DEEE register line per batch (date, waste code,
weight, carrier, facility, tracking slip, SIRETs), register page and CSV export."""

import csv as csv_module
import io
import re
from html import unescape

from conftest import csrf_token
from sqlalchemy import select

from refurb.clock import today
from refurb.refurbishment.models import RecyclingBatch, RecyclingItem

CARRIER_SIRET = "73282932000074"


# What the register of outgoing waste requires (arrêté of 31 May 2021) besides the names.
REGISTER_FIELDS = {"carrier_address": "ZI des Gués, 37700 Saint-Pierre-des-Corps", "carrier_receipt": "37-2026-0042",
                   "facility_address": "ZI des Gués, 37700 Saint-Pierre-des-Corps", "treatment_code": "R4"}


def _batch(tags, **overrides):
    data = {"asset_tags": tags, "weight_kg": 12.5, "carrier": "Envie 2E Touraine", "carrier_siret": CARRIER_SIRET,
            "facility": "Envie 2E — Saint-Pierre-des-Corps", "tracking_number": "BSD-2026-0042", **REGISTER_FIELDS}
    data.update(overrides)
    return data


def test_batch_recycles_devices_and_fills_the_register(client, db, api_token, login_as, workshop):
    broken, old, screen = workshop.donation(kind="company", devices=[
        {"category": "laptop"}, {"category": "desktop"}, {"category": "screen"}])
    workshop.diagnose(broken, verdict="recycle", failed=("screen",))
    workshop.erase(broken)  # a device holding storage leaves erased (or its media destroyed)
    workshop.erase(old)
    response = client.post("/api/v1/recycling-batches", json=_batch([broken, old.lower(), broken]),
                           headers=api_token("tech"))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["asset_tags"] == sorted([broken, old]) and body["weight_kg"] == "12.50"
    assert body["waste_code"] == "16 02 14" and body["carrier_siret"] == CARRIER_SIRET
    assert workshop.state(broken) == workshop.state(old) == "recycled"
    assert workshop.state(screen) == "received"
    assert workshop.events(broken)[-1] == "recycling"
    register = client.get("/api/v1/recycling-batches", headers=api_token("manager")).json["items"]
    assert [b["tracking_number"] for b in register] == ["BSD-2026-0042"]
    login_as("tech")
    page = client.get("/atelier/registre-deee").get_data(as_text=True)
    assert "BSD-2026-0042" in page and "12,50" in page
    csv = client.get("/atelier/registre-deee.csv")
    assert csv.status_code == 200 and "BSD-2026-0042" in csv.get_data(as_text=True)
    assert "Envie 2E Touraine;ZI des Gués, 37700 Saint-Pierre-des-Corps;73282932000074;37-2026-0042" in \
        csv.get_data(as_text=True)


def test_batch_all_or_nothing(client, db, api_token, workshop):
    headers = api_token("tech")
    ok, sold = workshop.donation(kind="company", devices=[{"category": "laptop"}, {"category": "laptop"}])
    workshop.erase(ok)
    workshop.ready(sold)
    client.post(f"/api/v1/devices/{sold}/sale", json={"price": "50.00", "buyer": {"name": "X"},
                                                      "payment_method": "cash"}, headers=headers)
    response = client.post("/api/v1/recycling-batches", json=_batch([ok, sold]), headers=headers)
    assert response.status_code == 409
    assert response.json["error"]["message"] == f"Aucun appareil n'a été recyclé : {sold} est « Vendu »."
    assert workshop.state(ok) == "received"
    db.rollback()
    assert db.scalars(select(RecyclingBatch)).all() == []
    unknown = client.post("/api/v1/recycling-batches", json=_batch([ok, "RF-999999"]), headers=headers)
    assert unknown.status_code == 404
    [elsewhere] = workshop.donation(kind="company", site="EPN-B")
    forbidden = client.post("/api/v1/recycling-batches", json=_batch([ok, elsewhere]), headers=headers)
    assert forbidden.status_code == 403
    assert workshop.state(ok) == "received"


def test_batch_bad_input(client, db, api_token, workshop):
    [tag] = workshop.donation(kind="company")
    workshop.erase(tag)
    headers = api_token("tech")
    response = client.post("/api/v1/recycling-batches", json=_batch([], weight_kg=0, tracking_number="",
                                                                     carrier_siret="123"), headers=headers)
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert fields["asset_tags"] == "Choisissez ou scannez au moins un appareil à recycler."
    assert fields["weight_kg"] == "Le poids doit être supérieur à 0 kg (et au plus 100 000 kg)."
    assert fields["tracking_number"] == "Le numéro du bordereau de suivi est obligatoire."
    assert fields["carrier_siret"] == "Le SIRET du transporteur : 14 chiffres attendus."
    assert client.post("/api/v1/recycling-batches", json=_batch([tag], weight_kg="12,345"),
                       headers=headers).json["error"]["fields"]["weight_kg"] == "Le poids : deux décimales au plus (ex. 12,35)."
    assert client.post("/api/v1/recycling-batches", json=_batch([tag]), headers=headers).status_code == 201
    [other] = workshop.donation(kind="company")
    workshop.erase(other)
    duplicate = client.post("/api/v1/recycling-batches", json=_batch([other]), headers=headers)
    assert duplicate.status_code == 409
    assert "déjà enregistré au registre" in duplicate.json["error"]["message"]
    assert client.post("/api/v1/recycling-batches", json=_batch([tag], tracking_number="BSD-2"),
                       headers=headers).json["error"]["message"] == \
        f"Aucun appareil n'a été recyclé : {tag} figure déjà dans un lot de recyclage."
    assert client.post("/api/v1/recycling-batches", json=_batch([other]), headers=api_token("desk")).status_code == 403


def test_parts_carcass_and_device_recycled_outside_a_batch(client, db, api_token, workshop):
    headers = api_token("tech")
    carcass, loose = workshop.donation(kind="company", devices=[{"category": "laptop"}, {"category": "laptop"}])
    workshop.erase(carcass)
    workshop.erase(loose)
    workshop.diagnose(carcass, verdict="parts", failed=("power",))
    assert workshop.state(carcass) == "parts"
    assert client.post(f"/api/v1/devices/{loose}/transition", json={"to": "recycled"}, headers=headers).status_code == 200
    response = client.post("/api/v1/recycling-batches", json=_batch([carcass, loose]), headers=headers)
    assert response.status_code == 201
    assert workshop.state(carcass) == "parts" and workshop.state(loose) == "recycled"
    db.rollback()
    assert len(db.scalars(select(RecyclingItem)).all()) == 2


def test_recycling_page_form(client, db, login_as, workshop):
    [tag] = workshop.donation(kind="company")
    workshop.diagnose(tag, verdict="recycle", failed=("screen",))
    workshop.erase(tag)
    login_as("tech")
    page = client.get(f"/atelier/recyclage?tag={tag}").get_data(as_text=True)
    assert f'value="{tag}"' in page and "checked" in page
    token = csrf_token(client, "/atelier/recyclage")
    form = {"csrf_token": token, "asset_tags": [tag], "extra_tags": "", "handed_over_on": today().isoformat(),
            "waste_code": "16 02 14", "weight_kg": "2,4", "carrier": "Envie", "carrier_siret": "",
            "facility": "Envie 2E", "facility_siret": "", **REGISTER_FIELDS, "tracking_number": ""}
    refused = client.post("/atelier/recyclage", data=form)
    assert refused.status_code == 422
    assert "Le numéro du bordereau de suivi est obligatoire." in refused.get_data(as_text=True)
    assert workshop.state(tag) == "diagnosing"
    form["tracking_number"] = "BSD-77"
    done = client.post("/atelier/recyclage", data=form)
    assert done.status_code == 303
    batch_page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "BSD-77" in batch_page and tag in batch_page
    assert workshop.state(tag) == "recycled"


# --- what the register requires (arrêté of 31 May 2021) --------------------------------------------

REGISTER_MESSAGES = {
    "carrier": "Le nom du transporteur est obligatoire",
    "carrier_address": "L'adresse du transporteur est obligatoire",
    "carrier_receipt": "Le n° de récépissé du transporteur est obligatoire",
    "facility": "Le nom de l'installation de traitement est obligatoire",
    "facility_address": "L'adresse de l'installation est obligatoire",
    "treatment_code": "Le code de traitement est obligatoire",
}


def test_a_batch_without_what_the_register_requires_is_refused_naming_each_field(client, api_token, login_as,
                                                                                  workshop):
    [tag] = workshop.donation(kind="company")
    workshop.erase(tag)
    blank = {name: "" for name in REGISTER_MESSAGES}
    r = client.post("/api/v1/recycling-batches", json=_batch([tag], **blank), headers=api_token("tech"))
    assert r.status_code == 422
    fields = r.json["error"]["fields"]
    for name, start in REGISTER_MESSAGES.items():
        assert fields[name].startswith(f"{start} : le registre des déchets l'exige (arrêté du 31 mai 2021)."), name
    assert "Recopiez celui que donne le transporteur ou le recycleur" in fields["carrier_receipt"]
    assert "R4, R5" in fields["treatment_code"]
    missing = {k: v for k, v in _batch([tag]).items() if k not in ("carrier_address", "treatment_code")}
    r = client.post("/api/v1/recycling-batches", json=missing, headers=api_token("tech"))
    assert r.status_code == 422 and set(r.json["error"]["fields"]) == {"carrier_address", "treatment_code"}
    assert workshop.state(tag) == "received"
    # the récépissé is the text the recycler gives, not a number of a given shape
    r = client.post("/api/v1/recycling-batches", json=_batch([tag], carrier_receipt="Dispensé (moins de 0,5 t)"),
                    headers=api_token("tech"))
    assert r.status_code == 201 and r.json["carrier_receipt"] == "Dispensé (moins de 0,5 t)"

    login_as("tech")
    [other] = workshop.donation(kind="company")
    workshop.erase(other)
    token = csrf_token(client, "/atelier/recyclage")
    form = {"csrf_token": token, "asset_tags": [other], "handed_over_on": today().isoformat(),
            "waste_code": "16 02 14", "weight_kg": "2", "carrier": "Envie", "facility": "Envie 2E",
            "tracking_number": "BSD-FORM-1", **blank}
    page = unescape(client.post("/atelier/recyclage", data=form).get_data(as_text=True))
    assert "L'adresse du transporteur est obligatoire : le registre des déchets l'exige (arrêté du 31 mai 2021)." in page
    for name in ("carrier-address", "carrier-receipt", "facility-address", "treatment-code"):
        assert re.search(rf'id="rc-{name}"[^>]*\srequired\b', page), name  # marked required in the form


def test_a_batch_recorded_before_says_plainly_what_it_lacks(client, db, login_as, workshop):
    from decimal import Decimal

    from openpyxl import load_workbook

    from refurb.accounts.services import get_user
    from refurb.inventory.models import Device

    [tag] = workshop.donation(kind="company")
    device = db.scalar(select(Device).where(Device.asset_tag == tag))
    batch = RecyclingBatch(site_id=device.site_id, user_id=get_user(db, "tech").id, handed_over_on=today(),
                           waste_code="16 02 14", weight_kg=Decimal("3.10"), carrier_name="Envie",
                           facility_name="Envie 2E", tracking_number="BSD-OLD-1")  # the register's other fields empty
    db.add(batch)
    db.flush()
    db.add(RecyclingItem(batch_id=batch.id, device_id=device.id))
    db.commit()
    login_as("tech")
    rows = list(csv_module.reader(io.StringIO(client.get("/atelier/registre-deee.csv").get_data(as_text=True)),
                                  delimiter=";"))
    line = dict(zip(rows[0], rows[1]))
    for column in ("Adresse du transporteur", "N° de récépissé du transporteur", "Adresse de l'installation",
                   "Code du traitement"):
        assert line[column] == "non renseigné", column
    assert line["Transporteur"] == "Envie" and line["SIRET du transporteur"] == ""  # optional: left empty
    sheet = load_workbook(io.BytesIO(client.get("/atelier/registre-deee.xlsx").data)).active
    titles = [c.value for c in next(sheet.iter_rows(max_row=1))]
    values = dict(zip(titles, [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]))
    assert values["Code du traitement"] == "non renseigné" and values["Adresse du transporteur"] == "non renseigné"
    page = unescape(client.get(f"/atelier/recyclage/{batch.id}").get_data(as_text=True))
    assert "Envie, adresse non renseignée — récépissé non renseigné" in page
    assert "Envie 2E, adresse non renseignée" in page and "<dd>non renseigné</dd>" in page
