"""Journeys in real Chromium: (a) at the desk on a 1366 × 768 PC, a loan renewed from the borrower's
panel and two returns whose condition is given with the keys 1, 2, 3, the focus back in the scan
field after each step; (b) the kiosk on an 800 × 1280 portrait tablet: the PIN typed on the on-screen
keypad, the countdown never over the title, and where to put the returned device."""

import re

import pytest
from conftest import scan_in_browser
from playwright.sync_api import expect
from sqlalchemy import select

from refurb.inventory.models import Device
from refurb.loans import services as loans
from refurb.loans.models import Loan, LoanSiteRules

pytestmark = pytest.mark.browser

PC = {"width": 1366, "height": 768}
TABLET = {"width": 800, "height": 1280}


_scan = scan_in_browser


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def test_desk_renews_and_takes_back_with_the_keyboard(db, lk, browser_login, live_server, axe_check):
    b = lk.borrower("EPN-A", first_name="Rémi", last_name="Clavier")
    made = loans.check_out(db, lk.user("admin"), b, [lk.device("EPN-A", "laptop").asset_tag,
                                                      lk.device("EPN-A", "tablet").asset_tag],
                           site=lk.site("EPN-A"), rules_accepted=True)
    (laptop, laptop_loan), (tablet, tablet_loan) = [(m.device.asset_tag, m.id) for m in made]
    card = b.card_number
    db.commit()
    page = browser_login("desk")
    page.set_viewport_size(PC)
    page.goto(f"{live_server}/devices")  # the card scanned into the header's scan box, on another page:
    page.locator("#scan-box").fill(card)  # posted (with the page's token), handed to the desk's scan by a 307
    page.locator("#scan-box").press("Enter")
    expect(page).to_have_url(f"{live_server}/prets/comptoir")
    expect(page.locator("main")).to_contain_text("Usager : Rémi Clavier")
    expect(page.locator("#desk-code")).to_be_focused()
    page.get_by_role("button", name=f"Prolonger le prêt de {laptop}").click()
    expect(page.locator("#desk-body")).to_contain_text(f"Prêt prolongé : {laptop} est à rendre le")
    expect(page.locator("#desk-body")).to_contain_text("(1 prolongation)")
    expect(page.locator("#desk-code")).to_be_focused()  # back to the scan field
    axe_check(page)

    # The laptop comes back damaged: 2, the note, Enter.
    _scan(page, laptop)
    expect(page.get_by_role("heading", name=f"Retour de {laptop}")).to_be_visible()
    expect(page.get_by_role("radio", name="Complet")).to_be_focused()
    axe_check(page)
    page.keyboard.press("2")
    expect(page.get_by_role("radio", name="Endommagé")).to_be_checked()
    expect(page.get_by_label("Note (obligatoire si endommagé ou accessoire manquant)")).to_be_focused()
    page.keyboard.type("Écran fêlé")
    page.keyboard.press("Enter")
    expect(page.locator("#desk-body")).to_contain_text(f"Retour enregistré : {laptop} (endommagé) va en réparation")
    expect(page.locator("#desk-code")).to_be_focused()

    # The tablet comes back complete: 1 (already chosen), Enter.
    _scan(page, tablet)
    expect(page.get_by_role("radio", name="Complet")).to_be_focused()
    page.keyboard.press("3")
    expect(page.get_by_role("radio", name="Accessoire manquant")).to_be_checked()
    page.keyboard.press("Shift+Tab")  # changed her mind: back from the note to the choices, complete after all
    expect(page.get_by_role("radio", name="Accessoire manquant")).to_be_focused()
    page.keyboard.press("1")
    expect(page.get_by_role("radio", name="Complet")).to_be_checked()
    expect(page.get_by_role("radio", name="Complet")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#desk-body")).to_contain_text(f"Retour enregistré : {tablet} (complet) va au parc de prêt")
    expect(page.locator("#desk-code")).to_be_focused()
    _no_sideways_scroll(page)

    db.expire_all()
    assert db.get(Loan, laptop_loan).renewals == 1
    assert (db.get(Loan, laptop_loan).return_condition, db.get(Loan, laptop_loan).return_note) == \
        ("damaged", "Écran fêlé")
    assert db.get(Loan, tablet_loan).return_condition == "complete"


def test_a_scan_during_a_return_goes_to_the_scan_field(db, lk, browser_login, live_server):
    """The return panel has the focus, but the scanner types a card: it lands in the scan field."""
    b = lk.borrower("EPN-A", first_name="Zoé", last_name="Suivante")
    [loan] = loans.check_out(db, lk.user("admin"), b, [lk.device("EPN-A", "router").asset_tag],
                             site=lk.site("EPN-A"), rules_accepted=True)
    tag, card = loan.device.asset_tag, b.card_number
    db.commit()
    page = browser_login("desk")
    page.goto(f"{live_server}/prets/comptoir")
    _scan(page, tag)
    expect(page.get_by_role("radio", name="Complet")).to_be_focused()
    page.keyboard.type(card)  # "U1…": the digits 1, 2, 3 inside it choose nothing
    page.keyboard.press("Enter")
    expect(page.locator("#desk-body")).to_contain_text("Usager : Zoé Suivante")
    db.expire_all()
    assert db.get(Loan, loan.id).returned_at is None


def test_kiosk_on_a_portrait_tablet(db, lk, browser_login, live_server, axe_check, page):
    tablet = lk.device("EPN-A", "tablet", brand="Samsung", model="Galaxy Tab A8")
    resident = lk.borrower("EPN-A", first_name="Inès", last_name="Portrait", pin="2580")
    tag, card = tablet.asset_tag, resident.card_number
    site_id = lk.site("EPN-A").id
    db.add(LoanSiteRules(site_id=site_id, accept_other_site_returns=True, no_show_days=2, kiosk_ip_ranges="",
                         kiosk_idle_seconds=120, kiosk_return_place="dans le bac bleu, à gauche de l'accueil"))
    db.commit()
    page.set_viewport_size(TABLET)
    browser_login("desk")
    page.goto(f"{live_server}/prets/bornes")
    page.get_by_role("button", name="Ouvrir la borne ici").click()
    page.wait_for_url(f"{live_server}/borne")
    _no_sideways_scroll(page)

    _scan(page, card)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tapez votre code PIN")
    timer, title = page.get_by_role("timer"), page.get_by_role("heading", level=1)
    expect(timer).to_contain_text("Déconnexion dans")
    t, h = timer.bounding_box(), title.bounding_box()
    assert t["y"] + t["height"] <= h["y"] or h["y"] + h["height"] <= t["y"], (t, h)  # never over the title
    main = page.locator("main").bounding_box()
    text = page.locator(".kiosk-step").bounding_box()
    assert text["x"] - main["x"] >= 16 and text["x"] >= 24  # margins on the sides
    keypad = page.get_by_role("group", name="Clavier du code PIN")
    for key in keypad.get_by_role("button").all():
        box = key.bounding_box()
        assert box["height"] >= 60 and box["width"] >= 60, box  # large keys
    axe_check(page)
    _no_sideways_scroll(page)
    for digit in "2581":
        keypad.get_by_role("button", name=digit, exact=True).click()
    keypad.get_by_role("button", name="Effacer le dernier chiffre").click()
    keypad.get_by_role("button", name="0", exact=True).click()
    expect(page.get_by_label("Code PIN (4 chiffres)")).to_have_value("2580")
    keypad.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scannez l'appareil")
    expect(page.locator("main")).to_contain_text("posez-le dans le bac bleu, à gauche de l'accueil")
    _scan(page, tag)
    expect(page.get_by_role("status")).to_contain_text(f"{tag} (Tablette) est prêté jusqu'au")
    page.get_by_role("button", name="Terminer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scannez votre carte")
    expect(page.locator("#kiosk-code")).to_be_focused()

    # The keyboard works too, and a return says where the device goes.
    _scan(page, card)
    page.get_by_label("Code PIN (4 chiffres)").fill("2580")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scannez l'appareil")
    _scan(page, tag)
    expect(page.get_by_role("status")).to_contain_text(
        f"{tag} (Tablette) est rendu. Posez-le dans le bac bleu, à gauche de l'accueil")
    axe_check(page)
    _no_sideways_scroll(page)
    db.expire_all()
    assert db.scalar(select(Device.state).where(Device.asset_tag == tag)) == "loan_pool"
    assert re.search("kiosk", page.locator("body").get_attribute("class"))
