"""The walkthrough's checks in real Chromium, on a 1366 × 768 PC and an 800 × 1280 tablet: the header on
one row (the main heading within the first 200 px), no page scrolling sideways, axe on the pages the
workbench uses, and the technician's quicker paths ("Tout OK", grade and declare, undo)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PC, TABLET = {"width": 1366, "height": 768}, {"width": 800, "height": 1280}


def _layout(page) -> dict:
    return page.evaluate("""() => {
        const bar = document.querySelector('.site-header__bar');
        const tops = bar ? [...bar.children].filter(e => e.getClientRects().length)
                              .map(e => Math.round(e.getBoundingClientRect().top)) : [];
        const h1 = document.querySelector('main h1');
        const flash = document.getElementById('flash');  // a message shown above the heading is content
        const shift = flash ? flash.getBoundingClientRect().height : 0;
        return {h1: h1 ? Math.round(h1.getBoundingClientRect().top + window.scrollY - shift) : null,
                header: bar ? Math.round(bar.getBoundingClientRect().height) : 0,
                rows: new Set(tops.map(t => Math.round(t / 20))).size,
                scroll: document.documentElement.scrollWidth, width: window.innerWidth};
    }""")


def test_workbench_pages_fit_a_pc_and_a_tablet(browser_login, live_server, workshop, axe_check):
    received = workshop.device()
    ready = workshop.ready(workshop.device(category="tablet"))
    page = browser_login("tech")
    paths = ["/atelier/", f"/d/{received}", f"/d/{ready}", "/devices", "/devices?q=tablette",
             f"/transfers/new?tag={ready}", "/devices/new"]
    for path in paths:  # each page opened once, then seen at both sizes
        page.set_viewport_size(PC)
        page.goto(live_server + path)
        page.wait_for_load_state()
        for size in (PC, TABLET):
            page.set_viewport_size(size)
            got = _layout(page)
            assert got["scroll"] <= got["width"], (path, size, got)  # nothing scrolls sideways
            if size is PC:
                assert got["h1"] is not None and got["h1"] < 200, (path, got)
                assert got["rows"] == 1, (path, got)  # the header holds on one row
            axe_check(page)


def test_tout_ok_then_grade_and_declare_then_undo(browser_login, live_server, workshop, axe_check):
    tag = workshop.device(category="screen")  # no storage: no erasure needed
    page = browser_login("tech")
    page.goto(f"{live_server}/d/{tag}")
    panel = page.locator("#refurb-panel")
    # "Tout OK" by keyboard: every check becomes OK, the focus goes to the first check
    tout_ok = panel.get_by_role("button", name="Tout OK")
    tout_ok.focus()
    page.keyboard.press("Enter")
    checks = panel.locator(".refurb-checks select")
    assert checks.count() > 2
    assert all(v == "pass" for v in checks.evaluate_all("els => els.map(e => e.value)"))
    assert page.evaluate("document.activeElement.closest('.refurb-checks') !== null")
    expect(panel.get_by_role("status").first).to_contain_text("mis à « OK »")
    # then change the one failure and conclude
    panel.get_by_label("Conclusion").select_option("ready")
    panel.get_by_role("button", name="Enregistrer le diagnostic").click()
    expect(page.locator("#device-main .badge").first).to_have_text("En diagnostic")
    axe_check(page)

    # the grade form declares it reconditionné in the same step
    panel = page.locator("#refurb-panel")
    panel.get_by_label("A — très bon état").check()
    panel.get_by_role("button", name="Enregistrer et déclarer prêt à la vente").click()
    expect(page.locator("#device-main .badge").first).to_have_text("Prêt à la vente")
    assert workshop.state(tag) == "ready"
    axe_check(page)

    # the last step can be taken back by its author, and the history says so
    page.locator("#refurb-panel").get_by_role("button", name="Annuler cette étape").click()
    expect(page.locator("#device-main .badge").first).to_have_text("En diagnostic")
    assert workshop.state(tag) == "diagnosing"
    expect(page.locator(".timeline")).to_contain_text("Étape annulée")
    axe_check(page)


def test_dangerous_moves_ask_first_and_say_what_happens(browser_login, live_server, workshop):
    tag = workshop.device(category="screen")
    workshop.diagnose(tag)
    page = browser_login("tech")
    page.goto(f"{live_server}/d/{tag}")
    zone = page.locator(".danger-zone")
    confirm = zone.get_by_role("button", name="Confirmer : Recycler (DEEE)")
    assert not confirm.is_visible()  # nothing happens on one click
    zone.locator("summary").first.click()
    zone.get_by_text("Recycler (DEEE)…").click()
    expect(zone).to_contain_text("compté recyclé (DEEE)")
    confirm.click()
    expect(page.locator("#device-main .badge").first).to_have_text("Recyclé (DEEE)")


def test_header_menus_open_with_the_keyboard(browser_login, live_server):
    page = browser_login("tech")
    page.set_viewport_size(PC)
    page.goto(f"{live_server}/devices")
    menu = page.get_by_role("navigation", name="Menu principal")
    menu.get_by_text("Stock", exact=True).focus()
    page.keyboard.press("Enter")
    link = menu.get_by_role("link", name="Stock par site")
    expect(link).to_be_visible()
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/stock**")


@pytest.mark.parametrize("user", ["tech", "admin"])
def test_every_menu_page_fits_both_sizes(browser_login, live_server, workshop, axe_check, user):
    """Every page the header's menus lead to, for a technician and for an administrator (every menu)."""
    workshop.ready(workshop.device())
    page = browser_login(user)
    paths = page.evaluate("""() => [...document.querySelectorAll('nav[aria-label="Menu principal"] a')]
        .map(a => a.getAttribute('href'))""")
    assert paths
    problems = []
    for path in paths:  # each page opened once, then seen at both sizes (the styles hold no script)
        page.set_viewport_size(PC)
        page.goto(live_server + path)
        page.wait_for_load_state()
        for size in (PC, TABLET):
            page.set_viewport_size(size)
            got = _layout(page)
            if got["scroll"] > got["width"]:
                problems.append(f"{path} at {size['width']} px scrolls sideways ({got['scroll']} px)")
            if size is PC and not (got["rows"] == 1 and got["h1"] is not None and got["h1"] < 200):
                problems.append(f"{path} at 1366 px: header {got['rows']} row(s), heading at {got['h1']} px")
            try:
                axe_check(page)
            except AssertionError as err:
                problems.append(f"{path} at {size['width']} px: {err}")
    assert not problems, "\n".join(problems)
