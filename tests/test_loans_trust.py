"""Trust between sites in the loans area: which loan a desk may act on (returns, renewals, lost, agreement),
what a desk sees of a borrower of another site, duplicates that must not reveal a card number, ids from
forms that never give a server error, and the borrower's own CSV with formulas neutralised.

The base network: "desk" (accueil) serves EPN-A and the bus, "manager" and "admin" see the network.
Kiosk returns have their own file (test_loans_trust_kiosk.py)."""

from __future__ import annotations

import html
import json
from datetime import timedelta

import pytest
from conftest import csrf_token, login
from sqlalchemy import func, select

from refurb.clock import today
from refurb.errors import Conflict, Forbidden
from refurb.inventory.models import Device
from refurb.loans import services as loans_svc
from refurb.loans.models import Borrower, Loan, LoanSiteRules, Reservation


def T(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _fresh(db):
    db.rollback()
    db.expire_all()


def _lend(db, lk, site="EPN-A", borrower=None, category="tablet"):
    """An open loan made through the service by the admin, committed."""
    device = lk.device(site, category)
    borrower = borrower or lk.borrower(site)
    loan = loans_svc.check_out(db, lk.user("admin"), borrower, [device.asset_tag])[0]
    db.commit()
    return loan


def _loan_state(db, loan_id):
    _fresh(db)
    loan = db.get(Loan, loan_id)
    return loan.returned_at, loan.renewals, loan.due_on, loan.device.state, loan.device.site_id


def _refuse_other_returns(db, lk, code):
    db.add(LoanSiteRules(site_id=lk.site(code).id, accept_other_site_returns=False, no_show_days=2,
                         kiosk_ip_ranges="", kiosk_idle_seconds=60))
    db.commit()


def _desk_post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/prets/comptoir"), **data},
                       headers={"HX-Request": "true"})


# --- 1. which loan a desk may act on, and where a loan may come back ---------------------------------

def test_a_site_in_the_return_body_does_not_open_another_sites_loan(client, db, lk, api_headers):
    other = _lend(db, lk, "EPN-B")
    before = _loan_state(db, other.id)
    h = api_headers("desk")
    for body in ({"condition": "complete", "site": "EPN-A"}, {"condition": "complete", "site": "BUS"},
                 {"condition": "complete"}):
        r = client.post(f"/api/v1/loans/{other.id}/return", json=body, headers=h)
        assert r.status_code == 403 and "pas accès à ce prêt" in r.json["error"]["message"], (body, r.json)
    for action, body in (("renew", {"site": "EPN-A"}), ("lost", {"reason": "lost", "site": "EPN-A"})):
        r = client.post(f"/api/v1/loans/{other.id}/{action}", json=body, headers=h)
        assert r.status_code == 403, (action, r.json)
    assert client.get(f"/api/v1/loans/{other.id}", headers=h).status_code == 403
    assert _loan_state(db, other.id) == before


