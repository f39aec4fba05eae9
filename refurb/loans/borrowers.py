"""Borrowers (usagers): registration with duplicate detection, card numbers, kiosk PIN, blocks,
who may see whom, and the GDPR duties (show all data, erase on request, anonymise the inactive)."""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from ..accounts.roles import LOAN_DESK_ROLES
from ..accounts.scope import require_site, site_ids
from ..accounts.services import hash_secret
from ..clock import today
from ..db import use_case, utcnow
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..formatting import plural
from ..sites.services import get_site
from ..tabular import to_csv
from ..validation import Checker
from .models import BORROWER_KINDS, Borrower, Loan, Reservation

CARD_PATTERN = re.compile(r"U\d{8}")
PIN_PATTERN = re.compile(r"\d{4}")
PHONE_PATTERN = r"\+?[0-9 .()-]{6,30}"
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"


def require_desk(actor) -> None:
    if actor.role not in LOAN_DESK_ROLES:
        raise Forbidden("Les prêts et les usagers sont gérés par l'accueil et les gestionnaires.")


def name_key(last_name: str, first_name: str) -> str:
    """« Élodie  DUPONT » → « dupont elodie »: accents, case and spaces don't make two people."""
    text = f"{last_name} {first_name}"
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()[:170]


def clean_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = re.sub(r"[^0-9+]", "", phone)
    return digits or None


def looks_like_card(code: str) -> bool:
    return bool(CARD_PATTERN.fullmatch((code or "").strip().upper()))


def new_card_number(db: Session) -> str:
    """U + 8 random digits: not guessable from the previous card, checked unique."""
    for _ in range(50):
        card = "U" + "".join(secrets.choice("0123456789") for _ in range(8))
        if db.scalar(select(Borrower.id).where(Borrower.card_number == card)) is None:
            return card
    raise Conflict("Impossible de tirer un numéro de carte libre : réessayez.")


# --- what a desk sees of a borrower -------------------------------------------------------------

RECORD = "record"
PANEL = "panel"
ACCESS_LEVELS = (PANEL, RECORD)  # each level includes the ones before it


def access_clause(actor, level: str):
    """The borrowers ``actor`` reaches at ``level`` without a card presented, as a SQL condition
    (None: every borrower). The one definition of who sees which borrower; see ``borrower_access``.

    - RECORD: network roles, and the desks of the borrower's home site.
    - PANEL: those, and the desks of a site where the borrower has a loan still open.
    Nothing else counts: not a reservation, not a loan already returned, not a card typed
    in an address or a form."""
    ids = site_ids(actor)
    if ids is None:
        return None
    ids = list(ids) or [-1]
    home = Borrower.home_site_id.in_(ids)
    if level == RECORD:
        return home
    open_loan_here = exists().where(Loan.borrower_id == Borrower.id, Loan.returned_at.is_(None),
                                    Loan.site_id.in_(ids))
    return or_(home, open_loan_here)


def borrower_access(db: Session, actor, borrower: Borrower, *, presented: bool = False) -> str | None:
    """What ``actor`` may see of ``borrower``: RECORD, PANEL or None. Every borrower lookup asks here.

    The record (RECORD) is everything held about the person: contact (phone, e-mail), the RGPD data
    page and its JSON/CSV exports, editing, the kiosk PIN, blocking, the card, erasure. It stays with
    the network roles (admin, gestionnaire) and the desks of the borrower's home site.

    The desk panel (PANEL) is what a desk needs to lend and take back: first and last name (and
    organisation), card number, kind, home site, a block and its reason, whether the loan rules were
    accepted, and that borrower's open loans and reservations; never contact data. A desk gets it:
    - for a borrower with a loan still open at one of its sites (it takes the device back, renews it);
    - while the card is presented at the desk (``presented``: scanned or typed in the desk's scan
      field, or a check-out through the API — the device is handed over to the person).
    A reservation, a loan already returned or a card number typed in an address or a form never
    widens what a desk sees, and the panel never leads to the record."""
    if actor.role not in LOAN_DESK_ROLES:
        return None
    if sees_record(actor, borrower):
        return RECORD
    if presented:
        return PANEL
    reached = db.scalar(select(Borrower.id).where(Borrower.id == borrower.id, access_clause(actor, PANEL)))
    return PANEL if reached is not None else None


def sees_record(actor, borrower: Borrower) -> bool:
    """``access_clause(actor, RECORD)`` for one borrower, without a query: for pages and templates."""
    if actor.role not in LOAN_DESK_ROLES:
        return False
    ids = site_ids(actor)
    return ids is None or borrower.home_site_id in ids


