"""The loans API: borrowers, loans, return, renewal, list, reservations, and their bad input."""

from datetime import timedelta

from sqlalchemy import func, select

from refurb.clock import today
from refurb.inventory.models import Device, DeviceEvent
from refurb.loans.models import Borrower, Loan, Reservation


def _fresh(db):
    db.rollback()
    db.expire_all()


def _count(db, model):
    _fresh(db)
    return db.scalar(select(func.count()).select_from(model))


def test_borrower_create_and_get(client, db, api_headers):
    h = api_headers("desk")
    r = client.post("/api/v1/borrowers", json={"first_name": "Élodie", "last_name": "Martin",
                                                "phone": "06 12 34 56 78", "home_site": "EPN-A"}, headers=h)
    assert r.status_code == 201, r.json
    card = r.json["card_number"]
    assert card.startswith("U") and len(card) == 9 and card[1:].isdigit()
    assert r.json["phone"] == "0612345678" and r.json["home_site"] == "EPN-A"
    got = client.get(f"/api/v1/borrowers/{card}", headers=h)
    assert got.status_code == 200 and got.json["last_name"] == "Martin" and got.json["open_loans"] == []
    # duplicate: same name (accents and case aside) and same contact
    dup = client.post("/api/v1/borrowers", json={"first_name": "elodie", "last_name": "MARTIN",
                                                  "phone": "06.12.34.56.78", "home_site": "EPN-A"}, headers=h)
    assert dup.status_code == 409 and "déjà inscrit" in dup.json["error"]["message"] and card in dup.json["error"]["message"]
    # same name, other contact: another person
    other = client.post("/api/v1/borrowers", json={"first_name": "Élodie", "last_name": "Martin",
                                                    "email": "e.martin@example.org", "home_site": "EPN-A"}, headers=h)
    assert other.status_code == 201
    assert _count(db, Borrower) == 2


def test_borrower_bad_input(client, db, api_headers):
    h = api_headers("desk")
    cases = [
        ({"first_name": "A", "last_name": "B", "home_site": "EPN-A"}, 422, "contact"),
        ({"first_name": "A", "last_name": "B", "phone": "abc", "home_site": "EPN-A"}, 422, "format"),
        ({"first_name": "", "last_name": "B", "phone": "0600000000", "home_site": "EPN-A"}, 422, "prénom"),
        ({"first_name": "A", "last_name": "B", "phone": "0600000000", "home_site": "EPN-A", "pin": "12"}, 422, "4 chiffres"),
        ({"first_name": "A", "last_name": "B", "phone": "0600000000", "home_site": "EPN-A",
          "id_number": "123456"}, 422, "RGPD"),
        ({"first_name": "A", "last_name": "B", "phone": "0600000000", "home_site": "NOWHERE"}, 404, "NOWHERE"),
        ({"first_name": "A", "last_name": "B", "phone": "0600000000", "home_site": "EPN-B"}, 403, "site"),
    ]
    for body, status, words in cases:
        r = client.post("/api/v1/borrowers", json=body, headers=h)
        assert r.status_code == status, (body, r.json)
        assert words in str(r.json["error"]), (body, r.json)
    assert client.post("/api/v1/borrowers", data="x", headers=h).status_code == 422
    assert client.get("/api/v1/borrowers/U00000000", headers=h).status_code == 404
    assert "Carte inconnue" in client.get("/api/v1/borrowers/U00000000", headers=h).json["error"]["message"]
    assert _count(db, Borrower) == 0
    # technicians don't manage borrowers
    assert client.post("/api/v1/borrowers", json={"first_name": "A", "last_name": "B", "phone": "0600000000",
                                                  "home_site": "EPN-A"}, headers=api_headers("tech")).status_code == 403


