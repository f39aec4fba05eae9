"""Hardware reports: lshw, smartctl, nwipe logs and Workbench snapshots read from files the real tools
wrote (tests/assets/hwreports/README.md says how each was made), applied to devices through the API."""

import io
import json
from pathlib import Path

import pytest
from conftest import csrf_token
from sqlalchemy import func, select

from refurb.inventory.models import Device, DeviceEvent
from refurb.refurbishment import hwreports
from refurb.refurbishment.models import Erasure, HardwareReport
from refurb.storage import StoredFile

ASSETS = Path(__file__).parent / "assets" / "hwreports"


def asset(name: str) -> bytes:
    return (ASSETS / name).read_bytes()


def read(name: str) -> hwreports.Reading:
    return hwreports.read(asset(name), name)


# --- the readers --------------------------------------------------------------------------------

def test_lshw_both_shapes_give_the_machine():
    laptop = read("lshw_laptop_list.json")
    assert (laptop.kind, laptop.manufacturer, laptop.model, laptop.system_serial) == \
        ("lshw", "LENOVO", "ThinkPad T580 (20L9CTO1WW)", "PF1KX2Y7")
    assert (laptop.cpu, laptop.cpu_cores, laptop.ram_gb) == ("Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", 4, 8)
    assert laptop.screen_resolution == "1920×1080" and laptop.network and laptop.wireless
    assert laptop.battery_design_mwh == 56000 and laptop.battery_health_pct is None  # lshw: design capacity only
    assert [d.spec() for d in laptop.disks] == [
        {"model": "SAMSUNG MZVLB256HAHQ-000L7", "serial": "S41GNX0M123456", "size_gb": 256, "type": "nvme"},
        {"model": "WDC WD5000LPVX-0", "serial": "WD-WX41A1234567", "size_gb": 500, "type": None}]
    assert any("USB" in note for note in laptop.notes)  # the boot stick is not one of the machine's disks
    vm = read("lshw_vm_object.json")  # this machine, as Debian's lshw 02.19 prints it: one object
    assert vm.kind == "lshw" and vm.cpu == "AMD EPYC" and vm.ram_gb == 24 and vm.network and vm.wireless is False


def test_lshw_battery_health_when_the_full_capacity_is_given():
    data = json.loads(asset("lshw_laptop_list.json"))
    battery = data[0]["children"][0]["children"][2]
    assert battery["class"] == "power"
    battery["configuration"]["full_capacity"] = "44800"
    assert hwreports.read(json.dumps(data).encode()).battery_health_pct == 80


def test_smartctl_disks_and_health():
    hdd, nvme, bad = read("smartctl_hdd_passed.json"), read("smartctl_nvme_passed.json"), read("smartctl_ssd_failed.json")
    assert hdd.disks[0].spec() == {"model": "WDC WD5000LPVX-08V0TT5", "serial": "WD-WX41A1234567", "size_gb": 500,
                                   "type": "hdd"}
    assert (hdd.disks[0].smart_passed, hdd.disks[0].power_on_hours, hdd.tool_version) == (True, 9876, "7.3")
    assert nvme.disks[0].type == "nvme" and nvme.disks[0].size_gb == 256
    assert bad.disks[0].type == "ssd" and bad.smart_failed == bad.disks


def test_smartctl_that_could_not_read_the_disk_says_what_smartctl_said():
    with pytest.raises(hwreports.Unreadable, match="Unable to detect device type"):
        read("smartctl_vda_unsupported.json")


def test_workbench_snapshot_embeds_lshw_and_smart():
    snap = read("workbench_snapshot.json")
    assert snap.kind == "workbench" and snap.system_serial == "PF1KX2Y7" and snap.tool_version == "2022.4.0-beta"
    nvme = next(d for d in snap.disks if d.serial == "S41GNX0M123456")
    assert nvme.smart_passed is True and nvme.power_on_hours == 3120


@pytest.mark.parametrize("name, result, verify, passes, record", [
    ("zero_verify.log", "erased", "last", 1, "passed"),
    ("dodshort.log", "erased", "off", 3, "passed"),
    ("aborted.log", "aborted", "all", 7, "failed"),
    ("failed_readonly.log", "failed", "last", 1, "failed"),
    ("nwipe025_no_summary.log", "erased", "off", 3, "passed"),
    ("cut_mid_wipe.log", "unfinished", "all", 7, "failed"),
])
def test_nwipe_logs(name, result, verify, passes, record):
    reading = read(name)
    [wipe] = reading.wipes
    assert (wipe.result, wipe.verify, wipe.passes) == (result, verify, passes)
    assert wipe.started_at and wipe.ended_at and wipe.ended_at >= wipe.started_at
    fields = hwreports.erasure_fields(wipe)
    assert fields["result"] == record and fields["method"] == "overwrite" and fields["nist_category"] == "clear"


