"""Fixtures of the certificates and reports areas: PDF text, a donation at several workshop steps, and
a small activity history with hand-chosen dates (for the report's hand-computed figures)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime, timezone

import pytest
import time_machine
from factories import new_device


def pdf_text(data: bytes) -> str:
    """All the text of a PDF (pypdf), pages joined, spaces normalised."""
    from pypdf import PdfReader

    assert data[:5] == b"%PDF-", data[:200]
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


def pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def decode_codes(data: bytes, tmp_path, dpi: int = 200) -> list[tuple[int, str, str]]:
    """(page, "code128"|"qr", text) for every barcode found (pdftoppm + zxing-cpp)."""
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pytest.importorskip("PIL.Image")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    src = tmp_path / "doc.pdf"
    src.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(src), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"), key=lambda p: int(re.findall(r"\d+", p.stem)[-1]))
    found = []
    for i, path in enumerate(pages):
        for r in zxingcpp.read_barcodes(image.open(path), formats=(zxingcpp.BarcodeFormat.Code128,
                                                                   zxingcpp.BarcodeFormat.QRCode)):
            found.append((i, "code128" if r.format == zxingcpp.BarcodeFormat.Code128 else "qr", r.text))
    return found


def issue(client, path: str):
    """Press "Émettre le certificat" (a POST with the page's CSRF token), then open what it shows:
    the certificate's PDF (after its 303 to the reprint), or the refusal."""
    from conftest import csrf_token

    return client.post(path, data={"csrf_token": csrf_token(client, "/certificats/")}, follow_redirects=True)


class DonationSetup:
    """A company's donation of four devices: one erased, one whose erasure failed, one not erased yet,
    one screen without storage."""

    def __init__(self, workshop, db):
        self.workshop = workshop
        self.db = db

    def make(self, kind: str = "company", site: str = "EPN-A", **extra) -> dict:
        tags = self.workshop.donation(kind=kind, site=site, devices=[
            {"category": "laptop", "brand": "Dell", "model": "Latitude 5490", "serial_number": "CN-0DELL-5490A"},
            {"category": "laptop", "brand": "Lenovo", "model": "ThinkPad T480", "serial_number": "PF-1T480B"},
            {"category": "desktop", "brand": "HP", "model": "ProDesk 600", "serial_number": "CZC-600C"},
            {"category": "screen", "brand": "Iiyama", "model": "ProLite 22", "serial_number": "IIY-22D",
             "has_storage": False},
        ], **extra)
        erased, failed, pending, screen = tags
        self.workshop.erase(erased, media=[{"serial": "S3Z9NB0K123456", "model": "Samsung PM871", "size_gb": 256}])
        self.workshop.erase(failed, result="failed",
                            media=[{"serial": "WD-WX41A9999999", "model": "WDC WD5000LPVX", "size_gb": 500}])
        from sqlalchemy import select

        from refurb.inventory.models import Device
        from refurb.refurbishment.models import DeviceOrigin

        self.db.rollback()
        device = self.db.scalar(select(Device).where(Device.asset_tag == erased))
        donation_id = self.db.get(DeviceOrigin, device.id).donation_id
        return {"donation": donation_id, "erased": erased, "failed": failed, "pending": pending, "screen": screen,
                "tags": tags}


@pytest.fixture
def donation_setup(workshop, db):
    return DonationSetup(workshop, db)


# --- a small activity history for the report (March 2026), every date chosen by hand --------------

def _at(day: str, hour: int = 12):
    from datetime import datetime, timezone
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=timezone.utc)