def test_api_return_site_names_where_a_visible_loan_comes_back(client, db, lk, api_headers):
    h = api_headers("desk")
    own = _lend(db, lk, "EPN-A")
    # a site the user does not serve: refused, nothing changes
    r = client.post(f"/api/v1/loans/{own.id}/return", json={"condition": "complete", "site": "EPN-B"}, headers=h)
    assert r.status_code == 403 and "EPN B" in r.json["error"]["message"]
    for bad in ({"condition": "complete", "site": 7}, {"condition": "complete", "site": ["BUS"]}):
        assert client.post(f"/api/v1/loans/{own.id}/return", json=bad, headers=h).status_code == 422
    assert client.post(f"/api/v1/loans/{own.id}/return", json={"condition": "complete", "site": "NOWHERE"},
                       headers=h).status_code == 404
    # the bus does not take other sites' devices back: the one rule says so for the API as for the desk
    _refuse_other_returns(db, lk, "BUS")
    r = client.post(f"/api/v1/loans/{own.id}/return", json={"condition": "complete", "site": "BUS"}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "other_site"
    assert _loan_state(db, own.id)[0] is None
    rules = db.get(LoanSiteRules, lk.site("BUS").id)
    rules.accept_other_site_returns = True
    db.commit()
    r = client.post(f"/api/v1/loans/{own.id}/return", json={"condition": "complete", "site": "BUS"}, headers=h)
    assert r.status_code == 200 and r.json["return_site"] == "BUS"
    _fresh(db)
    assert db.get(Loan, own.id).device.site_id == lk.site("BUS").id


def test_the_desk_takes_back_a_device_in_hand_but_not_a_loan_named_by_id(login_as, db, lk):
    in_hand, by_id = _lend(db, lk, "EPN-B"), _lend(db, lk, "EPN-B")
    before = _loan_state(db, by_id.id)
    client = login_as("desk")  # at EPN-A
    # a loan id in the form that was not scanned here: looked up within the desk's sites
    body = T(_desk_post(client, "/prets/comptoir/retour", {"loan_id": str(by_id.id), "condition": "complete"}))
    assert "Vous n'avez pas accès à ce prêt" in body
    assert _loan_state(db, by_id.id) == before
    # the device in hand, found by its tag: taken back here and moved to EPN-A (the feature)
    body = T(_desk_post(client, "/prets/comptoir/scan", {"code": in_hand.device.asset_tag}))
    assert f"Retour de {in_hand.device.asset_tag}" in body
    assert in_hand.borrower.full_name not in body  # a site that only takes it back does not learn who had it
    assert "perdu ou volé" not in body  # nor does it close another site's loan as lost
    # ... but naming the other loan in the form instead of the scanned one still does not work
    body = T(_desk_post(client, "/prets/comptoir/retour", {"loan_id": str(by_id.id), "condition": "complete"}))
    assert "Vous n'avez pas accès à ce prêt" in body
    body = T(_desk_post(client, "/prets/comptoir/retour", {"loan_id": str(in_hand.id), "condition": "complete"}))
    assert "Retour enregistré" in body
    _fresh(db)
    assert db.get(Loan, in_hand.id).return_site_id == lk.site("EPN-A").id
    assert db.get(Loan, in_hand.id).device.site_id == lk.site("EPN-A").id
    assert _loan_state(db, by_id.id) == before


def test_a_kit_is_taken_back_when_scanned_not_when_named(login_as, db, lk):
    admin = lk.user("admin")
    tablets = [lk.device("EPN-B", "tablet") for _ in range(2)]
    kit = loans_svc.create_kit(db, admin, {"name": "Tablettes B", "site": "EPN-B",
                                           "asset_tags": [t.asset_tag for t in tablets]})
    loans_svc.check_out(db, admin, lk.borrower("EPN-B", kind="partner"), [t.asset_tag for t in tablets], kit=kit)
    db.commit()
    client = login_as("desk")
    present = [t.asset_tag for t in tablets]
    body = T(_desk_post(client, "/prets/comptoir/retour-kit", {"kit": kit.code, "present": present,
                                                             "condition": "complete"}))
    assert "Vous n'avez pas accès à ce kit" in body
    _fresh(db)
    assert db.scalar(select(func.count()).select_from(Loan).where(Loan.returned_at.is_(None))) == 2
    assert "Retour du kit" in T(_desk_post(client, "/prets/comptoir/scan", {"code": tablets[0].asset_tag}))
    body = T(_desk_post(client, "/prets/comptoir/retour-kit", {"kit": kit.code, "present": present,
                                                             "condition": "complete"}))
    assert "2 appareils rendus" in body
    _fresh(db)
    assert {db.get(Device, t.id).site.code for t in tablets} == {"EPN-A"}


def test_may_return_here_is_one_rule(db, lk):
    desk = lk.user("desk")
    loan = _lend(db, lk, "EPN-A")
    loans_svc.may_return_here(db, desk, loan, lk.site("EPN-A"))
    loans_svc.may_return_here(db, desk, loan, lk.site("BUS"))  # the bus takes other sites' devices by default
    with pytest.raises(Forbidden):  # a site the user does not serve
        loans_svc.may_return_here(db, desk, loan, lk.site("EPN-B"))
    _refuse_other_returns(db, lk, "BUS")
    with pytest.raises(Conflict) as err:
        loans_svc.may_return_here(db, desk, db.get(Loan, loan.id), lk.site("BUS"))
    assert err.value.code == "other_site" and "ne reprend pas le matériel des autres sites" in err.value.message
    with pytest.raises(Conflict):  # the service applies it, whoever calls
        loans_svc.return_loan(db, desk, db.get(Loan, loan.id), condition="complete", site=lk.site("BUS"))
    db.rollback()
    # the lookup by id: the lending site, or the site where a closed loan came back; nobody else
    other = _lend(db, lk, "EPN-B")
    with pytest.raises(Forbidden):
        loans_svc.get_loan(db, desk, other.id)
    assert loans_svc.get_loan(db, desk, other.id, found_by_tag=True).id == other.id
    loans_svc.return_loan(db, desk, db.get(Loan, other.id), condition="complete", site=lk.site("EPN-A"))
    db.commit()
    assert loans_svc.get_loan(db, desk, other.id).return_site_id == lk.site("EPN-A").id
    assert not loans_svc.shows_borrower(desk, db.get(Loan, other.id))
    with pytest.raises(Forbidden):  # its agreement stays with the lending site
        loans_svc.agreement_document(db, desk, db.get(Loan, other.id), "Réseau")


def test_loan_pages_of_a_loan_returned_here_do_not_name_the_borrower(login_as, db, lk, api_headers):
    other = _lend(db, lk, "EPN-B", borrower=lk.borrower("EPN-B", first_name="Agathe", last_name="Discrète"))
    loans_svc.return_loan(db, lk.user("desk"), db.get(Loan, other.id), condition="complete", site=lk.site("EPN-A"))
    db.commit()
    client = login_as("desk")
    page = T(client.get(f"/prets/{other.id}"))
    assert "Discrète" not in page and "non affiché" in page and "Contrat de prêt" not in page
    assert "Discrète" not in T(client.get("/prets/?state=closed"))
    assert client.get(f"/prets/{other.id}/contrat.pdf").status_code == 403
    assert client.get(f"/prets/{other.id}/relance").status_code == 403
    assert client.get(f"/api/v1/loans/{other.id}/agreement.pdf", headers=api_headers("desk")).status_code == 403
    assert client.get(f"/api/v1/loans/{other.id}", headers=api_headers("desk")).json["borrower_card"] is None


# --- 2. what a desk sees of a borrower of another site -----------------------------------------------

def test_borrower_access_levels(db, lk):
    desk, manager = lk.user("desk"), lk.user("manager")
    home = lk.borrower("EPN-A")
    other = lk.borrower("EPN-B")
    level = loans_svc.borrower_access
    assert level(db, desk, home) == loans_svc.RECORD
    assert level(db, manager, other) == loans_svc.RECORD  # network role
    assert level(db, lk.user("tech"), home) is None
    assert level(db, desk, other) is None
    assert level(db, desk, other, presented=True) == loans_svc.PANEL
    # a reservation at the desk's site: nothing
    db.add(Reservation(borrower_id=other.id, site_id=lk.site("EPN-A").id, category="tablet",
                       start_on=today() + timedelta(days=3), end_on=today() + timedelta(days=5),
                       release_on=today() + timedelta(days=5), status="active", note=""))
    db.commit()
    assert level(db, desk, other) is None
    # a loan open at the desk's site: the panel while it is open, never the record
    loan = _lend(db, lk, "EPN-A", borrower=other)
    assert level(db, desk, other) == loans_svc.PANEL
    with pytest.raises(Forbidden):
        loans_svc.get_borrower(db, desk, other.card_number)
    assert loans_svc.get_borrower(db, desk, other.card_number, need=loans_svc.PANEL) == other
    with pytest.raises(Forbidden):  # changes to the record stay with its holders
        loans_svc.set_pin(db, desk, other, "1234")
    with pytest.raises(Forbidden):
        loans_svc.erase(db, desk, other, confirmed=True)
    db.rollback()
    loans_svc.return_loan(db, desk, db.get(Loan, loan.id), condition="complete")
    db.commit()
    assert level(db, desk, db.get(Borrower, other.id)) is None


def test_a_reservation_never_opens_the_record(app, login_as, db, lk, api_headers):
    other = lk.borrower("EPN-B", first_name="Bruno", last_name="Lointain", email="bruno@example.org")
    card = other.card_number
    tablet = lk.device("EPN-A", "tablet")
    start, end = (today() + timedelta(days=3)).isoformat(), (today() + timedelta(days=5)).isoformat()
    booking = {"asset_tag": tablet.asset_tag, "borrower_card": card, "start_on": start, "end_on": end}
    # a typed card opens nothing: the API and the form refuse
    client = login_as("desk")
    r = client.post("/api/v1/reservations", json=booking, headers=api_headers("desk"))
    assert r.status_code == 403 and "scannez sa carte" in r.json["error"]["message"]
    token = csrf_token(client, "/prets/reservations")
    r = client.post("/prets/reservations", data={"csrf_token": token, **booking})
    assert r.status_code == 403 and "Lointain" not in T(r)
    _fresh(db)
    assert db.scalar(select(func.count()).select_from(Reservation)) == 0
    # presented at the desk (card scanned), the borrower may book here
    assert "Bruno Lointain" in T(_desk_post(client, "/prets/comptoir/scan", {"code": card}))
    r = client.post("/prets/reservations", data={"csrf_token": token, **booking})
    assert r.status_code == 303, T(r)
    _fresh(db)
    assert db.scalar(select(Reservation)).borrower_id == other.id
    # ... and the record stays closed to the desk for good
    for path in (f"/usagers/{card}", f"/usagers/{card}/donnees", f"/usagers/{card}/donnees.json",
                 f"/usagers/{card}/donnees.csv", f"/usagers/{card}/modifier", f"/usagers/{card}/carte.pdf"):
        assert client.get(path).status_code == 403, path
    for path, data in ((f"/usagers/{card}/pin", {"pin": "1234"}), (f"/usagers/{card}/effacer", {"confirm": "on"}),
                       (f"/usagers/{card}/blocage", {"action": "block", "reason": "x"})):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert client.get(f"/api/v1/borrowers/{card}", headers=api_headers("desk")).status_code == 403
    assert card not in T(client.get("/usagers/?q=Lointain"))
    _fresh(db)
    b = db.get(Borrower, other.id)
    assert b.anonymised_at is None and not b.has_pin and not b.blocked
    # a network role still has it all
    manager = app.test_client()
    login(manager, "manager")
    assert manager.get(f"/usagers/{card}/donnees.json").status_code == 200


def test_the_desk_panel_of_another_sites_borrower_has_no_contact(app, login_as, db, lk, api_headers):
    other = lk.borrower("EPN-B", first_name="Chloé", last_name="Ailleurs", phone="0611112222",
                        email="chloe@example.org")
    card = other.card_number
    client = login_as("desk")
    body = T(_desk_post(client, "/prets/comptoir/scan", {"code": card}))  # card typed or scanned: presented
    assert "Chloé Ailleurs" in body and card in body and "EPN B" in body
    assert "0611112222" not in body and "chloe@example.org" not in body and f"/usagers/{card}\"" not in body
    # lent here (card presented): the panel while the loan is open, by card in the address too
    tablet = lk.device("EPN-A", "tablet")
    _desk_post(client, "/prets/comptoir/scan", {"code": tablet.asset_tag})
    assert "Prêté à Chloé Ailleurs" in T(_desk_post(client, "/prets/comptoir/preter", {}))
    _desk_post(client, "/prets/comptoir/vider", {})
    r = client.post(f"/prets/comptoir/usager/{card}", data={"csrf_token": csrf_token(client, "/prets/comptoir")})
    assert r.status_code == 303
    desk_page = T(client.get("/prets/comptoir"))
    assert "Chloé Ailleurs" in desk_page and "0611112222" not in desk_page
    h = api_headers("desk")
    got = client.get(f"/api/v1/borrowers/{card}", headers=h).json
    assert got["last_name"] == "Ailleurs" and got["phone"] is None and got["email"] is None
    assert len(got["open_loans"]) == 1
    assert client.get(f"/usagers/{card}").status_code == 403
    # the loan's own pages: name and card for the lending site, the contact stays with the home site
    loan = db.scalar(select(Loan).where(Loan.borrower_id == other.id))
    loan.start_on, loan.due_on = today() - timedelta(days=20), today() - timedelta(days=2)
    db.commit()
    for path in (f"/prets/{loan.id}", "/prets/retards", f"/prets/{loan.id}/relance", "/usagers/?q=Ailleurs"):
        page = T(client.get(path))
        assert "Ailleurs" in page and "0611112222" not in page and "chloe@example.org" not in page, path
    assert "demandez à ce site de la lui envoyer" in T(client.get(f"/prets/{loan.id}/relance"))
    import io

    from pypdf import PdfReader
    text = PdfReader(io.BytesIO(client.get(f"/prets/{loan.id}/contrat.pdf").data)).pages[0].extract_text()
    assert "Chloé Ailleurs" in text and "0611112222" not in text
    # a phone or an e-mail typed in never names another site's borrower
    _desk_post(client, "/prets/comptoir/vider", {})
    for q in ("0611112222", "chloe@example.org"):
        assert card not in T(client.get(f"/usagers/?q={q}")), q
        assert "Aucune carte, aucun appareil, aucun kit ni aucun usager" in \
            T(_desk_post(client, "/prets/comptoir/scan", {"code": q})), q
    assert card in T(client.get("/usagers/?q=Ailleurs"))  # by name: the panel's reach (a loan open here)
    # a network role sees the contact
    manager = app.test_client()
    login(manager, "manager")
    assert "0611112222" in T(manager.get(f"/prets/{loan.id}"))
    # returned: the desk no longer reaches the borrower without the card
    _fresh(db)
    loans_svc.return_loan(db, lk.user("desk"), db.get(Loan, loan.id), condition="complete")
    db.commit()
    assert client.get(f"/api/v1/borrowers/{card}", headers=h).status_code == 403
    assert card not in T(client.get("/usagers/?q=Ailleurs"))


# --- 3. duplicates are not an oracle for card numbers ------------------------------------------------

BASE = {"first_name": "Denise", "last_name": "Doublon", "phone": "06 55 44 33 22", "email": "", "kind": "resident",
        "organisation": "", "home_site": "EPN-A", "referring_partner": "", "pin": "", "consent": "on"}


def test_a_duplicate_of_another_sites_borrower_does_not_give_its_card(app, login_as, db, lk, api_headers):
    other = lk.borrower("EPN-B", first_name="Denise", last_name="Doublon", phone="0655443322")
    client = login_as("desk")
    r = client.post("/usagers/nouveau", data={"csrf_token": csrf_token(client, "/usagers/nouveau"), **BASE})
    body = T(r)
    assert r.status_code == 422 and "déjà inscrit·e" in body and "demandez sa carte à l'usager" in body
    assert other.card_number not in body and "EPN B" not in body and "/usagers/U" not in body
    r = client.post("/api/v1/borrowers", json={k: v for k, v in BASE.items() if v and k != "consent"},
                    headers=api_headers("desk"))
    assert r.status_code == 409 and r.json["error"]["code"] == "duplicate"
    assert other.card_number not in json.dumps(r.json) and "EPN B" not in json.dumps(r.json)
    assert "demandez sa carte à l'usager" in r.json["error"]["message"]
    # editing one's own borrower into the other one: the same answer
    mine = lk.borrower("EPN-A", first_name="Denise", last_name="Autre", phone="0655443322")
    r = client.post(f"/usagers/{mine.card_number}/modifier",
                    data={"csrf_token": csrf_token(client, "/usagers/nouveau"), **BASE})
    assert r.status_code in (409, 422) and other.card_number not in T(r) and "demandez sa carte" in T(r)
    # a network role reaches the borrower: the card is named, with a link to the record
    manager = app.test_client()
    login(manager, "manager")
    r = manager.post("/usagers/nouveau", data={"csrf_token": csrf_token(manager, "/usagers/nouveau"), **BASE})
    assert r.status_code == 422 and other.card_number in T(r) and f"/usagers/{other.card_number}" in T(r)
    _fresh(db)
    assert db.scalar(select(func.count()).select_from(Borrower)) == 2


def test_the_duplicate_message_is_one_rule(db, lk):
    other = lk.borrower("EPN-B")
    desk, manager = lk.user("desk"), lk.user("manager")
    message, field = loans_svc.duplicate_message(db, desk, other)
    assert other.card_number not in message + field and "demandez sa carte à l'usager" in message
    message, field = loans_svc.duplicate_message(db, manager, other)
    assert other.card_number in message and "EPN B" in message and other.card_number in field
    from refurb.loans.imports import BorrowerRow, check_borrower_batch
    row = BorrowerRow({}, other.name_key, other.phone, None, None)
    assert other.card_number not in check_borrower_batch(db, desk, [(2, row)], None)[2]
    assert other.card_number in check_borrower_batch(db, manager, [(2, row)], None)[2]


# --- 5. ids from forms never give a server error --------------------------------------------------

@pytest.mark.parametrize("bad", ["", "abc", "-3", "0", "1.5", "99999999999999999999999", str(2 ** 63)])
def test_ids_in_desk_forms_answer_in_french(login_as, bad):
    client = login_as("desk")
    for path, extra in (("/prets/comptoir/retour", {"condition": "complete"}),
                        ("/prets/comptoir/perdu", {"reason": "lost"}),
                        ("/prets/comptoir/verifier", {"condition": "complete"})):
        r = _desk_post(client, path, {"loan_id": bad, **extra})
        assert r.status_code == 422 and "non reconnu" in T(r) and '"error"' in r.headers["HX-Trigger"], (path, bad)
    r = client.post("/prets/bornes/ouvrir", data={"csrf_token": csrf_token(client, "/prets/bornes"),
                                                 "kiosk_user": bad})
    assert r.status_code == 422 and "Choisissez le compte de borne" in T(r)
    r = _desk_post(client, "/prets/comptoir/retour-kit", {"kit": bad, "condition": "complete"})
    assert r.status_code == 404 and "Aucun kit" in T(r)


def test_an_unknown_loan_id_in_a_desk_form_says_so(login_as):
    client = login_as("desk")
    r = _desk_post(client, "/prets/comptoir/retour", {"loan_id": "424242", "condition": "complete"})
    assert r.status_code == 404 and "Aucun prêt n° 424242" in T(r)


# --- 6. the borrower's own CSV neutralises formulas ------------------------------------------------

def test_borrower_data_csv_neutralises_formulas(login_as, lk):
    b = lk.borrower("EPN-A", first_name='=HYPERLINK("http://evil.example","x")', last_name="@SUM(1+1)")
    client = login_as("desk")
    r = client.get(f"/usagers/{b.card_number}/donnees.csv")
    assert r.status_code == 200
    text = r.data.decode("utf-8-sig")
    assert "'=HYPERLINK(" in text and "'@SUM(1+1)" in text
    cells = [cell.strip('"') for line in text.splitlines() for cell in line.split(";")]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), text