def require_record(actor, borrower: Borrower) -> None:
    """Changes to a borrower (edit, PIN, block, erasure) are for the holders of the record."""
    if not sees_record(actor, borrower):
        raise Forbidden("La fiche de cet usager est tenue par son site de rattachement, que vous ne servez pas : "
                        "demandez-lui, ou à un gestionnaire.")


def _reaches(level: str | None, need: str) -> bool:
    return level is not None and ACCESS_LEVELS.index(level) >= ACCESS_LEVELS.index(need)


def find_by_card(db: Session, card: str) -> Borrower | None:
    """The borrower of a card number, whoever asks: only for the kiosk (card + PIN) and the scan box's
    routing; people's lookups go through ``get_borrower``."""
    card = (card or "").strip().upper()
    if not looks_like_card(card):
        return None
    return db.scalar(select(Borrower).where(Borrower.card_number == card))


def card_exists(db: Session, card: str) -> bool:
    """Whether a card number is a live borrower's, without naming them: for the scan box's routing."""
    borrower = find_by_card(db, card)
    return borrower is not None and borrower.anonymised_at is None


def get_borrower(db: Session, actor, card: str, *, need: str = RECORD, presented: bool = False) -> Borrower:
    """The borrower of a card number, if ``actor`` reaches it at level ``need`` (see ``borrower_access``).

    ``presented``: the card is presented at a desk (the person is there), which opens the desk panel
    of any borrower of the network (a resident of Chinon borrowing from the bus), never the record."""
    require_desk(actor)
    shown = (card or "").strip()[:40]
    borrower = find_by_card(db, card)
    if borrower is None or borrower.anonymised_at is not None:
        raise NotFound(f"Carte inconnue : « {shown} ». Vérifiez le numéro, ou cherchez l'usager par son nom.")
    if not _reaches(borrower_access(db, actor, borrower, presented=presented), need):
        if need == RECORD:
            raise Forbidden("La fiche de cet usager est tenue par son site de rattachement, que vous ne servez pas : "
                            "scannez sa carte au comptoir pour lui prêter ou reprendre du matériel, ou demandez "
                            "à un gestionnaire.")
        raise Forbidden("Cet usager dépend d'un site que vous ne servez pas : scannez sa carte au comptoir "
                        "s'il est présent, ou demandez à un gestionnaire.")
    return borrower


def _within(clause, condition):
    return condition if clause is None else and_(clause, condition)


def search(db: Session, actor, q: str, *, limit: int = 20) -> list[Borrower]:
    """Borrowers of the desk panel's reach by name or card; by phone or e-mail only those whose
    record the user holds (a contact typed in never names someone else's borrower)."""
    require_desk(actor)
    q = (q or "").strip()[:80]
    if len(q) < 2:
        return []
    panel, record = access_clause(actor, PANEL), access_clause(actor, RECORD)
    key = name_key(q, "")
    phone = clean_phone(q) if re.fullmatch(PHONE_PATTERN, q) else None
    conditions = [_within(panel, Borrower.card_number == q.upper())]
    if key:
        conditions.append(_within(panel, Borrower.name_key.like(f"%{key}%")))
        # "Élodie Dupont" as well as "Dupont Élodie"
        words = key.split()
        if len(words) > 1:
            conditions.append(_within(panel, Borrower.name_key.like(f"%{' '.join(reversed(words))}%")))
    if phone and len(phone) >= 6:
        conditions.append(_within(record, Borrower.phone == phone))
    if "@" in q:
        conditions.append(_within(record, func.lower(Borrower.email) == q.lower()))
    stmt = select(Borrower).where(Borrower.anonymised_at.is_(None), or_(*conditions))
    return list(db.scalars(stmt.order_by(Borrower.name_key).limit(limit)))


def list_borrowers(db: Session, actor, *, q: str = "", page: int = 1, per_page: int = 50,
                   blocked_only: bool = False) -> tuple[list[Borrower], int]:
    require_desk(actor)
    if q:
        items = search(db, actor, q, limit=per_page)
        return items, len(items)
    stmt = select(Borrower).where(Borrower.anonymised_at.is_(None))
    clause = access_clause(actor, PANEL)
    if clause is not None:
        stmt = stmt.where(clause)
    if blocked_only:
        stmt = stmt.where(Borrower.blocked.is_(True))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(db.scalars(stmt.order_by(Borrower.name_key).offset((page - 1) * per_page).limit(per_page)))
    return items, total


# --- registration ----------------------------------------------------------------------------

