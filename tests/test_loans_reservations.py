"""Reservations held at check-out, no-shows released, renewals refused when reserved, loan rules."""

import html
from datetime import timedelta

from conftest import csrf_token
from sqlalchemy import select

from refurb.clock import today
from refurb.inventory.categories import CATEGORIES
from refurb.loans.models import BORROWER_KINDS, Loan, Reservation


def T(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _fresh(db):
    db.rollback()
    db.expire_all()


def _book(client, h, **body):
    for key in ("start_on", "end_on"):
        if key in body:
            body[key] = body[key].isoformat()
    return client.post("/api/v1/reservations", json=body, headers=h)


def _lend(client, h, device, borrower):
    return client.post("/api/v1/loans", json={"asset_tag": device.asset_tag, "borrower_card": borrower.card_number},
                       headers=h)


def test_reserved_device_is_held_for_its_borrower(client, db, lk, api_headers):
    h = api_headers("desk")
    laptop = lk.device("EPN-A", "laptop")
    b1, b2 = lk.borrower("EPN-A"), lk.borrower("EPN-A")
    r = _book(client, h, asset_tag=laptop.asset_tag, borrower_card=b1.card_number,
              start_on=today() + timedelta(days=2), end_on=today() + timedelta(days=5))
    assert r.status_code == 201
    refused = _lend(client, h, laptop, b2)
    assert refused.status_code == 409 and "réservé pour un autre usager" in refused.json["error"]["message"]
    ok = _lend(client, h, laptop, b1)
    assert ok.status_code == 201
    _fresh(db)
    booking = db.scalar(select(Reservation))
    assert booking.status == "fulfilled" and booking.loan_id == ok.json["id"]


def test_category_booking_keeps_a_device_on_the_shelf(client, db, lk, api_headers):
    h = api_headers("desk")
    t1 = lk.device("EPN-A", "tablet")
    b1, b2, b3 = (lk.borrower("EPN-A") for _ in range(3))
    assert _book(client, h, category="tablet", site="EPN-A", borrower_card=b1.card_number, start_on=today(),
                 end_on=today() + timedelta(days=3)).status_code == 201
    refused = _lend(client, h, t1, b2)
    assert refused.status_code == 409 and "réservés par d'autres usagers" in refused.json["error"]["message"]
    t2 = lk.device("EPN-A", "tablet")
    assert _lend(client, h, t2, b2).status_code == 201  # one left for the booking
    assert _lend(client, h, t1, b3).status_code == 409
    assert _lend(client, h, t1, b1).status_code == 201
    _fresh(db)
    assert db.scalar(select(Reservation)).status == "fulfilled"


def test_no_show_is_released_after_the_delay(client, db, lk, api_headers):
    h = api_headers("desk")
    tablet = lk.device("EPN-A", "tablet")
    b1, b2 = lk.borrower("EPN-A"), lk.borrower("EPN-A")
    db.add(Reservation(borrower_id=b1.id, site_id=tablet.site_id, device_id=tablet.id,
                       start_on=today() - timedelta(days=3), end_on=today() + timedelta(days=2),
                       release_on=today() - timedelta(days=1), status="active", note=""))
    db.commit()
    assert _lend(client, h, tablet, b2).status_code == 201
    _fresh(db)
    assert db.scalar(select(Reservation)).status == "no_show"


def test_renewal_refused_when_someone_reserved(client, db, lk, api_headers):
    h = api_headers("desk")
    router = lk.device("EPN-A", "router")
    b1, b2 = lk.borrower("EPN-A", kind="partner"), lk.borrower("EPN-A")
    loan = _lend(client, h, router, b1).json
    due = loan["due_on"]
    from datetime import date
    due = date.fromisoformat(due)
    early = _book(client, h, asset_tag=router.asset_tag, borrower_card=b2.card_number, start_on=due - timedelta(days=1),
                  end_on=due + timedelta(days=3))
    assert early.status_code == 409 and "en prêt jusqu'au" in early.json["error"]["message"]
    assert _book(client, h, asset_tag=router.asset_tag, borrower_card=b2.card_number, start_on=due + timedelta(days=1),
                 end_on=due + timedelta(days=3)).status_code == 201
    renew = client.post(f"/api/v1/loans/{loan['id']}/renew", headers=h)
    assert renew.status_code == 409 and "réservé par un autre usager" in renew.json["error"]["message"]
    _fresh(db)
    assert db.get(Loan, loan["id"]).renewals == 0 and db.get(Loan, loan["id"]).due_on == due


def test_reservation_pages(login_as, db, lk):
    client = login_as("desk")
    tablet = lk.device("EPN-A", "tablet")
    b1, b2 = lk.borrower("EPN-A"), lk.borrower("EPN-A")
    token = csrf_token(client, "/prets/reservations")
    start, end = today() + timedelta(days=4), today() + timedelta(days=8)
    r = client.post("/prets/reservations", data={"csrf_token": token, "asset_tag": tablet.asset_tag,
                                                 "borrower_card": b1.card_number, "start_on": start.isoformat(),
                                                 "end_on": end.isoformat()})
    assert r.status_code == 303
    r = client.post("/prets/reservations", data={"csrf_token": token, "asset_tag": tablet.asset_tag,
                                                 "borrower_card": b2.card_number, "start_on": start.isoformat(),
                                                 "end_on": end.isoformat()})
    assert r.status_code == 422 and "déjà réservé" in T(r)
    r = client.post("/prets/reservations", data={"csrf_token": token, "category": "tablet", "site": "EPN-A",
                                                 "borrower_card": b2.card_number, "start_on": end.isoformat(),
                                                 "end_on": start.isoformat()})
    assert r.status_code == 422 and "avant de commencer" in T(r) and 'id="e-end_on"' in T(r)
    page = T(client.get("/prets/reservations"))
    assert tablet.asset_tag in page and b1.full_name in page
    booking = db.scalar(select(Reservation))
    client.post(f"/prets/reservations/{booking.id}/annuler", data={"csrf_token": token})
    _fresh(db)
    assert db.get(Reservation, booking.id).status == "cancelled"


def _rules_form(**changes) -> dict:
    data = {"accept_other_site_returns": "on", "no_show_days": "2", "kiosk_idle_seconds": "60", "kiosk_ip_ranges": ""}
    for kind in BORROWER_KINDS:
        data |= {f"{kind}.max_devices": "2", f"{kind}.max_renewals": "1", f"{kind}.max_days": "42"}
        for category in CATEGORIES:
            data |= {f"{kind}.{category}.loan_days": "14", f"{kind}.{category}.deposit": "0"}
    return data | changes


def test_rules_page(app, client, login_as, db, lk, api_headers):
    manager = login_as("manager")
    page = T(manager.get("/prets/regles?site=EPN-A"))
    assert "Règles de prêt — EPN A" in page and "Conseiller numérique" in page
    token = csrf_token(manager, "/prets/regles?site=EPN-A")
    bad = manager.post("/prets/regles?site=EPN-A", data={"csrf_token": token, **_rules_form(
        **{"resident.laptop.loan_days": "60"})})
    assert bad.status_code == 422 and "dépasse la durée maximale" in T(bad)
    ok = manager.post("/prets/regles?site=EPN-A", data={"csrf_token": token, **_rules_form(
        **{"resident.laptop.loan_days": "7", "resident.laptop.deposit": "80,00"})})
    assert ok.status_code == 303
    laptop = lk.device("EPN-A", "laptop")
    b = lk.borrower("EPN-A")
    loan = client.post("/api/v1/loans", json={"asset_tag": laptop.asset_tag, "borrower_card": b.card_number},
                       headers=api_headers("desk")).json
    assert loan["due_on"] == (today() + timedelta(days=7)).isoformat()
    # reception reads the rules but does not change them
    from conftest import login
    desk = app.test_client()
    login(desk, "desk")
    assert desk.get("/prets/regles").status_code == 200
    refused = desk.post("/prets/regles?site=EPN-A", data={"csrf_token": csrf_token(desk, "/prets/regles"),
                                                           **_rules_form()})
    assert refused.status_code == 403


def test_a_basket_holds_each_device_until_its_own_due_date(client, db, lk, api_headers):
    """A laptop goes out for 21 days and a smartphone for 14 (resident's defaults): a booking by someone else
    from day 17 holds the laptop only. The basket asks for every device's holds in one query."""
    from refurb.accounts.services import get_user
    from refurb.loans import services as loans
    from refurb.sites.services import get_site

    h = api_headers("desk")
    laptop, phone = lk.device("EPN-A", "laptop"), lk.device("EPN-A", "smartphone")
    other, here = lk.borrower("EPN-A"), lk.borrower("EPN-A")
    for device in (laptop, phone):
        assert _book(client, h, asset_tag=device.asset_tag, borrower_card=other.card_number,
                     start_on=today() + timedelta(days=17), end_on=today() + timedelta(days=19)).status_code == 201
    _fresh(db)
    site = get_site(db, "EPN-A")
    lines = loans.basket_lines(db, get_user(db, "admin"), site, db.merge(here), [laptop.asset_tag, phone.asset_tag],
                               [])
    reasons = {line["device"].id: line["problem"] for line in lines}
    assert "réservé pour un autre usager" in reasons[laptop.id]
    assert reasons[phone.id] is None
