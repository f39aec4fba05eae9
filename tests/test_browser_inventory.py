"""Journey in real Chromium: a technician creates a device, prints its label, scans its tag into
the scan box, lands on its page, starts its diagnosis in place, then moves it to the bus."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

SCAN_BOX = "Scanner ou saisir un code (appareil, carte d'usager)"


def test_create_print_scan_and_move_to_the_bus(browser_login, live_server):
    page = browser_login("tech")

    # create a device, "save and print label"
    menu = page.get_by_role("navigation", name="Menu principal")
    menu.get_by_text("Atelier", exact=True).click()  # the header's menus open on click (or Enter)
    menu.get_by_role("link", name="Nouvel appareil").click()
    page.get_by_label("Catégorie").select_option(label="Ordinateur portable")
    page.get_by_label("Marque").fill("Lenovo")
    page.get_by_label("Modèle").fill("ThinkPad T480")
    page.get_by_label("Numéro de série").fill("PF-BROWSER-1")
    page.get_by_label("Processeur").fill("Intel Core i5-8350U")
    page.get_by_role("button", name="Enregistrer et imprimer l'étiquette").click()
    page.wait_for_url(re.compile(r".*/labels\?tag=RF-\d{6}$"))
    tag = page.url.rsplit("=", 1)[1]
    assert "enregistré" in page.get_by_role("status").first.inner_text() or tag in page.content()

    # print its label on a partly used A4 sheet
    page.get_by_label("Format des étiquettes").select_option("avery-l7160")
    page.get_by_label("Première position libre sur la planche").fill("4")
    with page.expect_response(lambda r: "/labels.pdf" in r.url) as answer:
        page.get_by_role("button", name=re.compile("Télécharger le PDF")).click()
    assert answer.value.status == 200 and answer.value.headers["content-type"] == "application/pdf"
    assert "start=4" in answer.value.url

    # scan the tag with a USB scanner (keyboard + Enter) and land on its page
    page.goto(f"{live_server}/devices")  # the header's box (the workshop's home has its own scan field)
    box = page.get_by_label(SCAN_BOX)
    box.fill(tag)
    box.press("Enter")
    page.wait_for_url(f"{live_server}/d/{tag}")
    assert page.locator(".tag-big").inner_text() == tag
    assert page.locator(".badge").first.inner_text() == "Reçu"

    # an action updates the page in place (HTMX), with its history line
    panel = page.locator("#refurb-panel")
    panel.get_by_role("button", name="Tout OK").click()
    panel.get_by_label("Conclusion").select_option("ready")
    panel.get_by_role("button", name="Enregistrer le diagnostic").click()
    page.locator(".badge--diagnosing").first.wait_for()
    assert page.url == f"{live_server}/d/{tag}"
    assert "Reçu → En diagnostic" in page.locator(".timeline").inner_text()

    # then move it to the bus, from the transfer page linked from the device page
    page.get_by_role("button", name="Transférer vers un autre site").click()  # a link styled as a button
    page.wait_for_url(re.compile(r".*/transfers/new.*"))
    assert tag in page.content()
    page.get_by_label("Site de destination").select_option("BUS")  # by value: the code of the bus
    page.get_by_role("button", name="Transférer", exact=True).click()
    page.wait_for_load_state()
    assert "Bus numérique" in page.content() and tag in page.content()
