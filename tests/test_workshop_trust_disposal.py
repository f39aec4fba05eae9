"""A device holding storage leaves for recycling or parts only after a passed erasure or a recorded
destruction of its media (by us, or by the recycler with its destruction certificate n°), whatever the
path: the state change through the API or the device page, the workshop's "parts" button, a diagnosis
concluding "parts", a DEEE batch. The donor's erasure certificate then states what happened to each
medium."""

from __future__ import annotations

from conftest import csrf_token
from fixtures_certificates import pdf_text
from sqlalchemy import select

from refurb.certificates.models import Certificate
from refurb.clock import today
from refurb.formatting import date_fr
from refurb.refurbishment.models import MediaDestruction, RecyclingBatch

# What the register requires besides the names (tests/test_refurbishment_recycling.py).
REGISTER_FIELDS = {"carrier_address": "ZI des Gués, 37700 Saint-Pierre-des-Corps", "carrier_receipt": "37-2026-0042",
                   "facility_address": "ZI des Gués, 37700 Saint-Pierre-des-Corps", "treatment_code": "R4"}
WHAT_TO_RECORD = "Enregistrez l'effacement, ou la destruction des supports"


def _batch(tags, **overrides):
    data = {"asset_tags": tags, "weight_kg": "4.5", "carrier": "Envie 2E Touraine", **REGISTER_FIELDS,
            "facility": "Envie 2E — Saint-Pierre-des-Corps", "tracking_number": "BSD-TRUST-1"}
    data.update(overrides)
    return data


def test_no_state_change_to_recycled_or_parts_with_data_never_erased(client, db, api_token, login_as, workshop):
    headers = api_token("tech")
    laptop, screen = workshop.donation(kind="company", devices=[{"category": "laptop"}, {"category": "screen"}])
    for target in ("recycled", "parts"):
        r = client.post(f"/api/v1/devices/{laptop}/transition", json={"to": target}, headers=headers)
        assert r.status_code == 409, r.json
        assert "ses données n'ont pas été effacées" in r.json["error"]["message"]
        assert WHAT_TO_RECORD in r.json["error"]["message"] and "certificat de destruction" in r.json["error"]["message"]
    assert workshop.state(laptop) == "received"
    # A screen holds no data: it goes.
    assert client.post(f"/api/v1/devices/{screen}/transition", json={"to": "parts"}, headers=headers).status_code == 200
    # The workshop's own "parts" button says the same, and shows the reason beside the disabled button.
    workshop.move(laptop, "diagnosing")
    login_as("tech")
    panel = client.get(f"/atelier/appareils/{laptop}").get_data(as_text=True)
    assert "ses données n&#39;ont pas été effacées" in panel
    token = csrf_token(client, f"/atelier/appareils/{laptop}")
    r = client.post(f"/atelier/appareils/{laptop}/etape", data={"csrf_token": token, "to": "parts"})
    assert r.status_code == 422 and "ses données n&#39;ont pas été effacées" in r.get_data(as_text=True)
    assert workshop.state(laptop) == "diagnosing"


def test_a_parts_diagnosis_waits_for_the_data_then_a_failed_erasure_still_blocks(client, api_token, workshop):
    headers = api_token("tech")
    [laptop] = workshop.donation(kind="company")
    workshop.diagnose(laptop, verdict="parts", failed=("power",))
    assert workshop.state(laptop) == "diagnosing"  # recorded, not moved: its data first
    status = client.get(f"/api/v1/devices/{laptop}/refurbishment", headers=headers).json
    assert status["step"] == "clear_media"
    assert "effacer les données ou enregistrer la destruction des supports" in status["step_label"]
    workshop.erase(laptop, result="failed", media=[{"serial": "BAD-SECTORS-1"}])
    r = client.post(f"/api/v1/devices/{laptop}/transition", json={"to": "parts"}, headers=headers)
    assert r.status_code == 409 and "a échoué (support BAD-SECTORS-1)" in r.json["error"]["message"]
    # Destroyed by us: it may go to parts.
    r = client.post(f"/api/v1/devices/{laptop}/media-destructions",
                    json={"destroyed_by": "us", "method": "perçage des plateaux"}, headers=headers)
    assert r.status_code == 201, r.json
    assert r.json["destroyed_by"] == "us" and r.json["destroyed_on"] == today().isoformat()
    assert client.post(f"/api/v1/devices/{laptop}/transition", json={"to": "parts"}, headers=headers).status_code == 200
    assert workshop.events(laptop)[-2:] == ["media_destroyed", "transition"]