def test_nwipe_versions_serials_and_several_disks():
    assert read("nwipe025_no_summary.log").tool_version == "0.25"
    sata = read("sata_laptop.log")
    assert (sata.tool_version, sata.system_serial, sata.manufacturer) == ("0.33", "PF1KX2Y7", "LENOVO")
    assert [(w.serial, w.model, w.size_bytes) for w in sata.wipes] == [
        ("WD-WX41A1234567", "WDC WD5000LPVX-08V0TT5", 500107862016)]
    two = read("two_disks_prng.log")
    assert [(w.device, w.method, w.result) for w in two.wipes] == [
        ("/dev/loop0", "PRNG Stream", "erased"), ("/dev/loop1", "PRNG Stream", "erased")]
    assert not any(w.serial for w in two.wipes)  # loop devices have none


def test_anonymised_logs_are_seen_as_such():
    for name in ("anonymised.log", "sysinfo_anonymised.log"):
        reading = read(name)
        assert reading.anonymised and reading.system_serial == "" and reading.specs().get("storage") is None


@pytest.mark.parametrize("content, message", [
    (b"Bonjour, ceci est une lettre.", "Formats lus : lshw -json"),
    (b"%PDF-1.4\n%%EOF\n", "Formats lus"),
    (b'{"name": "un autre outil"}', "JSON d'un autre outil"),
    (b"\x00\x01\x02binaire", "binaire"),
    (b"   ", "vide"),
])
def test_unknown_formats_name_the_formats_read(content, message):
    with pytest.raises(hwreports.Unreadable, match=message):
        hwreports.read(content)


