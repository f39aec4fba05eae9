"""Returns at the kiosk: only by the resident the device is lent to (card + PIN), recorded "to check" until
the staff confirm the device's condition at the desk; meanwhile the device is not lent again."""

from __future__ import annotations

import html

import pytest
from conftest import csrf_token, login
from sqlalchemy import select
from test_loans_kiosk import _k, _open_from_desk

from refurb.clock import utcnow
from refurb.errors import Conflict, Forbidden, NotFound
from refurb.inventory.models import Device, DeviceEvent
from refurb.loans import services as loans_svc
from refurb.loans.models import KioskSession, Loan


def T(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _fresh(db):
    db.rollback()
    db.expire_all()


def _lend(db, lk, borrower, site="EPN-A", deposit=None):
    device = lk.device(site, "tablet")
    loan = loans_svc.check_out(db, lk.user("admin"), borrower, [device.asset_tag],
                               deposits={device.asset_tag: deposit} if deposit else None)[0]
    db.commit()
    return loan


def _identify(client, card, pin):
    _k(client, "/borne/carte", code=card)
    _k(client, "/borne/pin", pin=pin)


def _desk(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/prets/comptoir"), **data},
                       headers={"HX-Request": "true"})


def test_a_tag_alone_or_another_residents_card_returns_nothing(client, db, lk, login_as):
    owner = lk.borrower("EPN-A", first_name="Odile", pin="1111")
    stranger = lk.borrower("EPN-A", first_name="Sam", pin="2222")
    loan = _lend(db, lk, owner)
    tag = loan.device.asset_tag
    _open_from_desk(client, db, login_as)
    r = _k(client, "/borne/carte", code=tag)  # tags are sequential and printed on public pages
    assert r.status_code == 422 and "scannez d'abord votre carte" in T(r)
    _identify(client, stranger.card_number, "2222")
    r = _k(client, "/borne/appareil", code=tag)
    assert r.status_code == 404 and "n'est pas en prêt à votre nom" in T(r) and "Odile" not in T(r)
    _fresh(db)
    assert db.get(Loan, loan.id).returned_at is None and db.get(Device, loan.device_id).state == "on_loan"
    # the resident it is lent to returns it: "to check", with its history
    _k(client, "/borne/fin")
    _identify(client, owner.card_number, "1111")
    _k(client, "/borne/appareil", code=tag)
    assert f"Merci ! {tag}" in T(client.get("/borne"))
    _fresh(db)
    returned = db.get(Loan, loan.id)
    assert returned.return_condition == "to_check" and returned.checked_at is None
    assert returned.return_site_id == lk.site("EPN-A").id and returned.returned_by.username == "kiosk"
    event = db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == loan.device_id)
                       .order_by(DeviceEvent.id.desc())).first()
    assert event.action == "loan_return" and event.data["condition"] == "to_check" and "à vérifier" in event.note


def test_a_device_to_check_is_not_lent_again_until_the_desk_confirms(app, client, db, lk, login_as):
    owner = lk.borrower("EPN-A", pin="1111")
    next_one = lk.borrower("EPN-A", pin="3333", first_name="Nadia")
    loan = _lend(db, lk, owner, deposit="30")
    tag = loan.device.asset_tag
    _open_from_desk(client, db, login_as)
    _identify(client, owner.card_number, "1111")
    _k(client, "/borne/appareil", code=tag)
    _fresh(db)
    assert db.get(Loan, loan.id).deposit_status == "held"  # the desk decides once the device is checked
    # the next resident cannot take it at the kiosk...
    _k(client, "/borne/fin")
    _identify(client, next_one.card_number, "3333")
    r = _k(client, "/borne/appareil", code=tag)
    assert r.status_code == 422 and "son état n'a pas encore été vérifié" in T(r)
    _fresh(db)
    assert db.scalar(select(Loan).where(Loan.returned_at.is_(None))) is None
    # ... nor through the API
    from refurb.accounts import services as accounts
    with app.extensions["refurb.db"].session(write=True) as s:
        _t, secret = accounts.create_token(s, accounts.get_user(s, "desk"), name="t")
        s.commit()
    staff = app.test_client()
    h = {"Authorization": f"Bearer {secret}"}
    r = staff.post("/api/v1/loans", json={"asset_tag": tag, "borrower_card": next_one.card_number}, headers=h)
    assert r.status_code == 409 and "pas encore été vérifié" in r.json["error"]["message"]
    assert [i["id"] for i in staff.get("/api/v1/loans?state=to_check", headers=h).json["items"]] == [loan.id]
    # the staff see it at the desk and on the loan list
    login(staff, "desk")
    desk_page = T(staff.get("/prets/comptoir"))
    assert "Rendus à la borne, à vérifier (1)" in desk_page and tag in desk_page
    listing = T(staff.get("/prets/?state=to_check"))
    assert tag in listing and "Rendu à la borne, à vérifier" in listing
    # scanning it at the desk opens the check; damaged needs a note
    body = T(_desk(staff, "/prets/comptoir/scan", {"code": tag}))
    assert f"Retour à vérifier : {tag}" in body and "Confirmer l'état" in body
    body = T(_desk(staff, "/prets/comptoir/verifier", {"loan_id": str(loan.id), "condition": "damaged"}))
    assert "note obligatoire" in body
    body = T(_desk(staff, "/prets/comptoir/verifier", {"loan_id": str(loan.id), "condition": "damaged",
                                                      "note": "Écran rayé", "deposit_outcome": "kept"}))
    assert "Retour vérifié" in body and "part en réparation" in body and "Caution conservée" in body
    _fresh(db)
    checked = db.get(Loan, loan.id)
    assert checked.return_condition == "damaged" and checked.checked_by.username == "desk"
    assert checked.checked_at is not None and checked.deposit_status == "kept" and "Écran rayé" in checked.return_note
    assert checked.device.state == "repairing"
    actions = [(e.action, e.to_state) for e in db.scalars(select(DeviceEvent).where(
        DeviceEvent.device_id == loan.device_id).order_by(DeviceEvent.id))]
    assert actions[-2:] == [("loan_return", "loan_pool"), ("loan_return_checked", "repairing")]
    # checked once only
    body = T(_desk(staff, "/prets/comptoir/verifier", {"loan_id": str(loan.id), "condition": "complete"}))
    assert "déjà été vérifié" in body
    assert "vérifié le" in T(staff.get(f"/prets/{loan.id}"))


