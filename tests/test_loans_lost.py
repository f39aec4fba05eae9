"""A lent device lost or stolen: the loan is closed (condition "lost"), the device goes to "lost" with its
history event, the deposit is kept; from the service, the loan page, the desk and the API; bad input;
overdue lists and statistics see the loan as closed; a device found again goes back to the workshop."""

import html
from datetime import timedelta

import pytest
from conftest import csrf_token
from sqlalchemy import func, select

from refurb.clock import today
from refurb.errors import Conflict, Forbidden, Invalid
from refurb.inventory.models import Device, DeviceEvent
from refurb.loans import services as loans_svc
from refurb.loans.models import Loan


def T(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _fresh(db):
    db.rollback()
    db.expire_all()


def _lend(db, lk, *, site="EPN-A", deposit=None, days_ago=0):
    """An open loan made by the service (deposit: amount as text), committed."""
    device = lk.device(site, "laptop")
    borrower = lk.borrower(site)
    actor = lk.user("admin")
    loan = loans_svc.check_out(db, actor, borrower, [device.asset_tag],
                               deposits={device.asset_tag: deposit} if deposit else None)[0]
    if days_ago:  # an old loan, now overdue
        loan.start_on = today() - timedelta(days=days_ago)
        loan.due_on = today() - timedelta(days=days_ago - 3)
    db.commit()
    return loan


def _events(db, device_id):
    return [(e.action, e.from_state, e.to_state) for e in
            db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device_id).order_by(DeviceEvent.id))]


def _snapshot(db, loan_id):
    _fresh(db)
    loan = db.get(Loan, loan_id)
    n_events = db.scalar(select(func.count()).select_from(DeviceEvent).where(DeviceEvent.device_id == loan.device_id))
    return (loan.returned_at, loan.return_condition, loan.loss_reason, loan.deposit_status, loan.device.state,
            n_events)


# --- service ------------------------------------------------------------------------------------

def test_service_closes_the_loan_and_moves_the_device(db, lk):
    loan = _lend(db, lk, deposit="50", days_ago=20)
    desk = lk.user("desk")
    assert loan in loans_svc.overdue(db, desk)[0]
    loans_svc.declare_lost(db, desk, loan, reason="volé", note="Sac volé dans le bus, plainte déposée")
    db.commit()

    _fresh(db)
    loan = db.get(Loan, loan.id)
    assert loan.returned_at is not None and loan.return_condition == "lost" and loan.loss_reason == "stolen"
    assert loan.condition_label == "Volé" and loan.return_note.startswith("Sac volé")
    assert loan.deposit_status == "kept" and loan.returned_by_id == desk.id
    assert loan.device.state == "lost" and loan.state(today()) == "closed" and loan.days_late(today()) == 0
    event = db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == loan.device_id)
                       .order_by(DeviceEvent.id.desc())).first()
    assert (event.action, event.from_state, event.to_state) == ("loan_lost", "on_loan", "lost")
    assert event.data["loan_id"] == loan.id and event.data["reason"] == "stolen" and "plainte" in event.note
    # closed everywhere: overdue lists, open lists, a new loan may not reuse the device
    assert loan not in loans_svc.overdue(db, desk)[0]
    assert loans_svc.list_loans(db, desk, state="open")[1] == 0
    assert loans_svc.list_loans(db, desk, state="closed")[0] == [loan]
    assert loans_svc.open_loan_for(db, loan.device) is None
    assert "n'est pas dans le parc de prêt" in loans_svc.lendability(db, loan.device, None, None)


def test_service_deposit_may_be_given_back_and_reason_is_required(db, lk):
    loan = _lend(db, lk, deposit="30")
    desk = lk.user("desk")
    before = _snapshot(db, loan.id)
    loan = db.get(Loan, loan.id)
    for reason in (None, "", "cassé", 3):
        with pytest.raises(Invalid) as err:
            loans_svc.declare_lost(db, desk, loan, reason=reason)
        assert "reason" in err.value.fields and "motif" in err.value.fields["reason"].lower()
    with pytest.raises(Invalid) as err:
        loans_svc.declare_lost(db, desk, loan, reason="lost", note="x" * 2001)
    assert "note" in err.value.fields
    with pytest.raises(Invalid):
        loans_svc.declare_lost(db, desk, loan, reason="lost", deposit_outcome="split")
    db.rollback()
    assert _snapshot(db, loan.id) == before
    loan = db.get(Loan, loan.id)
    loans_svc.declare_lost(db, desk, loan, reason="perdu", deposit_outcome="returned")
    db.commit()
    _fresh(db)
    loan = db.get(Loan, loan.id)
    assert loan.loss_reason == "lost" and loan.deposit_status == "returned" and loan.condition_label == "Perdu"


