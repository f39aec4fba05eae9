"""Stock-take by scanning: snapshot of what is expected, live counts, duplicates, closing, one-click
resolutions with history, PDF report; pages (HTMX and plain) and API."""

from __future__ import annotations

import json
import re

from fixtures_documents import make_device, pdf_text
from sqlalchemy import select

from refurb.documents.models import StockTake
from refurb.inventory.models import Device, DeviceEvent


def _arrange(db, days_ago):
    make_device(db, "RF-000001", "EPN-A", serial="SN-ONE", created=days_ago(20),
                history=[("state", days_ago(19), "diagnosing"), ("state", days_ago(18), "ready")])
    make_device(db, "RF-000002", "EPN-A", category="tablet", serial="SN-TWO", created=days_ago(20),
                history=[("state", days_ago(19), "diagnosing"), ("state", days_ago(18), "ready"),
                         ("state", days_ago(17), "loan_pool")])
    make_device(db, "RF-000003", "EPN-A", category="screen", serial="SN-THREE", created=days_ago(20))
    make_device(db, "RF-000004", "EPN-A", serial="SN-FOUR", created=days_ago(20),  # out on loan: not expected
                history=[("state", days_ago(19), "diagnosing"), ("state", days_ago(18), "ready"),
                         ("state", days_ago(17), "loan_pool"), ("state", days_ago(3), "on_loan")])
    make_device(db, "RF-000010", "EPN-B", serial="SN-TEN", created=days_ago(20),
                history=[("state", days_ago(19), "diagnosing"), ("state", days_ago(18), "ready")])
    make_device(db, "RF-000011", "EPN-A", category="router", serial="SN-ELEVEN", created=days_ago(20),
                history=[("state", days_ago(10), "lost")])
    db.commit()


def _device(db, tag):
    db.rollback()
    return db.scalar(select(Device).where(Device.asset_tag == tag))


def _hx(client, url, data):
    """As htmx sends it: the session's CSRF token in a header (hx-headers on <body>)."""
    return client.post(url, data=data, headers={"HX-Request": "true", "X-CSRFToken": _token(client)})


_TOKENS: dict = {}


def _token(client):
    from conftest import csrf_token
    key = id(client)
    if key not in _TOKENS:
        _TOKENS[key] = csrf_token(client, "/stocktakes/")
    return _TOKENS[key]


def _counts(html):
    return {name: int(re.search(rf'id="count-{name}">(\d+)<', html).group(1))
            for name in ("expected", "found", "unexpected", "unknown", "missing")}


