"""The desk (reception): scan a card, scan devices, lend; scan a device on loan, take it back;
kits; returns at another site; the side lists; the global scan box."""

import html
from datetime import timedelta

from conftest import csrf_token
from sqlalchemy import func, select

from refurb.clock import today
from refurb.inventory.models import Device, DeviceEvent
from refurb.loans.models import Kit, Loan, LoanSiteRules, Reservation


def T(response) -> str:
    """The page's text as a person reads it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def _fresh(db):
    db.rollback()
    db.expire_all()


def _post(client, path, data=None, htmx=True):
    token = csrf_token(client, "/prets/comptoir")
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(path, data={"csrf_token": token, **(data or {})}, headers=headers)


def scan(client, code, htmx=True):
    return _post(client, "/prets/comptoir/scan", {"code": code}, htmx)


def test_reception_home_is_the_desk(login_as):
    client = login_as("desk")
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/prets/comptoir")
    page = T(client.get("/prets/comptoir"))
    assert "data-scan-autofocus" in page and "Comptoir de prêt" in page
    assert "Retours attendus aujourd'hui" in page and "Réservations à préparer" in page


def test_lend_by_scanning_then_take_back_damaged(login_as, db, lk):
    client = login_as("desk")
    laptop = lk.device("EPN-A", "laptop")
    router = lk.device("EPN-A", "router", brand="Huawei", model="E5576")
    b = lk.borrower("EPN-A", first_name="Martine", last_name="Girard")

    r = scan(client, b.card_number)
    body = T(r)
    assert r.status_code == 200 and "Martine Girard" in body and "refurb:tone" in r.headers["HX-Trigger"]
    r = scan(client, laptop.asset_tag)
    assert f"{laptop.asset_tag} ajouté au panier" in T(r)
    r = scan(client, laptop.asset_tag)
    assert "scanné deux fois" in T(r) and '"error"' in r.headers["HX-Trigger"]
    scan(client, router.asset_tag)
    r = _post(client, "/prets/comptoir/preter", {f"deposit-{laptop.asset_tag}": "50", "deposit_method": "cash"})
    body = T(r)
    assert "Prêté à Martine Girard" in body, body
    assert "Imprimer le contrat de prêt" in body
    _fresh(db)
    loans = db.scalars(select(Loan).order_by(Loan.id)).all()
    assert [(l.device_id, l.due_on) for l in loans] == [(laptop.id, today() + timedelta(days=21)),
                                                        (router.id, today() + timedelta(days=14))]
    assert str(loans[0].deposit_amount) == "50.00" and loans[1].deposit_amount is None
    agreement = client.get(f"/prets/{loans[0].id}/contrat.pdf")
    assert agreement.status_code == 200 and agreement.data.startswith(b"%PDF")

    # the laptop comes back damaged: the note is required
    r = scan(client, laptop.asset_tag)
    body = T(r)
    assert f"Retour de {laptop.asset_tag}" in body and "Endommagé" in body and "Caution de" in body
    r = _post(client, "/prets/comptoir/retour", {"loan_id": loans[0].id, "condition": "damaged", "note": ""})
    assert "note obligatoire" in T(r)
    _fresh(db)
    assert db.get(Device, laptop.id).state == "on_loan"
    r = _post(client, "/prets/comptoir/retour", {"loan_id": loans[0].id, "condition": "damaged",
                                                 "note": "Charnière cassée", "deposit_outcome": "kept"})
    assert "Retour enregistré" in T(r) and "en réparation" in T(r)
    _fresh(db)
    assert db.get(Device, laptop.id).state == "repairing"
    loan = db.get(Loan, loans[0].id)
    assert loan.return_condition == "damaged" and loan.return_note == "Charnière cassée"
    assert loan.deposit_status == "kept"
    # a second return of the same loan: refused, nothing changes
    r = _post(client, "/prets/comptoir/retour", {"loan_id": loans[0].id, "condition": "complete"})
    assert "n'est pas en prêt" in T(r)
    _fresh(db)
    assert db.get(Device, laptop.id).state == "repairing"

    # the device page shows the loan history and the timeline labels
    page = T(client.get(f"/d/{laptop.asset_tag}"))
    assert "Martine Girard" in page and "Charnière cassée" in page
    assert "Retour de prêt" in page and ">Prêt<" in page


def test_desk_says_why_not(login_as, db, lk):
    client = login_as("desk")
    b = lk.borrower("EPN-A")
    elsewhere = lk.device("EPN-B", "tablet")
    repairing = lk.device("EPN-A", "tablet", state="repairing")
    scan(client, b.card_number)
    assert "Aucune carte, aucun appareil" in T(scan(client, "XYZ-PAS-UN-CODE"))
    assert "Carte inconnue" in T(scan(client, "U00000001"))
    body = T(scan(client, elsewhere.asset_tag))
    assert "rattaché au site « EPN B »" in body
    body = T(scan(client, repairing.asset_tag))
    assert "pas dans le parc de prêt" in body and "En réparation" in body
    blocked = lk.borrower("EPN-A", blocked="Deux retards")
    body = T(scan(client, blocked.card_number))
    assert "bloqué(e) : Deux retards" in body
    lendable = lk.device("EPN-A", "tablet")
    scan(client, lendable.asset_tag)
    body = T(_post(client, "/prets/comptoir/preter"))
    assert "Prêt impossible" in body and "bloqué" in body
    assert db.scalar(select(func.count()).select_from(Loan)) == 0


def test_name_search_and_rules_acceptance(login_as, db, lk):
    client = login_as("desk")
    b = lk.borrower("EPN-A", first_name="Zoé", last_name="Lefèvre", consent=False)
    body = T(scan(client, "lefevre"))
    assert "Zoé Lefèvre" in body and b.card_number in body
    body = T(scan(client, "zoe lefevre"))
    assert b.card_number in body
    scan(client, b.card_number)
    tablet = lk.device("EPN-A", "tablet")
    body = T(scan(client, tablet.asset_tag))
    assert "accepte le règlement de prêt" in body
    body = T(_post(client, "/prets/comptoir/preter"))
    assert "accepter le règlement" in body
    body = T(_post(client, "/prets/comptoir/preter", {"rules_accepted": "on"}))
    assert "Prêté à Zoé Lefèvre" in body
    _fresh(db)
    assert db.get(type(b), b.id).consent_at is not None


def test_without_javascript_the_desk_redirects(login_as, lk):
    client = login_as("desk")
    b = lk.borrower("EPN-A")
    r = scan(client, b.card_number, htmx=False)
    assert r.status_code == 303 and r.headers["Location"].endswith("/prets/comptoir")
    assert b.full_name in T(client.get("/prets/comptoir"))
    # a refusal: the desk page again, with the reason and the refusal's status
    r = scan(client, "RF-999999", htmx=False)
    assert r.status_code == 404 and "Aucune carte, aucun appareil" in T(r) and "Comptoir de prêt" in T(r)
    r = _post(client, "/prets/comptoir/preter", htmx=False)
    assert r.status_code == 422 and "Le panier est vide" in T(r)


def test_kit_lent_and_returned_as_one(login_as, db, lk):
    client = login_as("desk")
    tablets = [lk.device("EPN-A", "tablet") for _ in range(3)]
    partner = lk.borrower("EPN-A", kind="partner")
    token = csrf_token(client, "/prets/kits")
    r = client.post("/prets/kits", data={"csrf_token": token, "name": "3 tablettes pour atelier", "site": "EPN-A",
                                         "asset_tags": "\n".join(t.asset_tag for t in tablets)})
    assert r.status_code == 303, T(r)
    kit = db.scalar(select(Kit))
    assert kit.code.startswith("K") and len(kit.items) == 3
    # a kit device alone is not lent
    scan(client, partner.card_number)
    assert "fait partie du kit" in T(scan(client, tablets[0].asset_tag))
    body = T(scan(client, kit.code))
    assert "ajouté au panier (3 appareils)" in body
    body = T(_post(client, "/prets/comptoir/preter"))
    assert "Prêté à" in body
    _fresh(db)
    assert db.scalar(select(func.count()).select_from(Loan).where(Loan.kit_id == kit.id)) == 3
    # return: scanning one of its devices opens the kit's return; one is missing
    body = T(scan(client, tablets[1].asset_tag))
    assert "Retour du kit" in body
    present = [tablets[0].asset_tag, tablets[1].asset_tag]
    body = T(_post(client, "/prets/comptoir/retour-kit", {"kit": kit.code, "present": present,
                                                        "condition": "complete"}))
    assert f"Il manque 1 appareil du kit « 3 tablettes pour atelier » : {tablets[2].asset_tag}" in body
    assert "Valider un retour partiel" in body
    _fresh(db)
    assert db.scalar(select(func.count()).select_from(Loan).where(Loan.returned_at.is_(None))) == 3
    body = T(_post(client, "/prets/comptoir/retour-kit", {"kit": kit.code, "present": present, "condition": "complete",
                                                        "partial": "1"}))
    assert "2 appareils rendus" in body and f"Encore en prêt : {tablets[2].asset_tag}" in body
    body = T(_post(client, "/prets/comptoir/retour-kit", {"kit": kit.code, "present": [tablets[2].asset_tag],
                                                        "condition": "complete"}))
    assert "1 appareil rendu" in body
    _fresh(db)
    assert {d.state for d in db.scalars(select(Device))} == {"loan_pool"}


def test_return_at_another_site_moves_the_device(login_as, db, lk):
    client = login_as("desk")  # serves EPN-A and BUS
    tablet = lk.device("EPN-A", "tablet")
    b = lk.borrower("EPN-A")
    scan(client, b.card_number)
    scan(client, tablet.asset_tag)
    _post(client, "/prets/comptoir/preter")
    loan = db.scalar(select(Loan))
    bus = lk.site("BUS")
    # the desk now works on the bus
    client.post("/site", data={"csrf_token": csrf_token(client, "/prets/comptoir"), "site_id": bus.id})
    # the bus does not take other sites' devices back
    db.add(LoanSiteRules(site_id=bus.id, accept_other_site_returns=False, no_show_days=2, kiosk_ip_ranges="",
                         kiosk_idle_seconds=60))
    db.commit()
    scan(client, tablet.asset_tag)
    body = T(_post(client, "/prets/comptoir/retour", {"loan_id": loan.id, "condition": "complete"}))
    assert "ne reprend pas le matériel des autres sites" in body and "EPN A" in body
    _fresh(db)
    assert db.get(Device, tablet.id).site_id == lk.site("EPN-A").id
    rules = db.get(LoanSiteRules, bus.id)
    rules.accept_other_site_returns = True
    db.commit()
    body = T(_post(client, "/prets/comptoir/retour", {"loan_id": loan.id, "condition": "complete"}))
    assert "Retour enregistré" in body
    _fresh(db)
    device = db.get(Device, tablet.id)
    assert device.site_id == bus.id and device.state == "loan_pool"
    assert db.get(Loan, loan.id).return_site_id == bus.id
    actions = [e.action for e in db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == tablet.id)
                                            .order_by(DeviceEvent.id))]
    assert actions == ["created", "transition", "loan", "transfer", "loan_return"]  # (the first two: the fixture)
    transfer = db.scalar(select(DeviceEvent).where(DeviceEvent.action == "transfer"))
    assert transfer.data["from_site"] == "EPN-A" and transfer.data["to_site"] == "BUS"


def test_side_lists_and_overdue_reminder(login_as, db, lk):
    client = login_as("desk")
    b = lk.borrower("EPN-A", first_name="Jean", last_name="Valjean", phone="0611223344", email="jv@example.org")
    d1, d2 = lk.device("EPN-A", "router"), lk.device("EPN-A", "router")
    scan(client, b.card_number)
    scan(client, d1.asset_tag)
    scan(client, d2.asset_tag)
    _post(client, "/prets/comptoir/preter")
    late, due = db.scalars(select(Loan).order_by(Loan.id)).all()
    late.start_on, late.due_on = today() - timedelta(days=20), today() - timedelta(days=6)
    due.due_on = today()
    other = lk.borrower("EPN-A")
    d3 = lk.device("EPN-A", "tablet", commit=False)
    db.flush()
    db.add(Reservation(borrower_id=other.id, site_id=d3.site_id, device_id=d3.id, start_on=today() + timedelta(days=1),
                       end_on=today() + timedelta(days=3), release_on=today() + timedelta(days=3), status="active",
                       note=""))
    db.commit()
    page = T(client.get("/prets/comptoir"))
    side = page[page.index("Retours attendus aujourd'hui"):]
    assert d2.asset_tag in side[:side.index("En retard")]
    assert d1.asset_tag in side[side.index("En retard"):side.index("Réservations à préparer")]
    assert d3.asset_tag in side[side.index("Réservations à préparer"):]
    overdue = T(client.get("/prets/retards"))
    assert d1.asset_tag in overdue and "0611223344" in overdue and "jv@example.org" in overdue
    assert d2.asset_tag not in overdue
    letter = T(client.get(f"/prets/{late.id}/relance"))
    assert "Bonjour Jean Valjean" in letter and "il y a 6 jours" in letter and "mailto:jv@example.org" in letter
    assert T(client.get("/prets/?state=overdue")).count(d1.asset_tag) >= 1


def test_global_scan_box_opens_the_card_at_the_desk(login_as, lk):
    client = login_as("desk")
    b = lk.borrower("EPN-A")
    # the scan box posts the card: handed to the desk's scan (307 keeps the POST), where it is presented
    r = client.post("/scan", data={"code": b.card_number, "csrf_token": csrf_token(client, "/appareils/")})
    assert r.status_code == 307 and r.headers["Location"] == "/prets/comptoir/scan"
    r = client.post(r.headers["Location"], data={"code": b.card_number, "csrf_token": csrf_token(client, "/devices")})
    assert r.status_code == 303  # what a browser does with a 307: the same POST, there
    assert b.full_name in T(client.get("/prets/comptoir"))  # the desk holds the card now
    assert client.post("/scan", data={"code": b.card_number}).status_code == 400  # not without the page's token
    kit_devices = [lk.device("EPN-A", "router") for _ in range(2)]
    client.post("/prets/kits", data={"csrf_token": csrf_token(client, "/prets/kits"), "name": "Routeurs",
                                     "site": "EPN-A", "asset_tags": " ".join(d.asset_tag for d in kit_devices)})
    r = client.get("/scan?code=K000001")
    assert r.status_code == 303 and r.headers["Location"].endswith("/prets/kits/K000001")


def test_a_card_in_a_link_presents_nothing(app, login_as, lk):
    """A link or a typed address (GET) with a card fills the desk's scan field and changes nothing: the desk
    holds no borrower, shows no name, until the card is scanned (POST, with the page's token)."""
    b = lk.borrower("EPN-A", first_name="Lien", last_name="Piege")
    client = login_as("desk")
    r = client.get(f"/scan?code={b.card_number}")
    assert r.status_code == 303 and r.headers["Location"] == f"/prets/comptoir?carte={b.card_number}"
    page = T(client.get(r.headers["Location"]))
    assert "Piege" not in page and f'value="{b.card_number}"' in page and "validez pour l'ouvrir" in page
    assert "Piege" not in T(client.get("/prets/comptoir"))
    r = scan(client, b.card_number)
    assert "Lien Piege" in T(r)


def test_device_panel_hides_the_name_from_other_sites(app, client, login_as, db, lk):
    from conftest import PASSWORD, login

    from refurb.accounts.models import User
    from refurb.accounts.services import hash_secret

    desk = login_as("desk")
    tablet = lk.device("EPN-A", "tablet")
    b = lk.borrower("EPN-A", first_name="Paulette", last_name="Secret")
    scan(desk, b.card_number)
    scan(desk, tablet.asset_tag)
    _post(desk, "/prets/comptoir/preter")
    assert "Paulette Secret" in T(desk.get(f"/d/{tablet.asset_tag}"))
    # returned on the bus: the device now belongs to the bus
    loan = db.scalar(select(Loan))
    r = _post(desk, "/prets/comptoir/retour", {"loan_id": loan.id, "condition": "complete"})
    assert r.status_code == 200
    _fresh(db)
    device = db.get(Device, tablet.id)
    device.site = lk.site("BUS")
    db.add(User(username="busdriver", full_name="Chauffeur", role="technicien",
                password_hash=hash_secret(PASSWORD), sites=[lk.site("BUS")],
                home_site=lk.site("BUS")))
    db.commit()
    other = app.test_client()
    assert login(other, "busdriver").status_code == 302
    page = T(other.get(f"/d/{tablet.asset_tag}"))
    assert "Historique des prêts" in page and "Paulette" not in page


def test_check_out_refuses_a_device_twice_and_changes_nothing(app, db, lk):
    """The service itself: a basket naming a device twice is refused whole."""
    import pytest

    from refurb.errors import Invalid
    from refurb.loans.services import check_out

    d1, d2 = lk.device("EPN-A", "tablet"), lk.device("EPN-A", "router")
    b = lk.borrower("EPN-A")
    desk = lk.user("desk")
    with pytest.raises(Invalid) as err:
        check_out(db, desk, b, [d1.asset_tag, d2.asset_tag, d1.asset_tag.lower()])
    assert "scanné deux fois" in err.value.message and d1.asset_tag in err.value.message
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Loan)) == 0
    assert {db.get(Device, d.id).state for d in (d1, d2)} == {"loan_pool"}


