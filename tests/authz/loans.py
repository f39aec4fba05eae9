"""Who may do what in the loans area (pages, kiosk, API)."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from refurb.accounts.models import User
from refurb.accounts.services import hash_secret
from refurb.clock import today
from refurb.db import utcnow
from refurb.inventory.models import Device
from refurb.loans.models import (
    Borrower,
    KioskSession,
    Kit,
    KitDevice,
    Loan,
    Reservation,
)
from refurb.loans.services import name_key
from refurb.sites.models import Site

from . import STAFF, Case

DESK = frozenset({"admin", "gestionnaire", "accueil"})
KIOSK = frozenset({"borne"})
NET = frozenset({"admin", "gestionnaire"})


def arrange(db, ctx) -> None:
    """At EPN-A ("own") and EPN-B ("other"): a borrower with an open loan, a free device,
    a kit, a reservation and an open kiosk session.

    The other site's borrower also has, at the own site, a reservation and a loan already returned:
    neither opens their record to the own site's desk (the site-bound cases on ``{o[card]}`` prove it)."""
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
                     pin_hash=hash_secret("1234"), consent_at=now, created_at=now, updated_at=now,
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
                          reservation=booking.id, kiosk_session=ks.id, borrower_id=b.id, loan_site=site.id)
    # The other site's borrower at the own site: a category reservation (made by typing the card) and
    # a loan returned yesterday.
    own_site = db.get(Site, ctx["own"]["loan_site"])
    returned = Device(asset_tag="AZ-300001", category="router", brand="Huawei", model="E5576", has_storage=False,
                      specs={}, condition="", notes="", site=own_site, state="loan_pool", created_at=now,
                      updated_at=now, version=1)
    db.add(returned)
    db.flush()
    yesterday = today() - timedelta(days=1)
    db.add_all([
        Reservation(borrower_id=ctx["other"]["borrower_id"], site_id=own_site.id, category="tablet",
                    start_on=today() + timedelta(days=50), end_on=today() + timedelta(days=55),
                    release_on=today() + timedelta(days=52), status="active", note="", created_at=now,
                    created_by_id=admin.id),
        Loan(device_id=returned.id, borrower_id=ctx["other"]["borrower_id"], site_id=own_site.id, category="router",
             borrower_kind="resident", channel="desk", started_at=now - timedelta(days=8),
             start_on=yesterday - timedelta(days=7), due_on=yesterday + timedelta(days=7), renewals=0,
             rules_accepted_at=now, return_note="", returned_at=now - timedelta(days=1),
             return_site_id=own_site.id, return_condition="complete"),
    ])
    db.flush()
    for which in ("own", "other"):
        ctx[which]["loan_start"] = (today() + timedelta(days=40)).isoformat()
        ctx[which]["loan_end"] = (today() + timedelta(days=42)).isoformat()


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
    "loans.desk_check": Case("POST", "/prets/comptoir/verifier", DESK, data={"loan_id": "0", "condition": "complete"}),
    "loans.desk_lost": Case("POST", "/prets/comptoir/perdu", DESK, data={"loan_id": "0", "reason": "lost"}),
    "loans.desk_return_kit": Case("POST", "/prets/comptoir/retour-kit", DESK),
    "loans.desk_renew": Case("POST", "/prets/comptoir/prolonger", DESK, data={"loan_id": "0"}),
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


# --- variants: the same routes with a body or a parameter that once changed the decision ------------------

@dataclass(frozen=True)
class Variant:
    """A request a desk of the own site makes about the other site's objects. ``allowed``: the roles
    for which it may succeed (the network roles); for the others it is refused — 403, or, for the desk's
    htmx answers, ``refusal`` in the answer — and changes nothing. ``hidden``: words the answer never
    shows to a role that is not a network role (contact data)."""
    method: str
    path: str  # formatted with own=ctx["own"], other=ctx["other"]
    allowed: frozenset[str]
    json: dict | None = None
    data: dict = field(default_factory=dict)
    refusal: str | None = None
    hidden: tuple[str, ...] = ()