def test_stocktake_by_scanning_journey(app, client, db, login_as, days_ago):
    _arrange(db, days_ago)
    _TOKENS.clear()
    login_as("manager")
    token = _token(client)
    response = client.post("/stocktakes/", data={"site": "EPN-A", "csrf_token": token})
    assert response.status_code == 303
    st_url = response.headers["Location"]
    page = client.get(st_url).get_data(as_text=True)
    assert "3 appareils attendus" in page
    assert "data-scan-autofocus" in page and 'id="stocktake-code"' in page
    assert _counts(page) == {"expected": 3, "found": 0, "unexpected": 0, "unknown": 0, "missing": 3}
    scan_url = st_url + "/scan"

    r = _hx(client, scan_url, {"code": "RF-000001"})
    assert r.status_code == 200
    assert json.loads(r.headers["HX-Trigger"]) == {"refurb:tone": {"kind": "ok"}}
    html = r.get_data(as_text=True)
    assert "Trouvé : RF-000001" in html
    assert _counts(html)["found"] == 1
    # the same tag again counts once
    html = _hx(client, scan_url, {"code": "rf-000001 "}).get_data(as_text=True)
    assert "déjà compté" in html and _counts(html)["found"] == 1
    assert "scanné 2 fois, compté une fois" in html
    # a serial number names the device too; then its tag is the same code
    html = _hx(client, scan_url, {"code": "SN-TWO"}).get_data(as_text=True)
    assert "Trouvé : RF-000002" in html
    html = _hx(client, scan_url, {"code": "RF-000002"}).get_data(as_text=True)
    assert _counts(html)["found"] == 2
    # recorded elsewhere: unexpected (error tone)
    r = _hx(client, scan_url, {"code": "RF-000010"})
    assert json.loads(r.headers["HX-Trigger"])["refurb:tone"]["kind"] == "error"
    assert "Inattendu : RF-000010" in r.get_data(as_text=True) and "EPN B" in r.get_data(as_text=True)
    # a device on loan here, a device declared lost (its QR code URL scanned): unexpected too
    _hx(client, scan_url, {"code": "RF-000004"})
    _hx(client, scan_url, {"code": "https://refurb.example.org/d/RF-000011"})
    html = _hx(client, scan_url, {"code": "XYZ-123"}).get_data(as_text=True)
    assert "Code inconnu" in html
    assert _counts(html) == {"expected": 3, "found": 2, "unexpected": 3, "unknown": 1, "missing": 1}
    # an empty scan: a French message, nothing counted
    r = _hx(client, scan_url, {"code": "  "})
    assert r.status_code == 422 and "Scannez" in r.get_data(as_text=True)

    # close
    r = client.post(st_url + "/close", data={"csrf_token": token})
    assert r.status_code == 303
    page = client.get(st_url).get_data(as_text=True)
    assert "Manquants (1)" in page and "Inattendus (3)" in page and "Codes inconnus (1)" in page
    assert "XYZ-123" in page
    assert "Déclarer perdu" in page and "Transférer ici" in page and "Déclarer retrouvé" in page
    assert "faites son retour" in page  # RF-000004 on loan: no one-click action
    # scanning after closing is refused
    r = _hx(client, scan_url, {"code": "RF-000003"})
    assert r.status_code == 409 and "clos" in r.get_data(as_text=True)

    # resolve: missing → lost (HTMX swaps the row)
    resolve_url = st_url + "/resolve"
    r = _hx(client, resolve_url, {"asset_tag": "RF-000003", "action": "lost"})
    assert r.status_code == 200 and "Déclaré perdu" in r.get_data(as_text=True)
    device = _device(db, "RF-000003")
    assert device.state == "lost"
    event = db.scalar(select(DeviceEvent).where(DeviceEvent.device_id == device.id)
                      .order_by(DeviceEvent.id.desc()))
    assert event.to_state == "lost" and "Inventaire physique n°" in event.note
    st_id = int(st_url.rstrip("/").rsplit("/", 1)[-1])
    assert event.data == {"stocktake_id": st_id}
    # twice: refused
    r = _hx(client, resolve_url, {"asset_tag": "RF-000003", "action": "lost"})
    assert r.status_code == 409 and "déjà réglé" in r.get_data(as_text=True)
    # unexpected from EPN-B → transferred here (history: a transfer event)
    r = _hx(client, resolve_url, {"asset_tag": "RF-000010", "action": "move_here"})
    assert "Transféré ici" in r.get_data(as_text=True)
    device = _device(db, "RF-000010")
    assert device.site.code == "EPN-A" and device.state == "ready"
    last = db.scalar(select(DeviceEvent).where(DeviceEvent.device_id == device.id).order_by(DeviceEvent.id.desc()))
    assert last.action == "transfer" and last.data["from_site"] == "EPN-B" and last.data["to_site"] == "EPN-A"
    # lost here, found on the shelf → declared found again
    r = _hx(client, resolve_url, {"asset_tag": "RF-000011", "action": "move_here"})
    assert "Déclaré retrouvé" in r.get_data(as_text=True)
    assert _device(db, "RF-000011").state == "received"
    # the on-loan one cannot be "moved here"
    r = _hx(client, resolve_url, {"asset_tag": "RF-000004", "action": "move_here"})
    assert r.status_code == 409 and "prêt" in r.get_data(as_text=True)
    assert _device(db, "RF-000004").state == "on_loan"

    # report
    r = client.get(st_url + "/report.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    assert f"Inventaire physique n° {st_id}" in text and "EPN A" in text
    assert re.search(r"Attendus \(en stock au début\) 3", text)
    assert re.search(r"Trouvés 2", text) and re.search(r"Manquants \(attendus, non scannés\) 1", text)
    assert "RF-000003" in text and "Déclaré perdu le" in text
    assert "RF-000010" in text and "Transféré ici le" in text
    assert "XYZ-123" in text and "Signature" in text and "Page 1 /" in text


def test_stocktake_without_javascript(app, client, db, login_as, days_ago):
    from conftest import csrf_token

    _arrange(db, days_ago)
    login_as("tech")
    token = csrf_token(client, "/stocktakes/")
    st_url = client.post("/stocktakes/", data={"site": "EPN-A", "csrf_token": token}).headers["Location"]
    r = client.post(st_url + "/scan", data={"code": "RF-000001", "csrf_token": token})
    assert r.status_code == 303
    page = client.get(st_url).get_data(as_text=True)
    assert "Trouvé : RF-000001" in page and _counts(page)["found"] == 1


def test_expected_is_a_snapshot(app, client, db, login_as, days_ago, api_token):
    """A device that arrives after the start is scanned as unexpected, with nothing to resolve."""
    from fixtures_documents import user_by_name

    from refurb.inventory.services import transfer_devices

    _arrange(db, days_ago)
    headers = api_token("manager")
    st = client.post("/api/v1/stocktakes", json={"site": "EPN-A"}, headers=headers).json
    assert st["counts"]["expected"] == 3
    with app.app_context():
        transfer_devices(db, user_by_name(db, "admin"), "EPN-A", ["RF-000010"])
        db.commit()
    body = client.post(f"/api/v1/stocktakes/{st['id']}/scans", json={"code": "RF-000010"}, headers=headers).json
    assert body["status"] == "unexpected"
    closed = client.post(f"/api/v1/stocktakes/{st['id']}/close", headers=headers).json
    assert closed["unexpected"] == ["RF-000010"]
    login_as("manager")
    page = client.get(f"/stocktakes/{st['id']}").get_data(as_text=True)
    assert "arrivé ou créé après le début" in page


def test_stocktake_api(app, client, db, api_token, days_ago):
    _arrange(db, days_ago)
    headers = api_token("tech")
    r = client.post("/api/v1/stocktakes", json={"site": "EPN-A"}, headers=headers)
    assert r.status_code == 201
    st_id = r.json["id"]
    assert r.json["status"] == "open" and r.json["counts"]["expected"] == 3
    # one open stock-take per site
    r = client.post("/api/v1/stocktakes", json={"site": "EPN-A"}, headers=headers)
    assert r.status_code == 409 and "déjà en cours" in r.json["error"]["message"]
    scans = {}
    for code in ("RF-000001", "RF-000001", "SN-TWO", "RF-000010", "INCONNU-42"):
        r = client.post(f"/api/v1/stocktakes/{st_id}/scans", json={"code": code}, headers=headers)
        assert r.status_code == 200, r.json
        scans.setdefault(code, []).append(r.json["status"])
    assert scans == {"RF-000001": ["found", "duplicate"], "SN-TWO": ["found"], "RF-000010": ["unexpected"],
                     "INCONNU-42": ["unknown"]}
    assert r.json["counts"] == {"expected": 3, "found": 2, "missing": 1, "unexpected": 1, "unknown": 1}
    r = client.post(f"/api/v1/stocktakes/{st_id}/scans", json={"code": ""}, headers=headers)
    assert r.status_code == 422 and "code" in r.json["error"]["fields"]
    r = client.post(f"/api/v1/stocktakes/{st_id}/scans", json={"code": "X" * 300}, headers=headers)
    assert r.status_code == 422
    r = client.post(f"/api/v1/stocktakes/{st_id}/scans", data="pas du json", headers=headers)
    assert r.status_code == 422
    # resolutions wait for the closing
    r = client.post(f"/api/v1/stocktakes/{st_id}/resolutions", json={"asset_tag": "RF-000003", "action": "lost"},
                    headers=headers)
    assert r.status_code == 409
    r = client.post(f"/api/v1/stocktakes/{st_id}/close", headers=headers)
    assert r.status_code == 200
    body = r.json
    assert body["found"] == ["RF-000001", "RF-000002"]
    assert body["missing"] == ["RF-000003"]
    assert body["unexpected"] == ["RF-000010"]
    assert body["unknown"] == ["INCONNU-42"]
    assert client.post(f"/api/v1/stocktakes/{st_id}/close", headers=headers).status_code == 409
    assert client.post(f"/api/v1/stocktakes/{st_id}/scans", json={"code": "RF-000003"},
                       headers=headers).status_code == 409
    # a technician of EPN-A may not pull a device out of EPN-B
    r = client.post(f"/api/v1/stocktakes/{st_id}/resolutions", json={"asset_tag": "RF-000010",
                                                                     "action": "move_here"}, headers=headers)
    assert r.status_code == 409 and "gestionnaire" in r.json["error"]["message"]
    assert _device(db, "RF-000010").site.code == "EPN-B"
    r = client.post(f"/api/v1/stocktakes/{st_id}/resolutions", json={"asset_tag": "RF-000003", "action": "lost"},
                    headers=headers)
    assert r.status_code == 201 and r.json == {"asset_tag": "RF-000003", "action": "lost", "state": "lost",
                                                "site": "EPN-A"}
    r = client.post(f"/api/v1/stocktakes/{st_id}/resolutions", json={"asset_tag": "RF-000001", "action": "lost"},
                    headers=headers)
    assert r.status_code == 409 and "manquants" in r.json["error"]["message"]
    r = client.post(f"/api/v1/stocktakes/{st_id}/resolutions", json={"asset_tag": "RF-000003", "action": "burn"},
                    headers=headers)
    assert r.status_code == 422
    # a manager may move it
    r = client.post(f"/api/v1/stocktakes/{st_id}/resolutions", json={"asset_tag": "RF-000010",
                                                                     "action": "move_here"},
                    headers=api_token("manager"))
    assert r.status_code == 201 and r.json["site"] == "EPN-A" and r.json["action"] == "moved_here"
    shown = client.get(f"/api/v1/stocktakes/{st_id}", headers=headers).json
    assert shown["status"] == "closed" and shown["results"]["resolutions"] == {"RF-000003": "lost",
                                                                              "RF-000010": "moved_here"}
    r = client.get(f"/api/v1/stocktakes/{st_id}/report.pdf", headers=headers)
    assert r.status_code == 200 and "RF-000003" in pdf_text(r.data)
    # a new one can start now
    assert client.post("/api/v1/stocktakes", json={"site": "EPN-A"}, headers=headers).status_code == 201


def test_stocktake_access(app, client, db, api_token, days_ago):
    _arrange(db, days_ago)
    r = client.post("/api/v1/stocktakes", json={"site": "EPN-B"}, headers=api_token("tech"))
    assert r.status_code == 403
    r = client.post("/api/v1/stocktakes", json={"site": "EPN-A"}, headers=api_token("desk"))
    assert r.status_code == 403 and "gestionnaire ou un technicien" in r.json["error"]["message"]
    r = client.post("/api/v1/stocktakes", json={"site": "NOPE"}, headers=api_token("manager"))
    assert r.status_code == 404
    r = client.post("/api/v1/stocktakes", json={}, headers=api_token("manager"))
    assert r.status_code == 422 and "site" in r.json["error"]["fields"]
    st = client.post("/api/v1/stocktakes", json={"site": "EPN-B"}, headers=api_token("manager")).json
    assert client.get(f"/api/v1/stocktakes/{st['id']}", headers=api_token("tech")).status_code == 403
    assert client.post(f"/api/v1/stocktakes/{st['id']}/scans", json={"code": "RF-000001"},
                       headers=api_token("tech")).status_code == 403
    assert client.get("/api/v1/stocktakes/999999", headers=api_token("manager")).status_code == 404
    db.rollback()
    assert db.scalar(select(StockTake).where(StockTake.id == st["id"])).status == "open"


def test_start_form_errors(app, client, db, login_as):
    from conftest import csrf_token

    login_as("manager")
    token = csrf_token(client, "/stocktakes/")
    assert client.post("/stocktakes/", data={"site": "EPN-A", "csrf_token": token}).status_code == 303
    r = client.post("/stocktakes/", data={"site": "EPN-A", "csrf_token": token})
    assert r.status_code == 422  # the form again, with why (the API answers 409)
    assert "déjà en cours" in r.get_data(as_text=True)
    page = client.get("/stocktakes/").get_data(as_text=True)
    assert "En cours" in page and "EPN A" in page