def parse_borrower(db: Session, actor, data: dict, borrower: Borrower | None) -> dict:
    """The fields of a borrower's form, line of an import or API body, checked (``Invalid`` with every
    field's message); ``borrower``: the one being edited, None for a new one."""
    c = Checker(data)
    first = c.text("first_name", "Le prénom", max_len=80, required=True)
    last = c.text("last_name", "Le nom", max_len=80, required=True)
    phone = c.text("phone", "Le téléphone", max_len=30, pattern=PHONE_PATTERN,
                   pattern_hint="chiffres, espaces, + . -, ex. 06 12 34 56 78")
    email = c.text("email", "Le courriel", max_len=120, pattern=EMAIL_PATTERN, pattern_hint="nom@domaine.fr")
    kind = c.choice("kind", "Le type d'emprunteur", BORROWER_KINDS, default="resident")
    organisation = c.text("organisation", "La structure", max_len=120) or ""
    partner = c.text("referring_partner", "Le partenaire orienteur", max_len=120) or ""
    site_code = c.text("home_site", "Le site de rattachement", max_len=32, required=borrower is None)
    consent = c.boolean("consent", "L'accord sur le règlement de prêt", default=None)
    pin = data.get("pin")
    if pin not in (None, ""):
        if not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
            c.add("pin", "Le code PIN doit faire exactement 4 chiffres.")
    if "phone" in c.errors or "email" in c.errors:
        pass
    elif not phone and not email:
        c.add("phone", "Indiquez un moyen de contact : téléphone ou courriel.")
    if kind == "partner" and not organisation and "organisation" not in c.errors:
        c.add("organisation", "Pour une structure partenaire, indiquez son nom.")
    for forbidden in ("id_number", "document_number", "birth_date", "address", "nir"):
        if data.get(forbidden):
            c.add(forbidden, "Cette information n'est pas conservée (RGPD) : ne la saisissez pas.")
    c.done()
    site = get_site(db, site_code, active_only=True) if site_code else borrower.home_site
    require_site(actor, site.id, f"le site « {site.name} »")
    return {"first_name": first, "last_name": last, "phone": clean_phone(phone),
            "email": email.lower() if email else None, "kind": kind, "organisation": organisation,
            "referring_partner": partner, "home_site": site, "consent": consent,
            "pin": pin if pin not in (None, "") else None}


def duplicates(db: Session, first_name: str, last_name: str, phone: str | None, email: str | None,
               *, exclude_id: int | None = None) -> list[Borrower]:
    """Borrowers with the same name and the same phone or e-mail."""
    contact = []
    if phone:
        contact.append(Borrower.phone == clean_phone(phone))
    if email:
        contact.append(func.lower(Borrower.email) == email.lower())
    if not contact:
        return []
    stmt = select(Borrower).where(Borrower.name_key == name_key(last_name, first_name),
                                  Borrower.anonymised_at.is_(None), or_(*contact))
    if exclude_id is not None:
        stmt = stmt.where(Borrower.id != exclude_id)
    return list(db.scalars(stmt.limit(5)))


def duplicate_message(db: Session, actor, other: Borrower) -> tuple[str, str]:
    """What registering ``other`` again tells the user (message, short field message). The card number
    and home site only to a user who already reaches that borrower: to anyone else the refusal must
    not become an oracle for card numbers."""
    if borrower_access(db, actor, other) is None:
        message = ("Cet usager est déjà inscrit·e (même nom et même contact) : demandez sa carte à l'usager, "
                   "puis scannez-la au comptoir.")
        return message, "Déjà inscrit·e : demandez sa carte à l'usager."
    message = (f"Cet usager est déjà inscrit (même nom et même contact) : carte {other.card_number}, "
               f"rattaché à « {other.home_site.name} ». Ouvrez sa fiche au lieu d'en créer une autre.")
    return message, f"Déjà inscrit : carte {other.card_number}."


def _refuse_duplicate(db: Session, actor, found: list[Borrower]) -> None:
    if found:
        message, field = duplicate_message(db, actor, found[0])
        raise Conflict(message, code="duplicate", fields={"last_name": field})


@use_case
def create_borrower(db: Session, actor, data: dict) -> Borrower:
    require_desk(actor)
    v = parse_borrower(db, actor, data, None)
    _refuse_duplicate(db, actor, duplicates(db, v["first_name"], v["last_name"], v["phone"], v["email"]))
    now = utcnow()
    borrower = Borrower(card_number=new_card_number(db), kind=v["kind"], first_name=v["first_name"],
                        last_name=v["last_name"], organisation=v["organisation"], phone=v["phone"],
                        email=v["email"], name_key=name_key(v["last_name"], v["first_name"]),
                        home_site_id=v["home_site"].id, home_site=v["home_site"],
                        referring_partner=v["referring_partner"],
                        pin_hash=hash_secret(v["pin"]) if v["pin"] else None,
                        consent_at=now if v["consent"] else None, blocked=False, block_reason="",
                        created_at=now, updated_at=now, last_activity_at=now, pin_failures=0)
    db.add(borrower)
    db.flush()
    return borrower


