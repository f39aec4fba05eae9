"""The pages changed for faster hands pass axe (WCAG 2 A/AA) at 1366 × 768 and 800 × 1280, without
scrolling sideways: a site's stock with its minimums set in place, the activity report, the stock-take,
the sites list and form, reservations found by name, the sale form, a borrower just registered. And one
journey: a minimum changed in the stock table's row with the keyboard."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from refurb.inventory.models import StockMinimum
from refurb.sites.models import Site

pytestmark = pytest.mark.browser

SIZES = ({"width": 1366, "height": 768}, {"width": 800, "height": 1280})


def _check(page, axe_check):
    for size in SIZES:
        page.set_viewport_size(size)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe_check(page)
        # The page's own content (the shared header is another part's business).
        assert page.evaluate("(m => m.scrollWidth <= m.clientWidth + 1)(document.querySelector('main'))"), \
            (page.url, size)


def test_manager_pages_pass_axe_and_a_minimum_is_set_in_place(db, lk, browser_login, live_server, axe_check):
    lk.device("EPN-A", "laptop")
    lk.borrower("EPN-A", first_name="Paulette", last_name="Réservoir")
    page = browser_login("manager")
    page.goto(f"{live_server}/stock/EPN-A")
    _check(page, axe_check)
    page.set_viewport_size(SIZES[0])
    field = page.get_by_label("Parc de prêt ≥").first
    field.fill("3")
    field.press("Enter")
    expect(page.locator("#flash")).to_contain_text("Minimum enregistré pour EPN A : au moins 3 ordinateurs portables")
    expect(page.locator(".stock-table tr.shortage")).to_contain_text("Parc de prêt ≥ 3 · manque 2")
    db.expire_all()
    site_id = db.scalar(select(Site.id).where(Site.code == "EPN-A"))
    assert db.get(StockMinimum, (site_id, "laptop", "loan_pool")).minimum == 3

    page.goto(f"{live_server}/rapports/activite")
    _check(page, axe_check)
    page.get_by_role("button", name="Le mois dernier").click()
    expect(page.get_by_role("button", name="Le mois dernier")).to_have_attribute("aria-current", "true")

    page.goto(f"{live_server}/prets/reservations?usager=reservoir")
    _check(page, axe_check)
    page.get_by_role("link", name="Paulette Réservoir").click()
    expect(page.get_by_label("Carte de l'usager")).not_to_have_value("")

    page.goto(f"{live_server}/sites/")
    _check(page, axe_check)


def test_admin_site_form_reads_the_hours_as_they_are_typed(db, browser_login, live_server, axe_check):
    page = browser_login("admin")
    page.goto(f"{live_server}/sites/EPN-A/edit")
    hours = page.get_by_label("Horaires d'ouverture")
    hours.fill("Tu-Fr 09:30-12:00,14:00-18:00; Sa 09:30-12:30")
    expect(page.locator("#hours-reading")).to_contain_text("Du mardi au vendredi : 9 h 30 – 12 h, 14 h – 18 h")
    expect(page.locator("#hours-reading")).to_contain_text("Samedi : 9 h 30 – 12 h 30")
    hours.fill("Lu-Ve 9h-12h")
    expect(page.locator("#hours-reading")).to_contain_text("Pas encore lisible")
    _check(page, axe_check)


def test_workshop_pages_pass_axe(db, lk, browser_login, live_server, axe_check, workshop):
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag, grade="B")
    lk.device("EPN-A", "laptop")
    page = browser_login("tech")
    page.goto(f"{live_server}/stocktakes/")
    page.get_by_role("button", name="Commencer").first.click()
    expect(page.get_by_label("Scanner une étiquette")).to_be_focused()
    page.keyboard.type(tag)
    page.keyboard.press("Enter")
    expect(page.locator("#stocktake-live")).to_contain_text(tag)
    expect(page.locator(".flash")).to_have_count(1)  # one message at a time
    _check(page, axe_check)

    page.goto(f"{live_server}/d/{tag}")
    page.get_by_label("Prix (€ TTC)").fill("450,00")
    page.get_by_label("Nom de l'acheteur").fill("Lucie Moreau")
    page.get_by_label("Moyen de paiement").select_option("card")
    page.get_by_role("button", name="Enregistrer la vente").click()
    expect(page.locator("#sl-price-confirmed-err")).to_contain_text("c'est plus du double du prix conseillé")
    _check(page, axe_check)
    page.get_by_label("Je confirme ce prix").check()
    page.get_by_role("button", name="Enregistrer la vente").click()
    expect(page.locator("body")).to_contain_text("Vente VTE-")


def test_the_card_prints_right_after_registering(db, browser_login, live_server, axe_check):
    page = browser_login("desk")
    page.goto(f"{live_server}/usagers/nouveau")
    page.get_by_label("Prénom").fill("Nadia")
    page.get_by_label(re.compile(r"^Nom")).fill("Nouvelle")
    page.get_by_label("Téléphone").fill("06 98 76 54 32")
    page.get_by_label("L'usager a lu et accepte le règlement de prêt").check()
    page.get_by_role("button", name="Inscrire et prêter").click()
    page.wait_for_url(f"{live_server}/prets/comptoir")
    expect(page.get_by_role("button", name="Imprimer la carte")).to_have_attribute("href", re.compile(r"/carte\.pdf$"))
    _check(page, axe_check)
