"""Bad input to the workshop and certificates answers 404 or 422 with a French message, never a 500:
blank or non-text tags in a recycling batch, ids that cannot name a row (words, negative, beyond 64
bits) in bodies, forms and query strings, values of the wrong type."""

from __future__ import annotations

import pytest
from conftest import csrf_token

from refurb.clock import today

HUGE = "99999999999999999999999"


def _batch(tags):
    return {"asset_tags": tags, "weight_kg": "2", "carrier": "Envie", "facility": "Envie 2E",
            "carrier_address": "1 rue du Port, 37000 Tours", "carrier_receipt": "37-1",
            "facility_address": "ZI des Gués, 37700 Saint-Pierre-des-Corps", "treatment_code": "R4",
            "tracking_number": "BSD-INPUT-1"}


@pytest.mark.parametrize("tags, message", [
    (["", "   "], "Les étiquettes sont vides : choisissez ou scannez au moins un appareil à recycler."),
    ("  ,  ", "Choisissez ou scannez au moins un appareil à recycler."),
    ([123], "Les étiquettes des appareils sont des textes (ex. RF-000123)."),
    ([{"tag": "RF-000001"}], "Les étiquettes des appareils sont des textes (ex. RF-000123)."),
    ({"a": 1}, "Choisissez ou scannez au moins un appareil à recycler."),
])
def test_recycling_batch_with_blank_or_junk_tags(client, api_token, workshop, tags, message):
    r = client.post("/api/v1/recycling-batches", json=_batch(tags), headers=api_token("tech"))
    assert r.status_code == 422, r.json
    assert r.json["error"]["fields"]["asset_tags"] == message


def test_recycling_form_with_only_blank_tags(client, login_as):
    login_as("tech")
    token = csrf_token(client, "/atelier/recyclage")
    r = client.post("/atelier/recyclage", data={"csrf_token": token, "asset_tags": ["", " "], "extra_tags": " \n ",
                                               "weight_kg": "2", "carrier": "Envie", "facility": "Envie 2E",
                                               "tracking_number": "BSD-1"})
    assert r.status_code == 422
    assert "scannez au moins un appareil à recycler" in r.get_data(as_text=True)


@pytest.mark.parametrize("raw", [HUGE, "-1", "abc", 1.5, True, [1], 2**64])
def test_donation_naming_a_donor_by_an_impossible_id(client, api_token, raw):
    r = client.post("/api/v1/donations", json={"donor": {"id": raw}, "site": "EPN-A", "received_on": today().isoformat(),
                                               "devices": [{"category": "laptop"}]}, headers=api_token("tech"))
    assert r.status_code == 422, r.json
    assert r.json["error"]["fields"]["donor.id"].startswith("Aucun donateur n°")


def test_donation_form_and_lists_with_impossible_ids(client, login_as):
    login_as("tech")
    token = csrf_token(client, "/atelier/dons/nouveau")
    r = client.post("/atelier/dons/nouveau", data={"csrf_token": token, "donor_id": HUGE, "site": "EPN-A",
                                                  "received_on": today().isoformat(), "line_category": ["laptop"],
                                                  "line_quantity": ["1"]})
    assert r.status_code == 422 and "Aucun donateur n°" in r.get_data(as_text=True)
    for url in (f"/atelier/dons?donor={HUGE}", "/atelier/dons?donor=-3", "/atelier/dons?donor=x"):
        assert client.get(url).status_code == 404, url


def test_wrong_types_in_workshop_bodies(client, api_token, workshop):
    [tag] = workshop.donation(kind="company")
    headers = api_token("tech")
    checks = {k: "pass" for k in ("power", "screen", "keyboard", "touchpad", "ports", "wifi", "bluetooth", "webcam",
                                  "audio", "battery", "storage", "ram", "charger")}
    r = client.post(f"/api/v1/devices/{tag}/diagnosis", json={"checks": {**checks, "power": ["pass"]},
                                                             "verdict": "ready"}, headers=headers)
    assert r.status_code == 422 and "n'est pas un résultat" in r.json["error"]["fields"]["checks.power"]
    r = client.post(f"/api/v1/devices/{tag}/media-destructions", json={"destroyed_by": ["us"], "method": {"x": 1},
                                                                      "destroyed_on": [2026]}, headers=headers)
    assert r.status_code == 422
    assert set(r.json["error"]["fields"]) >= {"destroyed_by", "destroyed_on"}
