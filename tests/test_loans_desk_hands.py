"""Faster hands at the desk and the kiosk: renew from the borrower's panel, print the card of a borrower
just registered, the suggested deposit filled in, the overdue count of the desk's own site equal to the
list it links to, the return condition by keyboard, and the kiosk saying where a returned device goes."""

import html
import re
from datetime import timedelta

from conftest import csrf_token
from sqlalchemy import select

from refurb.clock import today
from refurb.loans import services as loans
from refurb.loans.models import Borrower, Loan


def T(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _post(client, path, data=None, htmx=True):
    token = csrf_token(client, "/prets/comptoir")
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(path, data={"csrf_token": token, **(data or {})}, headers=headers)


def scan(client, code):
    return _post(client, "/prets/comptoir/scan", {"code": code})


def _lend(db, lk, borrower, site="EPN-A", category="laptop", *, days_late=0):
    device = lk.device(site, category)
    [loan] = loans.check_out(db, lk.user("admin"), borrower, [device.asset_tag], site=lk.site(site),
                             rules_accepted=True)
    if days_late:
        loan.start_on, loan.due_on = today() - timedelta(days=30), today() - timedelta(days=days_late)
        db.commit()
    return loan


def test_the_desk_renews_a_loan_from_the_borrowers_panel(login_as, db, lk):
    client = login_as("desk")
    b = lk.borrower("EPN-A", first_name="Rémi", last_name="Prolonge")
    loan = _lend(db, lk, b)
    loan_id, due, tag = loan.id, loan.due_on, loan.device.asset_tag

    body = T(scan(client, b.card_number))
    assert f'aria-label="Prolonger le prêt de {tag}"' in body
    assert re.search(rf'name="loan_id" value="{loan_id}"', body)

    r = _post(client, "/prets/comptoir/prolonger", {"loan_id": str(loan_id)})
    body = T(r)
    db.expire_all()
    renewed = db.get(Loan, loan_id)
    assert r.status_code == 200 and renewed.renewals == 1 and renewed.due_on > due
    assert f"Prêt prolongé : {tag} est à rendre le {renewed.due_on:%d/%m/%Y}" in body
    assert "(1 prolongation)" in body  # the panel shows it, still open

    # A resident's loan is renewed once (the site's rules): the second time says why, and changes nothing.
    r = _post(client, "/prets/comptoir/prolonger", {"loan_id": str(loan_id)})
    assert r.status_code == 422 and "déjà été prolongé 1 fois" in T(r) and '"error"' in r.headers["HX-Trigger"]
    db.expire_all()
    assert db.get(Loan, loan_id).renewals == 1


def test_a_loan_of_another_site_is_renewed_there_not_at_this_desk(login_as, db, lk):
    client = login_as("desk")
    b = lk.borrower("EPN-B", first_name="Ana", last_name="Ailleurs")
    loan = _lend(db, lk, b, site="EPN-B")
    loan_id = loan.id
    body = T(scan(client, b.card_number))
    assert "à prolonger à « " in body and f'name="loan_id" value="{loan_id}"' not in body
    r = _post(client, "/prets/comptoir/prolonger", {"loan_id": str(loan_id)})
    assert r.status_code == 403
    db.expire_all()
    assert db.get(Loan, loan_id).renewals == 0


def _register(client, **extra):
    token = csrf_token(client, "/usagers/nouveau")
    return client.post("/usagers/nouveau", data={
        "csrf_token": token, "first_name": "Nadia", "last_name": "Nouvelle", "phone": "06 98 76 54 32",
        "kind": "resident", "home_site": "EPN-A", "consent": "on", **extra})


def test_the_card_of_a_borrower_just_registered_prints_right_there(login_as, db):
    client = login_as("desk")
    r = _register(client, action="desk")
    assert r.status_code == 303 and r.headers["Location"].endswith("/prets/comptoir")
    card = db.scalar(select(Borrower.card_number).where(Borrower.last_name == "Nouvelle"))
    page = T(client.get("/prets/comptoir"))
    assert f'href="/usagers/{card}/carte.pdf"' in page and ">Imprimer la carte</a>" in page
    # The next borrower's panel does not offer it any more.
    _post(client, "/prets/comptoir/vider")
    assert "Imprimer la carte" not in T(client.get("/prets/comptoir"))


def test_registering_from_the_borrowers_list_offers_the_card_first(login_as, db):
    client = login_as("desk")
    r = _register(client, last_name="Fiche")
    card = db.scalar(select(Borrower.card_number).where(Borrower.last_name == "Fiche"))
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/usagers/{card}?inscrit=1")
    page = T(client.get(r.headers["Location"]))
    assert "Nouvelle inscription : imprimez la carte" in page
    assert "Nouvelle inscription" not in T(client.get(f"/usagers/{card}"))


def test_the_suggested_deposit_is_filled_in_and_can_be_changed(login_as, db, lk):
    client = login_as("desk")
    b = lk.borrower("EPN-A")
    laptop = lk.device("EPN-A", "laptop")
    scan(client, b.card_number)
    body = T(scan(client, laptop.asset_tag))
    assert re.search(rf'name="deposit-{laptop.asset_tag}"[^>]*value="50,00"', body), body
    r = _post(client, "/prets/comptoir/preter", {f"deposit-{laptop.asset_tag}": "35,50", "deposit_method": "cash"})
    assert "Prêté à" in T(r)
    loan = db.scalar(select(Loan).where(Loan.borrower_id == b.id))
    assert str(loan.deposit_amount) in ("35.50", "35.5")


def test_the_desk_overdue_count_names_its_site_and_equals_the_list_it_links_to(login_as, db, lk):
    client = login_as("desk")  # serves EPN-A (here) and the bus
    b = lk.borrower("EPN-A")
    _lend(db, lk, b, days_late=3)
    _lend(db, lk, b, site="BUS", category="tablet", days_late=5)
    page = T(client.get("/prets/comptoir"))
    heading = re.search(r"<h2>En retard à « ([^»]+) » \((\d+)\)</h2>", page)
    assert heading and heading.group(2) == "1", page
    link = re.search(r'href="(/prets/retards\?site=[^"]+)"', page)
    assert link and link.group(1).endswith("site=EPN-A")
    listed = T(client.get(link.group(1)))
    assert "1 prêt en retard." in listed
    assert "2 prêts en retard." in T(client.get("/prets/retards"))  # every site of the desk: both


def test_the_return_condition_is_chosen_by_keys_1_2_3(login_as, db, lk):
    client = login_as("desk")
    b = lk.borrower("EPN-A")
    loan = _lend(db, lk, b)
    body = T(scan(client, loan.device.asset_tag))
    form = body[body.index('action="/prets/comptoir/retour"'):]
    form = form[:form.index("</form>")]
    assert "data-condition-keys" in form
    keys = re.findall(r'value="(\w+)" data-condition-key="(\d)"', form)
    assert keys == [("complete", "1"), ("damaged", "2"), ("incomplete", "3")]
    assert re.search(r'value="complete" data-condition-key="1"\s+checked autofocus', form)
    assert "/static/js/desk.js" in T(client.get("/prets/comptoir"))


def _form_fields(page: str) -> dict:
    """The values a form shows, as a browser would send them back (inputs with a value)."""
    fields = {}
    for tag in re.findall(r"<input [^>]*>", page):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value and 'type="checkbox"' not in tag and 'type="hidden"' not in tag:
            fields[name.group(1)] = value.group(1)
    return fields


def _k(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/borne"), **data})


def test_the_kiosk_says_where_to_put_a_returned_device(client, db, lk, login_as):
    tablet = lk.device("EPN-A", "tablet")
    b = lk.borrower("EPN-A", first_name="Inès", pin="2580")
    place = "dans le bac bleu, à gauche de l'accueil"
    login_as("manager")
    page = T(client.get("/prets/regles?site=EPN-A"))
    assert "Où poser un appareil rendu à la borne" in page
    r = client.post("/prets/regles?site=EPN-A", data={
        **_form_fields(page), "csrf_token": csrf_token(client, "/prets/regles?site=EPN-A"),
        "accept_other_site_returns": "on", "kiosk_return_place": place})
    assert r.status_code == 303, T(r)[:3000]
    db.expire_all()
    assert loans.site_rules(db, lk.site("EPN-A").id).return_place == place
    assert loans.site_rules(db, lk.site("EPN-B").id).return_place == "à l'accueil"  # not said: the reception

    from refurb.accounts.models import User
    kiosk = db.scalar(select(User).where(User.username == "kiosk"))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/prets/regles")})
    login_as("desk")
    db.commit()
    client.post("/prets/bornes/ouvrir", data={"csrf_token": csrf_token(client, "/prets/bornes"),
                                              "kiosk_user": kiosk.id})
    _k(client, "/borne/carte", code=b.card_number)
    page = T(client.get("/borne"))
    keys = re.findall(r'data-keypad-key="(\w+)"', page)  # the on-screen PIN keypad
    assert sorted(keys) == sorted([*"0123456789", "back"]) and 'data-keypad="kiosk-pin"' in page
    assert "/static/js/kiosk.js" in page
    _k(client, "/borne/pin", pin="2580")
    page = T(client.get("/borne"))
    assert f"posez-le <strong>{place}</strong>" in page
    _k(client, "/borne/appareil", code=tablet.asset_tag)  # borrowed
    _k(client, "/borne/appareil", code=tablet.asset_tag)  # and given back
    page = T(client.get("/borne"))
    assert f"Merci ! {tablet.asset_tag} (Tablette) est rendu. Posez-le {place} : l'équipe vérifiera son état." in page
