"""Transfers: the scan basket, all-or-nothing moves, history events, list and detail, slip PDF."""

from __future__ import annotations

import io
import json
import re
from html import unescape

from conftest import csrf_token
from pypdf import PdfReader
from sqlalchemy import func, select
from test_inventory_stock import make_device, site

from refurb.formatting import datetime_fr
from refurb.inventory.models import DeviceEvent, Transfer, TransferItem

HX = {"HX-Request": "true"}


def _scan(client, code, htmx=True):
    token = csrf_token(client, "/transfers/new")
    return client.post("/transfers/new/scan", data={"csrf_token": token, "code": code},
                       headers=HX if htmx else {})


def _transfer(client, to_site, tags=None, note=""):
    token = csrf_token(client, "/transfers/new")
    data = {"csrf_token": token, "to_site": to_site, "note": note}
    if tags is not None:
        data["asset_tags"] = tags
    return client.post("/transfers", data=data)


def _tone(response):
    return json.loads(response.headers["HX-Trigger"])["refurb:tone"]["kind"]


def _basket_tags(html):
    return re.findall(r'name="asset_tags" value="([^"]+)" form="transfer-form"', html)


def _state(db, tag):
    db.expire_all()
    from refurb.inventory.models import Device
    return db.scalar(select(Device).where(Device.asset_tag == tag))


# --- the basket --------------------------------------------------------------------------------

def test_scanning_fills_the_basket_in_place_and_it_survives_a_reload(db, login_as):
    a1 = make_device(db, "EPN-A", "laptop", "ready", serial="SN-LAP-1").asset_tag
    a2 = make_device(db, "EPN-A", "tablet", "loan_pool").asset_tag
    db.commit()
    client = login_as("tech")
    response = _scan(client, a1)
    assert response.status_code == 200 and _tone(response) == "ok"
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="basket"')
    assert f"{a1} ajouté au panier" in html  # in the live #flash area (out-of-band swap)
    assert 'id="flash" aria-live="polite" hx-swap-oob="true"' in html
    assert _basket_tags(html) == [a1]
    # a serial number that is unique names its device too; a QR code URL gives its tag
    assert _tone(_scan(client, "sn-lap-1")) == "error"  # same device again: duplicate
    response = _scan(client, f"https://refurb.example.org/d/{a2}")
    assert _tone(response) == "ok" and _basket_tags(response.get_data(as_text=True)) == [a1, a2]
    # reload: the basket is still there
    page = client.get("/transfers/new").get_data(as_text=True)
    assert _basket_tags(page) == [a1, a2]
    assert "Panier : 2 appareils" in page
    assert 'data-scan-autofocus' in page and '<label for="basket-code">' in page
    assert '<label for="f-to_site">Site de destination' in page


def test_the_basket_works_without_javascript(db, login_as):
    tag = make_device(db, "EPN-A", "laptop", "ready").asset_tag
    db.commit()
    client = login_as("tech")
    response = _scan(client, tag, htmx=False)
    assert response.status_code == 303 and response.headers["Location"].endswith("/transfers/new")
    page = client.get("/transfers/new").get_data(as_text=True)
    assert f"{tag} ajouté au panier" in page and _basket_tags(page) == [tag]
    response = _scan(client, "RF-999999", htmx=False)
    assert response.status_code == 404
    html = unescape(response.get_data(as_text=True))
    assert "Aucun appareil ne correspond au code « RF-999999 »" in html
    assert 'id="e-code"' in html and _basket_tags(html) == [tag]
    token = csrf_token(client, "/transfers/new")
    response = client.post("/transfers/new/remove", data={"csrf_token": token, "tag": tag})
    assert response.status_code == 303
    assert _basket_tags(client.get("/transfers/new").get_data(as_text=True)) == []


