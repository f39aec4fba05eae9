"""Journey in real Chromium: log in, use the global scan box."""

import pytest

pytestmark = pytest.mark.browser


def test_login_and_scan_box(page, browser_login, live_server, axe_check):
    page.goto(f"{live_server}/login")
    axe_check(page)
    page = browser_login("admin")  # the roles with a home of their own (workshop, desk…) test it elsewhere
    axe_check(page)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Bonjour")
    # keyboard only: the skip link is the first stop
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    box = page.get_by_label("Scanner ou saisir un code (appareil, carte d'usager)")
    box.fill("CODE-INCONNU-42")
    box.press("Enter")
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert "CODE-INCONNU-42" in alert.inner_text()
    assert "Aucun appareil ni usager" in alert.inner_text()
    axe_check(page)
    page.screenshot(path="/tmp/refurb-scan.png", full_page=True)


def test_wrong_password_message(page, live_server):
    page.goto(f"{live_server}/login")
    page.get_by_label("Identifiant").fill("tech")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    assert "Identifiant ou mot de passe incorrect." in page.get_by_role("alert").inner_text()
