"""API: POST /api/v1/transfers and GET /api/v1/sites/<code>/stock, contracts and bad input."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from test_inventory_stock import arrange_stock, make_device, site

from refurb.inventory.models import Device, DeviceEvent, StockMinimum, Transfer


def _where(db, tag):
    db.expire_all()
    return db.scalar(select(Device).where(Device.asset_tag == tag)).site.code


def _nothing_moved(db, tags, site_code="EPN-A", events=None):
    assert all(_where(db, t) == site_code for t in tags)
    assert db.scalar(select(func.count(Transfer.id))) == 0
    if events is not None:
        assert db.scalar(select(func.count(DeviceEvent.id))) == events


def test_post_transfer_contract(client, db, api_token):
    t1 = make_device(db, "EPN-A", "laptop", "ready").asset_tag
    t2 = make_device(db, "EPN-A", "tablet", "loan_pool").asset_tag
    db.commit()
    response = client.post("/api/v1/transfers", headers=api_token("tech"),
                           json={"to_site": "BUS", "asset_tags": [t1, t2.lower()], "note": "Tournée"})
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == {"id", "to_site", "at", "user", "note", "items"}
    assert body["to_site"] == "BUS" and body["user"] == "tech" and body["note"] == "Tournée"
    assert body["items"] == [{"asset_tag": t1, "from_site": "EPN-A"}, {"asset_tag": t2, "from_site": "EPN-A"}]
    at = datetime.fromisoformat(body["at"])
    assert at.utcoffset().total_seconds() == 0
    assert _where(db, t1) == "BUS" and _where(db, t2) == "BUS"
    events = db.scalars(select(DeviceEvent).where(DeviceEvent.action == "transfer")).all()
    assert len(events) == 2 and {e.data["transfer_id"] for e in events} == {body["id"]}
    # the note is optional
    t3 = make_device(db, "EPN-A").asset_tag
    db.commit()
    response = client.post("/api/v1/transfers", headers=api_token("manager"), json={"to_site": "epn-b", "asset_tags": [t3]})
    assert response.status_code == 201 and response.json["note"] == "" and response.json["to_site"] == "EPN-B"


def test_post_transfer_all_or_nothing_with_a_device_on_loan(client, db, api_token):
    free = make_device(db, "EPN-A", "laptop", "ready").asset_tag
    lent = make_device(db, "EPN-A", "laptop", "on_loan").asset_tag
    db.commit()
    events = db.scalar(select(func.count(DeviceEvent.id)))
    response = client.post("/api/v1/transfers", headers=api_token("manager"),
                           json={"to_site": "BUS", "asset_tags": [free, lent]})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "transfer_refused"
    assert response.json["error"]["message"] == f"Aucun appareil n'a été transféré : {lent} est en prêt."
    _nothing_moved(db, [free, lent], events=events)


def test_post_transfer_destination_unknown_or_inactive(client, db, api_token):
    tag = make_device(db, "EPN-A").asset_tag
    site(db, "EPN-B").active = False
    db.commit()
    headers = api_token("manager")
    response = client.post("/api/v1/transfers", headers=headers, json={"to_site": "NULLE-PART", "asset_tags": [tag]})
    assert response.status_code == 404
    assert response.json["error"] == {"code": "not_found", "message": "Aucun site ne porte le code « NULLE-PART »."}
    response = client.post("/api/v1/transfers", headers=headers, json={"to_site": "EPN-B", "asset_tags": [tag]})
    assert response.status_code == 409
    assert "désactivé" in response.json["error"]["message"]
    _nothing_moved(db, [tag])


def test_post_transfer_scope_and_unknown_devices(client, db, api_token):
    mine = make_device(db, "EPN-A").asset_tag
    theirs = make_device(db, "EPN-B").asset_tag
    gone = make_device(db, "EPN-A", state="recycled").asset_tag
    db.commit()
    headers = api_token("tech")
    response = client.post("/api/v1/transfers", headers=headers, json={"to_site": "BUS", "asset_tags": [mine, theirs]})
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert "site que vous ne servez pas" in response.json["error"]["message"]
    response = client.post("/api/v1/transfers", headers=headers, json={"to_site": "BUS", "asset_tags": [mine, "RF-123456"]})
    assert response.status_code == 404
    assert response.json["error"]["message"] == "Aucun appareil ne porte l'étiquette « RF-123456 »."
    response = client.post("/api/v1/transfers", headers=headers, json={"to_site": "BUS", "asset_tags": [mine, gone]})
    assert response.status_code == 409 and "a quitté le stock (Recyclé (DEEE))" in response.json["error"]["message"]
    assert _where(db, theirs) == "EPN-B"
    _nothing_moved(db, [mine, gone])


def test_post_transfer_bad_input(client, db, api_token):
    tag = make_device(db, "EPN-A").asset_tag
    db.commit()
    headers = api_token("tech")
    cases = [
        ({"asset_tags": [tag]}, "to_site", "Le site de destination est obligatoire."),
        ({"to_site": "BUS"}, "asset_tags", "Scannez au moins un appareil à transférer."),
        ({"to_site": "BUS", "asset_tags": []}, "asset_tags", "Scannez au moins un appareil à transférer."),
        ({"to_site": "BUS", "asset_tags": tag}, "asset_tags", "Scannez au moins un appareil à transférer."),
        ({"to_site": "BUS", "asset_tags": [tag, 12]}, "asset_tags", "Chaque appareil est désigné par son étiquette"),
        ({"to_site": "BUS", "asset_tags": [{"tag": tag}]}, "asset_tags", "Chaque appareil est désigné par son étiquette"),
        ({"to_site": "BUS", "asset_tags": ["RF-000001"] * 501}, "asset_tags", "500 appareils au plus par transfert."),
        ({"to_site": ["BUS"], "asset_tags": [tag]}, "to_site", "Le site de destination : valeur non reconnue."),
        ({"to_site": "B" * 33, "asset_tags": [tag]}, "to_site", "Le site de destination est trop long"),
        ({"to_site": "BUS", "asset_tags": [tag], "note": "n" * 2001}, "note", "La note est trop longue (2001 caractères"),
        ({"to_site": "BUS", "asset_tags": [tag], "note": ["x"]}, "note", "La note doit être un texte."),
    ]
    for body, field, message in cases:
        response = client.post("/api/v1/transfers", headers=headers, json=body)
        assert response.status_code == 422, (body, response.json)
        error = response.json["error"]
        assert error["code"] == "invalid" and error["fields"][field].startswith(message), (body, error)
    response = client.post("/api/v1/transfers", headers=headers, data="pas du json", content_type="text/plain")
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_json"
    response = client.post("/api/v1/transfers", json={"to_site": "BUS", "asset_tags": [tag]})
    assert response.status_code == 401
    _nothing_moved(db, [tag])


def test_site_stock_contract(client, db, api_token):
    arrange_stock(db)
    a = site(db, "EPN-A")
    db.add(StockMinimum(site_id=a.id, category="laptop", state="loan_pool", minimum=3))
    db.add(StockMinimum(site_id=a.id, category="laptop", state="ready", minimum=1))  # met
    db.add(StockMinimum(site_id=a.id, category="router", state="loan_pool", minimum=1))
    db.add(StockMinimum(site_id=a.id, category="tablet", state="ready", minimum=0))  # no minimum
    db.commit()
    response = client.get("/api/v1/sites/EPN-A/stock", headers=api_token("tech"))
    assert response.status_code == 200
    assert response.json == {
        "site": "EPN-A",
        "rows": [{"category": "laptop", "state": "ready", "count": 1},
                 {"category": "laptop", "state": "loan_pool", "count": 2},
                 {"category": "tablet", "state": "received", "count": 1}],
        "shortages": [{"category": "laptop", "state": "loan_pool", "minimum": 3, "available": 2},
                      {"category": "router", "state": "loan_pool", "minimum": 1, "available": 0}],
    }
    response = client.get("/api/v1/sites/bus/stock", headers=api_token("desk"))
    assert response.json == {"site": "BUS", "rows": [{"category": "router", "state": "on_loan", "count": 1}],
                             "shortages": []}


def test_site_stock_scope_and_errors(client, db, api_token):
    arrange_stock(db)
    response = client.get("/api/v1/sites/EPN-B/stock", headers=api_token("tech"))
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert "site que vous ne servez pas" in response.json["error"]["message"]
    response = client.get("/api/v1/sites/EPN-B/stock", headers=api_token("manager"))
    assert response.status_code == 200
    assert response.json["rows"] == [{"category": "laptop", "state": "loan_pool", "count": 3}]
    response = client.get("/api/v1/sites/NULLE-PART/stock", headers=api_token("admin"))
    assert response.status_code == 404
    assert response.json["error"]["message"] == "Aucun site ne porte le code « NULLE-PART »."
    assert client.get("/api/v1/sites/EPN-A/stock").status_code == 401


def test_openapi_documents_both_operations(client):
    doc = client.get("/api/v1/openapi.json").json
    post = doc["paths"]["/transfers"]["post"]
    assert set(post["responses"]) == {"201", "401", "403", "404", "409", "422"}
    assert post["requestBody"]["content"]["application/json"]["schema"]["required"] == ["to_site", "asset_tags"]
    get = doc["paths"]["/sites/{code}/stock"]["get"]
    assert set(get["responses"]) == {"200", "401", "403", "404"}
    shortage = doc["components"]["schemas"]["SiteStock"]["properties"]["shortages"]["items"]
    assert shortage["required"] == ["category", "state", "minimum", "available"]