def test_the_basket_refuses_with_a_french_message(db, login_as):
    ok = make_device(db, "EPN-A", "laptop", "ready").asset_tag
    on_loan = make_device(db, "EPN-A", "laptop", "on_loan").asset_tag
    sold = make_device(db, "EPN-A", "laptop", "sold").asset_tag
    elsewhere = make_device(db, "EPN-B", "laptop", "ready").asset_tag
    db.commit()
    client = login_as("tech")
    assert _tone(_scan(client, ok)) == "ok"
    cases = [  # the basket comes back with the refusal's status (422, or 404 / 403 when they say it)
        ("RF-424242", 404, "Aucun appareil ne correspond au code « RF-424242 »"),
        ("pas un code du tout", 404, "Aucun appareil ne correspond au code « pas un code du tout »"),
        (on_loan, 422, f"{on_loan} est en prêt : il ne peut pas être transféré avant son retour."),
        (sold, 422, f"{sold} a quitté le stock (Vendu)"),
        (elsewhere, 403, f"Vous n'avez pas accès à l'appareil {elsewhere} (site « EPN B »)"),
        (ok, 422, f"{ok} est déjà dans le panier."),
        ("", 422, "Scannez ou saisissez l'étiquette d'un appareil"),
        ("X" * 300, 422, "trop long"),
        ("<script>alert(1)</script>", 404, "« <script>alert(1)</script> »"),
    ]
    for code, status, message in cases:
        response = _scan(client, code)
        body = response.get_data(as_text=True)
        assert response.status_code == status and _tone(response) == "error", code
        assert message in unescape(body), (code, body)
        assert "<script>alert(1)</script>" not in body
        assert _basket_tags(body) == [ok]
    # a manager serves every site: the other site's device is accepted
    client.post("/logout", data={"csrf_token": csrf_token(client, "/transfers/new")})
    manager = login_as("manager")
    assert _tone(_scan(manager, elsewhere)) == "ok"


def test_link_from_the_device_page_prefills_the_basket(db, login_as):
    tag = make_device(db, "EPN-A", "laptop", "ready").asset_tag
    db.commit()
    client = login_as("tech")
    page = client.get(f"/transfers/new?tag={tag}").get_data(as_text=True)
    assert _basket_tags(page) == [tag] and f"{tag} ajouté au panier" in page
    page = client.get(f"/transfers/new?tag={tag}").get_data(as_text=True)  # reload: no duplicate, no error
    assert _basket_tags(page) == [tag] and f"{tag} est dans le panier." in page


def test_remove_and_clear(db, login_as):
    tags = [make_device(db, "EPN-A", "laptop", "ready").asset_tag for _ in range(3)]
    db.commit()
    client = login_as("tech")
    for tag in tags:
        _scan(client, tag)
    token = csrf_token(client, "/transfers/new")
    response = client.post("/transfers/new/remove", data={"csrf_token": token, "tag": tags[1]}, headers=HX)
    assert _tone(response) == "ok" and _basket_tags(response.get_data(as_text=True)) == [tags[0], tags[2]]
    response = client.post("/transfers/new/remove", data={"csrf_token": token, "tag": "RF-000999"}, headers=HX)
    assert _tone(response) == "error" and "RF-000999 n'est pas dans le panier." in unescape(response.get_data(as_text=True))
    response = client.post("/transfers/new/clear", data={"csrf_token": token}, headers=HX)
    assert _basket_tags(response.get_data(as_text=True)) == [] and "Le panier est vide" in response.get_data(as_text=True)


# --- the transfer --------------------------------------------------------------------------------

