"""The real tools of this machine make fresh reports that Refurb reads (lshw, smartctl, nwipe on loop
devices: CI installs lshw, smartmontools and nwipe), and the collector sends what it gathers. The tool
tests are skipped, with the reason, where the tools, root or loop devices are missing."""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from refurb import collect
from refurb.inventory.models import Device
from refurb.refurbishment import hwreports

ASSETS = Path(__file__).parent / "assets" / "hwreports"
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"outil absent : {', '.join(missing)} (paquets lshw, smartmontools, nwipe)")
    if not ROOT:
        pytest.skip("il faut être root pour lshw complet, smartctl et les périphériques loop")


def test_lshw_of_this_machine():
    need("lshw")
    out = subprocess.run(["lshw", "-json"], capture_output=True, timeout=120, check=True).stdout
    reading = hwreports.read(out, "lshw.json")
    assert reading.kind == "lshw" and reading.cpu and reading.ram_gb


def test_smartctl_of_this_machines_disks():
    need("smartctl", "lsblk")
    disks = collect.internal_disks()
    if not disks:
        pytest.skip("aucun disque interne visible")
    for disk in disks:
        out = subprocess.run(["smartctl", "--json", "-a", disk], capture_output=True, timeout=120, check=False).stdout
        try:
            reading = hwreports.read(out, "smart.json")
        except hwreports.Unreadable as err:  # a virtual disk: smartctl says it cannot read it, and so do we
            assert "smartctl n'a pas pu lire ce disque" in str(err)
        else:
            assert reading.kind == "smartctl" and reading.disks[0].serial


@pytest.fixture
def loops(tmp_path):
    """Loop devices on small image files, detached afterwards."""
    need("nwipe", "losetup")
    attached = []

    def make(size_mb: int = 16) -> str:
        image = tmp_path / f"disk{len(attached)}.img"
        with open(image, "wb") as f:
            f.truncate(size_mb * 1048576)
        done = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"pas de périphérique loop ici : {done.stderr.strip()[:200]}")
        attached.append(done.stdout.strip())
        return attached[-1]
    yield make
    for dev in attached:
        subprocess.run(["losetup", "-d", dev], check=False)


def nwipe(log: Path, *devices: str, method: str = "zero", verify: str = "last") -> list[str]:
    return ["nwipe", "--autonuke", "--nogui", "--nowait", f"--method={method}", f"--verify={verify}", "-l", str(log),
            *devices]


def test_nwipe_success_with_verification_and_two_disks(loops, tmp_path):
    log = tmp_path / "nwipe.log"
    subprocess.run(nwipe(log, loops(), loops(8), method="prng", verify="all"), capture_output=True, timeout=300,
                   check=False)
    reading = hwreports.read(log.read_bytes(), log.name)
    assert [w.result for w in reading.wipes] == ["erased", "erased"]
    assert all(w.verified_ok and hwreports.erasure_fields(w)["result"] == "passed" for w in reading.wipes)
    assert reading.tool_version.startswith("0.")


def test_nwipe_interrupted_is_a_failed_erasure(loops, tmp_path):
    log = tmp_path / "aborted.log"
    process = subprocess.Popen(nwipe(log, loops(512), method="dod522022m", verify="all"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not log.exists() or b"Starting pass" not in log.read_bytes()):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    [wipe] = hwreports.read(log.read_bytes(), log.name).wipes
    assert wipe.result in ("aborted", "unfinished") and hwreports.erasure_fields(wipe)["result"] == "failed"


# --- the collector ----------------------------------------------------------------------------------

@pytest.fixture
def fake_tools(tmp_path, monkeypatch):
    """lshw, smartctl and lsblk that answer like a ThinkPad T580 (the fixtures), first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {
        "lshw": f"cat '{ASSETS / 'lshw_laptop_list.json'}'",
        "smartctl": f"cat '{ASSETS / 'smartctl_hdd_passed.json'}'; exit 4",  # smartctl's bit mask: still JSON
        "lsblk": "echo '" + json.dumps({"blockdevices": [{"name": "sda", "type": "disk", "tran": "sata"},
                                                          {"name": "sdb", "type": "disk", "tran": "usb"},
                                                          {"name": "sr0", "type": "rom", "tran": "sata"}]}) + "'",
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


def test_the_collector_sends_the_reports_with_the_tag(fake_tools, tmp_path, live_server, api_token, workshop, db,
                                                       capsys):
    [tag] = workshop.donation(kind="company")
    secret = api_token("tech")["Authorization"].split(" ", 1)[1]
    code = collect.main(["--tag", tag.lower(), "--url", live_server, "--token", secret, "--dir", str(tmp_path / "cle")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"Envoyé à Refurb pour {tag}" in out
    db.rollback()
    device = db.scalar(select(Device).where(Device.asset_tag == tag))
    assert device.serial_number == "PF1KX2Y7" and device.specs["ram_gb"] == 8
    assert device.specs["storage"][1]["type"] == "hdd"  # lshw, then smartctl of /dev/sda
    [folder] = (tmp_path / "cle").iterdir()
    assert folder.name.startswith("PF1KX2Y7-") and sorted(p.name for p in folder.iterdir()) == \
        ["lshw.json", "smartctl-sda.json"]  # the USB stick (sdb) and the CD drive are left out


def test_the_collector_keeps_the_reports_when_refurb_cannot_be_reached(fake_tools, tmp_path, capsys):
    code = collect.main(["--tag", "RF-00001", "--url", "http://127.0.0.1:9", "--token", "x",
                         "--dir", str(tmp_path / "cle")])
    out = capsys.readouterr().out
    assert code == 2 and "injoignable" in out and "restent sur la clé" in out
    [folder] = (tmp_path / "cle").iterdir()
    assert (folder / "lshw.json").read_bytes() == (ASSETS / "lshw_laptop_list.json").read_bytes()


def test_refurb_collector_prints_the_script():
    from click.testing import CliRunner

    from refurb.cli import collector_command
    result = CliRunner().invoke(collector_command)
    assert result.exit_code == 0, result.output[-500:]
    assert result.output == Path(collect.__file__).read_text(encoding="utf-8")