def test_a_batch_refuses_unerased_media_unless_the_recycler_certifies_their_destruction(
        client, db, api_token, login_as, workshop):
    headers = api_token("tech")
    erased, unerased, screen = workshop.donation(kind="company", devices=[
        {"category": "laptop", "serial_number": "HOST-ERASED"}, {"category": "laptop", "serial_number": "HOST-RAW"},
        {"category": "screen"}])
    workshop.erase(erased, media=[{"serial": "DISK-ERASED-1", "size_gb": 256}])
    r = client.post("/api/v1/recycling-batches", json=_batch([erased, unerased, screen]), headers=headers)
    assert r.status_code == 409
    message = r.json["error"]["message"]
    assert message.startswith(f"Aucun appareil n'a été recyclé : {unerased} : support de données ni effacé ni détruit")
    assert "certificat de destruction des supports délivré par le recycleur" in message
    assert "media_destruction_certificate" in r.json["error"]["fields"]
    db.rollback()
    assert db.scalars(select(RecyclingBatch)).all() == [] and workshop.state(erased) == "received"
    # The page marks the device and offers the certificate field.
    workshop.diagnose(unerased, verdict="recycle", failed=("screen",))
    login_as("tech")
    page = client.get("/atelier/recyclage").get_data(as_text=True)
    assert "support de données ni effacé ni détruit" in page and 'name="media_destruction_certificate"' in page
    # With the recycler's destruction certificate: recycled, and recorded for that device only.
    r = client.post("/api/v1/recycling-batches", json=_batch([erased, unerased, screen],
                                                             media_destruction_certificate="CD-2026-0042"),
                    headers=headers)
    assert r.status_code == 201, r.json
    assert {workshop.state(t) for t in (erased, unerased, screen)} == {"recycled"}
    db.rollback()
    [record] = db.scalars(select(MediaDestruction)).all()
    assert (record.device.asset_tag, record.destroyed_by, record.certificate_number, record.recycler_name) == \
        (unerased, "recycler", "CD-2026-0042", "Envie 2E — Saint-Pierre-des-Corps")
    assert record.batch_id == r.json["id"]
    batch_page = client.get(f"/atelier/recyclage/{r.json['id']}").get_data(as_text=True)
    assert "CD-2026-0042" in batch_page and unerased in batch_page
    # The donor's certificate says what really happened to each device's media.
    pdf = client.get(f"/api/v1/donations/{_donation_id(client, erased, headers)}/erasure-certificate.pdf",
                     headers=headers)
    assert pdf.status_code == 200
    text = pdf_text(pdf.data)
    raw_line = [line for line in text.splitlines() if line.startswith(unerased)]
    assert "SUPPORT DÉTRUIT" in raw_line[0] and "EN ATTENTE" not in text
    assert (f"{unerased} : Support(s) détruit(s) par le recycleur Envie 2E — Saint-Pierre-des-Corps, certificat de "
            f"destruction n° CD-2026-0042, le {date_fr(today())}.") in " ".join(text.split())
    erased_detail = [line for line in text.splitlines() if "DISK-ERASED-1" in line][0]
    assert "Réécriture" in erased_detail and "Réussi" in erased_detail
    db.rollback()
    cert = db.scalar(select(Certificate))
    verify = client.get(f"/verify/{cert.reference}?code={cert.code}").get_data(as_text=True)
    assert "par le recycleur Envie 2E — Saint-Pierre-des-Corps, certificat de destruction n° CD-2026-0042" in verify


def test_the_destruction_form_and_its_checks(client, db, login_as, workshop, api_token):
    [laptop] = workshop.donation(kind="company")
    [elsewhere] = workshop.donation(kind="company", site="EPN-B", devices=[{"category": "laptop"}])
    headers = api_token("tech")
    r = client.post(f"/api/v1/devices/{laptop}/media-destructions", json={"destroyed_by": "recycler"},
                    headers=headers)
    assert r.status_code == 422
    fields = r.json["error"]["fields"]
    assert fields["recycler_name"] == "Le recycleur est obligatoire."
    assert fields["certificate_number"] == "Le n° du certificat de destruction du recycleur est obligatoire."
    assert client.post(f"/api/v1/devices/{laptop}/media-destructions", json={"destroyed_by": "us"},
                       headers=headers).json["error"]["fields"]["method"] == "Le mode de destruction est obligatoire."
    future = client.post(f"/api/v1/devices/{laptop}/media-destructions", json={
        "destroyed_by": "us", "method": "broyage", "destroyed_on": "2999-01-01"}, headers=headers)
    assert future.json["error"]["fields"]["destroyed_on"] == "La date de destruction ne peut pas être dans le futur."
    assert client.post(f"/api/v1/devices/{elsewhere}/media-destructions", json={
        "destroyed_by": "us", "method": "broyage"}, headers=headers).status_code == 403
    [screen] = workshop.donation(kind="company", devices=[{"category": "screen"}])
    assert client.post(f"/api/v1/devices/{screen}/media-destructions", json={
        "destroyed_by": "us", "method": "broyage"}, headers=headers).status_code == 409
    assert client.post(f"/api/v1/devices/{laptop}/media-destructions", json={
        "destroyed_by": "us", "method": "broyage"}, headers=api_token("desk")).status_code == 403
    # Through the device panel (HTMX form).
    login_as("tech")
    token = csrf_token(client, f"/atelier/appareils/{laptop}")
    r = client.post(f"/atelier/appareils/{laptop}/destruction", data={
        "csrf_token": token, "destroyed_by": "recycler", "recycler_name": "Envie 2E", "certificate_number": "",
        "destroyed_on": today().isoformat()})
    assert r.status_code == 422 and "certificat de destruction du recycleur est obligatoire" in r.get_data(as_text=True)
    r = client.post(f"/atelier/appareils/{laptop}/destruction", data={
        "csrf_token": token, "destroyed_by": "recycler", "recycler_name": "Envie 2E", "certificate_number": "CD-9",
        "destroyed_on": today().isoformat()})
    assert r.status_code == 303
    panel = client.get(f"/atelier/appareils/{laptop}").get_data(as_text=True)
    assert "par le recycleur Envie 2E, certificat de destruction n° CD-9" in panel


def _donation_id(client, tag, headers) -> int:
    return client.get(f"/api/v1/devices/{tag}/refurbishment", headers=headers).json["donation_id"]
