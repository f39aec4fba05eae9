"""Journeys in real Chromium: (a) reception registers a borrower, lends a laptop and a 4G router by
scanning, then takes the laptop back damaged; (b) at the kiosk a resident borrows and returns a
tablet with card + PIN."""

import re

import pytest
from conftest import scan_in_browser
from playwright.sync_api import expect
from sqlalchemy import select

from refurb.inventory.models import Device
from refurb.loans.models import Borrower, Loan

pytestmark = pytest.mark.browser


_scan = scan_in_browser


def test_reception_registers_lends_and_takes_back_damaged(db, lk, browser_login, live_server, axe_check):
    laptop = lk.device("EPN-A", "laptop", brand="Lenovo", model="ThinkPad T480")
    router = lk.device("EPN-A", "router", brand="Huawei", model="E5576")
    laptop_tag, router_tag = laptop.asset_tag, router.asset_tag
    db.commit()
    page = browser_login("desk")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Comptoir de prêt")  # reception's home
    axe_check(page)

    page.get_by_role("link", name="Inscrire un usager").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscrire un usager")
    page.get_by_label("Prénom").fill("Martine")
    page.get_by_label(re.compile(r"^Nom")).fill("Girard")
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_label("L'usager a lu et accepte le règlement de prêt").check()
    axe_check(page)
    page.get_by_role("button", name="Inscrire et prêter").click()
    page.wait_for_url(f"{live_server}/prets/comptoir")
    expect(page.locator("#desk-body")).to_contain_text("Martine Girard")
    expect(page.locator("#flash")).to_contain_text("est inscrit(e) : carte U")

    _scan(page, laptop_tag)
    expect(page.locator("#desk-body")).to_contain_text(f"{laptop_tag} ajouté au panier")
    _scan(page, router_tag)
    expect(page.locator("#desk-body")).to_contain_text(f"{router_tag} ajouté au panier")
    _scan(page, router_tag)  # scanned twice: said, and not added twice
    expect(page.get_by_role("alert")).to_contain_text("scanné deux fois")
    expect(page.get_by_role("button", name="Prêter (2 appareils)")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Prêter (2 appareils)").click()
    expect(page.locator("#desk-body")).to_contain_text("Prêté à Martine Girard")
    expect(page.get_by_role("button", name="Imprimer le contrat de prêt")).to_be_visible()

    # The laptop comes back with a broken hinge.
    page.locator("#desk-code").focus()
    _scan(page, laptop_tag)
    expect(page.get_by_role("heading", name=f"Retour de {laptop_tag}")).to_be_visible()
    page.get_by_role("radio", name="Endommagé").check()
    page.get_by_label("Note (obligatoire si endommagé ou accessoire manquant)").fill("Charnière cassée")
    axe_check(page)
    page.get_by_role("button", name="Enregistrer le retour").click()
    expect(page.locator("#desk-body")).to_contain_text(f"Retour enregistré : {laptop_tag} (endommagé) va en réparation")
    expect(page.locator("#desk-body")).to_contain_text(router_tag)  # still on loan, in her panel

    db.expire_all()
    assert db.scalar(select(Device.state).where(Device.asset_tag == laptop_tag)) == "repairing"
    assert db.scalar(select(Device.state).where(Device.asset_tag == router_tag)) == "on_loan"
    borrower = db.scalar(select(Borrower).where(Borrower.last_name == "Girard"))
    loans = db.scalars(select(Loan).where(Loan.borrower_id == borrower.id).order_by(Loan.id)).all()
    assert [(l.return_condition, l.return_note) for l in loans] == [("damaged", "Charnière cassée"), (None, "")]


def test_kiosk_resident_borrows_and_returns_a_tablet(db, lk, browser_login, live_server, axe_check):
    tablet = lk.device("EPN-A", "tablet", brand="Samsung", model="Galaxy Tab A8")
    resident = lk.borrower("EPN-A", first_name="Inès", last_name="Borne", pin="2580")
    tag, card = tablet.asset_tag, resident.card_number
    db.commit()
    # A staff member opens the kiosk on this computer.
    page = browser_login("desk")
    page.goto(f"{live_server}/prets/bornes")
    page.get_by_role("button", name="Ouvrir la borne ici").click()
    page.wait_for_url(f"{live_server}/borne")
    expect(page.locator("body")).to_have_class(re.compile(r"\bkiosk\b"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Scannez votre carte")
    expect(page.get_by_role("navigation")).to_have_count(0)  # nothing else reachable
    axe_check(page)

    _scan(page, card)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tapez votre code PIN")
    expect(page.get_by_role("timer")).to_contain_text("Déconnexion dans")  # visible idle countdown
    page.get_by_label("Code PIN (4 chiffres)").fill("2580")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scannez l'appareil")
    expect(page.get_by_role("status")).to_contain_text("Bonjour Inès")
    axe_check(page)
    _scan(page, tag)
    expect(page.get_by_role("status")).to_contain_text(f"{tag} (Tablette) est prêté jusqu'au")
    expect(page.locator("main")).to_contain_text("Vos prêts en cours")
    page.get_by_role("button", name="Terminer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scannez votre carte")
    expect(page.locator("main")).not_to_contain_text("Inès")

    # Return: the tag alone returns nothing; card, PIN, then the device (checked later at the desk).
    _scan(page, tag)
    expect(page.get_by_role("alert")).to_contain_text("scannez d'abord votre carte")
    _scan(page, card)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tapez votre code PIN")
    page.get_by_label("Code PIN (4 chiffres)").fill("2580")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scannez l'appareil")
    _scan(page, tag)
    expect(page.get_by_role("status")).to_contain_text(f"Merci ! {tag} (Tablette) est rendu")
    db.expire_all()
    loan = db.scalar(select(Loan))
    assert loan.channel == "kiosk" and loan.returned_at is not None and loan.return_condition == "to_check"
    assert db.scalar(select(Device.state).where(Device.asset_tag == tag)) == "loan_pool"


def test_loans_pages_pass_axe(db, lk, browser_login, live_server, axe_check):
    """Every loans page (with data in it) passes the WCAG 2 A/AA checks of axe-core."""
    from datetime import timedelta

    from refurb.clock import today

    b = lk.borrower("EPN-A", first_name="Axel", last_name="Accessible", email="axel@example.org", pin="1234")
    devices = [lk.device("EPN-A", "router") for _ in range(3)]
    card = b.card_number
    page = browser_login("manager")
    page.goto(f"{live_server}/prets/comptoir")
    for d in devices[:2]:
        page.locator("#desk-code").fill(card)
        page.keyboard.press("Enter")
        expect(page.locator("#desk-body")).to_contain_text("Axel Accessible")
        page.locator("#desk-code").fill(d.asset_tag)
        page.keyboard.press("Enter")
        expect(page.locator("#desk-body")).to_contain_text("ajouté au panier")
        page.get_by_role("button", name=re.compile(r"^Prêter")).click()
        expect(page.locator("#desk-body")).to_contain_text("Prêté à")
    db.expire_all()
    late = db.scalars(select(Loan).order_by(Loan.id)).first()
    late.start_on, late.due_on = today() - timedelta(days=30), today() - timedelta(days=2)
    db.commit()
    page.goto(f"{live_server}/prets/kits")
    page.get_by_label("Nom du kit").fill("Kit routeurs")
    page.get_by_label("Appareils (scannez-les, un par ligne)").fill(devices[2].asset_tag + "\n")
    page.get_by_role("button", name="Créer le kit").click()
    expect(page.get_by_role("alert")).to_contain_text("au moins deux appareils")  # errors tied to the field
    axe_check(page)
    for path in ("/prets/comptoir", f"/usagers/{card}", f"/usagers/{card}/donnees", f"/usagers/{card}/modifier",
                 "/usagers/", "/prets/", "/prets/retards", f"/prets/{late.id}", f"/prets/{late.id}/relance",
                 "/prets/reservations", "/prets/regles", "/prets/bornes", f"/d/{devices[0].asset_tag}"):
        page.goto(f"{live_server}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe_check(page)
    # A return at the kiosk waiting for its check: the desk's check panel and the loan list's filter.
    from refurb.loans.services import return_to_check

    db.expire_all()
    kiosk_return = db.scalars(select(Loan).order_by(Loan.id)).all()[1]
    return_to_check(db, lk.user("kiosk"), kiosk_return, lk.site("EPN-A"))
    db.commit()
    page.goto(f"{live_server}/prets/comptoir")
    _scan(page, devices[1].asset_tag)
    expect(page.locator("#desk-body")).to_contain_text(f"Retour à vérifier : {devices[1].asset_tag}")
    axe_check(page)
    page.goto(f"{live_server}/prets/?state=to_check")
    expect(page.locator("#loans-results")).to_contain_text(devices[1].asset_tag)
    axe_check(page)
