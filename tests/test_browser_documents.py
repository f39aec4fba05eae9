"""In real Chromium: a manager runs a stock-take at a site by scanning (USB scanner: type + Enter), resolves a
missing device, and prints the site's inventory."""

from __future__ import annotations

import re

import pytest
from fixtures_documents import make_device, pdf_text
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_manager_stocktake_resolve_and_print_inventory(browser_login, live_server, db, days_ago, axe_check):
    for n, category in ((1, "laptop"), (2, "tablet"), (3, "screen")):
        make_device(db, f"RF-00000{n}", "EPN-A", category=category, serial=f"SER-{n}", created=days_ago(10))
    make_device(db, "RF-000009", "EPN-B", serial="SER-9", created=days_ago(10))
    db.commit()

    page = browser_login("manager")
    page.get_by_role("navigation", name="Menu principal").get_by_text("Stock", exact=True).click()  # the header's menu
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Inventaire physique").click()
    page.get_by_role("main").get_by_label("Site").select_option("EPN-A")
    page.get_by_role("button", name="Commencer l'inventaire physique").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inventaire physique n°")
    expect(page.locator("#count-expected")).to_have_text("3")

    scan = page.get_by_label("Scanner une étiquette")
    expect(scan).to_be_focused()  # scan first: a USB scanner needs no mouse
    axe_check(page)

    def scan_code(code: str) -> None:
        page.keyboard.type(code)
        page.keyboard.press("Enter")

    scan_code("RF-000001")
    expect(page.locator("#count-found")).to_have_text("1")
    expect(page.locator("#stocktake-live")).to_contain_text("Trouvé : RF-000001")
    expect(scan).to_be_focused()
    scan_code("SER-2")  # the serial number works too
    expect(page.locator("#count-found")).to_have_text("2")
    scan_code("RF-000001")  # scanned twice: counted once
    expect(page.locator("#stocktake-live")).to_contain_text("déjà compté")
    expect(page.locator("#count-found")).to_have_text("2")
    scan_code("RF-000009")  # recorded at EPN-B
    expect(page.locator("#count-unexpected")).to_have_text("1")
    expect(page.locator("#count-missing")).to_have_text("1")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Clore l'inventaire physique").click()
    expect(page.get_by_role("heading", name=re.compile(r"Manquants \(1\)"))).to_be_visible()
    missing_row = page.locator("#ecart-RF-000003")
    missing_row.get_by_role("button", name=re.compile("Déclarer perdu")).click()
    expect(page.locator("#ecart-RF-000003")).to_contain_text("Déclaré perdu")
    page.locator("#ecart-RF-000009").get_by_role("button", name=re.compile("Transférer ici")).click()
    expect(page.locator("#ecart-RF-000009")).to_contain_text("Transféré ici")

    # print the site's inventory (the PDF the link opens)
    link = page.get_by_role("button", name="Inventaire du site (PDF)")
    href = link.get_attribute("href")
    response = page.request.get(live_server + href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.body())
    assert "RF-000001" in text and "RF-000002" in text and "RF-000009" in text  # moved here
    assert "RF-000003" not in text  # declared lost: not on the shelves any more
    assert "EPN A" in text and "par Manager" in text and "Total général" in text

    report = page.request.get(live_server + page.get_by_role("button", name="Imprimer le rapport (PDF)")
                              .get_attribute("href"))
    report_text = pdf_text(report.body())
    assert "Déclaré perdu le" in report_text and "Transféré ici le" in report_text