def test_service_refuses_a_closed_loan_and_another_site(db, lk):
    returned = _lend(db, lk)
    loans_svc.return_loan(db, lk.user("desk"), returned, condition="complete")
    db.commit()
    before = _snapshot(db, returned.id)
    with pytest.raises(Conflict) as err:
        loans_svc.declare_lost(db, lk.user("desk"), db.get(Loan, returned.id), reason="lost")
    assert err.value.code == "not_on_loan" and "déjà terminé" in err.value.message
    db.rollback()
    assert _snapshot(db, returned.id) == before

    other = _lend(db, lk, site="EPN-B")
    before = _snapshot(db, other.id)
    with pytest.raises(Forbidden):
        loans_svc.get_loan(db, lk.user("desk"), other.id)
    with pytest.raises(Forbidden):  # the loan page's check aside, the device's site is checked too
        loans_svc.declare_lost(db, lk.user("desk"), db.get(Loan, other.id), reason="lost")
    with pytest.raises(Forbidden):  # a technician is not at the desk
        loans_svc.declare_lost(db, lk.user("tech"), db.get(Loan, other.id), reason="lost")
    db.rollback()
    assert _snapshot(db, other.id) == before


def test_found_again_goes_back_through_the_workshop(login_as, db, lk):
    loan = _lend(db, lk)
    loans_svc.declare_lost(db, lk.user("desk"), loan, reason="lost")
    db.commit()
    tag, device_id = loan.device.asset_tag, loan.device_id
    client = login_as("manager")
    token = csrf_token(client, f"/d/{tag}")
    r = client.post(f"/d/{tag}/transition", data={"to": "received", "note": "Rapporté par un voisin"},
                    headers={"HX-Request": "true", "X-CSRFToken": token})
    assert r.status_code == 200, T(r)
    _fresh(db)
    assert db.get(Device, device_id).state == "received"
    assert _events(db, device_id)[-2:] == [("loan_lost", "on_loan", "lost"), ("transition", "lost", "received")]
    assert db.get(Loan, loan.id).return_condition == "lost"  # the loan stays closed as lost
    # the device page shows the loan history with the loss
    page = T(client.get(f"/d/{tag}"))
    assert "Perdu" in page and "Prêt clos : perdu ou volé" in page


def test_statistics_count_the_loan_up_to_its_loss(db, lk):
    from refurb.db import utcnow
    from refurb.reports import figures

    loan = _lend(db, lk, days_ago=10)
    loans_svc.declare_lost(db, lk.user("desk"), db.get(Loan, loan.id), reason="stolen")
    db.commit()
    loan = db.get(Loan, loan.id)
    loan.returned_at = utcnow() - timedelta(days=4)  # declared four days ago
    db.commit()
    lost_on = loan.returned_at.astimezone(figures.PARIS).date()
    start = today() - timedelta(days=30)
    report = figures.build_report(db, lk.user("admin"), site_code=None, start=start.isoformat(),
                                  end=today().isoformat())
    assert report.loans == 1 and report.borrowers == 1
    assert report.loan_days == (lost_on - loan.start_on).days + 1  # up to the loss, not to today


# --- pages --------------------------------------------------------------------------------------

def _post(client, path, data, page, htmx=False):
    token = csrf_token(client, page)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(path, data={"csrf_token": token, **data}, headers=headers)


def test_loan_page_button_and_form(login_as, db, lk):
    loan = _lend(db, lk, deposit="40")
    client = login_as("desk")
    page = T(client.get(f"/prets/{loan.id}"))
    assert "Déclarer perdu ou volé" in page and 'hx-confirm="' in page
    assert f'action="/prets/{loan.id}/perdu"' in page and 'name="reason" value="stolen"' in page
    assert 'for="lost-note"' in page and 'value="kept" checked' in page

    r = _post(client, f"/prets/{loan.id}/perdu", {"reason": "", "note": ""}, f"/prets/{loan.id}")
    page = T(r)
    assert r.status_code == 422 and "motif" in page.lower() and "obligatoire" in page
    assert "Déclarer perdu ou volé" in page  # the loan page again, with the reason
    assert _snapshot(db, loan.id)[4] == "on_loan"

    r = _post(client, f"/prets/{loan.id}/perdu", {"reason": "lost", "note": "Oublié dans le train",
                                                  "deposit_outcome": "kept"}, f"/prets/{loan.id}")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/prets/{loan.id}")
    page = T(client.get(r.headers["Location"]))
    assert "déclaré perdu" in page and "Caution de 40.00 € conservée" in page
    assert "Déclaré perdu le" in page and "Oublié dans le train" in page
    assert "Enregistrer le retour" not in page and "Déclarer perdu ou volé" not in page
    _fresh(db)
    loan = db.get(Loan, loan.id)
    assert loan.return_condition == "lost" and loan.device.state == "lost" and loan.deposit_status == "kept"

    # again: already closed, nothing changes
    before = _snapshot(db, loan.id)
    r = _post(client, f"/prets/{loan.id}/perdu", {"reason": "stolen"}, "/prets/")
    assert r.status_code == 422 and "déjà terminé" in T(r)
    assert _snapshot(db, loan.id) == before
    # the borrower's page and the loans list show the loss
    assert "Perdu" in T(client.get(f"/usagers/{loan.borrower.card_number}"))