def test_truncated_json_is_refused_as_such():
    content = asset("lshw_laptop_list.json")
    with pytest.raises(hwreports.Unreadable, match="tronqué ou mal formé"):
        hwreports.read(content[: len(content) // 2])


# --- through the API ------------------------------------------------------------------------------

def post(client, url, headers, *files):
    data = {"file": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(url, data=data, headers=headers, content_type="multipart/form-data")


@pytest.fixture
def laptop(workshop):
    [tag] = workshop.donation(kind="company")
    return tag


def device_of(db, tag) -> Device:
    db.rollback()
    return db.scalar(select(Device).where(Device.asset_tag == tag))


def test_lshw_fills_the_pinned_specs_and_the_history(client, db, api_token, workshop, laptop):
    response = post(client, f"/api/v1/devices/{laptop}/reports", api_token("tech"),
                    ("lshw.json", asset("lshw_laptop_list.json")))
    assert response.status_code == 201, response.json
    [report] = response.json["reports"]
    assert report["kind"] == "lshw" and len(report["sha256"]) == 64 and report["created"]
    specs = response.json["device"]["specs"]
    assert specs["manufacturer"] == "LENOVO" and specs["cpu"].startswith("Intel(R) Core(TM) i5")
    assert specs["ram_gb"] == 8 and specs["screen_resolution"] == "1920×1080"
    assert [d["serial"] for d in specs["storage"]] == ["S41GNX0M123456", "WD-WX41A1234567"]
    assert response.json["device"]["serial_number"] == "PF1KX2Y7"
    assert client.get(f"/api/v1/devices/{laptop}", headers=api_token("tech")).json["specs"] == specs
    assert workshop.events(laptop)[-1] == "hardware_report"
    event = db.scalar(select(DeviceEvent).where(DeviceEvent.action == "hardware_report"))
    assert event.data["sha256"] == report["sha256"] and "lshw" in event.note


def test_the_same_file_twice_is_recorded_once(client, db, api_token, laptop):
    for expected in (True, False):
        response = post(client, f"/api/v1/devices/{laptop}/reports", api_token("tech"),
                        ("lshw.json", asset("lshw_laptop_list.json")))
        assert response.status_code == 201 and response.json["reports"][0]["created"] is expected
    db.rollback()
    assert db.scalar(select(func.count()).select_from(HardwareReport)) == 1
    assert db.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.purpose == "hardware_report")) == 1


def test_smartctl_completes_the_disk_and_gives_the_storage_check(client, api_token, laptop):
    url = f"/api/v1/devices/{laptop}/reports"
    post(client, url, api_token("tech"), ("lshw.json", asset("lshw_laptop_list.json")))
    response = post(client, url, api_token("tech"), ("sda.json", asset("smartctl_hdd_passed.json")))
    assert response.status_code == 201
    assert response.json["reports"][0]["applied"]["checks"] == {"storage": "pass"}
    disk = next(d for d in response.json["device"]["specs"]["storage"] if d["serial"] == "WD-WX41A1234567")
    assert disk == {"model": "WDC WD5000LPVX-08V0TT5", "serial": "WD-WX41A1234567", "size_gb": 500, "type": "hdd"}


def test_a_failing_disk_unknown_to_the_device_is_a_choice_and_a_failed_check(client, api_token, laptop):
    url = f"/api/v1/devices/{laptop}/reports"
    post(client, url, api_token("tech"), ("lshw.json", asset("lshw_laptop_list.json")))
    response = post(client, url, api_token("tech"), ("sdc.json", asset("smartctl_ssd_failed.json")))
    report = response.json["reports"][0]
    assert report["applied"]["checks"] == {"storage": "fail"}
    assert any("50026B7782A1B2C3" in w and "absent de la fiche" in w for w in report["warnings"])
    assert "50026B7782A1B2C3" not in json.dumps(response.json["device"]["specs"])


def test_a_value_a_person_typed_is_never_replaced(client, db, api_token, workshop):
    [tag] = workshop.donation(devices=[{"category": "laptop", "specs": {"cpu": "Intel Core i7-8650U"}}])
    response = post(client, f"/api/v1/devices/{tag}/reports", api_token("tech"),
                    ("lshw.json", asset("lshw_laptop_list.json")))
    report = response.json["reports"][0]
    assert response.json["device"]["specs"]["cpu"] == "Intel Core i7-8650U"
    assert any("Processeur" in w and "Intel Core i7-8650U" in w for w in report["warnings"])
    stored = db.get(HardwareReport, report["id"])
    [choice] = [c for c in stored.choices if c["key"] == "cpu"]
    assert choice["reported"].startswith("Intel(R) Core(TM) i5")


def test_a_report_of_another_machine_changes_nothing(client, db, api_token, workshop):
    [tag] = workshop.donation(devices=[{"category": "laptop", "serial_number": "R9-OTHER-1"}])
    response = post(client, f"/api/v1/devices/{tag}/reports", api_token("tech"),
                    ("lshw.json", asset("lshw_laptop_list.json")))
    assert response.status_code == 201
    report = response.json["reports"][0]
    assert report["applied"] == {} and "autre machine" in report["warnings"][0]
    assert response.json["device"]["specs"] == {} and response.json["device"]["serial_number"] == "R9-OTHER-1"


def test_nwipe_log_records_one_erasure_per_disk_with_the_log(client, db, api_token, laptop):
    url = f"/api/v1/devices/{laptop}/reports"
    response = post(client, url, api_token("tech"), ("nwipe_sda.log", asset("sata_laptop.log")))
    assert response.status_code == 201, response.json
    [made] = response.json["reports"][0]["applied"]["erasures"]
    assert made["serial"] == "WD-WX41A1234567" and made["result"] == "passed"
    db.rollback()
    erasure = db.get(Erasure, made["id"])
    assert (erasure.method, erasure.nist_category, erasure.tool, erasure.tool_version) == \
        ("overwrite", "clear", "nwipe", "0.33")
    assert erasure.verified and erasure.passes == 1 and [m.serial for m in erasure.media] == ["WD-WX41A1234567"]
    assert erasure.report_sha256 == response.json["reports"][0]["sha256"]
    status = client.get(f"/api/v1/devices/{laptop}/refurbishment", headers=api_token("tech")).json
    assert status["erasure"]["ok"] and status["erasure"]["erased_media"] == ["WD-WX41A1234567"]


@pytest.mark.parametrize("name", ["aborted_sata.log", "cut_mid_wipe.log"])
def test_an_aborted_or_cut_wipe_is_a_failed_erasure(client, api_token, laptop, name):
    response = post(client, f"/api/v1/devices/{laptop}/reports", api_token("tech"), (name, asset(name)))
    assert response.status_code == 201
    assert response.json["reports"][0]["applied"]["erasures"][0]["result"] == "failed"
    status = client.get(f"/api/v1/devices/{laptop}/refurbishment", headers=api_token("tech")).json
    assert status["erasure"]["state"] == "failed" and not status["erasure"]["ok"]


def test_an_anonymised_log_is_kept_but_proves_nothing(client, db, api_token, laptop):
    response = post(client, f"/api/v1/devices/{laptop}/reports", api_token("tech"),
                    ("anon.log", asset("sysinfo_anonymised.log")))
    report = response.json["reports"][0]
    assert "erasures" not in report["applied"] and any("anonymisé" in w for w in report["warnings"])
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Erasure)) == 0
    assert db.get(HardwareReport, report["id"]) is not None


