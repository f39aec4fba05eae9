"""Who may do what in the loans area (pages, kiosk, API)."""

from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from refurb.accounts.models import User
from refurb.db import utcnow
from refurb.inventory.models import Device
from refurb.loans.borrowers import name_key
from refurb.loans.models import Borrower, KioskSession, Kit, KitDevice, Loan, Reservation
from refurb.clock import today
from refurb.sites.models import Site

from . import Case

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
    "api.declare_loan_lost": Case("POST", "/api/v1/loans/{o[loan]}/lost", DESK, site_bound=True,
                                  json={"reason": "lost"}),
    "api.renew_loan": Case("POST", "/api/v1/loans/{o[loan]}/renew", DESK, site_bound=True, json={}),
    "api.create_reservation": Case("POST", "/api/v1/reservations", DESK, json={}),
    # --- desk ---
    "loans.desk": Case("GET", "/prets/comptoir", DESK),
    "loans.desk_scan": Case("POST", "/prets/comptoir/scan", DESK, data={"code": "INCONNU"}),
    "loans.desk_remove": Case("POST", "/prets/comptoir/retirer", DESK, data={"tag": "RF-000000"}),
    "loans.desk_clear": Case("POST", "/prets/comptoir/vider", DESK),
    "loans.desk_lend": Case("POST", "/prets/comptoir/preter", DESK),
    "loans.desk_return": Case("POST", "/prets/comptoir/retour", DESK, data={"condition": "complete"}),
    "loans.desk_lost": Case("POST", "/prets/comptoir/perdu", DESK, data={"loan_id": "0", "reason": "lost"}),
    "loans.desk_return_kit": Case("POST", "/prets/comptoir/retour-kit", DESK),
    "loans.desk_open_borrower": Case("POST", "/prets/comptoir/usager/{o[card]}", DESK, site_bound=True),
    # --- borrowers ---
    "loans.borrower_list": Case("GET", "/usagers/", DESK),
    "loans.new_borrower": Case("GET", "/usagers/nouveau", DESK),
    "loans.borrower_page": Case("GET", "/usagers/{o[card]}", DESK, site_bound=True),
    "loans.edit_borrower": Case("GET", "/usagers/{o[card]}/modifier", DESK, site_bound=True),
    "loans.borrower_pin": Case("POST", "/usagers/{o[card]}/pin", DESK, site_bound=True, data={"pin": "5678"}),
    "loans.borrower_block": Case("POST", "/usagers/{o[card]}/blocage", DESK, site_bound=True,
                                 data={"action": "unblock"}),
    "loans.borrower_card": Case("GET", "/usagers/{o[card]}/carte.pdf", DESK, site_bound=True),
    "loans.borrower_data": Case("GET", "/usagers/{o[card]}/donnees", DESK, site_bound=True),
    "loans.borrower_data_json": Case("GET", "/usagers/{o[card]}/donnees.json", DESK, site_bound=True),
    "loans.borrower_data_csv": Case("GET", "/usagers/{o[card]}/donnees.csv", DESK, site_bound=True),
    "loans.erase_borrower": Case("POST", "/usagers/{o[card]}/effacer", DESK, site_bound=True),
    # --- loans, reservations, kits ---
    "loans.loan_list": Case("GET", "/prets/", DESK),
    "loans.overdue_list": Case("GET", "/prets/retards", DESK),
    "loans.loan_page": Case("GET", "/prets/{o[loan]}", DESK, site_bound=True),
    "loans.renew_loan": Case("POST", "/prets/{o[loan]}/prolonger", DESK, site_bound=True),
    "loans.return_loan": Case("POST", "/prets/{o[loan]}/retour", DESK, site_bound=True,
                              data={"condition": "complete"}),
    "loans.declare_lost": Case("POST", "/prets/{o[loan]}/perdu", DESK, site_bound=True, data={"reason": "lost"}),
    "loans.reminder": Case("GET", "/prets/{o[loan]}/relance", DESK, site_bound=True),
    "loans.agreement_pdf": Case("GET", "/prets/{o[loan]}/contrat.pdf", DESK, site_bound=True),
    "loans.reservation_list": Case("GET", "/prets/reservations", DESK),
    "loans.cancel_reservation": Case("POST", "/prets/reservations/{o[reservation]}/annuler", DESK, site_bound=True),
    "loans.kit_list": Case("GET", "/prets/kits", DESK),
    "loans.kit_page": Case("GET", "/prets/kits/{o[kit]}", DESK, site_bound=True),
    "loans.dissolve_kit": Case("POST", "/prets/kits/{o[kit]}/dissoudre", DESK, site_bound=True),
    # --- rules and kiosk sessions ---
    "loans.rules_page": Case("GET", "/prets/regles", DESK),
    "loans.retention_setting": Case("POST", "/prets/regles/conservation", {"admin"}, data={"retention": "1095"}),
    "loans.kiosk_sessions": Case("GET", "/prets/bornes", DESK),
    "loans.open_kiosk": Case("POST", "/prets/bornes/ouvrir", DESK),
    "loans.close_kiosk": Case("POST", "/prets/bornes/{o[kiosk_session]}/fermer", DESK, site_bound=True),
    # --- the kiosk itself (no kiosk session open in these requests: "borne fermée") ---
    "loans.kiosk": Case("GET", "/borne", KIOSK),
    "loans.kiosk_open": Case("POST", "/borne/ouvrir", KIOSK),
    "loans.kiosk_close": Case("POST", "/borne/fermer", KIOSK),
    "loans.kiosk_card": Case("POST", "/borne/carte", KIOSK, data={"code": "U70000001"}),
    "loans.kiosk_pin": Case("POST", "/borne/pin", KIOSK, data={"pin": "1234"}),
    "loans.kiosk_device": Case("POST", "/borne/appareil", KIOSK, data={"code": "AZ-100001"}),
    "loans.kiosk_end": Case("POST", "/borne/fin", KIOSK),
}
