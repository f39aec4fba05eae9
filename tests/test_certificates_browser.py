"""In real Chromium: a manager opens the activity report (SVG charts checked by axe), changes the period and
the factor set; a donor checks a certificate on the public page by typing its reference and code."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from refurb.certificates.models import Certificate

pytestmark = pytest.mark.browser


def test_report_page_and_public_verification(browser_login, live_server, activity_history, donation_setup, db,
                                             axe_check):
    page = browser_login("manager")
    page.goto(f"{live_server}/rapports/activite")
    axe_check(page)
    page.get_by_label("Du", exact=True).fill("2026-03-01")
    page.get_by_label("Au (inclus)").fill("2026-03-31")
    page.get_by_label("Facteurs d'impact").select_option("ereuse2026")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"factors=ereuse2026"))
    expect(page.get_by_role("img", name="Appareils collectés par type de donateur")).to_be_visible()
    expect(page.get_by_text("793,8 kg CO2e").first).to_be_visible()  # a headline figure, then the table
    axe_check(page)
    page.get_by_label("Au (inclus)").fill("2026-02-01")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_text("est avant son début").first).to_be_visible()

    s = donation_setup.make()
    page.goto(f"{live_server}/certificats/dons/{s['donation']}")
    with page.expect_response(re.compile(r"/certificats/EFF-")) as issued:
        page.get_by_role("button", name="Émettre le certificat d'effacement des données (PDF)").click()
    assert issued.value.ok
    db.rollback()
    cert = db.scalar(select(Certificate))
    page.context.clear_cookies()  # the donor is not logged in
    page.goto(f"{live_server}/verify")
    axe_check(page)
    page.get_by_label("Référence du certificat").fill(cert.reference.lower())
    page.get_by_label("Code de vérification (facultatif)").fill(cert.code)
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_text("Certificat authentique.")).to_be_visible()
    devices = page.get_by_role("region", name="Appareils du certificat")
    expect(devices.get_by_role("cell", name=s["pending"])).to_be_visible()
    axe_check(page)