_NO_ACCESS = "Vous n'avez pas accès"
VARIANTS = {
    # A "site" in a return body names where a loan the user can see comes back: never which loan.
    "api return, own site in the body, other site's loan": Variant(
        "POST", "/api/v1/loans/{other[loan]}/return", NET, json={"condition": "complete", "site": "{own[site]}"}),
    "api renewal, own site in the body": Variant(
        "POST", "/api/v1/loans/{other[loan]}/renew", NET, json={"site": "{own[site]}"}),
    "api lost, own site in the body": Variant(
        "POST", "/api/v1/loans/{other[loan]}/lost", NET, json={"reason": "lost", "site": "{own[site]}"}),
    "loan page return, own site in the form": Variant(
        "POST", "/prets/{other[loan]}/retour", NET, data={"condition": "complete", "site": "{own[site]}"}),
    # The desk's forms name a loan or a kit by id: only the one just scanned there is "in hand".
    "desk return by id of a loan not scanned here": Variant(
        "POST", "/prets/comptoir/retour", NET, data={"loan_id": "{other[loan]}", "condition": "complete"},
        refusal=_NO_ACCESS),
    "desk lost by id": Variant(
        "POST", "/prets/comptoir/perdu", NET, data={"loan_id": "{other[loan]}", "reason": "lost"}, refusal=_NO_ACCESS),
    "desk renewal by id of another site's loan": Variant(
        "POST", "/prets/comptoir/prolonger", NET, data={"loan_id": "{other[loan]}"}, refusal=_NO_ACCESS),
    "desk check by id": Variant(
        "POST", "/prets/comptoir/verifier", NET, data={"loan_id": "{other[loan]}", "condition": "complete"},
        refusal=_NO_ACCESS),
    "desk kit return by code of a kit not scanned here": Variant(
        "POST", "/prets/comptoir/retour-kit", NET, data={"kit": "{other[kit]}", "condition": "complete",
                                                         "present": ["AZ-200002", "AZ-200003"]}, refusal=_NO_ACCESS),
    # A card number typed in an address or a form, after a reservation and a returned loan at the own site.
    "api borrower by a typed card": Variant("GET", "/api/v1/borrowers/{other[card]}", NET),
    "borrower record by a typed card": Variant("GET", "/usagers/{other[card]}/donnees.json", NET),
    "desk panel opened by a card in the address": Variant("POST", "/prets/comptoir/usager/{other[card]}", NET),
    "api reservation for a typed card": Variant(
        "POST", "/api/v1/reservations", NET, json={"borrower_card": "{other[card]}", "category": "tablet",
                                                   "site": "{own[site]}", "start_on": "{own[loan_start]}",
                                                   "end_on": "{own[loan_end]}"}),
    "reservation form for a typed card": Variant(
        "POST", "/prets/reservations", NET, data={"borrower_card": "{other[card]}", "category": "tablet",
                                                  "site": "{own[site]}", "start_on": "{own[loan_start]}",
                                                  "end_on": "{own[loan_end]}"}),
    # A phone typed at the desk finds only the borrowers whose record the desk holds.
    "desk search by the other borrower's phone": Variant(
        "POST", "/prets/comptoir/scan", DESK, data={"code": "0600000000"}, hidden=("Matrice2",)),
    # A card in an address (a link from anywhere) fills the desk's field, presents nothing.
    "desk opened by a card in the address": Variant("GET", "/prets/comptoir?carte={other[card]}", DESK,
                                                    hidden=("Matrice2",)),
    "global scan of a card by a link": Variant("GET", "/scan?code={other[card]}", STAFF,
                                               hidden=("Matrice2",)),
    # Last (the card stays presented at the desk afterwards): a card typed in the desk's scan field
    # counts as presented, which opens the desk panel, never the contact.
    "desk scan of a typed card of another site": Variant(
        "POST", "/prets/comptoir/scan", DESK, data={"code": "{other[card]}"}, hidden=("0600000000",)),
}