def test_checked_complete_the_device_is_lent_again(db, lk):
    owner, other = lk.borrower("EPN-A"), lk.borrower("EPN-A")
    loan = _lend(db, lk, owner)
    assert loans_svc.loan_at_desk(db, loan.device).id == loan.id  # a scan at the desk: its return
    ks = KioskSession(site_id=lk.site("EPN-A").id, kiosk_user_id=lk.user("kiosk").id,
                      opened_by_id=lk.user("desk").id, opened_at=utcnow(), ip="", pin_failures=0)
    db.add(ks)
    db.commit()
    loans_svc.return_at_kiosk(db, ks, lk.user("kiosk"), owner, loan.device)
    db.commit()
    assert loans_svc.loan_at_desk(db, loan.device).to_check  # a scan at the desk: its check
    assert "pas encore été vérifié" in loans_svc.lendability(db, loan.device, None, other)
    with pytest.raises(Conflict):
        loans_svc.check_out(db, lk.user("desk"), other, [loan.device.asset_tag])
    db.rollback()
    loans_svc.confirm_return(db, lk.user("desk"), db.get(Loan, loan.id), condition="complete")
    db.commit()
    assert db.get(Device, loan.device_id).state == "loan_pool"
    assert loans_svc.loan_at_desk(db, loan.device) is None  # checked: nothing left to deal with
    assert loans_svc.lendability(db, loan.device, None, other) is None
    again = loans_svc.check_out(db, lk.user("desk"), other, [loan.device.asset_tag])[0]
    assert again.borrower_id == other.id and loans_svc.loan_at_desk(db, loan.device).id == again.id


def test_kiosk_return_rules_in_the_service(db, lk):
    owner, stranger = lk.borrower("EPN-A"), lk.borrower("EPN-A")
    loan = _lend(db, lk, owner)
    ks = KioskSession(site_id=lk.site("EPN-A").id, kiosk_user_id=lk.user("kiosk").id,
                      opened_by_id=lk.user("desk").id, opened_at=utcnow(), ip="", pin_failures=0)
    db.add(ks)
    db.commit()
    with pytest.raises(NotFound) as err:
        loans_svc.return_at_kiosk(db, ks, lk.user("kiosk"), stranger, loan.device)
    assert err.value.code == "not_yours"
    with pytest.raises(Forbidden):  # only a kiosk records a return "to check"
        loans_svc.return_to_check(db, lk.user("desk"), loan, lk.site("EPN-A"))
    loans_svc.return_loan(db, lk.user("desk"), loan, condition="complete")
    with pytest.raises(Conflict) as err:  # a loan returned at the desk has nothing to check
        loans_svc.confirm_return(db, lk.user("desk"), loan, condition="complete")
    assert err.value.code == "not_to_check"
    db.rollback()
    # a device lent by another site, returned at this kiosk: the site's one rule decides, the device moves
    other_site_loan = _lend(db, lk, owner, site="EPN-B")
    loans_svc.return_at_kiosk(db, ks, lk.user("kiosk"), owner, other_site_loan.device)
    db.commit()
    _fresh(db)
    back = db.get(Loan, other_site_loan.id)
    assert back.return_condition == "to_check" and back.device.site.code == "EPN-A"
    assert back in loans_svc.returns_to_check(db, lk.user("desk"))  # EPN-A's desk checks it
    loans_svc.confirm_return(db, lk.user("desk"), loans_svc.get_loan(db, lk.user("desk"), back.id),
                             condition="complete")
    db.commit()


def test_the_channel_comes_from_the_actor_not_from_the_caller(db, lk):
    """A kiosk account lends at the kiosk, a user the API door authenticated by a token through the API,
    anyone else at the desk: no caller's flag chooses it ("kiosk" once skipped the desk check)."""
    b = lk.borrower("EPN-A", kind="partner")
    with pytest.raises(TypeError):
        loans_svc.check_out(db, lk.user("desk"), b, [lk.device("EPN-A").asset_tag], channel="kiosk")
    with pytest.raises(Forbidden):
        loans_svc.check_out(db, lk.user("tech"), b, [lk.device("EPN-A").asset_tag])
    desk_loan = loans_svc.check_out(db, lk.user("desk"), b, [lk.device("EPN-A").asset_tag])[0]
    kiosk_loan = loans_svc.check_out(db, lk.user("kiosk"), b, [lk.device("EPN-A").asset_tag])[0]
    by_token = lk.user("manager")
    by_token.authenticated_by = "token"
    api_loan = loans_svc.check_out(db, by_token, b, [lk.device("EPN-A").asset_tag])[0]
    assert (desk_loan.channel, kiosk_loan.channel, api_loan.channel) == ("desk", "kiosk", "api")