def test_a_site_with_many_overdue_loans_shows_ten_at_the_desk_and_pages_the_list(login_as, db, lk):
    """Thousands of overdue loans at a site: the desk shows the ten oldest and their number, the overdue page
    one page at a time (each desk answer read them all: half a second at 100,000 devices)."""
    from refurb.loans import services as loans_svc

    desk = lk.user("desk")
    made = []
    for i in range(12):
        (loan,) = loans_svc.check_out(db, desk, lk.borrower("EPN-A"), [lk.device("EPN-A", "router").asset_tag],
                                      site=lk.site("EPN-A"), rules_accepted=True)
        made.append(loan)
    for i, loan in enumerate(made):
        loan.start_on, loan.due_on = today() - timedelta(days=40), today() - timedelta(days=30 - i)
    db.commit()
    client = login_as("desk")
    page = T(client.get("/prets/comptoir"))
    side = page[page.index("En retard à"):]
    side = side[:side.index("Réservations à préparer")] if "Réservations à préparer" in side else side
    assert "En retard à « EPN A » (12)" in side and "Voir les 12 retards" in side
    shown = [loan.device.asset_tag for loan in made if loan.device.asset_tag in side]
    assert shown == [loan.device.asset_tag for loan in made[:10]]  # the ten due longest ago
    items, total = loans_svc.overdue(db, desk, lk.site("EPN-A"), page=3, per_page=5)
    assert total == 12 and [loan.id for loan in items] == [loan.id for loan in made[10:]]
    listing = T(client.get("/prets/retards?site=EPN-A"))
    assert "12 prêts en retard" in listing and all(loan.device.asset_tag in listing for loan in made)
    assert "Relance" not in T(client.get("/prets/retards?site=EPN-A&page=2")).split("<tbody>")[1]


