"""The kiosk (borne): opened by staff for one site, card + PIN (throttled), borrow, return in one
scan, idle logout, nothing else reachable, nobody else's data."""

import html
import time

from conftest import PASSWORD, csrf_token
from sqlalchemy import select

from refurb.accounts.models import User
from refurb.inventory.models import Device
from refurb.loans.models import Borrower, KioskSession, Loan, LoanSiteRules


def T(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _fresh(db):
    db.rollback()
    db.expire_all()


def _open_from_desk(client, db, login_as=None):
    if login_as is not None:
        login_as("desk")
    kiosk = db.scalar(select(User).where(User.username == "kiosk"))
    db.commit()  # end the read (without expiring objects): no old snapshot held while requests write
    token = csrf_token(client, "/prets/bornes")
    return client.post("/prets/bornes/ouvrir", data={"csrf_token": token, "kiosk_user": kiosk.id})


def _k(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/borne"), **data})


def test_kiosk_borrow_and_return(client, db, lk, login_as):
    tablet = lk.device("EPN-A", "tablet", brand="Samsung", model="Galaxy Tab A8")
    b = lk.borrower("EPN-A", first_name="Inès", last_name="Kiosque", pin="2580")
    r = _open_from_desk(client, db, login_as)
    assert r.status_code == 303 and r.headers["Location"].endswith("/borne")
    assert client.get("/").headers["Location"].endswith("/borne")
    page = T(client.get("/borne"))
    assert 'class="kiosk"' in page and "Scannez votre carte" in page and "data-scan-autofocus" in page
    assert "Menu principal" not in page and 'id="scan-box"' not in page  # nothing else reachable from here
    # card, then PIN (never the card alone)
    _k(client, "/borne/carte", code=b.card_number)
    page = T(client.get("/borne"))
    assert "Tapez votre code PIN" in page and "data-idle-seconds" in page and "Kiosque" not in page
    _k(client, "/borne/pin", pin="2580")
    page = T(client.get("/borne"))
    assert "Bonjour Inès" in page and "Scannez l'appareil" in page
    _k(client, "/borne/appareil", code=tablet.asset_tag)
    page = T(client.get("/borne"))
    assert f"{tablet.asset_tag} (Tablette) est prêté jusqu'au" in page and 'data-tone="ok"' in page
    _fresh(db)
    loan = db.scalar(select(Loan))
    assert loan.channel == "kiosk" and loan.borrower_id == b.id and db.get(Device, tablet.id).state == "on_loan"
    # the resident leaves: nothing of theirs stays on screen
    _k(client, "/borne/fin")
    page = T(client.get("/borne"))
    assert "Inès" not in page and tablet.asset_tag not in page and "Scannez votre carte" in page
    # a tag alone returns nothing: card and PIN first
    r = _k(client, "/borne/carte", code=tablet.asset_tag)
    assert r.status_code == 422 and "scannez d'abord votre carte, puis tapez votre code PIN" in T(r)
    assert "Merci" not in T(r) and "Scannez votre carte" in T(r)
    _fresh(db)
    assert db.get(Loan, loan.id).returned_at is None
    # the resident returns it: the loan is closed "to check" until the staff see the device
    _k(client, "/borne/carte", code=b.card_number)
    _k(client, "/borne/pin", pin="2580")
    _k(client, "/borne/appareil", code=tablet.asset_tag)
    page = T(client.get("/borne"))
    assert f"Merci ! {tablet.asset_tag}" in page and "l'équipe vérifiera son état" in page
    _fresh(db)
    returned = db.get(Loan, loan.id)
    assert returned.returned_at is not None and returned.return_condition == "to_check"
    assert db.get(Device, tablet.id).state == "loan_pool"


def test_wrong_pin_is_throttled(client, db, lk, login_as):
    b = lk.borrower("EPN-A", pin="1357")
    nopin = lk.borrower("EPN-A")
    _open_from_desk(client, db, login_as)
    r = _k(client, "/borne/carte", code=nopin.card_number)
    assert r.status_code == 422 and "pas de code PIN" in T(r)
    r = _k(client, "/borne/carte", code="U99999999")
    assert r.status_code == 404 and "Carte non reconnue" in T(r)
    _k(client, "/borne/carte", code=b.card_number)
    r = _k(client, "/borne/pin", pin="0000")
    assert r.status_code == 422 and "Il reste 2 essais" in T(r) and "Tapez votre code PIN" in T(r)
    assert "Il reste 1 essai" in T(_k(client, "/borne/pin", pin="1111"))
    r = _k(client, "/borne/pin", pin="2222")
    assert r.status_code == 429 and "bloquée 15 minutes" in T(r) and "Scannez votre carte" in T(r)
    # even the right PIN is refused for a while
    _k(client, "/borne/carte", code=b.card_number)
    r = _k(client, "/borne/pin", pin="1357")
    assert r.status_code == 429 and "Trop de codes PIN erronés" in T(r) and "Scannez l'appareil" not in T(r)
    _fresh(db)
    assert db.get(Borrower, b.id).pin_failures == 3
    assert db.scalar(select(KioskSession)).pin_failures == 3


def test_idle_resident_is_logged_out(client, db, lk, login_as):
    b = lk.borrower("EPN-A", pin="1234")
    _open_from_desk(client, db, login_as)
    _k(client, "/borne/carte", code=b.card_number)
    _k(client, "/borne/pin", pin="1234")
    assert "Scannez l'appareil" in T(client.get("/borne"))
    with client.session_transaction() as s:
        s["kiosk_seen"] = time.time() - 61
    page = T(client.get("/borne"))
    assert "Session terminée après inactivité" in page and "Scannez votre carte" in page
    tablet = lk.device("EPN-A", "tablet")
    _k(client, "/borne/appareil", code=tablet.asset_tag)  # too late: nobody is identified any more
    _fresh(db)
    assert db.scalar(select(Loan)) is None


def test_kiosk_reaches_nothing_else(client, db, lk, login_as):
    device = lk.device("EPN-A", "tablet")
    _open_from_desk(client, db, login_as)
    for path in ("/prets/comptoir", "/usagers/", "/prets/", "/prets/bornes", "/password", "/devices"):
        assert client.get(path).status_code == 403, path
    assert client.get("/scan?code=X").status_code == 403
    assert client.get("/api/v1/loans").status_code == 401
    public = T(client.get(f"/d/{device.asset_tag}"))
    assert "Historique" not in public


def test_kiosk_opened_and_closed_with_staff_credentials(client, db, login_as):
    login_as("kiosk")
    page = T(client.get("/borne"))
    assert "Borne de prêt fermée" in page
    token = csrf_token(client, "/borne")
    bad = client.post("/borne/ouvrir", data={"csrf_token": token, "username": "desk", "password": "faux"})
    assert bad.status_code == 422 and "incorrect" in T(bad)
    kiosk_login = client.post("/borne/ouvrir", data={"csrf_token": token, "username": "kiosk", "password": PASSWORD})
    assert kiosk_login.status_code == 403 and "membre de l'équipe" in T(kiosk_login)
    ok = client.post("/borne/ouvrir", data={"csrf_token": token, "username": "desk", "password": PASSWORD})
    assert ok.status_code == 303
    assert "Scannez votre carte" in T(client.get("/borne"))
    _fresh(db)
    ks = db.scalar(select(KioskSession))
    assert ks.opened_by.username == "desk" and ks.site.code == "EPN-A" and ks.closed_at is None
    closed = client.post("/borne/fermer", data={"csrf_token": csrf_token(client, "/borne"), "username": "desk",
                                                "password": PASSWORD})
    assert closed.status_code == 303 and "/login" in closed.headers["Location"]
    _fresh(db)
    assert db.get(KioskSession, ks.id).closed_at is not None


def test_kiosk_ip_ranges(client, db, lk, login_as):
    site = lk.site("EPN-A")
    db.add(LoanSiteRules(site_id=site.id, accept_other_site_returns=True, no_show_days=2,
                         kiosk_ip_ranges="10.20.0.0/16, 192.168.1.0/24", kiosk_idle_seconds=60))
    db.commit()
    r = _open_from_desk(client, db, login_as)
    assert r.status_code == 403 and "hors des plages autorisées" in T(r)
    _fresh(db)
    assert db.scalar(select(KioskSession)) is None
    rules = db.get(LoanSiteRules, site.id)
    rules.kiosk_ip_ranges = "127.0.0.0/8"
    db.commit()
    assert _open_from_desk(client, db).headers["Location"].endswith("/borne")


def test_staff_close_a_kiosk_from_the_desk(app, client, db, lk, login_as):
    b = lk.borrower("EPN-A", pin="1234")
    _open_from_desk(client, db, login_as)
    _fresh(db)
    ks = db.scalar(select(KioskSession))
    from conftest import login
    staff = app.test_client()
    login(staff, "manager")
    assert "Kiosk" in T(staff.get("/prets/bornes"))
    staff.post(f"/prets/bornes/{ks.id}/fermer", data={"csrf_token": csrf_token(staff, "/prets/bornes")})
    _k(client, "/borne/carte", code=b.card_number)
    assert "Borne de prêt fermée" in T(client.get("/borne"))
