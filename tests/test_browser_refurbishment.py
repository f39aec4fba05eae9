"""Journey in real Chromium (issue 4, point 10): a donation of two laptops is received; one goes
through diagnosis, erasure, grading to "ready" and is sold; the other is recycled."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from refurb.db import utcnow
from refurb.formatting import local
from refurb.refurbishment.catalog import CHECKS
from refurb.refurbishment.status import category_checks

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _scan(page, tag):
    box = page.get_by_label("Scanner un appareil (étiquette ou n° de série)")
    expect(box).to_be_focused()  # scan first: the field has the focus when the queue opens
    box.fill(tag)
    box.press("Enter")
    page.wait_for_url(re.compile(rf"/d/{tag}"))


def test_donation_two_laptops_one_sold_one_recycled(browser_login, live_server, workshop, axe_check):
    page = browser_login("tech")
    assert page.url.endswith("/atelier/")  # the technician's home is the workshop queue
    axe_check(page)
    page.get_by_role("button", name="Nouveau don").click()

    # --- the donation: a company gives two laptops
    axe_check(page)
    page.get_by_label("Type de donateur").select_option("company")
    page.get_by_label("Nom du donateur").fill("Transports Martin SARL")
    page.get_by_label("SIRET").fill("732 829 320 00074")
    page.get_by_label("Contact (nom)").fill("Sophie Martin")
    for line, serial in ((1, "PF1TM001"), (2, "PF1TM002")):
        page.get_by_label(f"Catégorie (ligne {line})").select_option("laptop")
        page.get_by_label(f"Marque (ligne {line})").fill("Lenovo")
        page.get_by_label(f"Modèle (ligne {line})").fill("ThinkPad T480")
        page.get_by_label(f"Numéro de série (ligne {line})").fill(serial)
    page.get_by_role("button", name="Enregistrer le don et créer les appareils").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Don DON-")
    expect(page.locator(".flash--success")).to_contain_text("2 appareils créés")
    tags = page.locator("table tbody tr td:first-child").all_inner_texts()
    assert len(tags) == 2
    sold, recycled = [t.strip() for t in tags]
    axe_check(page)
    labels = page.get_by_role("button", name="Imprimer les étiquettes (2 sur une planche)")
    assert labels.get_attribute("href") == f"/labels?tag={sold}&tag={recycled}"

    # --- first laptop: scanned in the workshop, diagnosis in place
    page.get_by_role("navigation", name="Menu principal").get_by_text("Atelier", exact=True).click()  # the header's menu
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="File de l'atelier").click()
    _scan(page, sold)
    panel = page.locator("#refurb-panel")
    expect(panel.get_by_role("heading", name="À faire maintenant : diagnostic")).to_be_visible()
    axe_check(page)
    for key in category_checks("laptop"):
        panel.get_by_label(CHECKS[key]).select_option("pass")
    panel.get_by_label("Santé de la batterie (%)").fill("86")
    panel.get_by_label("Conclusion").select_option("ready")
    panel.get_by_role("button", name="Enregistrer le diagnostic").click()
    expect(page.locator("#refurb-panel")).to_contain_text("Enregistré — Diagnostic enregistré")
    expect(page.locator("#device-main .badge").first).to_have_text("En diagnostic")

    # --- erasure with the tool's PDF report
    panel = page.locator("#refurb-panel")
    expect(panel.get_by_role("heading", name="À faire maintenant : effacement des données")).to_be_visible()
    serial = panel.get_by_label("Numéro de série du support").first  # the second medium's field follows
    expect(serial).to_be_focused()  # the step's first field has the focus: type, Tab, type…
    serial.fill("S3YJNX0K123456")
    panel.get_by_label("Modèle du support").first.fill("Samsung PM981")
    panel.get_by_label("Taille (Go)").first.fill("256")
    panel.get_by_label(re.compile("^Début")).fill(local(utcnow() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    panel.get_by_label(re.compile("^Fin")).fill(local(utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    panel.get_by_label("Version de l'outil").fill("0.36")  # required with the tool's name (NIST SP 800-88)
    panel.get_by_label(re.compile("^Rapport de l'outil")).set_input_files(
        files=[{"name": "nwipe_report.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    panel.get_by_role("button", name="Enregistrer l'effacement").click()
    expect(page.locator("#refurb-panel")).to_contain_text("Enregistré — Effacement réussi enregistré.")
    expect(page.locator("#refurb-panel")).to_contain_text("nwipe_report.pdf")
    axe_check(page)

    # --- grade, then ready
    expect(page.get_by_role("heading", name="À faire maintenant : grade")).to_be_visible()
    panel = page.locator("#refurb-panel").get_by_role("form", name="Grade")
    panel.get_by_label("B — bon état, traces d'usage").check()
    expect(panel.get_by_label("Santé de la batterie (%)")).to_have_value("86")
    panel.get_by_role("button", name="Enregistrer le grade").click()
    expect(page.locator("#refurb-panel")).to_contain_text("Enregistré — Grade B enregistré.")
    page.locator("#refurb-panel").get_by_role("button", name="Déclarer reconditionné").click()
    expect(page.locator("#refurb-panel")).to_contain_text("Appareil déclaré reconditionné.")
    expect(page.locator("#device-main .badge").first).to_have_text("Prêt à la vente")

    # --- sale: the suggested price is there; the buyer and the payment are typed
    expect(page.get_by_role("heading", name="À faire maintenant : vente")).to_be_visible()
    panel = page.locator("#refurb-panel").get_by_role("form", name="Vente")
    expect(panel.get_by_label("Prix (€ TTC)")).to_have_value("120,00")
    panel.get_by_label("Prix (€ TTC)").fill("120,505")
    panel.get_by_label("Nom de l'acheteur").fill("Karim Benali")
    panel.get_by_label("Moyen de paiement").select_option("card")
    panel.get_by_role("button", name="Enregistrer la vente").click()
    expect(page.locator("#refurb-panel [role=alert]").first).to_contain_text("deux décimales au plus")
    page.locator("#refurb-panel").get_by_label("Prix (€ TTC)").fill("110,00")
    page.locator("#refurb-panel").get_by_role("button", name="Enregistrer la vente").click()
    expect(page.locator("#refurb-panel")).to_contain_text("Enregistré — Vente VTE-")
    expect(page.locator("#refurb-panel")).to_contain_text("garantie jusqu'au")
    expect(page.locator("#device-main .badge").first).to_have_text("Vendu")

    # --- second laptop: the screen is broken beyond repair, it goes to recycling
    page.get_by_role("navigation", name="Menu principal").get_by_text("Atelier", exact=True).click()  # the header's menu
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="File de l'atelier").click()
    _scan(page, recycled)
    panel = page.locator("#refurb-panel")
    for key in category_checks("laptop"):
        panel.get_by_label(CHECKS[key]).select_option("fail" if key == "screen" else "pass")
    panel.get_by_label("Santé de la batterie (%)").fill("40")
    panel.get_by_label("Conclusion").select_option("recycle")
    panel.get_by_role("button", name="Enregistrer le diagnostic").click()
    expect(page.locator("#refurb-panel")).to_contain_text("Diagnostic enregistré : à recycler (deee).")
    page.get_by_role("button", name="Ajouter à un lot de recyclage (DEEE)").click()
    expect(page.get_by_role("checkbox", name=re.compile(recycled))).to_be_checked()
    axe_check(page)
    page.get_by_label("Poids du lot (kg)").fill("2,3")
    page.get_by_label(re.compile("^Transporteur")).fill("Envie 2E Touraine")
    page.get_by_label("Adresse du transporteur").fill("ZI des Gués, 37700 Saint-Pierre-des-Corps")
    page.get_by_label("N° de récépissé du transporteur").fill("37-2026-0042")
    page.get_by_label("Installation de traitement").fill("Envie 2E — Saint-Pierre-des-Corps")
    page.get_by_label("Adresse de l'installation").fill("ZI des Gués, 37700 Saint-Pierre-des-Corps")
    page.get_by_label("Code de traitement").select_option("R4")
    page.get_by_label("N° du bordereau de suivi").fill("BSD-2026-1128")
    # never erased: the recycler destroys its disk and certifies it
    page.get_by_label("N° du certificat de destruction des supports (recycleur)").fill("CD-2026-1128")
    page.get_by_role("button", name="Enregistrer le lot de recyclage").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lot de recyclage DEEE-")
    expect(page.locator(".flash--success")).to_contain_text("bordereau BSD-2026-1128")
    axe_check(page)

    assert workshop.state(sold) == "sold"
    assert workshop.state(recycled) == "recycled"