def test_technician_moves_two_devices_to_the_bus(db, login_as):
    t1 = make_device(db, "EPN-A", "laptop", "ready", serial="SN-1").asset_tag
    t2 = make_device(db, "EPN-A", "tablet", "loan_pool").asset_tag
    db.commit()
    client = login_as("tech")
    _scan(client, t1)
    _scan(client, t2)
    response = _transfer(client, "BUS", [t1, t2], note="Tournée de mardi")
    assert response.status_code == 303
    match = re.search(r"/transfers/(\d+)$", response.headers["Location"])
    assert match
    transfer_id = int(match.group(1))
    for tag in (t1, t2):
        device = _state(db, tag)
        assert device.site.code == "BUS"
        event = db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device.id)
                           .order_by(DeviceEvent.id.desc())).first()
        assert event.action == "transfer" and event.user.username == "tech" and event.site.code == "BUS"
        assert event.data == {"transfer_id": transfer_id, "from_site": "EPN-A", "to_site": "BUS"}
        assert event.note == "Tournée de mardi"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Transfert n° {transfer_id} enregistré : 2 appareils vers « Bus numérique »" in unescape(page)
    assert f"/transfers/{transfer_id}/slip.pdf" in page
    assert t1 in page and t2 in page and "Tournée de mardi" in page and "SN-1" in page
    # the basket is empty again
    assert _basket_tags(client.get("/transfers/new").get_data(as_text=True)) == []
    # and the transfer is in the list
    listing = client.get("/transfers").get_data(as_text=True)
    assert f"Transfert n° {transfer_id}" in listing and "Bus numérique" in listing


def test_the_transfer_uses_the_session_basket_when_no_tags_are_posted(db, login_as):
    tag = make_device(db, "EPN-A", "laptop", "ready").asset_tag
    db.commit()
    client = login_as("desk")
    _scan(client, tag)
    assert _transfer(client, "EPN-B").status_code == 303  # reception may move to any active site
    assert _state(db, tag).site.code == "EPN-B"


def test_one_device_on_loan_and_nothing_moves(db, login_as):
    free = make_device(db, "EPN-A", "laptop", "ready").asset_tag
    lent = make_device(db, "EPN-A", "laptop", "loan_pool").asset_tag
    db.commit()
    client = login_as("tech")
    _scan(client, free)
    _scan(client, lent)
    # the device goes out on loan while it sits in the basket
    _state(db, lent).state = "on_loan"
    db.commit()
    page = client.get("/transfers/new").get_data(as_text=True)
    assert "Refusé : " + lent in unescape(page)  # the basket says so before anyone presses the button
    events_before = db.scalar(select(func.count(DeviceEvent.id)))
    response = _transfer(client, "BUS", [free, lent])
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert f"Aucun appareil n'a été transféré : {lent} est en prêt." in html
    assert _basket_tags(html) == [free, lent]  # the basket is kept to fix it
    assert _state(db, free).site.code == "EPN-A" and _state(db, lent).site.code == "EPN-A"
    assert db.scalar(select(func.count(Transfer.id))) == 0
    assert db.scalar(select(func.count(TransferItem.id))) == 0
    assert db.scalar(select(func.count(DeviceEvent.id))) == events_before


def test_unknown_inactive_and_missing_destination(db, login_as):
    tag = make_device(db, "EPN-A", "laptop", "ready").asset_tag
    site(db, "EPN-B").active = False
    db.commit()
    client = login_as("manager")
    page = client.get("/transfers/new").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]*)"', page.split('id="f-to_site"')[1].split("</select>")[0])
    assert options == ["", "BUS", "EPN-A"]  # only active sites (sorted by name: Bus numérique, EPN A)
    _scan(client, tag)
    response = _transfer(client, "NULLE-PART", [tag])
    assert response.status_code == 404
    html = unescape(response.get_data(as_text=True))
    assert "Aucun site ne porte le code « NULLE-PART »." in html and 'id="e-to_site"' in html
    response = _transfer(client, "EPN-B", [tag])
    assert response.status_code == 422
    assert "Le site « EPN B » est désactivé : impossible d'y transférer du matériel." in unescape(response.get_data(as_text=True))
    response = _transfer(client, "", [tag])
    assert response.status_code == 422
    assert "Le site de destination est obligatoire." in unescape(response.get_data(as_text=True))
    response = _transfer(client, "EPN-A", [tag])  # already there
    assert response.status_code == 422 and f"{tag} est déjà à « EPN A »" in unescape(response.get_data(as_text=True))
    assert _state(db, tag).site.code == "EPN-A"
    assert db.scalar(select(func.count(Transfer.id))) == 0