def test_loan_checkout_return_renew(client, db, lk, api_headers):
    h = api_headers("desk")
    laptop = lk.device("EPN-A", "laptop")
    b = lk.borrower("EPN-A")
    r = client.post("/api/v1/loans", json={"asset_tag": laptop.asset_tag, "borrower_card": b.card_number,
                                           "deposit": {"amount": "50", "method": "cheque"}}, headers=h)
    assert r.status_code == 201, r.json
    loan = r.json
    assert loan["due_on"] == (today() + timedelta(days=21)).isoformat()  # laptop, resident: 21 days
    assert loan["state"] == "open" and loan["deposit"] == {"amount": "50.00", "method": "cheque", "status": "held"}
    _fresh(db)
    assert db.get(Device, laptop.id).state == "on_loan"
    events = db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == laptop.id).order_by(DeviceEvent.id)).all()
    # registered, put in the loan pool (the fixture), then the loan
    assert [e.action for e in events] == ["created", "transition", "loan"] and events[-1].data["loan_id"] == loan["id"]
    # the borrower's name never goes into the device history
    assert b.last_name not in str(events[0].data) + events[0].note

    # a second check-out of the same device: 409 saying why
    b2 = lk.borrower("EPN-A")
    again = client.post("/api/v1/loans", json={"asset_tag": laptop.asset_tag, "borrower_card": b2.card_number},
                        headers=h)
    assert again.status_code == 409 and "déjà en prêt" in again.json["error"]["message"]

    renewed = client.post(f"/api/v1/loans/{loan['id']}/renew", headers=h)
    assert renewed.status_code == 200 and renewed.json["due_on"] == (today() + timedelta(days=42)).isoformat()
    assert renewed.json["renewals"] == 1
    refused = client.post(f"/api/v1/loans/{loan['id']}/renew", headers=h)
    assert refused.status_code == 409 and "déjà été prolongé 1 fois" in refused.json["error"]["message"]

    bad = client.post(f"/api/v1/loans/{loan['id']}/return", json={"condition": "damaged"}, headers=h)
    assert bad.status_code == 422 and "note" in bad.json["error"]["fields"]
    bad = client.post(f"/api/v1/loans/{loan['id']}/return", json={"condition": "cassé"}, headers=h)
    assert bad.status_code == 422
    done = client.post(f"/api/v1/loans/{loan['id']}/return", json={"condition": "damaged", "note": "Écran fendu"},
                       headers=h)
    assert done.status_code == 200 and done.json["state"] == "closed" and done.json["return_condition"] == "damaged"
    assert done.json["deposit"]["status"] == "returned"
    _fresh(db)
    assert db.get(Device, laptop.id).state == "repairing"
    twice = client.post(f"/api/v1/loans/{loan['id']}/return", json={"condition": "complete"}, headers=h)
    assert twice.status_code == 409 and "n'est pas en prêt" in twice.json["error"]["message"]
    assert client.post("/api/v1/loans/99999/return", json={"condition": "complete"}, headers=h).status_code == 404


def test_loan_bad_input_changes_nothing(client, db, lk, api_headers):
    h = api_headers("desk")
    laptop = lk.device("EPN-A", "laptop")
    other_site = lk.device("EPN-B", "laptop")
    in_repair = lk.device("EPN-A", "laptop", state="repairing")
    b = lk.borrower("EPN-A")
    blocked = lk.borrower("EPN-A", blocked="Matériel non rendu en 2025")
    events = _count(db, DeviceEvent)
    cases = [
        ({"asset_tag": laptop.asset_tag, "borrower_card": "U99999999"}, 404, "Carte inconnue"),
        ({"asset_tag": "RF-000000", "borrower_card": b.card_number}, 404, "RF-000000"),
        ({"asset_tag": laptop.asset_tag}, 422, "borrower_card"),
        ({"asset_tag": laptop.asset_tag, "borrower_card": b.card_number,
          "due_on": (today() - timedelta(days=1)).isoformat()}, 422, "déjà passée"),
        ({"asset_tag": laptop.asset_tag, "borrower_card": b.card_number,
          "due_on": (today() + timedelta(days=43)).isoformat()}, 422, "durée maximale"),
        ({"asset_tag": laptop.asset_tag, "borrower_card": b.card_number, "due_on": "demain"}, 422, "AAAA-MM-JJ"),
        ({"asset_tag": laptop.asset_tag, "borrower_card": b.card_number, "deposit": "-5"}, 422, "négatif"),
        ({"asset_tag": laptop.asset_tag, "borrower_card": b.card_number,
          "deposit": {"amount": 10, "method": "bitcoin"}}, 422, "moyen de paiement"),
        ({"asset_tag": other_site.asset_tag, "borrower_card": b.card_number}, 403, "site"),
        ({"asset_tag": in_repair.asset_tag, "borrower_card": b.card_number}, 409, "parc de prêt"),
        ({"asset_tag": laptop.asset_tag, "borrower_card": blocked.card_number}, 409, "bloqué"),
    ]
    for body, status, words in cases:
        r = client.post("/api/v1/loans", json=body, headers=h)
        assert r.status_code == status, (body, r.json)
        assert words in str(r.json["error"]), (body, r.json)
    assert _count(db, Loan) == 0 and _count(db, DeviceEvent) == events
    assert db.get(Device, laptop.id).state == "loan_pool"


def test_borrower_limit_and_partner_rules(client, db, lk, api_headers):
    h = api_headers("desk")
    b = lk.borrower("EPN-A")
    devices = [lk.device("EPN-A", "tablet") for _ in range(3)]
    for d in devices[:2]:
        assert client.post("/api/v1/loans", json={"asset_tag": d.asset_tag, "borrower_card": b.card_number},
                           headers=h).status_code == 201
    r = client.post("/api/v1/loans", json={"asset_tag": devices[2].asset_tag, "borrower_card": b.card_number},
                    headers=h)
    assert r.status_code == 409 and "Limite atteinte" in r.json["error"]["message"]
    partner = lk.borrower("EPN-A", kind="partner")
    r = client.post("/api/v1/loans", json={"asset_tag": devices[2].asset_tag, "borrower_card": partner.card_number},
                    headers=h)
    assert r.status_code == 201 and r.json["due_on"] == (today() + timedelta(days=30)).isoformat()