@use_case
def update_borrower(db: Session, actor, borrower: Borrower, data: dict) -> Borrower:
    require_desk(actor)
    require_record(actor, borrower)
    _require_live(borrower)
    v = parse_borrower(db, actor, data, borrower)
    _refuse_duplicate(db, actor, duplicates(db, v["first_name"], v["last_name"], v["phone"], v["email"],
                                            exclude_id=borrower.id))
    borrower.first_name, borrower.last_name = v["first_name"], v["last_name"]
    borrower.name_key = name_key(v["last_name"], v["first_name"])
    borrower.phone, borrower.email = v["phone"], v["email"]
    borrower.kind, borrower.organisation = v["kind"], v["organisation"]
    borrower.referring_partner = v["referring_partner"]
    borrower.home_site_id, borrower.home_site = v["home_site"].id, v["home_site"]
    if v["consent"] and borrower.consent_at is None:
        borrower.consent_at = utcnow()
    elif v["consent"] is False:
        borrower.consent_at = None
    if v["pin"]:
        borrower.pin_hash = hash_secret(v["pin"])
        borrower.pin_failures = 0
    touch(borrower)
    db.flush()
    return borrower


def _require_live(borrower: Borrower) -> None:
    if borrower.anonymised_at is not None:
        raise Conflict("Cet usager a été anonymisé : ses données ne peuvent plus être modifiées.")


def touch(borrower: Borrower) -> None:
    borrower.updated_at = borrower.last_activity_at = utcnow()


@use_case
def set_pin(db: Session, actor, borrower: Borrower, pin: str | None) -> None:
    require_desk(actor)
    require_record(actor, borrower)
    _require_live(borrower)
    if pin in (None, ""):
        borrower.pin_hash = None
    elif not isinstance(pin, str) or not PIN_PATTERN.fullmatch(pin):
        raise Invalid(fields={"pin": "Le code PIN doit faire exactement 4 chiffres."})
    else:
        borrower.pin_hash = hash_secret(pin)
    borrower.pin_failures = 0
    borrower.pin_failed_at = None
    touch(borrower)
    db.flush()


@use_case
def block(db: Session, actor, borrower: Borrower, reason: str) -> None:
    require_desk(actor)
    require_record(actor, borrower)
    _require_live(borrower)
    c = Checker({"reason": reason})
    reason = c.text("reason", "Le motif du blocage", max_len=300, required=True)
    c.done()
    borrower.blocked, borrower.block_reason = True, reason
    touch(borrower)
    db.flush()


@use_case
def unblock(db: Session, actor, borrower: Borrower) -> None:
    require_desk(actor)
    require_record(actor, borrower)
    _require_live(borrower)
    borrower.blocked, borrower.block_reason = False, ""
    touch(borrower)
    db.flush()


def record_consent(borrower: Borrower) -> None:
    if borrower.consent_at is None:
        borrower.consent_at = utcnow()


# --- GDPR --------------------------------------------------------------------------------------

def personal_data(db: Session, borrower: Borrower) -> dict:
    """Everything held about one borrower, as shown on the RGPD page and exported."""
    from .loans import borrower_loans
    from .reservations import borrower_reservations

    loans = borrower_loans(db, borrower)
    reservations = borrower_reservations(db, borrower)
    return {
        "borrower": {
            "card_number": borrower.card_number, "kind": borrower.kind, "kind_label": borrower.kind_label,
            "first_name": borrower.first_name, "last_name": borrower.last_name,
            "organisation": borrower.organisation, "phone": borrower.phone, "email": borrower.email,
            "home_site": borrower.home_site.code, "home_site_name": borrower.home_site.name,
            "referring_partner": borrower.referring_partner, "has_pin": borrower.has_pin,
            "consent_at": borrower.consent_at.isoformat() if borrower.consent_at else None,
            "blocked": borrower.blocked, "block_reason": borrower.block_reason,
            "created_at": borrower.created_at.isoformat(), "updated_at": borrower.updated_at.isoformat(),
            "last_activity_at": borrower.last_activity_at.isoformat(),
        },
        "loans": [{
            "id": loan.id, "asset_tag": loan.device.asset_tag, "device": loan.device.title,
            "category": loan.category, "site": loan.site.code, "start_on": loan.start_on.isoformat(),
            "due_on": loan.due_on.isoformat(), "renewals": loan.renewals,
            "returned_at": loan.returned_at.isoformat() if loan.returned_at else None,
            "return_condition": loan.return_condition, "loss_reason": loan.loss_reason,
            "return_note": loan.return_note,
            "deposit_amount": str(loan.deposit_amount) if loan.deposit_amount is not None else None,
            "deposit_method": loan.deposit_method, "deposit_status": loan.deposit_status,
            "rules_accepted_at": loan.rules_accepted_at.isoformat(),
        } for loan in loans],
        "reservations": [{
            "id": r.id, "what": r.what, "site": r.site.code, "start_on": r.start_on.isoformat(),
            "end_on": r.end_on.isoformat(), "status": r.status, "note": r.note,
        } for r in reservations],
        "retention": "Les données sont anonymisées après une période d'inactivité (voir le règlement de prêt) ; "
                     "les statistiques de prêt sont conservées sans identité.",
    }