def test_transfer_bad_input(db, login_as):
    tag = make_device(db, "EPN-A", "laptop", "ready").asset_tag
    db.commit()
    client = login_as("tech")
    response = _transfer(client, "BUS")  # empty basket
    assert response.status_code == 422
    assert "Scannez au moins un appareil à transférer." in unescape(response.get_data(as_text=True))
    response = _transfer(client, "BUS", [tag], note="x" * 2001)
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "La note est trop longue (2001 caractères, 2000 au maximum)." in html and 'id="e-note"' in html
    other = make_device(db, "EPN-B", "laptop", "ready").asset_tag
    db.commit()
    response = _transfer(client, "BUS", [tag, other])  # a forged form with another site's device
    assert response.status_code == 403
    response = _transfer(client, "BUS", [tag, "RF-777777"])
    assert response.status_code == 404
    assert _state(db, tag).site.code == "EPN-A" and _state(db, other).site.code == "EPN-B"
    assert db.scalar(select(func.count(Transfer.id))) == 0


# --- list, detail, scoping ------------------------------------------------------------------------

def _move(db, username, to_site, *tags, note=""):
    from test_inventory_stock import user

    from refurb.inventory import services
    transfer = services.transfer_devices(db, user(db, username), to_site, list(tags), note)
    db.commit()
    return transfer.id


def test_list_and_detail_are_scoped_to_my_sites(db, login_as):
    mine = _move(db, "tech", "BUS", make_device(db, "EPN-A").asset_tag)
    incoming = _move(db, "manager", "EPN-A", make_device(db, "EPN-B").asset_tag)
    foreign = _move(db, "manager", "BUS", make_device(db, "EPN-B").asset_tag)
    client = login_as("tech")
    listing = client.get("/transfers").get_data(as_text=True)
    assert f"Transfert n° {mine}<" in listing and f"Transfert n° {incoming}<" in listing
    assert f"Transfert n° {foreign}<" not in listing
    assert client.get(f"/transfers/{mine}").status_code == 200
    assert client.get(f"/transfers/{incoming}").status_code == 200
    assert client.get(f"/transfers/{foreign}").status_code == 403
    assert client.get(f"/transfers/{foreign}/slip.pdf").status_code == 403
    assert client.get("/transfers/99999").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/transfers")})
    desk = login_as("desk")  # serves EPN-A and BUS: sees all three
    listing = desk.get("/transfers").get_data(as_text=True)
    assert all(f"Transfert n° {i}<" in listing for i in (mine, incoming, foreign))


# --- the slip -------------------------------------------------------------------------------------

def _pdf_text(response) -> tuple[str, PdfReader]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def _squash(text: str) -> str:
    return "".join(text.split())


def test_slip_lists_what_moved_from_where_to_where_by_whom(db, login_as):
    t1 = make_device(db, "EPN-A", "laptop", "ready", brand="<script>alert('x')</script>", model="Élan & Cie",
                     serial="SN-<B>-1").asset_tag
    t2 = make_device(db, "EPN-B", "tablet", "loan_pool", brand="Samsung", model="Galaxy Tab A").asset_tag
    transfer_id = _move(db, "manager", "BUS", t1, t2, note="Remis au chauffeur <b>Joël</b>")
    transfer = db.get(Transfer, transfer_id)
    client = login_as("manager")
    response = client.get(f"/transfers/{transfer_id}/slip.pdf")
    assert f'filename="bordereau-transfert-{transfer_id}.pdf"' in response.headers["Content-Disposition"]
    text, reader = _pdf_text(response)
    flat = " ".join(text.split())
    assert len(reader.pages) == 1
    assert "Réseau" in flat or "réseau" in flat  # the network's name (setting)
    assert f"Bordereau de transfert n° {transfer_id}" in flat
    assert datetime_fr(transfer.at) + " (heure de Paris)" in flat
    assert "EPN A (EPN-A), EPN B (EPN-B)" in flat
    assert "Bus numérique" in flat and "Manager" in flat
    for expected in (t1, t2, "Ordinateur portable", "Tablette", "Samsung Galaxy Tab A", "SN-<B>-1",
                     "<script>alert('x')</script>", "Élan & Cie", "Remis au chauffeur <b>Joël</b>",
                     "Remis par", "Reçu par", "Signature", "Page 1 / 1"):
        assert _squash(expected) in _squash(text), expected  # table cells wrap long words


