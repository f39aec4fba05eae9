"""The device API: create, read with history, list, transition; site rules and bad input."""

from __future__ import annotations

from sqlalchemy import func, select

from refurb.inventory.models import Device, DeviceEvent


def _count(db, model=Device) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model))


def test_create_read_transition(client, db, api_token):
    headers = api_token("tech")
    created = client.post("/api/v1/devices", headers=headers, json={
        "category": "laptop", "site": "EPN-A", "brand": "Lenovo", "model": "ThinkPad T480",
        "serial_number": "pf-1abc", "specs": {"cpu": "Intel Core i5", "ram_gb": 8, "screen_inches": "14,0"},
        "notes": "Don de la mairie"})
    assert created.status_code == 201, created.json
    device = created.json
    assert device["asset_tag"].startswith("RF-") and device["state"] == "received" and device["site"] == "EPN-A"
    assert device["serial_number"] == "PF-1ABC" and device["has_storage"] is True
    assert device["specs"] == {"cpu": "Intel Core i5", "ram_gb": 8, "screen_inches": 14.0}
    tag = device["asset_tag"]

    moved = client.post(f"/api/v1/devices/{tag}/transition", headers=headers,
                        json={"to": "diagnosing", "note": "Démarre", "expected_version": device["version"]})
    assert moved.status_code == 200 and moved.json["state"] == "diagnosing"

    read = client.get(f"/api/v1/devices/{tag.lower()}", headers=headers)
    assert read.status_code == 200
    history = read.json["history"]
    assert [(e["action"], e["from_state"], e["to_state"]) for e in history] == [
        ("transition", "received", "diagnosing"), ("created", None, "received")]  # newest first
    assert history[0]["user"] == "tech" and history[0]["site"] == "EPN-A" and history[0]["note"] == "Démarre"
    assert history[0]["at"].endswith("+00:00")


