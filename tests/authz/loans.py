"""Who may do what in the loans area (pages, kiosk, API)."""

from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from refurb.accounts.models import User
from refurb.db import utcnow
from refurb.inventory.models import Device
from refurb.loans.borrowers import name_key
from refurb.loans.models import Borrower, KioskSession, Kit, KitDevice, Loan, Reservation
from refurb.loans.rules import today
from refurb.sites.models import Site

from . import ALL, Case

DESK = frozenset({"admin", "gestionnaire", "accueil"})
KIOSK = frozenset({"borne"})
NET = frozenset({"admin", "gestionnaire"})


def arrange(db, ctx) -> None:
    """At EPN-A ("own") and EPN-B ("other"): a borrower with an open loan, a free device,
    a kit, a reservation and an open kiosk session."""
    now = utcnow()
    kiosk = db.scalar(select(User).where(User.username == "kiosk"))
    admin = db.scalar(select(User).where(User.username == "admin"))
    for which, code, n in (("own", "EPN-A", 1), ("other", "EPN-B", 2)):
        site = db.scalar(select(Site).where(Site.code == code))
        devices = []
        for i in range(4):
            d = Device(asset_tag=f"AZ-{n}0000{i}", category="tablet", brand="Samsung", model="Tab A", has_storage=False,
                       specs={}, condition="", notes="", site=site, state="loan_pool", created_at=now,
                       updated_at=now, version=1)
            db.add(d)
            devices.append(d)
        b = Borrower(card_number=f"U7000000{n}", kind="resident", first_name="Test", last_name=f"Matrice{n}",
                     name_key=name_key(f"Matrice{n}", "Test"), phone="0600000000", home_site=site,
                     pin_hash=generate_password_hash("1234"), consent_at=now, created_at=now, updated_at=now,
                     last_activity_at=now, organisation="", referring_partner="", blocked=False, block_reason="",
                     pin_failures=0)
        db.add(b)
        db.flush()
        devices[0].state = "on_loan"
        loan = Loan(device_id=devices[0].id, borrower_id=b.id, site_id=site.id, category="tablet",
                    borrower_kind="resident", channel="desk", started_at=now, start_on=today(),
                    due_on=today() + timedelta(days=7), renewals=0, rules_accepted_at=now, return_note="")
        kit = Kit(code=f"K00090{n}", name=f"Kit {code}", site_id=site.id, note="", active=True)
        db.add_all([loan, kit])
        db.flush()
        db.add_all([KitDevice(kit_id=kit.id, device_id=devices[2].id), KitDevice(kit_id=kit.id, device_id=devices[3].id)])
        booking = Reservation(borrower_id=b.id, site_id=site.id, device_id=devices[1].id,
                              start_on=today() + timedelta(days=30), end_on=today() + timedelta(days=35),
                              release_on=today() + timedelta(days=32), status="active", note="",
                              created_at=now, created_by_id=admin.id)
        ks = KioskSession(site_id=site.id, kiosk_user_id=kiosk.id, opened_by_id=admin.id, opened_at=now, ip="",
                          pin_failures=0)
        db.add_all([booking, ks])
        db.flush()
        ctx[which].update(card=b.card_number, loan=loan.id, tag=devices[1].asset_tag, kit=kit.code,
                          reservation=booking.id, kiosk_session=ks.id)


CASES = {
    # --- API ---
    "api.create_borrower": Case("POST", "/api/v1/borrowers", DESK, json={}),
    "api.get_borrower": Case("GET", "/api/v1/borrowers/{o[card]}", DESK, site_bound=True),
    "api.create_loan": Case("POST", "/api/v1/loans", DESK, json={}),
    "api.list_loans": Case("GET", "/api/v1/loans", DESK),
    "api.get_loan": Case("GET", "/api/v1/loans/{o[loan]}", DESK, site_bound=True),
    "api.return_loan": Case("POST", "/api/v1/loans/{o[loan]}/return", DESK, site_bound=True,
                            json={"condition": "complete"}),
    "api.renew_loan": Case("POST", "/api/v1/loans/{o[loan]}/renew", DESK, site_bound=True, json={}),
    "api.create_reservation": Case("POST", "/api/v1/reservations", DESK, json={}),
}
