"""Recycling in batches: all or nothing, a DEEE register line per batch (date, waste code,
weight, carrier, facility, tracking slip, SIRETs), register page and CSV export."""

from conftest import csrf_token
from sqlalchemy import select

from refurb.clock import today
from refurb.refurbishment.models import RecyclingBatch, RecyclingItem

CARRIER_SIRET = "73282932000074"


def _batch(tags, **overrides):
    data = {"asset_tags": tags, "weight_kg": 12.5, "carrier": "Envie 2E Touraine", "carrier_siret": CARRIER_SIRET,
            "facility": "Envie 2E — Saint-Pierre-des-Corps", "tracking_number": "BSD-2026-0042",
            "treatment_code": "R4"}
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
    assert "Envie 2E Touraine;;73282932000074" in csv.get_data(as_text=True)


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
            "facility": "Envie 2E", "facility_siret": "", "treatment_code": "", "tracking_number": ""}
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