def test_bad_files_are_refused_with_the_formats_read(client, api_token, laptop):
    url = f"/api/v1/devices/{laptop}/reports"
    response = post(client, url, api_token("tech"), ("notes.txt", b"rien a voir"))
    assert response.status_code == 422 and "Formats lus" in response.json["error"]["message"]
    content = asset("lshw_laptop_list.json")
    response = post(client, url, api_token("tech"), ("lshw.json", content[:3000]))
    assert response.status_code == 422 and "tronqué" in response.json["error"]["message"]
    response = post(client, url, api_token("tech"), ("big.log", b"x" * (11 * 1048576)))
    assert response.status_code == 413 and "10 Mo" in response.json["error"]["message"]


def test_a_60_mb_upload_is_refused_before_it_is_read(client, api_token, laptop):
    response = post(client, f"/api/v1/devices/{laptop}/reports", api_token("tech"),
                    ("huge.json", b"{" + b" " * (60 * 1048576)))
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"


def test_one_bad_file_among_several_leaves_the_others_recorded(client, api_token, laptop):
    response = post(client, f"/api/v1/devices/{laptop}/reports", api_token("tech"),
                    ("lshw.json", asset("lshw_laptop_list.json")), ("x.txt", b"pas un rapport"))
    assert response.status_code == 201
    assert [r["kind"] for r in response.json["reports"]] == ["lshw"]
    assert response.json["refused"][0]["filename"] == "x.txt"


def test_a_usb_stick_of_files_finds_each_device(client, db, api_token, workshop):
    [known] = workshop.donation(devices=[{"category": "laptop", "serial_number": "PF1KX2Y7"}])
    response = post(client, "/api/v1/reports", api_token("tech"),
                    ("lshw.json", asset("lshw_laptop_list.json")),
                    ("sda.json", asset("smartctl_hdd_passed.json")),
                    ("vm.json", asset("lshw_vm_object.json")),
                    ("lettre.txt", b"Bonjour"))
    assert response.status_code == 200, response.json
    files = {f["filename"]: f for f in response.json["files"]}
    assert files["lshw.json"]["status"] == "applied" and files["lshw.json"]["device"] == known
    assert files["sda.json"]["status"] == "applied" and files["sda.json"]["device"] == known  # by its disk
    assert files["vm.json"]["status"] == "unmatched" and "numéro de série" in files["vm.json"]["reason"]
    assert files["lettre.txt"]["status"] == "refused" and "Formats lus" in files["lettre.txt"]["error"]["message"]
    [other] = workshop.donation(devices=[{"category": "desktop"}])
    chosen = client.post(f"/api/v1/reports/pending/{files['vm.json']['pending_token']}", json={"asset_tag": other},
                         headers=api_token("tech"))
    assert chosen.status_code == 201 and chosen.json["device"]["specs"]["cpu"] == "AMD EPYC"
    again = client.post(f"/api/v1/reports/pending/{files['vm.json']['pending_token']}", json={"asset_tag": other},
                        headers=api_token("tech"))
    assert again.status_code == 404


def test_the_stick_never_reaches_another_sites_device(client, api_token, workshop):
    workshop.donation(site="EPN-B", devices=[{"category": "laptop", "serial_number": "PF1KX2Y7"}])
    response = post(client, "/api/v1/reports", api_token("tech"), ("lshw.json", asset("lshw_laptop_list.json")))
    [result] = response.json["files"]
    assert result["status"] == "unmatched" and "aucun appareil de vos sites" in result["reason"]