def test_slip_of_a_long_transfer_has_page_numbers(db, login_as):
    tags = [make_device(db, "EPN-A", "laptop", "ready", serial=f"SN-{i:04d}").asset_tag for i in range(70)]
    transfer_id = _move(db, "tech", "BUS", *tags)
    text, reader = _pdf_text(login_as("tech").get(f"/transfers/{transfer_id}/slip.pdf"))
    pages = len(reader.pages)
    assert pages >= 2
    for n in range(1, pages + 1):
        assert f"Page {n} / {pages}" in reader.pages[n - 1].extract_text()
    assert all(tag in _squash(text) for tag in tags)
    assert "Reçu par" in reader.pages[-1].extract_text()
    assert reader.pages[0].mediabox.width == 595.2756 or abs(float(reader.pages[0].mediabox.width) - 595.28) < 0.1


# --- concurrency ----------------------------------------------------------------------------------

def test_a_check_out_at_the_same_second_makes_the_transfer_wait_then_refuse(app, db):
    """A desk lends the device while the transfer is being made: the transfer waits for the lock,
    then sees the loan and moves nothing (PostgreSQL: row lock; SQLite: one writer at a time)."""
    import threading
    import time

    from test_inventory_stock import user

    from refurb.errors import Conflict
    from refurb.inventory import services
    from refurb.inventory.models import Device

    tag = make_device(db, "EPN-A", "laptop", "loan_pool").asset_tag
    db.commit()
    database = app.extensions["refurb.db"]
    desk = database.session(write=True)
    device = desk.scalar(select(Device).where(Device.asset_tag == tag).with_for_update(of=Device))
    device.state = "on_loan"
    desk.flush()
    outcome = {}

    def move():
        with database.session(write=True) as session:
            try:
                services.transfer_devices(session, user(session, "tech"), "BUS", [tag])
                session.commit()
                outcome["moved"] = True
            except Conflict as err:
                session.rollback()
                outcome["refused"] = err.message

    worker = threading.Thread(target=move)
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive(), "the transfer should wait for the check-out to finish"
    desk.commit()
    desk.close()
    worker.join(timeout=15)
    assert outcome == {"refused": f"Aucun appareil n'a été transféré : {tag} est en prêt."}
    assert _state(db, tag).site.code == "EPN-A"


def test_a_full_basket_fits_in_the_session_cookie(db, login_as):
    from refurb.inventory.services import MAX_BASKET
    tags = [make_device(db, "EPN-A", "accessory", "ready", brand="Logitech", model="C270").asset_tag
            for _ in range(MAX_BASKET + 1)]
    db.commit()
    client = login_as("tech")
    with client.session_transaction() as session:
        session["transfer_basket"] = tags[:-1]
    response = _scan(client, tags[-1])
    assert _tone(response) == "error"
    assert f"Le panier est plein ({MAX_BASKET} appareils)" in unescape(response.get_data(as_text=True))
    cookie = client.get_cookie("session")
    assert len(cookie.value) < 4000, len(cookie.value)  # browsers drop cookies over 4 KB
    assert len(_basket_tags(client.get("/transfers/new").get_data(as_text=True))) == MAX_BASKET
