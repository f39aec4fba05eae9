"""The bus's offline queue on the server (POST /api/v1/sync): each kind applied through the same use cases as
the desk at the time it happened, exactly once, in order; conflicts kept with what the tablet saw and what the
server had, settled on "À régulariser"; bad input refused."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from conftest import csrf_token, login
from sqlalchemy import func, select

from refurb.bus.models import SyncConflict, SyncOperation
from refurb.clock import local, today, utcnow
from refurb.documents.models import StockTake, StockTakeScan
from refurb.inventory.models import Device, DeviceEvent
from refurb.loans.models import Loan

CLIENT = "tablette-bus-0001"


def _iso(dt) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _fresh(db):
    db.rollback()
    db.expire_all()


def _sync(client, headers, operations, **extra):
    return client.post("/api/v1/sync", json={"format": 1, "client": CLIENT, "operations": operations, **extra},
                       headers=headers)


def _lend(tag, card, at, op_id="op-1", **extra):
    return {"op_id": op_id, "at": _iso(at), "kind": "check_out", "asset_tag": tag, "borrower_card": card,
            "site": "BUS", **extra}


def _back(tag, at, op_id="op-2", condition="complete", **extra):
    return {"op_id": op_id, "at": _iso(at), "kind": "return", "asset_tag": tag, "condition": condition,
            "site": "BUS", **extra}


def test_a_loan_and_a_return_made_offline_start_and_end_when_they_happened(client, db, lk, api_headers):
    device = lk.device("BUS")
    borrower = lk.borrower("BUS", first_name="Marie", last_name="Durand")
    lent_at = utcnow() - timedelta(days=2, hours=3)
    back_at = lent_at + timedelta(hours=1)
    r = _sync(client, api_headers("desk"), [_lend(device.asset_tag, borrower.card_number, lent_at),
                                            _back(device.asset_tag, back_at)])
    assert r.status_code == 200, r.json
    results = r.json["results"]
    assert [x["op_id"] for x in results] == ["op-1", "op-2"]
    assert [x["status"] for x in results] == ["applied", "applied"], results
    _fresh(db)
    loan = db.scalar(select(Loan).where(Loan.device_id == device.id))
    assert abs((loan.started_at - lent_at).total_seconds()) < 1
    assert abs((loan.returned_at - back_at).total_seconds()) < 1
    assert loan.start_on == local(lent_at).date()
    assert loan.due_on > loan.start_on and loan.due_on < today() + timedelta(days=365)
    events = db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device.id,
                                                  DeviceEvent.action.in_(("loan", "loan_return")))
                        .order_by(DeviceEvent.id)).all()
    assert [e.action for e in events] == ["loan", "loan_return"]
    assert abs((events[0].at - lent_at).total_seconds()) < 1 and events[0].user.username == "desk"
    assert db.get(Device, device.id).state == "loan_pool"


def test_the_due_date_of_an_offline_loan_counts_from_its_day(client, db, lk, api_headers):
    device, other = lk.device("BUS"), lk.device("BUS")
    borrower = lk.borrower("BUS")
    h = api_headers("desk")
    assert _sync(client, h, [_lend(device.asset_tag, borrower.card_number, utcnow() - timedelta(days=3))]) \
        .json["results"][0]["status"] == "applied"
    assert client.post("/api/v1/loans", json={"asset_tag": other.asset_tag, "borrower_card": borrower.card_number},
                       headers=h).status_code == 201
    _fresh(db)
    offline, online = (db.scalar(select(Loan).where(Loan.device_id == d.id)) for d in (device, other))
    assert online.due_on - offline.due_on == online.start_on - offline.start_on == timedelta(days=3)


def test_a_replayed_operation_answers_duplicate_with_its_first_result(client, db, lk, api_headers):
    device = lk.device("BUS")
    borrower = lk.borrower("BUS")
    h = api_headers("desk")
    op = _lend(device.asset_tag, borrower.card_number, utcnow() - timedelta(minutes=30))
    first = _sync(client, h, [op]).json["results"][0]
    again = _sync(client, h, [op]).json["results"][0]
    assert first["status"] == "applied"
    assert again["status"] == "duplicate" and again["first"]["status"] == "applied"
    assert again["first"]["loan_id"] == first["loan_id"]
    _fresh(db)
    assert db.scalar(select(func.count()).select_from(Loan)) == 1
    assert db.scalar(select(func.count()).select_from(SyncOperation)) == 1


def test_one_failure_blocks_only_the_later_operations_on_the_same_device(client, db, lk, api_headers):
    lent_elsewhere, free = lk.device("BUS"), lk.device("BUS")
    borrower, someone = lk.borrower("BUS"), lk.borrower("BUS")
    h = api_headers("desk")
    # meanwhile, at the other desk (online), the first device was lent to someone else
    assert client.post("/api/v1/loans", json={"asset_tag": lent_elsewhere.asset_tag,
                                              "borrower_card": someone.card_number}, headers=h).status_code == 201
    t = utcnow() - timedelta(hours=2)
    ops = [_lend(lent_elsewhere.asset_tag, borrower.card_number, t, "a"),
           _lend(free.asset_tag, borrower.card_number, t + timedelta(minutes=1), "b"),
           _back(lent_elsewhere.asset_tag, t + timedelta(minutes=20), "c"),
           _back(free.asset_tag, t + timedelta(minutes=21), "d")]
    results = _sync(client, h, ops).json["results"]
    assert [(x["op_id"], x["status"]) for x in results] == [("a", "conflict"), ("b", "applied"),
                                                            ("c", "conflict"), ("d", "applied")]
    assert results[0]["code"] == "on_loan" and "déjà en prêt" in results[0]["message"]
    assert results[2]["code"] == "held"
    _fresh(db)
    # the other loan was not closed by the offline return that followed the refused loan
    assert db.scalar(select(Loan).where(Loan.device_id == lent_elsewhere.id, Loan.returned_at.is_(None))) is not None


def test_a_conflict_keeps_what_the_tablet_saw_and_what_the_server_had(client, db, lk, api_headers):
    device = lk.device("BUS")
    borrower, someone = lk.borrower("BUS"), lk.borrower("EPN-A", first_name="Jean", last_name="Morel")
    h = api_headers("desk")
    client.post("/api/v1/loans", json={"asset_tag": device.asset_tag, "borrower_card": someone.card_number},
                headers=h)
    op = _lend(device.asset_tag, borrower.card_number, utcnow() - timedelta(hours=1),
               seen_offline={"state": "loan_pool", "borrower": "Élodie D."})
    assert _sync(client, h, [op]).json["results"][0]["status"] == "conflict"
    listed = client.get("/api/v1/sync/conflicts?site=BUS", headers=h)
    assert listed.status_code == 200
    (item,) = listed.json["items"]
    assert item["kind"] == "check_out" and item["code"] == "on_loan" and item["user"] == "desk"
    assert item["tablet"]["seen_offline"]["state"] == "loan_pool"
    assert item["server"]["device"]["state"] == "on_loan"
    assert item["server"]["open_loan"]["borrower"] == "Jean M."
    assert set(item["actions"]) == {"force", "attach", "apply", "cancel"}
    assert [e["action"] for e in item["history"]] == ["raised"]
    # another site's list does not show it
    assert client.get("/api/v1/sync/conflicts?site=EPN-A", headers=h).json["items"] == []


def test_record_the_loan_anyway_closes_the_other_one(client, db, lk, api_headers, login_as):
    device = lk.device("BUS")
    borrower, someone = lk.borrower("BUS"), lk.borrower("BUS")
    h = api_headers("desk")
    client.post("/api/v1/loans", json={"asset_tag": device.asset_tag, "borrower_card": someone.card_number},
                headers=h)
    at = utcnow() - timedelta(hours=1)
    _sync(client, h, [_lend(device.asset_tag, borrower.card_number, at)])
    _fresh(db)
    conflict = db.scalar(select(SyncConflict))
    login_as("desk")
    page = client.get("/a-regulariser")
    assert page.status_code == 200 and device.asset_tag in page.get_data(as_text=True)
    token = csrf_token(client, "/a-regulariser")
    r = client.post(f"/a-regulariser/{conflict.id}", data={"action": "force", "csrf_token": token})
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    _fresh(db)
    loans = db.scalars(select(Loan).where(Loan.device_id == device.id).order_by(Loan.id)).all()
    assert loans[0].borrower_id == someone.id and loans[0].returned_at is not None
    assert "hors connexion" in loans[0].return_note
    assert loans[1].borrower_id == borrower.id and loans[1].returned_at is None
    conflict = db.get(SyncConflict, conflict.id)
    assert conflict.state == "resolved" and [e.action for e in conflict.history] == ["raised", "force"]
    again = client.post(f"/a-regulariser/{conflict.id}", data={"action": "cancel", "csrf_token": token})
    assert again.status_code == 422 and "déjà été traitée" in again.get_data(as_text=True)


def test_an_unknown_card_is_attached_to_the_right_borrower(client, db, lk, api_headers, login_as):
    device = lk.device("BUS")
    borrower = lk.borrower("BUS")
    h = api_headers("desk")
    result = _sync(client, h, [_lend(device.asset_tag, "U99999999", utcnow() - timedelta(minutes=5))]) \
        .json["results"][0]
    assert result["status"] == "conflict" and result["code"] == "unknown_card"
    _fresh(db)
    conflict = db.scalar(select(SyncConflict))
    login_as("desk")
    token = csrf_token(client, "/a-regulariser")
    wrong = client.post(f"/a-regulariser/{conflict.id}", data={"action": "attach", "csrf_token": token})
    assert wrong.status_code == 422 and "carte" in wrong.get_data(as_text=True)
    r = client.post(f"/a-regulariser/{conflict.id}", data={"action": "attach", "borrower_card": borrower.card_number,
                                                           "csrf_token": token})
    assert r.status_code == 303
    _fresh(db)
    assert db.scalar(select(Loan).where(Loan.device_id == device.id)).borrower_id == borrower.id


def test_a_blocked_card_and_a_return_of_a_device_not_on_loan_are_conflicts(client, db, lk, api_headers):
    d1, d2 = lk.device("BUS"), lk.device("BUS")
    blocked = lk.borrower("BUS", blocked="Matériel non rendu")
    t = utcnow() - timedelta(minutes=40)
    results = _sync(client, api_headers("desk"), [_lend(d1.asset_tag, blocked.card_number, t, "x"),
                                                  _back(d2.asset_tag, t, "y")]).json["results"]
    assert [(r["status"], r["code"]) for r in results] == [("conflict", "blocked"), ("conflict", "not_on_loan")]


def test_a_device_moved_or_recycled_since_the_last_sync_is_a_conflict(client, db, lk, api_headers):
    moved = lk.device("EPN-A")
    recycled = lk.device("BUS", state="recycled")
    borrower = lk.borrower("BUS")
    t = utcnow() - timedelta(minutes=10)
    results = _sync(client, api_headers("desk"), [_lend(moved.asset_tag, borrower.card_number, t, "m"),
                                                  _lend(recycled.asset_tag, borrower.card_number, t, "r")]).json["results"]
    assert [r["status"] for r in results] == ["conflict", "conflict"]
    assert results[0]["code"] == "moved" and "EPN A" in results[0]["message"]
    assert "parc de prêt" in results[1]["message"]


def test_a_donated_device_received_at_a_stop_gets_its_tag_at_sync(client, db, api_headers):
    at = utcnow() - timedelta(days=1)
    result = _sync(client, api_headers("desk"), [{
        "op_id": "don-1", "at": _iso(at), "kind": "receive", "site": "BUS", "category": "laptop",
        "brand": "Dell", "model": "Latitude 5490", "serial_number": "abc123"}]).json["results"][0]
    assert result["status"] == "applied", result
    _fresh(db)
    device = db.scalar(select(Device).where(Device.asset_tag == result["asset_tag"]))
    assert device.site.code == "BUS" and device.state == "received" and device.serial_number == "ABC123"


def test_seen_here_is_a_stocktake_scan(client, db, lk, api_headers):
    device = lk.device("EPN-A")
    h = api_headers("manager")
    seen = {"op_id": "vu-1", "at": _iso(utcnow()), "kind": "seen", "asset_tag": device.asset_tag, "site": "EPN-A"}
    first = _sync(client, h, [seen]).json["results"][0]
    assert first["status"] == "conflict" and first["code"] == "no_stocktake"
    assert client.post("/api/v1/stocktakes", json={"site": "EPN-A"}, headers=h).status_code in (200, 201)
    seen2 = {**seen, "op_id": "vu-2"}
    second = _sync(client, h, [seen2]).json["results"]
    assert second[0]["status"] == "conflict" and second[0]["code"] == "held"  # the first one is still open
    _fresh(db)
    assert db.scalar(select(func.count()).select_from(StockTake)) == 1


def test_seen_here_applied_when_a_stocktake_is_open(client, db, lk, api_headers):
    device = lk.device("EPN-A")
    h = api_headers("manager")
    assert client.post("/api/v1/stocktakes", json={"site": "EPN-A"}, headers=h).status_code in (200, 201)
    seen_at = utcnow()
    time.sleep(0.3)
    result = _sync(client, h, [{"op_id": "vu", "at": _iso(seen_at), "kind": "seen", "asset_tag": device.asset_tag,
                                "site": "EPN-A"}]).json["results"][0]
    assert result["status"] == "applied" and result["outcome"] == "found"
    _fresh(db)
    scan = db.scalar(select(StockTakeScan))
    assert scan.device_id == device.id and abs((scan.at - seen_at).total_seconds()) < 0.01


@pytest.mark.parametrize("at, code", [
    (lambda: utcnow() + timedelta(hours=2), "at_future"),
    (lambda: utcnow() - timedelta(days=31), "at_too_old"),
    (lambda: "hier", "invalid_at"),
    (lambda: utcnow().replace(tzinfo=None), "invalid_at"),
])
def test_an_operation_at_an_impossible_time_is_rejected(client, db, lk, api_headers, at, code):
    device, borrower = lk.device("BUS"), lk.borrower("BUS")
    when = at()
    op = _lend(device.asset_tag, borrower.card_number, utcnow())
    op["at"] = when if isinstance(when, str) else when.isoformat()
    result = _sync(client, api_headers("desk"), [op]).json["results"][0]
    assert result["status"] == "rejected" and result["code"] == code, result
    assert result["message"]
    _fresh(db)
    assert db.scalar(select(func.count()).select_from(Loan)) == 0


def test_the_sync_window_is_a_setting_of_the_network(app, client, db, lk, api_headers, login_as):
    login_as("desk")
    token = csrf_token(client, "/a-regulariser")
    assert client.post("/a-regulariser/fenetre", data={"days": "60", "csrf_token": token}).status_code == 403
    manager = app.test_client()
    assert login(manager, "manager").status_code == 302
    token = csrf_token(manager, "/a-regulariser")
    bad = manager.post("/a-regulariser/fenetre", data={"days": "0", "csrf_token": token})
    assert bad.status_code == 422 and "fenêtre de synchronisation" in bad.get_data(as_text=True).lower()
    assert manager.post("/a-regulariser/fenetre", data={"days": "60", "csrf_token": token}).status_code == 303
    device, borrower = lk.device("BUS"), lk.borrower("BUS")
    result = _sync(client, api_headers("desk"), [_lend(device.asset_tag, borrower.card_number,
                                                       utcnow() - timedelta(days=45))]).json["results"][0]
    assert result["status"] == "applied", result


def test_bad_operations_are_rejected_one_by_one(client, db, lk, api_headers):
    device, borrower = lk.device("BUS"), lk.borrower("BUS")
    now = _iso(utcnow())
    ops = [{"op_id": "k", "at": now, "kind": "teleport", "asset_tag": device.asset_tag},
           {"at": now, "kind": "return", "asset_tag": device.asset_tag, "condition": "complete"},
           "pas un objet",
           {"op_id": "m", "at": now, "kind": "check_out", "asset_tag": device.asset_tag},
           {"op_id": "u", "at": now, "kind": "return", "asset_tag": device.asset_tag, "condition": "complete",
            "password": "x"},
           {"op_id": "ok", "at": now, "kind": "check_out", "asset_tag": device.asset_tag,
            "borrower_card": borrower.card_number}]
    results = _sync(client, api_headers("desk"), ops).json["results"]
    assert [r["status"] for r in results] == ["rejected"] * 5 + ["applied"]
    assert results[0]["code"] == "unknown_kind" and results[3]["code"] == "missing_field"
    assert results[4]["code"] == "unknown_field"


def test_a_batch_is_bounded(client, api_headers):
    ops = [{"op_id": f"n{i}", "at": _iso(utcnow()), "kind": "seen", "asset_tag": "RF-000001", "site": "BUS"}
           for i in range(10_000)]
    r = _sync(client, api_headers("desk"), ops)
    assert r.status_code == 413 and "500 au plus" in r.json["error"]["message"]


@pytest.mark.parametrize("body, status, code", [
    ({"format": 0, "client": CLIENT, "operations": []}, 422, "queue_format"),
    ({"format": 2, "client": CLIENT, "operations": []}, 422, "queue_format"),
    ({"format": 1, "client": "x", "operations": []}, 422, "invalid"),
    ({"format": 1, "client": CLIENT, "operations": {}}, 422, "invalid"),
    ([], 422, "invalid_json"),
])
def test_a_malformed_batch_is_refused(client, api_headers, body, status, code):
    r = client.post("/api/v1/sync", json=body, headers=api_headers("desk"))
    assert r.status_code == status and r.json["error"]["code"] == code, r.json


def test_a_batch_from_another_users_token_is_refused(client, db, lk, api_headers):
    device, borrower = lk.device("BUS"), lk.borrower("BUS")
    op = _lend(device.asset_tag, borrower.card_number, utcnow())
    r = _sync(client, api_headers("manager"), [op], user="desk")
    assert r.status_code == 403 and "desk" in r.json["error"]["message"]
    # the same operation replayed by another user's token is not applied under their name
    assert _sync(client, api_headers("desk"), [op], user="desk").json["results"][0]["status"] == "applied"
    replay = _sync(client, api_headers("manager"), [op]).json["results"][0]
    assert replay["status"] == "rejected" and "autre utilisateur" in replay["message"]
    _fresh(db)
    assert db.scalar(select(Loan)).lent_by_id == lk.user("desk").id


def test_the_kiosk_and_strangers_cannot_sync(client, db, lk):
    from refurb.bus import services as bus
    from refurb.errors import Forbidden

    assert client.post("/api/v1/sync", json={"client": CLIENT, "operations": []}).status_code == 401
    with pytest.raises(Forbidden):
        bus.apply_batch(db, lk.user("kiosk"), {"client": CLIENT, "operations": []})


def test_the_page_syncs_with_its_session_and_its_csrf_token(client, db, lk, login_as):
    device, borrower = lk.device("BUS"), lk.borrower("BUS", first_name="Anne", last_name="Leroy")
    login_as("desk")
    body = {"format": 1, "client": CLIENT, "user": "desk",
            "operations": [_lend(device.asset_tag, borrower.card_number, utcnow())]}
    assert client.post("/api/v1/sync", json=body).status_code == 400  # no CSRF token: refused
    _fresh(db)
    assert db.scalar(select(func.count()).select_from(Loan)) == 0
    copy = client.get("/api/v1/sync/local-copy?site=BUS")
    assert copy.status_code == 200 and copy.json["user"] == "desk"
    r = client.post("/api/v1/sync", json=body, headers={"X-CSRFToken": copy.json["csrf_token"]})
    assert r.status_code == 200 and r.json["results"][0]["status"] == "applied"


def test_the_local_copy_holds_a_first_name_and_initial_only(client, db, lk, login_as):
    device = lk.device("BUS")
    lk.device("EPN-A")
    lk.borrower("BUS", first_name="Anne", last_name="Leroy", email="anne@example.org")
    login_as("desk")
    copy = client.get("/api/v1/sync/local-copy?site=BUS").json
    assert [d["asset_tag"] for d in copy["devices"]] == [device.asset_tag]
    (b,) = copy["borrowers"]
    assert b["name"] == "Anne L." and set(b) == {"card", "name"}
    text = str(copy)
    assert "Leroy" not in text and "anne@example.org" not in text and "0612345678" not in text
    assert client.get("/api/v1/sync/local-copy?site=EPN-B").status_code == 403


def test_the_same_queue_sent_twice_at_once_is_applied_once(app, db, lk, api_headers):
    import threading

    device, borrower = lk.device("BUS"), lk.borrower("BUS")
    h = api_headers("desk")
    body = {"format": 1, "client": CLIENT, "operations": [_lend(device.asset_tag, borrower.card_number, utcnow())]}
    answers, start = [], threading.Barrier(2)

    def send():
        client = app.test_client()
        start.wait()
        answers.append(client.post("/api/v1/sync", json=body, headers=h))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [a.status_code for a in answers] == [200, 200]
    assert sorted(a.json["results"][0]["status"] for a in answers) == ["applied", "duplicate"]
    _fresh(db)
    assert db.scalar(select(func.count()).select_from(Loan)) == 1
