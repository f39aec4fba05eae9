"""In real Chromium: the Content-Security-Policy breaks nothing on the main pages. A blocked script
or handler fails silently for the user, so any CSP report (console, securitypolicyviolation event,
htmx refusing to eval) fails the test."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Runs in every page before its own scripts (Playwright injects it; the page's CSP does not apply).
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push('CSP ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') +
                    ' (' + e.sourceFile + ':' + e.lineNumber + ')');
}, true);
document.addEventListener('htmx:evalDisallowedError', function (e) {
  window.__csp.push('htmx wanted to eval on ' + (e.target && e.target.outerHTML || '').slice(0, 120));
}, true);
"""


@pytest.fixture
def csp_watch(page):
    """Collects CSP problems of the page; call it after each step to check and clear them."""
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" and re.search(
        r"Content Security Policy|Refused to|unsafe-eval|wasm", m.text) else None)
    page.on("pageerror", lambda e: console.append(f"page error: {e}"))
    page.add_init_script(WATCH)

    def _check(where: str):
        page.wait_for_load_state("load")
        events = page.evaluate("window.__csp || []")
        problems = console + events
        console.clear()
        page.evaluate("window.__csp = []")
        assert not problems, f"{where}: " + "\n".join(problems)
    return _check


def _csp_header(page, live_server) -> str:
    return page.request.get(f"{live_server}/login").headers["content-security-policy"]


def test_desk_site_switcher_and_workshop_pages_run_under_the_csp(db, lk, make_device, browser_login, live_server,
                                                                  page, csp_watch):
    assert "'unsafe-inline'" not in _csp_header(page, live_server).split("script-src")[1].split(";")[0]
    laptop = lk.device("EPN-A", "laptop").asset_tag
    db.commit()
    browser_login("desk")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Comptoir de prêt")
    csp_watch("desk")
    page.keyboard.type(laptop)  # the desk's scan field has the focus (htmx swaps the panel)
    page.keyboard.press("Enter")
    expect(page.locator("#desk-body")).to_contain_text(laptop)
    csp_watch("desk after a scan")
    # the header's site selector, in the user menu: choose, then confirm with its button (no change-submit)
    page.locator(".user-menu > summary").click()
    page.get_by_label("Site de travail").select_option(label="Bus numérique")
    page.get_by_role("button", name="Changer de site").click()
    expect(page.locator("#flash")).to_contain_text("Vous travaillez maintenant pour : Bus numérique")
    csp_watch("site switch")
    page.goto(f"{live_server}/prets/regles")
    csp_watch("loan rules")
    page.goto(f"{live_server}/prets/retards")
    csp_watch("overdue loans")

    page.context.clear_cookies()
    tag = make_device(site="EPN-A")
    browser_login("tech")
    csp_watch("workshop")
    page.goto(f"{live_server}/d/{tag}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(tag)
    csp_watch("device page")
    page.goto(f"{live_server}/devices")
    page.get_by_label(re.compile("Rechercher")).first.fill(tag)  # search as you type (htmx)
    expect(page.locator("main")).to_contain_text(tag)
    csp_watch("device list")


def test_camera_scanner_decoder_compiles_under_the_csp(browser_login, live_server, page, csp_watch):
    browser_login("tech")
    result = page.evaluate("""async () => {
        const detector = await Refurb.getBarcodeDetector();  // zxing WebAssembly when there is no native one
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 32;
        canvas.getContext('2d').fillRect(0, 0, 32, 32);
        const codes = await detector.detect(canvas);
        return Array.isArray(codes) ? 'ok' : 'no list';
    }""")
    assert result == "ok"
    csp_watch("camera decoder")


def test_kiosk_and_documents_run_under_the_csp(db, lk, browser_login, live_server, page, csp_watch):
    browser_login("manager")
    page.goto(f"{live_server}/documents/")
    csp_watch("documents")
    page.goto(f"{live_server}/stocktakes/")
    csp_watch("stock-takes")
    page.goto(f"{live_server}/certificats/")
    csp_watch("certificates")
    page.goto(f"{live_server}/rapports/activite")
    csp_watch("activity report")

    page.context.clear_cookies()
    browser_login("desk")
    page.goto(f"{live_server}/prets/bornes")
    page.get_by_role("button", name="Ouvrir la borne ici").click()
    page.wait_for_url(f"{live_server}/borne")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scannez votre carte")
    csp_watch("kiosk")
    # the kiosk screen keeps its session alive with a fetch (connect-src 'self')
    url = page.evaluate("document.body.dataset.keepaliveUrl")
    assert page.evaluate("async (u) => (await fetch(u, {credentials: 'same-origin'})).status", url) == 204
    csp_watch("kiosk keep-alive")