def test_reception_may_not_send_reports(client, api_token, laptop):
    response = post(client, f"/api/v1/devices/{laptop}/reports", api_token("desk"),
                    ("lshw.json", asset("lshw_laptop_list.json")))
    assert response.status_code == 403


# --- the workshop's pages ---------------------------------------------------------------------------

def hostile_lshw() -> bytes:
    data = json.loads(asset("lshw_laptop_list.json"))
    data[0]["vendor"] = '<script>alert("x")</script>'
    data[0]["product"] = "<b>Pavillon</b> & <i>co</i>"
    data[0]["serial"] = "HOSTILE-1"
    return json.dumps(data).encode()


def test_the_device_page_shows_what_reports_filled_escaped(client, db, login_as, api_token, laptop):
    post(client, f"/api/v1/devices/{laptop}/reports", api_token("tech"), ("pwn<img>.json", hostile_lshw()))
    login_as("tech")
    html = client.get(f"/d/{laptop}").get_data(as_text=True)
    assert 'id="hardware-reports"' in html and "WD-WX41A1234567" in html and "1920×1080" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<b>Pavillon</b>" not in html and "&lt;b&gt;Pavillon" in html
    assert "pwn&lt;img&gt;.json" in html or "pwn_img_.json" in html


def test_the_diagnosis_form_starts_from_smart_and_battery(client, login_as, api_token, laptop):
    post(client, f"/api/v1/devices/{laptop}/reports", api_token("tech"), ("sdc.json", asset("smartctl_ssd_failed.json")))
    login_as("tech")
    html = client.get(f"/atelier/appareils/{laptop}").get_data(as_text=True)
    assert "Pré-rempli d'après les rapports matériels" in html
    storage = html.split('name="check_storage"')[1].split("</select>")[0]
    assert '<option value="fail" selected>' in storage


def test_a_person_settles_a_difference_on_the_device_page(client, db, login_as, api_token, workshop):
    [tag] = workshop.donation(devices=[{"category": "laptop", "specs": {"cpu": "Intel Core i7-8650U"}}])
    response = post(client, f"/api/v1/devices/{tag}/reports", api_token("tech"),
                    ("lshw.json", asset("lshw_laptop_list.json")))
    report = db.get(HardwareReport, response.json["reports"][0]["id"])
    index = next(i for i, c in enumerate(report.choices) if c["key"] == "cpu")
    login_as("tech")
    token = csrf_token(client, f"/d/{tag}")
    answer = client.post(f"/atelier/appareils/{tag}/rapports/{report.id}/choix",
                         data={"index": str(index), "take": "1", "csrf_token": token})
    assert answer.status_code == 303
    assert device_of(db, tag).specs["cpu"].startswith("Intel(R) Core(TM) i5")
    assert workshop.events(tag)[-1] == "hardware_choice"
    again = client.post(f"/atelier/appareils/{tag}/rapports/{report.id}/choix",
                        data={"index": str(index), "take": "1", "csrf_token": token}, follow_redirects=True)
    assert "déjà été tranchée" in again.get_data(as_text=True) or "Garder la fiche" not in again.get_data(as_text=True)