def test_a_device_scanned_into_the_basket_answers_the_basket_alone(login_as, db, lk):
    """A device scanned into the basket (or refused, or taken out) changes nothing beside the basket: htmx gets
    the basket alone (retargeted), with the message and the emptied search results out of band, and nothing
    of the borrower's panel is read; while the working column shows what the scan ends (a loan just made), the
    working column; a return or a loan gets the whole body; without htmx, the whole page."""
    client = login_as("desk")
    b = lk.borrower("EPN-A", first_name="Basile", last_name="Panier")
    d1, d2, d3 = lk.device("EPN-A", "router"), lk.device("EPN-A", "tablet"), lk.device("EPN-A", "tablet")
    scan(client, b.card_number)
    r = scan(client, d1.asset_tag)
    assert r.status_code == 200
    assert r.headers["HX-Retarget"] == "#desk-basket-part" and r.headers["HX-Reswap"] == "outerHTML"
    body = T(r)
    assert body.lstrip().startswith('<section id="desk-basket-part"') and 'id="desk-main"' not in body
    assert "Retours attendus aujourd'hui" not in body and "Basile Panier" not in body
    assert '<div id="desk-message" hx-swap-oob="true">' in body and f"{d1.asset_tag} ajouté au panier" in body
    assert '<div id="desk-matches-part" hx-swap-oob="true"></div>' in body and 'id="desk-basket"' in body
    again = scan(client, d1.asset_tag)  # refused: the basket alone too, with the error tone
    assert again.status_code == 422 and again.headers["HX-Retarget"] == "#desk-basket-part" and "deux fois" in T(again)
    removed = _post(client, "/prets/comptoir/retirer", {"tag": d1.asset_tag})
    assert removed.headers["HX-Retarget"] == "#desk-basket-part" and d1.asset_tag + " retiré du panier" in T(removed)
    scan(client, d2.asset_tag)
    lent = _post(client, "/prets/comptoir/preter")
    assert "HX-Retarget" not in lent.headers and "Retours attendus aujourd'hui" in T(lent)  # the whole body
    assert "Prêt enregistré" in T(lent)
    after = scan(client, d3.asset_tag)  # the loan's panel goes with this scan: the working column
    assert after.headers["HX-Retarget"] == "#desk-main" and after.headers["HX-Reswap"] == "outerHTML"
    assert "Prêt enregistré" not in T(after) and f"{d3.asset_tag} ajouté au panier" in T(after)
    assert "Basile Panier" in T(after) and d2.asset_tag in T(after)  # the borrower's panel, with the new loan
    back = scan(client, d2.asset_tag)  # a return begins: the whole body
    assert "HX-Retarget" not in back.headers and 'id="desk-body"' in T(back)
    page = scan(client, d1.asset_tag, htmx=False)
    assert page.status_code in (302, 303)