def test_loan_page_other_site_and_unknown(login_as, db, lk):
    other = _lend(db, lk, site="EPN-B")
    client = login_as("desk")
    before = _snapshot(db, other.id)
    token = csrf_token(client, "/prets/")
    r = client.post(f"/prets/{other.id}/perdu", data={"csrf_token": token, "reason": "lost"})
    assert r.status_code == 403
    assert _snapshot(db, other.id) == before
    r = client.post("/prets/999999/perdu", data={"csrf_token": token, "reason": "lost"})
    assert r.status_code == 404 and "Aucun prêt n° 999999" in T(r)


def test_desk_declares_the_scanned_loan_lost(login_as, db, lk):
    loan = _lend(db, lk, deposit="25", days_ago=10)
    tag = loan.device.asset_tag
    client = login_as("desk")
    desk = T(client.get("/prets/comptoir"))
    assert tag in desk  # in the overdue list beside the desk
    r = _post(client, "/prets/comptoir/scan", {"code": tag}, "/prets/comptoir", htmx=True)
    body = T(r)
    assert f"Retour de {tag}" in body and "Déclarer perdu ou volé" in body and "hx-confirm" in body
    assert 'action="/prets/comptoir/perdu"' in body

    r = _post(client, "/prets/comptoir/perdu", {"loan_id": str(loan.id), "reason": "nope"}, "/prets/comptoir",
              htmx=True)
    assert r.status_code == 422 and '"error"' in r.headers["HX-Trigger"] and "n'est pas une valeur possible" in T(r)
    assert _snapshot(db, loan.id)[4] == "on_loan"

    r = _post(client, "/prets/comptoir/perdu", {"loan_id": str(loan.id), "reason": "stolen", "note": "Vol"},
              "/prets/comptoir", htmx=True)
    body = T(r)
    assert r.status_code == 200 and '"ok"' in r.headers["HX-Trigger"], body
    assert f"{tag} déclaré volé" in body and "Caution de 25.00 € conservée" in body
    assert f"Retour de {tag}" not in body
    # no longer overdue beside the desk
    assert "En retard à « EPN A » (0)" in body
    _fresh(db)
    assert db.get(Loan, loan.id).loss_reason == "stolen" and db.get(Loan, loan.id).device.state == "lost"

    # unknown loan, other site, bad id: a message, nothing changed
    other = _lend(db, lk, site="EPN-B")
    before = _snapshot(db, other.id)
    for data, status, words in (({"loan_id": "999999", "reason": "lost"}, 404, "Aucun prêt"),
                                ({"loan_id": "abc", "reason": "lost"}, 422, "Prêt non reconnu"),
                                ({"loan_id": str(other.id), "reason": "lost"}, 403, "Vous n'avez pas accès à ce prêt"),
                                ({"loan_id": str(loan.id), "reason": "lost"}, 422, "déjà terminé")):
        r = _post(client, "/prets/comptoir/perdu", data, "/prets/comptoir", htmx=True)
        assert r.status_code == status and '"error"' in r.headers["HX-Trigger"] and words in T(r), (data, T(r))
    assert _snapshot(db, other.id) == before


# --- API ----------------------------------------------------------------------------------------