def test_the_usb_stick_page_sorts_a_folder(client, db, login_as, workshop):
    [known] = workshop.donation(devices=[{"category": "laptop", "serial_number": "PF1KX2Y7"}])
    login_as("tech")
    token = csrf_token(client, "/atelier/rapports")
    files = [(io.BytesIO(asset("sata_laptop.log")), "shredos/nwipe_log_1.txt"),
             (io.BytesIO(asset("lshw_vm_object.json")), "shredos/vm.json"),
             (io.BytesIO(b"<img src=x onerror=alert(1)>"), "shredos/<b>lettre</b>.txt")]
    page = client.post("/atelier/rapports", data={"file": files, "csrf_token": token},
                       content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"{known}</a>\n        — appliqué" in html and "Aucun appareil" in html and "Refusé" in html
    assert "<b>lettre</b>" not in html and "<img src=x" not in html
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Erasure)) == 1
    pending = html.split('/atelier/rapports/attente/')[1].split('"')[0]
    [other] = workshop.donation(devices=[{"category": "desktop"}])
    done = client.post(f"/atelier/rapports/attente/{pending}", data={"asset_tag": other, "csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/d/{other}#hardware-reports")


def test_the_report_file_is_downloaded_as_received(client, login_as, api_token, laptop):
    response = post(client, f"/api/v1/devices/{laptop}/reports", api_token("tech"),
                    ("lshw.json", asset("lshw_laptop_list.json")))
    report = response.json["reports"][0]
    by_api = client.get(f"/api/v1/reports/{report['id']}/file", headers=api_token("desk"))
    assert by_api.data == asset("lshw_laptop_list.json") and by_api.headers["X-Content-SHA256"] == report["sha256"]
    login_as("desk")
    download = client.get(f"/atelier/rapports/{response.json['reports'][0]['id']}/fichier")
    assert download.status_code == 200 and download.data == asset("lshw_laptop_list.json")
    assert download.headers["Content-Security-Policy"] == "sandbox"


def test_hostile_text_from_reports_is_printed_as_text_in_pdfs(client, login_as, api_token, laptop):
    from fixtures_certificates import issue, pdf_text

    hostile_model = '<font color="red">Disque</font> & <b>co'
    log = asset("sata_laptop.log").decode().replace("WDC WD5000LPVX-08V0TT5", hostile_model)
    log = log.replace("PF1KX2Y7", "HOSTILE-1")  # the same machine as the lshw report
    url = f"/api/v1/devices/{laptop}/reports"
    assert post(client, url, api_token("tech"), ("pwn.json", hostile_lshw())).status_code == 201
    answer = post(client, url, api_token("tech"), ("nwipe.log", log.encode()))
    assert answer.json["reports"][0]["applied"]["erasures"][0]["result"] == "passed"
    login_as("manager")
    certificate = issue(client, f"/certificats/appareils/{laptop}/effacement")
    assert certificate.status_code == 200 and certificate.mimetype == "application/pdf"
    text = pdf_text(certificate.data)
    assert '<script>alert("x")</script>' in text.replace("\n", "") and "<b>co" in text.replace("\n", "")
    labels = client.get(f"/labels.pdf?tag={laptop}")
    assert labels.status_code == 200 and '<script>alert("x")</script>' in pdf_text(labels.data)  # cut to fit


def test_nwipe_without_summary_tables_reads_the_disk_line_and_the_failure():
    """nwipe 0.2x: no "has serial number" line, no Drive Status table: the Found line and the error lines say it."""
    text = asset("failed_readonly.log").decode()
    text = text.split("******************************** Error Summary")[0]
    text = text.replace("Found /dev/loop0, VIRT, Loopback device,  67 MB, S/N=",
                        "Found /dev/sdb, ATA, ST500LM021-1KJ152, 500 GB, S/N=W62ABCDE").replace("/dev/loop0", "/dev/sdb")
    [wipe] = hwreports.read(text.encode()).wipes
    assert (wipe.serial, wipe.model, wipe.result) == ("W62ABCDE", "ST500LM021-1KJ152", "failed")


def test_a_disk_listed_twice_in_one_report_is_added_once(client, api_token, laptop):
    data = json.loads(asset("lshw_laptop_list.json"))
    pci = next(n for n in data[0]["children"][0]["children"] if n["id"] == "pci")
    sata = next(n for n in pci["children"] if n["id"] == "sata")
    sata["children"].append(dict(sata["children"][0], logicalname="/dev/sdz"))
    response = post(client, f"/api/v1/devices/{laptop}/reports", api_token("tech"),
                    ("lshw.json", json.dumps(data).encode()))
    serials = [d["serial"] for d in response.json["device"]["specs"]["storage"]]
    assert serials == ["S41GNX0M123456", "WD-WX41A1234567"]


def test_the_device_page_reads_the_reports_once_for_its_panels(app, client, api_token, login_as, laptop):
    """The reports' panel and the workshop's diagnosis form (pre-filled from SMART) share one read of the
    device's reports; a device without any reads none."""
    from test_refurbishment_workshop import _page_statements, _rows_of

    login_as("tech")
    html, statements = _page_statements(app, client, f"/d/{laptop}")
    assert _rows_of(statements, "hardware_reports") == 0 and 'aria-label="Diagnostic"' in html
    assert "Pré-rempli d'après les rapports matériels" not in html
    post(client, f"/api/v1/devices/{laptop}/reports", api_token("tech"), ("sdc.json", asset("smartctl_ssd_failed.json")))
    html, statements = _page_statements(app, client, f"/d/{laptop}")
    assert _rows_of(statements, "hardware_reports") == 1  # once, for both panels
    assert "Pré-rempli d'après les rapports matériels" in html and "sdc.json" in html