def personal_data_csv(db: Session, borrower: Borrower) -> bytes:
    """The same data as ``personal_data``, one value per line, through the one neutralising writer."""
    data = personal_data(db, borrower)
    rows = [["usager", key, value] for key, value in data["borrower"].items()]
    rows += [[f"prêt {loan['id']}", key, value] for loan in data["loans"] for key, value in loan.items()]
    rows += [[f"réservation {r['id']}", key, value] for r in data["reservations"] for key, value in r.items()]
    return to_csv([("section", "rubrique"), ("field", "champ"), ("value", "valeur")], rows)


def open_loans_of(db: Session, borrower: Borrower) -> list[Loan]:
    return list(db.scalars(select(Loan).where(Loan.borrower_id == borrower.id, Loan.returned_at.is_(None))
                           .order_by(Loan.due_on)))


def anonymise(db: Session, borrower: Borrower) -> None:
    """Remove identity, keep the rows (loan counts, kinds, sites) for statistics."""
    now = utcnow()
    borrower.card_number = None
    borrower.first_name, borrower.last_name = "Usager", f"anonymisé n° {borrower.id}"
    borrower.organisation, borrower.referring_partner = "", ""
    borrower.phone = borrower.email = None
    borrower.name_key = ""
    borrower.pin_hash, borrower.pin_failures, borrower.pin_failed_at = None, 0, None
    borrower.consent_at = None
    borrower.blocked, borrower.block_reason = False, ""
    borrower.anonymised_at = borrower.updated_at = now
    for r in db.scalars(select(Reservation).where(Reservation.borrower_id == borrower.id)):
        r.note = ""
        if r.status == "active":
            r.status, r.closed_at = "cancelled", now


@use_case
def erase(db: Session, actor, borrower: Borrower, *, confirmed: bool = False) -> None:
    """Erasure on request (RGPD art. 17), ``confirmed`` by the user: only when nothing is on loan."""
    if not confirmed:
        raise Invalid("Cochez la case de confirmation pour effacer les données de cet usager.",
                      fields={"confirm": "Cochez la case de confirmation."})
    require_desk(actor)
    require_record(actor, borrower)
    _require_live(borrower)
    still_out = open_loans_of(db, borrower)
    if still_out:
        tags = ", ".join(loan.device.asset_tag for loan in still_out)
        raise Conflict(f"Effacement impossible : {plural(len(still_out), 'appareil')} encore en prêt ({tags}). "
                       "Enregistrez d'abord leur retour.", code="on_loan")
    anonymise(db, borrower)
    db.flush()


def inactive_borrowers(db: Session, days: int) -> list[Borrower]:
    cutoff = utcnow() - timedelta(days=days)
    open_loan = exists().where(Loan.borrower_id == Borrower.id, Loan.returned_at.is_(None))
    live_booking = exists().where(Reservation.borrower_id == Borrower.id, Reservation.status == "active",
                                  Reservation.end_on >= today())
    return list(db.scalars(select(Borrower).where(Borrower.anonymised_at.is_(None),
                                                  Borrower.last_activity_at < cutoff,
                                                  ~open_loan, ~live_booking).order_by(Borrower.id)))


@use_case
def purge_inactive(db: Session, days: int, *, dry_run: bool = False) -> int:
    """Anonymise the borrowers inactive for ``days`` days (nothing on loan, no booking ahead)."""
    if days < 1:
        raise Invalid(fields={"inactive_days": "Le nombre de jours doit être au moins 1."})
    found = inactive_borrowers(db, days)
    if not dry_run:
        for borrower in found:
            anonymise(db, borrower)
        db.flush()
    return len(found)