def test_api_declare_lost(client, db, lk, api_headers):
    loan = _lend(db, lk, deposit="20", days_ago=15)
    h = api_headers("desk")
    overdue = client.get("/api/v1/loans?state=overdue", headers=h).json
    assert [i["id"] for i in overdue["items"]] == [loan.id]

    r = client.post(f"/api/v1/loans/{loan.id}/lost", json={"reason": "stolen", "note": "Vol à l'arraché"}, headers=h)
    assert r.status_code == 200, r.json
    j = r.json
    assert j["id"] == loan.id and j["state"] == "closed" and j["returned_at"] and j["days_late"] == 0
    assert j["return_condition"] == "lost" and j["loss_reason"] == "stolen" and j["return_note"] == "Vol à l'arraché"
    assert j["deposit"]["status"] == "kept"
    assert client.get(f"/api/v1/devices/{loan.device.asset_tag}", headers=h).json["state"] == "lost"
    assert client.get("/api/v1/loans?state=overdue", headers=h).json["total"] == 0
    assert client.get("/api/v1/loans?state=open", headers=h).json["total"] == 0
    assert [i["id"] for i in client.get("/api/v1/loans?state=closed", headers=h).json["items"]] == [loan.id]

    # already closed: 409, nothing changed
    before = _snapshot(db, loan.id)
    r = client.post(f"/api/v1/loans/{loan.id}/lost", json={"reason": "lost"}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "not_on_loan"
    assert "déjà terminé" in r.json["error"]["message"]
    assert _snapshot(db, loan.id) == before


def test_api_bad_input(client, db, lk, api_headers):
    loan = _lend(db, lk)
    returned = _lend(db, lk)
    loans_svc.return_loan(db, lk.user("desk"), db.get(Loan, returned.id), condition="complete")
    db.commit()
    other = _lend(db, lk, site="EPN-B")
    h = api_headers("desk")
    snaps = {i: _snapshot(db, i) for i in (loan.id, returned.id, other.id)}

    r = client.post("/api/v1/loans/999999/lost", json={"reason": "lost"}, headers=h)
    assert r.status_code == 404 and "Aucun prêt n° 999999" in r.json["error"]["message"]
    r = client.post(f"/api/v1/loans/{returned.id}/lost", json={"reason": "lost"}, headers=h)
    assert r.status_code == 409 and "déjà terminé" in r.json["error"]["message"]
    r = client.post(f"/api/v1/loans/{other.id}/lost", json={"reason": "lost"}, headers=h)
    assert r.status_code == 403 and "pas accès à ce prêt" in r.json["error"]["message"]
    for body in ({}, {"reason": "broken"}, {"reason": ["lost"]}, {"reason": "lost", "note": []},
                 {"reason": "lost", "deposit_outcome": "half"}):
        r = client.post(f"/api/v1/loans/{loan.id}/lost", json=body, headers=h)
        assert r.status_code == 422, (body, r.json)
        assert r.json["error"]["fields"], (body, r.json)
    r = client.post(f"/api/v1/loans/{loan.id}/lost", data="x", headers=h)
    assert r.status_code == 422
    # a technician may not (not at the desk)
    r = client.post(f"/api/v1/loans/{loan.id}/lost", json={"reason": "lost"}, headers=api_headers("tech"))
    assert r.status_code == 403
    assert {i: _snapshot(db, i) for i in snaps} == snaps


def test_the_device_page_carries_its_loans_as_device_loans_reads_them(app, db, lk):
    """A scan's page reads the device's loans with the device (``Panel.carried``, one statement): the same rows as
    ``device_loans``, newest first, with their dates, times (aware UTC), names with accents and quotes, and a
    borrower anonymised since; a device never lent carries none and its loans panel reads nothing more."""
    from refurb.db import utcnow
    from refurb.inventory import services as inventory
    from refurb.loans.borrowers import anonymise

    device = lk.device("EPN-A", "laptop")
    admin = lk.user("admin")
    first = lk.borrower("EPN-A", first_name="Élise « Lou »", last_name='O\'Neil "x"')
    loan = loans_svc.check_out(db, admin, first, [device.asset_tag])[0]
    db.commit()
    loans_svc.return_loan(db, admin, loan, condition="complete")
    anonymise(db, first)
    db.commit()
    second = lk.borrower("EPN-A", organisation="Centre social", kind="partner")
    loans_svc.check_out(db, admin, second, [device.asset_tag])
    db.commit()
    never = lk.device("EPN-A", "laptop")
    with app.test_request_context(f"/d/{device.asset_tag}"):
        found, reads = inventory.device_page(db, admin, device.asset_tag)
        expected = loans_svc.device_loans(db, found)
        carried = reads.known("loans")
        assert len(expected) == 2 and [tuple(row) for row in carried] == [tuple(row) for row in expected]
        assert carried[0].returned_at is None and carried[1].returned_at.tzinfo is not None
        assert carried[1].returned_at <= utcnow() and carried[1].anonymised_at is not None
        assert carried[0].start_on == today() and carried[0].organisation == "Centre social"
        assert [row._fields for row in carried] == [row._fields for row in expected] and reads.has("loans")
        _, none_read = inventory.device_page(db, admin, never.asset_tag)
        assert none_read.known("loans") == [] and not none_read.has("loans")
