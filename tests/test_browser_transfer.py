"""Journey in real Chromium: a technician scans two devices into the basket with the keyboard
(as a USB scanner types) and moves them to the bus."""

import re

import pytest
from conftest import scan_in_browser
from playwright.sync_api import expect
from sqlalchemy import select
from test_inventory_stock import make_device

from refurb.inventory.models import Device, DeviceEvent

pytestmark = pytest.mark.browser


def test_technician_scans_two_devices_and_moves_them_to_the_bus(db, browser_login, live_server, axe_check):
    t1 = make_device(db, "EPN-A", "laptop", "ready", brand="Lenovo", model="ThinkPad T480").asset_tag
    t2 = make_device(db, "EPN-A", "tablet", "loan_pool", brand="Samsung", model="Galaxy Tab A").asset_tag
    db.commit()
    page = browser_login("tech")
    page.get_by_role("navigation", name="Menu principal").get_by_text("Stock", exact=True).click()  # the header's menu
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Stock par site").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stock de vos sites")
    axe_check(page)
    page.get_by_role("button", name="Transférer des appareils").click()  # a link styled as a button
    page.wait_for_url(f"{live_server}/transfers/new")

    # The scan field has the focus: the scanner types the tag, then Enter.
    scan_in_browser(page, t1, fields=("basket-code",))
    expect(page.locator("#flash")).to_contain_text(f"{t1} ajouté au panier")
    expect(page.get_by_role("heading", name="Panier : 1 appareil")).to_be_visible()
    scan_in_browser(page, t2, fields=("basket-code",))  # ready for the next scan; the previous code is replaced
    expect(page.get_by_role("heading", name="Panier : 2 appareils")).to_be_visible()
    expect(page.locator("#basket")).to_contain_text("Galaxy Tab A")

    # A wrong scan says why, in place; the basket stays as it was.
    page.keyboard.type("RF-999999")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Aucun appareil ne correspond au code « RF-999999 »")
    expect(page.get_by_role("heading", name="Panier : 2 appareils")).to_be_visible()

    # The basket survives a reload.
    page.reload()
    expect(page.get_by_role("heading", name="Panier : 2 appareils")).to_be_visible()
    axe_check(page)

    page.get_by_label("Site de destination").select_option(label="Bus numérique (BUS)")
    page.get_by_role("button", name="Transférer", exact=True).click()
    page.wait_for_url(re.compile(r".*/transfers/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Transfert n° \d+"))
    expect(page.locator("#flash")).to_contain_text("2 appareils vers « Bus numérique »")
    expect(page.get_by_role("button", name="Bordereau de transfert (PDF)")).to_be_visible()
    expect(page.locator("main table")).to_contain_text(t1)
    expect(page.locator("main table")).to_contain_text(t2)
    axe_check(page)

    db.expire_all()
    devices = db.scalars(select(Device).where(Device.asset_tag.in_([t1, t2]))).all()
    assert {d.site.code for d in devices} == {"BUS"}
    events = db.scalars(select(DeviceEvent).where(DeviceEvent.action == "transfer")).all()
    assert len(events) == 2
