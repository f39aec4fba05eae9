"""Journey in real Chromium: a technician drops the folder of a USB stick on the workshop's page (an lshw
report and an nwipe log of a known laptop, a report of an unknown machine); the known laptop's page shows
what the reports filled and its erasure; the unknown report goes to a device in one click; a value a
person typed is kept until the technician takes the report's."""

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ASSETS = Path(__file__).parent / "assets" / "hwreports"


def test_a_usb_stick_folder_fills_the_devices(browser_login, live_server, workshop, tmp_path, axe_check):
    [laptop] = workshop.donation(devices=[{"category": "laptop", "serial_number": "PF1KX2Y7",
                                           "specs": {"cpu": "Intel Core i7-8650U"}}])
    [desktop] = workshop.donation(devices=[{"category": "desktop"}])
    stick = tmp_path / "rapports"
    stick.mkdir()
    shutil.copy(ASSETS / "lshw_laptop_list.json", stick / "lshw.json")
    shutil.copy(ASSETS / "sata_laptop.log", stick / "nwipe_log_20261202.txt")
    shutil.copy(ASSETS / "lshw_vm_object.json", stick / "autre-machine.json")

    page = browser_login("tech")
    page.get_by_role("button", name="Rapports d'une clé USB").click()
    expect(page.get_by_role("heading", name="Rapports matériels d'une clé USB")).to_be_visible()
    axe_check(page)
    page.get_by_label("Dossier de la clé").set_input_files(str(stick))
    page.get_by_role("button", name="Envoyer").click()

    rows = page.locator("#hw-results tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("tr", has_text="lshw.json")).to_contain_text(f"{laptop} — appliqué")
    expect(page.locator("tr", has_text="nwipe_log_20261202.txt")).to_contain_text(f"{laptop} — appliqué")
    unmatched = page.locator("tr", has_text="autre-machine.json")
    expect(unmatched).to_contain_text("Aucun appareil")
    axe_check(page)

    # one click: the unknown machine's report goes to the desktop
    unmatched.get_by_label("Appareil", exact=True).select_option(desktop)
    unmatched.get_by_role("button", name="Appliquer à cet appareil").click()
    page.wait_for_url(re.compile(rf"/d/{desktop}"))
    expect(page.locator("#hardware-reports")).to_contain_text("AMD EPYC")

    # the laptop: specs filled, the typed processor kept and offered as a choice, the erasure recorded
    page.goto(f"{live_server}/d/{laptop}")
    panel = page.locator("#hardware-reports")
    expect(panel).to_contain_text("WD-WX41A1234567")
    expect(panel).to_contain_text("1920×1080")
    expect(panel).to_contain_text("la fiche dit « Intel Core i7-8650U »")
    expect(page.locator("#refurb-panel")).to_contain_text("fait — WD-WX41A1234567")
    axe_check(page)
    choice = panel.locator("li", has_text="Processeur")
    choice.get_by_role("button", name="Prendre la valeur du rapport").click()
    page.wait_for_url(re.compile(rf"/d/{laptop}"))
    expect(page.locator("#hardware-reports")).to_contain_text("Intel(R) Core(TM) i5-8250U")
    expect(page.locator("#hardware-reports .hardware-choices li", has_text="Processeur")).to_have_count(0)


def test_files_dropped_on_the_zone_are_sent(browser_login, live_server, workshop):
    [laptop] = workshop.donation(devices=[{"category": "laptop", "serial_number": "PF1KX2Y7"}])
    page = browser_login("tech")
    page.goto(f"{live_server}/atelier/rapports")
    lshw = (ASSETS / "lshw_laptop_list.json").read_text()
    page.wait_for_function("() => typeof DataTransfer !== 'undefined'")
    with page.expect_navigation():
        page.evaluate("""(lshw) => {
            const dt = new DataTransfer();
            dt.items.add(new File([lshw], "lshw.json", {type: "application/json"}));
            dt.items.add(new File(["pas un rapport"], "note.txt", {type: "text/plain"}));
            const zone = document.querySelector("[data-hw-drop]");
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
        }""", lshw)
    expect(page.locator("tr", has_text="lshw.json")).to_contain_text(f"{laptop} — appliqué")
    expect(page.locator("tr", has_text="note.txt")).to_contain_text("Refusé")