def build_activity_history(db) -> dict:
    """See tests/test_reports.py for the figures this history must give. Its dates are written (around March
    2026): whoever uses it runs on ``AFTER_THE_HISTORY`` (the ``activity_history`` fixture freezes the clock)."""
    from datetime import date
    from decimal import Decimal

    from sqlalchemy import select

    from refurb.inventory.models import Device, DeviceEvent
    from refurb.loans.borrowers import name_key
    from refurb.loans.models import Borrower, Loan
    from refurb.refurbishment.models import (
        DeviceOrigin,
        Donation,
        Donor,
        Gift,
        RecyclingBatch,
        RecyclingItem,
        Sale,
    )
    from refurb.sites.models import Site

    sites = {s.code: s for s in db.scalars(select(Site))}
    a, b = sites["EPN-A"], sites["EPN-B"]
    devices: dict[str, Device] = {}

    def device(name, category, site, created="2025-06-01"):
        devices[name] = new_device(db, site=site.code, category=category, tag=f"RP-{len(devices) + 1:04d}",
                                   brand="Marque", model=name, has_storage=False, created=_at(created))
        return devices[name]

    def event(name, day, to_state, from_state=None, site=a, action="transition"):
        db.add(DeviceEvent(device_id=devices[name].id, at=_at(day), site_id=site.id, action=action,
                           from_state=from_state, to_state=to_state, note="", data={}))

    company = Donor(kind="company", name="Transports Martin", siret="73282932000074")
    public = Donor(kind="public_body", name="Commune de Chinon")
    person = Donor(kind="individual", name="Jeanne Dupont")
    db.add_all([company, public, person])
    db.flush()
    donations = [Donation(donor_id=company.id, site_id=a.id, received_on=date(2026, 3, 5)),
                 Donation(donor_id=public.id, site_id=a.id, received_on=date(2026, 3, 20)),
                 Donation(donor_id=person.id, site_id=b.id, received_on=date(2026, 3, 10)),
                 Donation(donor_id=company.id, site_id=a.id, received_on=date(2026, 2, 20))]
    db.add_all(donations)
    for name, category, site in (("L1", "laptop", a), ("L2", "laptop", a), ("K1", "desktop", a),
                                 ("T1", "tablet", a), ("S1", "smartphone", a), ("L3", "laptop", b),
                                 ("L4", "laptop", a), ("E1", "screen", a), ("E2", "screen", a),
                                 ("R1", "printer", a), ("R2", "desktop", b), ("LP", "tablet", b),
                                 ("X1", "laptop", a)):
        device(name, category, site, created={"E1": "2026-03-15", "E2": "2026-04-02"}.get(name, "2025-06-01"))
    for name, donation in (("L1", 0), ("L2", 0), ("K1", 0), ("T1", 1), ("S1", 1), ("L3", 2), ("L4", 3)):
        db.add(DeviceOrigin(device_id=devices[name].id, donation_id=donations[donation].id,
                            price_capped=donation == 1))
    # E1 and E2 were registered without a donation: in the period (counted "sans don") and after it (not counted).
    # Workshop and ways out.
    event("L1", "2026-03-10", "ready", "diagnosing")
    event("L1", "2026-03-12", "loan_pool", "ready")
    event("L2", "2026-03-11", "ready", "diagnosing")
    event("L2", "2026-03-25", "sold", "ready", action="sale")
    event("K1", "2026-03-15", "ready", "diagnosing")
    event("K1", "2026-03-28", "donated", "ready", action="gift")
    event("T1", "2026-03-22", "ready", "diagnosing")
    event("T1", "2026-03-23", "repairing", "ready")
    event("T1", "2026-03-24", "ready", "repairing")  # ready again: refurbished once
    event("S1", "2026-03-25", "parts", "diagnosing")
    event("L3", "2026-03-12", "ready", "diagnosing", site=b)
    event("L3", "2026-03-30", "sold", "ready", site=b, action="sale")
    event("L4", "2026-02-25", "ready", "diagnosing")  # refurbished in February
    event("L4", "2026-03-02", "loan_pool", "ready")
    event("L4", "2026-03-18", "ready", "loan_pool")
    event("L4", "2026-03-19", "sold", "ready", action="sale")
    event("E1", "2026-03-16", "ready", "diagnosing")
    event("E1", "2026-03-17", "sold", "ready", action="sale")
    event("X1", "2026-04-03", "ready", "diagnosing")  # after the period

    def sale(name, day, price, site=a):
        d = date.fromisoformat(day)
        db.add(Sale(device_id=devices[name].id, site_id=site.id, at=_at(day), delivered_on=d, price=Decimal(price),
                    buyer_name="Acheteur", payment_method="cash", warranty_months=24,
                    warranty_until=date(d.year + 2, d.month, d.day)))

    sale("L2", "2026-03-25", "150.00")
    sale("L3", "2026-03-30", "90.00", site=b)
    sale("L4", "2026-03-19", "100.00")
    sale("E1", "2026-03-17", "20.00")
    db.add(Gift(device_id=devices["K1"].id, site_id=a.id, at=_at("2026-03-28"), delivered_on=date(2026, 3, 28),
                recipient_kind="person", recipient_name="Bénéficiaire"))

    # Loans.
    borrowers = []
    for i, site in enumerate((a, a, b)):
        borrowers.append(Borrower(card_number=f"U5500000{i}", kind="resident", first_name="Usager", last_name=f"N{i}",
                                  name_key=name_key(f"N{i}", "Usager"), phone="0600000000", home_site=site,
                                  organisation="", referring_partner="", pin_failures=0, blocked=False,
                                  block_reason=""))
    db.add_all(borrowers)
    db.flush()
    b1, b2, b3 = borrowers

    def loan(name, borrower, site, start, returned=None):
        db.add(Loan(device_id=devices[name].id, borrower_id=borrower.id, site_id=site.id,
                    category=devices[name].category, borrower_kind="resident", channel="desk", started_at=_at(start),
                    start_on=date.fromisoformat(start), due_on=date.fromisoformat(returned or start),
                    renewals=0, rules_accepted_at=_at(start), return_note="",
                    returned_at=_at(returned) if returned else None,
                    return_condition="complete" if returned else None))
        db.flush()

    loan("L1", b1, a, "2026-02-25", "2026-03-05")  # started before: 5 loan-days in March, not a March loan
    loan("L1", b2, a, "2026-03-10", "2026-03-12")  # 3 days
    loan("L4", b1, a, "2026-03-03", "2026-03-17")  # 15 days
    loan("LP", b3, b, "2026-03-28")  # still out: 4 days up to the end of the period
    loan("L1", b2, a, "2026-03-31", "2026-04-10")  # 1 day in March
    loan("X1", b1, a, "2026-04-01", "2026-04-02")  # after the period
    loan("X1", b1, a, "2026-01-10", "2026-02-10")  # before the period

    # Recycling (DEEE).
    batches = [RecyclingBatch(site_id=a.id, handed_over_on=date(2026, 3, 26), waste_code="16 02 14",
                              weight_kg=Decimal("12.50"), carrier_name="Envie", facility_name="Envie 2E",
                              tracking_number="BSD-1"),
               RecyclingBatch(site_id=b.id, handed_over_on=date(2026, 3, 31), waste_code="16 02 14",
                              weight_kg=Decimal("3.20"), carrier_name="Envie", facility_name="Envie 2E",
                              tracking_number="BSD-2"),
               RecyclingBatch(site_id=a.id, handed_over_on=date(2026, 4, 1), waste_code="16 02 14",
                              weight_kg=Decimal("5.00"), carrier_name="Envie", facility_name="Envie 2E",
                              tracking_number="BSD-3")]
    db.add_all(batches)
    db.flush()
    db.add_all([RecyclingItem(batch_id=batches[0].id, device_id=devices["S1"].id),
                RecyclingItem(batch_id=batches[0].id, device_id=devices["R1"].id),
                RecyclingItem(batch_id=batches[1].id, device_id=devices["R2"].id),
                RecyclingItem(batch_id=batches[2].id, device_id=devices["E2"].id)])
    db.commit()
    return {"devices": {k: v.asset_tag for k, v in devices.items()}}


#: A fixed day after the hand-written history: a loan still out counts up to today, and a history written in 2026
#: must not be in the future of the day the suite runs on.
AFTER_THE_HISTORY = datetime(2026, 11, 16, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def activity_history(db):
    """The hand-written history, the clock frozen after it (ticking) for the whole test, whatever the day."""
    with time_machine.travel(AFTER_THE_HISTORY, tick=True):
        yield build_activity_history(db)
