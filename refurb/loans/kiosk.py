"""Self-service kiosk (borne): sessions opened by staff for one site, card + PIN, throttling.

The kiosk account (role ``borne``) belongs to one site. A staff member of that site opens a
kiosk session on the computer (optionally only from the site's IP ranges). A resident is
identified by card **and** PIN, never the card alone; wrong PINs are throttled per card and
per kiosk.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts import services as accounts
from ..accounts.models import User
from ..accounts.roles import KIOSK, STAFF_ROLES
from ..accounts.scope import serves_site
from ..db import use_case, utcnow
from ..errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RefurbError,
    TooManyAttempts,
    Unauthorized,
)
from ..formatting import plural
from . import borrowers as borrowers_svc
from . import loans as loans_svc
from .models import Borrower, KioskSession, Loan
from .rules import site_rules

MAX_PIN_FAILURES_PER_CARD = 3
MAX_PIN_FAILURES_PER_KIOSK = 10
PIN_LOCK = timedelta(minutes=15)


def kiosk_site(kiosk_user: User):
    if kiosk_user.role != KIOSK:
        raise Forbidden("Ce compte n'est pas un compte de borne.")
    sites = list(kiosk_user.sites)
    if len(sites) != 1:
        raise Conflict("Un compte de borne doit être rattaché à un seul site : demandez à un administrateur "
                       "de corriger ce compte.")
    return sites[0]


def check_ip(db: Session, site, ip: str) -> None:
    rules = site_rules(db, site.id)
    if not rules.ip_allowed(ip):
        raise Forbidden(f"La borne de « {site.name} » ne peut être ouverte que depuis les postes du site "
                        f"(adresse {ip or 'inconnue'} hors des plages autorisées).")


def kiosk_accounts(db: Session, site) -> list[User]:
    users = db.scalars(select(User).where(User.role == KIOSK, User.active.is_(True)).order_by(User.username))
    return [u for u in users if len(u.sites) == 1 and u.sites[0].id == site.id]


@use_case
def open_session(db: Session, staff: User, kiosk_user: User, ip: str) -> KioskSession:
    """A staff member of the kiosk account's site turns a computer into that site's kiosk."""
    if staff.role not in STAFF_ROLES or not staff.active:
        raise Forbidden("Seul un membre de l'équipe peut ouvrir une borne.")
    if not kiosk_user.active:
        raise Forbidden("Ce compte de borne est désactivé.")
    site = kiosk_site(kiosk_user)
    if not serves_site(staff, site.id):
        raise Forbidden(f"Vous ne servez pas le site « {site.name} » : vous ne pouvez pas y ouvrir la borne.")
    check_ip(db, site, ip)
    session = KioskSession(site_id=site.id, site=site, kiosk_user_id=kiosk_user.id, opened_by_id=staff.id,
                           opened_at=utcnow(), ip=(ip or "")[:45], pin_failures=0)
    db.add(session)
    db.flush()
    return session


def get_open_session(db: Session, session_id, kiosk_user: User, ip: str) -> KioskSession | None:
    if not isinstance(session_id, int):
        return None
    session = db.get(KioskSession, session_id)
    if session is None or session.closed_at is not None or session.kiosk_user_id != kiosk_user.id:
        return None
    if not site_rules(db, session.site_id).ip_allowed(ip):
        return None
    return session


@use_case
def open_from_desk(db: Session, staff: User, kiosk_user_id: int | None, ip: str) -> KioskSession:
    """From the kiosk sessions page: a staff member turns this computer into the kiosk of the kiosk account
    chosen (``kiosk_user_id``, None when none was chosen)."""
    kiosk_user = db.get(User, kiosk_user_id) if kiosk_user_id is not None else None
    if kiosk_user is None:
        raise Invalid("Choisissez le compte de borne à ouvrir.")
    return open_session(db, staff, kiosk_user, ip)


def _staff_at_kiosk(db: Session, username: str, password: str, ip: str) -> User:
    """The staff member who types their login and password on the kiosk: a wrong one is an error of that
    form (the kiosk account stays signed in), and is counted like any failed login."""
    try:
        return accounts.authenticate(db, username, password, ip)
    except Unauthorized as err:
        raise Invalid(err.message, code="bad_login") from err


@use_case
def open_by_staff(db: Session, kiosk_user: User, username: str, password: str, ip: str) -> KioskSession:
    """On a computer signed in with the kiosk account: a staff member opens the kiosk with their login."""
    return open_session(db, _staff_at_kiosk(db, username, password, ip), kiosk_user, ip)


@use_case
def close_by_staff(db: Session, session: KioskSession | None, username: str, password: str, ip: str) -> None:
    """A staff member closes the kiosk with their login (the computer is then signed out)."""
    staff = _staff_at_kiosk(db, username, password, ip)
    if session is not None:
        close_session(db, staff, session)


@use_case
def close_session(db: Session, actor: User, session: KioskSession) -> None:
    if actor.role not in STAFF_ROLES and actor.id != session.kiosk_user_id:
        raise Forbidden("Seul un membre de l'équipe peut fermer une borne.")
    if actor.role in STAFF_ROLES and not serves_site(actor, session.site_id):
        raise Forbidden("Cette borne est à un site que vous ne servez pas.")
    if session.closed_at is None:
        session.closed_at = utcnow()
        session.closed_by_id = actor.id
    db.flush()


def open_sessions(db: Session, actor) -> list[KioskSession]:
    rows = db.scalars(select(KioskSession).where(KioskSession.closed_at.is_(None)).order_by(KioskSession.opened_at))
    return [s for s in rows if serves_site(actor, s.site_id)]


def get_session(db: Session, actor, session_id: int) -> KioskSession:
    session = db.get(KioskSession, session_id)
    if session is None:
        raise NotFound(f"Aucune session de borne n° {session_id}.")
    if not serves_site(actor, session.site_id):
        raise Forbidden("Cette borne est à un site que vous ne servez pas.")
    return session


def _recent(at, now) -> bool:
    return at is not None and now - at < PIN_LOCK


def identify(db: Session, session: KioskSession, card: str) -> Borrower:
    """Step 1: the card. Says nothing about the person (not even their name)."""
    borrower = borrowers_svc.find_by_card(db, card)
    if borrower is None or borrower.anonymised_at is not None:
        raise NotFound("Carte non reconnue. Vérifiez que c'est bien votre carte d'emprunteur, "
                       "ou adressez-vous à l'accueil.")
    if not borrower.has_pin:
        raise Conflict("Cette carte n'a pas de code PIN pour la borne : demandez-en un à l'accueil.")
    return borrower


def identified_borrower(db: Session, borrower_id) -> Borrower | None:
    """The resident whose card the kiosk read (kept by the kiosk between its steps), while their record is live."""
    borrower = db.get(Borrower, borrower_id) if isinstance(borrower_id, int) else None
    return borrower if borrower is not None and borrower.anonymised_at is None else None


def check_pin(db: Session, session: KioskSession, borrower: Borrower, pin: str) -> None:
    """Step 2: the PIN. Wrong PINs are counted (the count is kept although the answer is an error) and
    throttled."""
    refusal = _try_pin(db, session, borrower, pin)
    if refusal is not None:
        raise refusal


@use_case
def _try_pin(db: Session, session: KioskSession, borrower: Borrower, pin: str) -> RefurbError | None:
    """Check the PIN and count a wrong one; the refusal is returned, not raised, so the count is committed."""
    now = utcnow()
    if (borrower.pin_failures >= MAX_PIN_FAILURES_PER_CARD and _recent(borrower.pin_failed_at, now)) or \
            (session.pin_failures >= MAX_PIN_FAILURES_PER_KIOSK and _recent(session.pin_failed_at, now)):
        return TooManyAttempts("Trop de codes PIN erronés : la carte est bloquée 15 minutes sur la borne. "
                              "Adressez-vous à l'accueil.")
    ok = isinstance(pin, str) and len(pin) == 4 and pin.isdigit() and borrower.pin_hash \
        and accounts.secret_matches(borrower.pin_hash, pin)
    if not ok:
        borrower.pin_failures = (borrower.pin_failures if _recent(borrower.pin_failed_at, now) else 0) + 1
        borrower.pin_failed_at = now
        session.pin_failures = (session.pin_failures if _recent(session.pin_failed_at, now) else 0) + 1
        session.pin_failed_at = now
        db.flush()
        left = MAX_PIN_FAILURES_PER_CARD - borrower.pin_failures
        if left <= 0:
            return TooManyAttempts("Code PIN incorrect. Trop d'essais : la carte est bloquée 15 minutes sur la "
                                   "borne. Adressez-vous à l'accueil.")
        return Invalid(f"Code PIN incorrect. Il reste {plural(left, 'essai')}.",
                       fields={"pin": "Code PIN incorrect."}, code="wrong_pin")
    borrower.pin_failures = 0
    borrower.pin_failed_at = None
    db.flush()
    return None


@use_case
def return_at_kiosk(db: Session, session: KioskSession, kiosk_user: User, borrower: Borrower, device) -> Loan:
    """A resident identified at the kiosk (card + PIN) returns a device on loan to them. The loan is
    closed as "to check": the staff confirm the device's condition at the desk before it is lent again.
    A device on loan to someone else, or part of a kit, is taken back at the desk only."""
    loan = loans_svc.open_loan_for(db, device)
    if loan is None or loan.borrower_id != borrower.id:
        raise NotFound(f"{device.asset_tag} n'est pas en prêt à votre nom : rien à rendre ici. "
                       "Adressez-vous à l'accueil.", code="not_yours")
    if loan.kit_id:
        raise Conflict(f"{device.asset_tag} fait partie d'un kit : rendez le kit complet à l'accueil.", code="kit")
    return loans_svc.return_to_check(db, kiosk_user, loan, session.site)


LENT, RETURNED = "lent", "returned"


@use_case
def borrow_or_return(db: Session, session: KioskSession, kiosk_user: User, borrower: Borrower,
                     device) -> tuple[str, Loan]:
    """Step 3: the device scanned by a resident identified by card + PIN. On loan: it comes back
    (``return_at_kiosk``); otherwise it is lent to them at the kiosk's site. (``LENT`` or ``RETURNED``, loan)."""
    if loans_svc.open_loan_for(db, device) is not None:
        return RETURNED, return_at_kiosk(db, session, kiosk_user, borrower, device)
    return LENT, loans_svc.check_out(db, kiosk_user, borrower, [device.asset_tag], site=session.site)[0]