def test_loan_list_filters(client, db, lk, api_headers):
    h = api_headers("desk")
    b = lk.borrower("EPN-A", kind="staff")
    d1, d2, d3 = (lk.device("EPN-A", "router") for _ in range(3))
    ids = [client.post("/api/v1/loans", json={"asset_tag": d.asset_tag, "borrower_card": b.card_number},
                       headers=h).json["id"] for d in (d1, d2, d3)]
    loan = db.get(Loan, ids[0])
    loan.start_on = today() - timedelta(days=20)
    loan.due_on = today() - timedelta(days=3)
    db.commit()
    client.post(f"/api/v1/loans/{ids[2]}/return", json={"condition": "complete"}, headers=h)
    def states(query):
        r = client.get(f"/api/v1/loans{query}", headers=h)
        assert r.status_code == 200, r.json
        return r.json["total"], sorted(i["id"] for i in r.json["items"])
    assert states("") == (3, sorted(ids))
    assert states("?state=open") == (2, sorted(ids[:2]))
    assert states("?state=overdue") == (1, [ids[0]])
    assert states("?state=closed") == (1, [ids[2]])
    assert states("?state=open&site=EPN-A") == (2, sorted(ids[:2]))
    item = client.get("/api/v1/loans?state=overdue", headers=h).json["items"][0]
    assert {"id", "asset_tag", "borrower_card", "site", "start_on", "due_on", "returned_at", "state"} <= set(item)
    assert item["state"] == "overdue" and item["days_late"] == 3 and item["borrower_card"] == b.card_number
    assert client.get("/api/v1/loans?state=late", headers=h).status_code == 422
    assert client.get("/api/v1/loans?site=NOWHERE", headers=h).status_code == 422
    assert client.get("/api/v1/loans?site=EPN-B", headers=h).status_code == 403
    assert client.get("/api/v1/loans?page=x", headers=h).status_code == 422
    # the manager sees the network; the EPN-B filter is empty
    assert client.get("/api/v1/loans?site=EPN-B", headers=api_headers("manager")).json["total"] == 0


def test_reservations_api(client, db, lk, api_headers):
    h = api_headers("desk")
    tablet = lk.device("EPN-A", "tablet")
    b1, b2 = lk.borrower("EPN-A"), lk.borrower("EPN-A")
    start, end = today() + timedelta(days=3), today() + timedelta(days=6)
    r = client.post("/api/v1/reservations", json={"asset_tag": tablet.asset_tag, "borrower_card": b1.card_number,
                                                  "start_on": start.isoformat(), "end_on": end.isoformat()}, headers=h)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "active" and r.json["asset_tag"] == tablet.asset_tag
    clash = client.post("/api/v1/reservations", json={"asset_tag": tablet.asset_tag, "borrower_card": b2.card_number,
                                                      "start_on": (start + timedelta(days=1)).isoformat(),
                                                      "end_on": (end + timedelta(days=3)).isoformat()}, headers=h)
    assert clash.status_code == 409 and "déjà réservé" in clash.json["error"]["message"]
    # category at a site: the only tablet is booked over that period
    cat = client.post("/api/v1/reservations", json={"category": "tablet", "site": "EPN-A",
                                                    "borrower_card": b2.card_number, "start_on": start.isoformat(),
                                                    "end_on": end.isoformat()}, headers=h)
    assert cat.status_code == 409 and "réservées" in cat.json["error"]["message"]
    after = client.post("/api/v1/reservations", json={"category": "tablet", "site": "EPN-A",
                                                      "borrower_card": b2.card_number,
                                                      "start_on": (end + timedelta(days=1)).isoformat(),
                                                      "end_on": (end + timedelta(days=4)).isoformat()}, headers=h)
    assert after.status_code == 201 and after.json["category"] == "tablet" and after.json["asset_tag"] is None
    bad = client.post("/api/v1/reservations", json={"asset_tag": tablet.asset_tag, "borrower_card": b2.card_number,
                                                    "start_on": end.isoformat(), "end_on": start.isoformat()}, headers=h)
    assert bad.status_code == 422 and "avant de commencer" in bad.json["error"]["fields"]["end_on"]
    past = client.post("/api/v1/reservations", json={"asset_tag": tablet.asset_tag, "borrower_card": b2.card_number,
                                                     "start_on": (today() - timedelta(days=2)).isoformat(),
                                                     "end_on": today().isoformat()}, headers=h)
    assert past.status_code == 422
    assert client.post("/api/v1/reservations", json={"borrower_card": b2.card_number, "start_on": start.isoformat(),
                                                     "end_on": end.isoformat()}, headers=h).status_code == 422
    assert _count(db, Reservation) == 2


def test_kiosk_account_has_no_api(client, app):
    from refurb.accounts import services
    from refurb.errors import Forbidden
    with app.extensions["refurb.db"].session(write=True) as s:
        kiosk = services.get_user(s, "kiosk")
        try:
            services.create_token(s, kiosk)
        except Forbidden as err:
            assert "borne" in err.message
        else:
            raise AssertionError("a kiosk account got an API token")
