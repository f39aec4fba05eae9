#!/usr/bin/env python3
"""refurb-collect: read a computer booted from a live USB stick (lshw, smartctl) and send the reports to
Refurb, or keep them on the stick for later.

Python's standard library only: this file is copied as it is onto the stick (``refurb collector``
prints it) and run as root on the live system: ``sudo python3 refurb-collect.py``.
It needs the ``lshw`` and ``smartmontools`` packages of the live system (ShredOS, Debian live…).

What it does:
1. ``lshw -json`` once, ``smartctl --json -a`` on every internal disk (the USB stick itself is left out);
2. asks for the device's asset tag (typed, or scanned with a USB barcode reader);
3. sends the files to ``REFURB_PUBLIC_URL`` with an API token (``REFURB_TOKEN``, or asked), or, without a
   network, keeps them in a folder beside this script: drop that folder later on the workshop's page
   "Rapports d'une clé USB".
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path

TIMEOUT = 120  # seconds for one tool run (smartctl on a dying disk can hang)


def run(command: list[str]) -> bytes | None:
    """The tool's output, or None when it is missing or wrote nothing."""
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.stdout.strip() else None  # smartctl's exit status is a bit mask: read the JSON


def internal_disks() -> list[str]:
    """Disks of the machine (HDD, SSD, NVMe, eMMC), without the USB stick we run from nor CD drives."""
    out = run(["lsblk", "--json", "--nodeps", "--output", "NAME,TYPE,TRAN"])
    if out is None:
        return []
    try:
        devices = json.loads(out).get("blockdevices") or []
    except ValueError:
        return []
    return [f"/dev/{d['name']}" for d in devices
            if d.get("type") == "disk" and d.get("tran") != "usb"
            and not re.match(r"(loop|zram|ram|sr|fd)\d*", d.get("name", ""))]


def system_serial(lshw: bytes | None) -> str:
    try:
        data = json.loads(lshw or b"null")
    except ValueError:
        return ""
    node = data[0] if isinstance(data, list) and data else data
    serial = node.get("serial", "") if isinstance(node, dict) else ""
    return re.sub(r"[^A-Za-z0-9._-]", "", str(serial))[:40]


def collect(folder: Path) -> list[Path]:
    """Run the tools and write their reports in ``folder`` (created); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    lshw = run(["lshw", "-json"])
    if lshw is None:
        print("  lshw est absent ou n'a rien donné : installez le paquet « lshw » sur la clé.")
    else:
        path = folder / "lshw.json"
        path.write_bytes(lshw)
        written.append(path)
        print(f"  lshw : {path.name}")
    disks = internal_disks()
    if not disks:
        print("  Aucun disque interne trouvé (ou lsblk absent).")
    for disk in disks:
        smart = run(["smartctl", "--json", "-a", disk])
        if smart is None:
            print(f"  smartctl n'a rien donné pour {disk} : installez le paquet « smartmontools ».")
            continue
        path = folder / f"smartctl-{Path(disk).name}.json"
        path.write_bytes(smart)
        written.append(path)
        print(f"  smartctl {disk} : {path.name}")
    return written


def multipart(files: list[Path]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = bytearray()
    for path in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n").encode()
        body += path.read_bytes() + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


def send(url: str, token: str, tag: str, files: list[Path]) -> dict:
    """POST the files to Refurb; the JSON answer (or ``{"error": {...}}``)."""
    body, content_type = multipart(files)
    target = f"{url.rstrip('/')}/api/v1/devices/{urllib.request.quote(tag)}/reports"
    request = urllib.request.Request(target, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # the address the user set
            return json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as err:
        try:
            return json.loads(err.read() or b"{}") or {"error": {"message": f"erreur HTTP {err.code}"}}
        except ValueError:
            return {"error": {"message": f"erreur HTTP {err.code}"}}
    except (urllib.error.URLError, OSError, ValueError) as err:
        return {"error": {"message": f"Refurb injoignable ({err})"}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="refurb-collect", description="Relève le matériel (lshw, smartctl) "
                                     "et l'envoie à Refurb, ou le garde sur la clé.")
    parser.add_argument("--tag", help="Étiquette de l'appareil (sinon demandée).")
    parser.add_argument("--url", default=os.environ.get("REFURB_PUBLIC_URL", ""),
                        help="Adresse de Refurb (par défaut REFURB_PUBLIC_URL).")
    parser.add_argument("--token", default=os.environ.get("REFURB_TOKEN", ""),
                        help="Jeton d'API (par défaut REFURB_TOKEN, sinon demandé).")
    parser.add_argument("--dir", default="", help="Dossier où garder les rapports (par défaut : « rapports » "
                                                  "à côté de ce programme, sur la clé).")
    parser.add_argument("--save-only", action="store_true", help="Ne rien envoyer : tout garder sur la clé.")
    args = parser.parse_args(argv)

    if hasattr(os, "geteuid") and os.geteuid() != 0:
        print("Attention : lancez-le en administrateur (sudo python3 refurb-collect.py), sinon lshw et smartctl "
              "voient peu de choses.")
    base = Path(args.dir) if args.dir else Path(__file__).resolve().parent / "rapports"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")  # the live system's clock: only names a folder
    print("Relevé du matériel…")
    work = base / f"releve-{stamp}"
    files = collect(work)
    if not files:
        print("Rien n'a été relevé. Vérifiez que lshw et smartmontools sont installés sur la clé.")
        return 1
    serial = system_serial((work / "lshw.json").read_bytes() if (work / "lshw.json").exists() else None)
    if serial:
        named = base / f"{serial}-{stamp}"
        work.rename(named)
        work, files = named, [named / f.name for f in files]
    tag = (args.tag or ("" if args.save_only else input(
        "Scannez ou tapez l'étiquette de l'appareil (Entrée seule : garder sur la clé) : "))).strip().upper()
    if args.save_only or not tag or not args.url:
        if not args.url and tag:
            print("Adresse de Refurb inconnue (REFURB_PUBLIC_URL) : rien n'a été envoyé.")
        print(f"Rapports gardés dans « {work} ». Plus tard, déposez ce dossier dans Refurb : "
              "Atelier > Rapports d'une clé USB.")
        return 0
    token = args.token or getpass.getpass("Jeton d'API Refurb (il ne s'affiche pas) : ").strip()
    answer = send(args.url, token, tag, files)
    if "error" in answer and not answer.get("reports"):
        print(f"Envoi refusé : {answer['error'].get('message', answer['error'])}")
        print(f"Les rapports restent sur la clé, dans « {work} » : déposez ce dossier plus tard dans Refurb.")
        return 2
    for report in answer.get("reports", []):
        print(f"  {report.get('filename')} : reçu ({', '.join(report.get('applied') or {}) or 'rien de nouveau'})")
        for warning in report.get("warnings") or []:
            print(f"    ! {warning}")
    print(f"Envoyé à Refurb pour {tag}. Les fichiers restent aussi sur la clé, dans « {work} ».")
    return 0


if __name__ == "__main__":
    sys.exit(main())