def test_list_with_filters_and_paging(client, api_token, make_device):
    for i in range(3):
        make_device(brand="Dell", model=f"OptiPlex {i}", category="desktop")
    make_device(category="tablet", state="loan_pool")
    make_device(site="EPN-B")
    headers = api_token("tech")
    everything = client.get("/api/v1/devices", headers=headers).json
    assert everything["total"] == 4 and everything["page"] == 1 and len(everything["items"]) == 4
    page = client.get("/api/v1/devices?category=desktop&per_page=2&page=2&sort=tag", headers=headers).json
    assert page["total"] == 3 and page["page"] == 2 and [d["model"] for d in page["items"]] == ["OptiPlex 2"]
    assert client.get("/api/v1/devices?state=loan_pool", headers=headers).json["total"] == 1
    assert client.get("/api/v1/devices?q=optiplex", headers=headers).json["total"] == 3
    assert client.get("/api/v1/devices?site=EPN-B", headers=api_token("manager")).json["total"] == 1
    bad = client.get("/api/v1/devices?state=nope", headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["fields"]["state"].startswith("État inconnu")


def test_site_rules(client, db, api_token, make_device):
    other = make_device(site="EPN-B")
    tech = api_token("tech")
    for response in (client.get(f"/api/v1/devices/{other}", headers=tech),
                     client.post(f"/api/v1/devices/{other}/transition", headers=tech, json={"to": "diagnosing"}),
                     client.post("/api/v1/devices", headers=tech, json={"category": "laptop", "site": "EPN-B"})):
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
        assert "Vous n'avez pas accès" in response.json["error"]["message"]
    desk = api_token("desk")  # reception at EPN-A and the bus
    assert client.post("/api/v1/devices", headers=desk, json={"category": "router", "site": "BUS"}).status_code == 201
    manager = api_token("manager")
    assert client.post(f"/api/v1/devices/{other}/transition", headers=manager,
                       json={"to": "diagnosing"}).status_code == 200
    assert _count(db) == 2


def test_transition_refusals(client, db, api_token, make_device):
    tag = make_device()
    pool = make_device(state="loan_pool")
    headers = api_token("tech")
    cases = [
        ({"to": "sold"}, 409, "transition_refused", "Passage impossible"),
        ({"to": "teleported"}, 409, "transition_refused", "État inconnu"),
        ({"to": "diagnosing", "expected_version": 99}, 409, "stale", "a changé entre-temps"),
        ({}, 422, "invalid", "Indiquez l'état visé"),
        ({"to": "diagnosing", "note": "n" * 2001}, 422, "invalid", "trop longue"),
        ({"to": "diagnosing", "note": 5}, 422, "invalid", "texte"),
        ({"to": "diagnosing", "expected_version": "1"}, 422, "invalid", "nombre entier"),
    ]
    for body, status, code, message in cases:
        response = client.post(f"/api/v1/devices/{tag}/transition", headers=headers, json=body)
        assert response.status_code == status, body
        assert response.json["error"]["code"] == code and message in response.json["error"]["message"], body
    loan = client.post(f"/api/v1/devices/{pool}/transition", headers=headers, json={"to": "on_loan"})
    assert loan.status_code == 409 and "accueil" in loan.json["error"]["message"]
    assert client.post("/api/v1/devices/RF-999999/transition", headers=headers, json={"to": "ready"}).status_code == 404
    for bad in ("RF-999999", "%3Cscript%3E", "x" * 300, "rf-"):
        response = client.get(f"/api/v1/devices/{bad}", headers=headers)
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found", bad
        assert "Aucun appareil" in response.json["error"]["message"]
    assert client.post(f"/api/v1/devices/{tag}/transition", headers=headers, data="to=x").status_code == 422
    assert _count(db, DeviceEvent) == 3  # two creations and pool's arranged state: nothing added


def test_create_bad_input_and_known_serial(client, db, api_token, make_device):
    make_device(serial_number="SN-1")
    headers = api_token("tech")
    bad = client.post("/api/v1/devices", headers=headers, json={
        "category": "rocket", "site": "EPN-A", "brand": "b" * 81, "has_storage": "peut-être",
        "specs": {"warp": 9, "ram_gb": -1}, "notes": ["list"]})
    assert bad.status_code == 422
    fields = bad.json["error"]["fields"]
    assert set(fields) >= {"category", "brand", "has_storage", "specs.warp", "specs.ram_gb", "notes"}
    assert client.post("/api/v1/devices", headers=headers, json={"category": "laptop"}).status_code == 422
    assert client.post("/api/v1/devices", headers=headers, json=["laptop"]).status_code == 422
    unknown_site = client.post("/api/v1/devices", headers=headers, json={"category": "laptop", "site": "MARS"})
    assert unknown_site.status_code == 404 and "MARS" in unknown_site.json["error"]["message"]
    known = client.post("/api/v1/devices", headers=headers, json={"category": "laptop", "site": "EPN-A",
                                                                  "serial_number": "sn-1"})
    assert known.status_code == 409 and known.json["error"]["code"] == "known_serial"
    assert "déjà connu" in known.json["error"]["message"]
    assert _count(db) == 1
    confirmed = client.post("/api/v1/devices", headers=headers, json={
        "category": "laptop", "site": "EPN-A", "serial_number": "sn-1", "allow_known_serial": True})
    assert confirmed.status_code == 201 and _count(db) == 2


def test_inactive_site_refused(client, db, api_token):
    from refurb.sites.models import Site
    site = db.scalars(select(Site).where(Site.code == "EPN-B")).one()
    site.active = False
    db.commit()
    response = client.post("/api/v1/devices", headers=api_token("manager"), json={"category": "laptop", "site": "EPN-B"})
    assert response.status_code == 409 and "désactivé" in response.json["error"]["message"]


def test_tags_are_unique_and_never_reused(client, db, api_token):
    headers = api_token("admin")
    tags = [client.post("/api/v1/devices", headers=headers, json={"category": "screen", "site": "BUS"}).json["asset_tag"]
            for _ in range(3)]
    assert tags == ["RF-000001", "RF-000002", "RF-000003"]
    db.rollback()
    last = db.scalars(select(Device).where(Device.asset_tag == "RF-000003")).one()
    db.query(DeviceEvent).filter_by(device_id=last.id).delete()
    db.delete(last)
    db.commit()
    again = client.post("/api/v1/devices", headers=headers, json={"category": "screen", "site": "BUS"}).json
    assert again["asset_tag"] == "RF-000004"
