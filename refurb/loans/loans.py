"""Check-out, the end of a loan (return, kiosk return and its check, lost or stolen), renewal, lists of
loans, overdue reminders, history.

Each device moves through ``_move`` (the loans area owns the moves into and out of ``on_loan``), so every
loan and every return is an event in the device's history, in the same transaction.
Never two open loans for one device: the service checks, the database refuses (partial unique
index ``uq_loans_open_device``), and a refused insert becomes the same 409 as the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.roles import KIOSK
from ..accounts.scope import limit_to_user_sites, require_site, serves_site, site_ids
from ..clock import local, today
from ..db import lock_rows, plain_rows, rows_found, use_case, utcnow
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..formatting import date_fr, money_fr, plural
from ..inventory import lifecycle
from ..inventory.categories import CATEGORIES
from ..inventory.models import Device
from ..inventory.services import find_by_code, record_event
from ..sites.models import Site
from ..sites.services import get_site
from ..validation import Checker
from . import borrowers as borrowers_svc
from . import kits
from . import reservations as bookings
from .models import (
    DEPOSIT_METHODS,
    END_CONDITIONS,
    LOSS_REASONS,
    RETURN_CONDITIONS,
    TO_CHECK,
    Borrower,
    Kit,
    KitDevice,
    Loan,
)
from .rules import rules_by_category, rules_for, site_rules

MAX_BASKET = 60
LOAN_STATES = {"open": "En cours", "overdue": "En retard", "closed": "Rendus",
               TO_CHECK: "Rendus à la borne, à vérifier"}

# How a loan was made: decided by who lends, never by a caller's flag.
DESK, KIOSK_CHANNEL, API = "desk", "kiosk", "api"
# What the API door sets on the user it authenticated by a Bearer token.
TOKEN = "token"


def channel_of(actor) -> str:
    """The channel of a loan made by ``actor``: a kiosk account lends at the kiosk, a user authenticated by
    an API token through the API, anyone else at the desk."""
    if actor.role == KIOSK:
        return KIOSK_CHANNEL
    if getattr(actor, "authenticated_by", None) == TOKEN:
        return API
    return DESK


def already_on_loan(device: Device, loan: Loan | None = None) -> Conflict:
    since = f" depuis le {date_fr(loan.start_on)}, retour prévu le {date_fr(loan.due_on)}" if loan else ""
    return Conflict(f"{device.asset_tag} est déjà en prêt{since} : enregistrez d'abord son retour.",
                    code="on_loan")


def open_loan_for(db: Session, device: Device) -> Loan | None:
    return db.scalar(select(Loan).where(Loan.device_id == device.id, Loan.returned_at.is_(None)))


def _lock_devices(db: Session, devices: list[Device]) -> None:
    """Two desks acting on the same device wait for each other, and the second one sees what the first did."""
    lock_rows(db, Device, [d.id for d in devices])
    for device in devices:
        db.refresh(device)


def _move(db: Session, actor, device: Device, to_state: str, *, action: str, note: str, data: dict,
          at: datetime | None = None) -> None:
    """A device moved by the loans area (into ``on_loan`` and out of it, ``workflow.OWNER``), with its history
    event: the loans rules are checked before, by the use case that moves it."""
    lifecycle.apply(db, actor, device, to_state, action=action, note=note, data=data, at=at)


# --- what may be lent --------------------------------------------------------------------------

def active_kit_of(db: Session, device: Device) -> Kit | None:
    """The kit this device is lent with (an active kit it belongs to), or None."""
    return active_kits_of(db, [device]).get(device.id)


_KIT_PAIRS = select(KitDevice.device_id, KitDevice.kit_id).where(  # built once: each desk scan asks it
    KitDevice.device_id.in_(bindparam("device_ids", expanding=True)))


def active_kits_of(db: Session, devices: list[Device]) -> dict[int, Kit]:
    """``active_kit_of`` for several devices in one narrow query (most devices belong to no kit): device id → its
    active kit, the kits found read by their id."""
    pairs = plain_rows(db, _KIT_PAIRS, {"device_ids": [d.id for d in devices]}) if devices else []
    kits = {kit_id: db.get(Kit, kit_id) for kit_id in {kit_id for _, kit_id in pairs}}
    return {device_id: kits[kit_id] for device_id, kit_id in pairs if kits[kit_id].active}


def _kit_refusal(device: Device, kit: Kit) -> str:
    return (f"{device.asset_tag} fait partie du kit « {kit.name} » : scannez le code du kit ({kit.code}) "
            "pour le prêter en entier.")


def lendability(db: Session, device: Device, site: Site | None, borrower: Borrower | None, *,
                until: date | None = None) -> str | None:
    """Why this device cannot be lent here and now (French), or None. Used to fill the basket."""
    return lendabilities(db, [device], site, borrower, until=until)[device.id]


def lendabilities(db: Session, devices: list[Device], site: Site | None, borrower: Borrower | None, *,
                  until: date | None = None, rules: dict | None = None) -> dict[int, str | None]:
    """``lendability`` of several devices (the desk's basket) in a few queries, not a few per device:
    device id → why it cannot be lent here and now (French), or None. ``rules``: site id →
    ``rules_by_category`` for the borrower's kind, when the caller has read them already."""
    reasons: dict[int, str | None] = {d.id: None for d in devices}
    open_loans, to_check = _open_and_to_check(db, [d.id for d in devices])
    pool = []
    for device in devices:
        loan = open_loans.get(device.id)
        if loan is not None or device.state == "on_loan":
            reasons[device.id] = already_on_loan(device, loan).message
        elif device.state != "loan_pool":
            reasons[device.id] = (f"{device.asset_tag} n'est pas dans le parc de prêt (état : {device.state_label}) : "
                                  "un technicien doit d'abord l'y mettre.")
        else:
            pool.append(device)
    unchecked = {d.id: to_check[d.id] for d in pool if d.id in to_check}
    lendable = []
    for device in pool:
        if device.id in unchecked:
            reasons[device.id] = (
                f"{device.asset_tag} a été rendu à la borne le {date_fr(unchecked[device.id].returned_at)} et son "
                "état n'a pas encore été vérifié : scannez-le au comptoir pour confirmer son état avant de le prêter.")
        elif site is not None and device.site_id != site.id:
            reasons[device.id] = (f"{device.asset_tag} est rattaché au site « {device.site.name} », pas à "
                                  f"« {site.name} » : il se prête là-bas (ou faites d'abord un transfert).")
        else:
            lendable.append(device)
    if borrower is not None and lendable:
        day = today()
        by_end: dict[date, list[Device]] = {}  # each device held until its own due date, in one query
        tables: dict[int, object] = dict(rules or {})
        for device in lendable:
            if until is None and device.site_id not in tables:
                tables[device.site_id] = rules_by_category(db, device.site_id, borrower.kind)
            end = until or tables[device.site_id](device.category).due_on(day)
            by_end.setdefault(end, []).append(device)
        holds = bookings.devices_holds_until(db, {end: [d.id for d in group] for end, group in by_end.items()}, day,
                                             other_than=borrower.id)
        for device in lendable:
            if holds.get(device.id):
                h = holds[device.id][0]
                reasons[device.id] = (f"{device.asset_tag} est réservé pour un autre usager du "
                                      f"{date_fr(h.start_on)} au {date_fr(h.end_on)} : prêtez un autre appareil.")
    return reasons


def basket_refusal(db: Session, device: Device, site: Site, borrower: Borrower | None) -> str | None:
    """Why this device cannot join the desk's basket on its own (French), or None: it must be lendable
    here, and a device of a kit is lent only with its kit."""
    reason = lendability(db, device, site, borrower)
    return basket_problem(device, reason, None if reason else active_kit_of(db, device))


def basket_problem(device: Device, reason: str | None, kit: Kit | None) -> str | None:
    """``basket_refusal`` from what is already known of the device: why it cannot be lent
    (``lendability``) and the active kit it belongs to."""
    if reason is None and kit is not None:
        return _kit_refusal(device, kit)
    return reason


def kit_refusal(db: Session, kit: Kit, site: Site, borrower: Borrower | None) -> str | None:
    """Why this kit cannot be lent whole here and now (French), or None."""
    if kit.site_id != site.id:
        return f"Le kit « {kit.name} » est rattaché à « {kit.site.name} » : il se prête là-bas."
    problems = [reason for reason in (lendability(db, d, site, borrower) for d in kit.devices) if reason]
    if problems:
        return f"Le kit « {kit.name} » ne peut pas être prêté : " + " ; ".join(problems)
    return None


# --- check-out ---------------------------------------------------------------------------------

@dataclass
class _Request:
    """A check-out as asked, once its fields are checked."""
    tags: list[str]
    due_on: date | None
    deposit_method: str | None
    deposits: dict[str, Decimal]


@use_case
def check_out(db: Session, actor, borrower: Borrower, tags, *, site: Site | None = None, due_on=None,
              deposits: dict | None = None, deposit_method: str | None = None, rules_accepted: bool | None = None,
              kit: Kit | None = None, at: datetime | None = None) -> list[Loan]:
    """Lend devices to a borrower: all of them, or none with every reason why not.

    ``site``: where the desk is (the devices must belong to it); None = each device's own site.
    ``due_on``: a date (or ISO text) for every device, else each device's rule.
    ``deposits``: asset tag → amount; ``deposit_method`` for all of them.
    ``rules_accepted``: the borrower accepts the loan rules now; None = as the channel means it (an API
    check-out is made for a borrower who accepted them, a desk or kiosk one says so explicitly).
    ``kit``: the devices are that kit, lent whole; a device of a kit is never lent on its own.
    The channel (desk, kiosk, API) comes from the actor (``channel_of``).
    ``at``: when the devices were handed over, if before now (a loan made offline on the bus and synced
    later): the loan starts then, and its due date follows from that day."""
    channel = channel_of(actor)
    if channel != KIOSK_CHANNEL:
        borrowers_svc.require_desk(actor)
    if rules_accepted is None:
        rules_accepted = channel == API
    asked = _parse_request(tags, due_on, deposits, deposit_method)
    _check_borrower(borrower, rules_accepted)
    devices = _find_devices(db, actor, asked.tags)
    _lock_devices(db, devices)
    bookings.release_no_shows(db)
    _check_lendable(db, devices, site, borrower, kit)
    lend_site_id = _lending_site(site, devices)
    day = local(at).date() if at is not None else today()
    due = _due_dates(db, devices, lend_site_id, borrower, asked.due_on, day)
    _check_holds(db, devices, site, borrower, due)
    _check_limit(db, devices, lend_site_id, borrower)
    _check_category_bookings(db, devices, lend_site_id, borrower, due, day)
    loans = _create_loans(db, actor, borrower, devices, asked, lend_site_id=lend_site_id, due=due, kit=kit,
                          channel=channel, at=at)
    if rules_accepted:
        borrowers_svc.record_consent(borrower)
    borrowers_svc.touch(borrower)
    db.flush()
    return loans


def _parse_tags(tags) -> list[str]:
    if not isinstance(tags, (list, tuple)) or not tags:
        raise Invalid(fields={"asset_tags": "Scannez au moins un appareil à prêter."})
    if len(tags) > MAX_BASKET:
        raise Invalid(fields={"asset_tags": f"{MAX_BASKET} appareils au plus par prêt."})
    cleaned = [str(t).strip().upper() for t in tags if str(t).strip()]
    twice = sorted({t for t in cleaned if cleaned.count(t) > 1})
    if twice:
        raise Invalid(fields={"asset_tags": f"Appareil scanné deux fois dans ce prêt : {', '.join(twice)}. "
                                            "Retirez le doublon."}, code="scanned_twice")
    if not cleaned:
        raise Invalid(fields={"asset_tags": "Scannez au moins un appareil à prêter."})
    return cleaned


def _parse_request(tags, due_on, deposits: dict | None, deposit_method: str | None) -> _Request:
    tags = _parse_tags(tags)
    c = Checker({"due_on": due_on, "deposit_method": deposit_method})
    due_override = c.day("due_on", "La date de retour")
    method = c.choice("deposit_method", "Le moyen de paiement de la caution", DEPOSIT_METHODS, required=False)
    amounts: dict[str, Decimal] = {}
    for tag, raw in (deposits or {}).items():
        tag_key = str(tag).strip().upper()
        if tag_key not in tags:
            c.add(f"deposit.{tag_key}", f"Caution pour {tag_key}, qui n'est pas dans ce prêt.")
            continue
        checker = Checker({"a": raw})
        value = checker.money("a", f"La caution de {tag_key}", max_value=Decimal("5000"))
        if checker.errors:
            c.add(f"deposit.{tag_key}", checker.errors["a"])
        elif value:
            amounts[tag_key] = value.quantize(Decimal("0.01"))
    c.done()
    return _Request(tags=tags, due_on=due_override, deposit_method=method or ("cash" if amounts else None),
                    deposits=amounts)


def _check_borrower(borrower: Borrower, rules_accepted: bool) -> None:
    if borrower.anonymised_at is not None:
        raise NotFound("Cet usager a été anonymisé : il faut une nouvelle inscription.")
    if borrower.blocked:
        raise Conflict(f"Prêt impossible : {borrower.full_name} est bloqué(e) — {borrower.block_reason}. "
                       "Voyez avec un responsable pour lever le blocage.", code="blocked")
    if borrower.consent_at is None and not rules_accepted:
        raise Invalid("L'usager doit d'abord accepter le règlement de prêt.",
                      fields={"rules_accepted": "Faites accepter le règlement de prêt (case à cocher)."},
                      code="rules_not_accepted")


def _find_devices(db: Session, actor, tags: list[str]) -> list[Device]:
    devices, missing = [], []
    for tag in tags:
        device = find_by_code(db, actor, tag)
        if device is None:
            missing.append(tag)
        else:
            devices.append(device)
    if missing:
        raise NotFound(f"Aucun appareil ne porte l'étiquette : {', '.join(missing)}.")
    for device in devices:  # 403 before anything else when a device is at a site the user does not serve
        require_site(actor, device.site_id, f"l'appareil {device.asset_tag} (site « {device.site.name} »)")
    return devices


def _check_lendable(db: Session, devices: list[Device], site: Site | None, borrower: Borrower,
                    kit: Kit | None) -> None:
    """Each device lendable here and now, a kit's devices only with that kit, and a kit only whole."""
    problems = []
    for device in devices:
        reason = lendability(db, device, site, borrower)
        if reason:
            problems.append(reason)
            continue
        own_kit = active_kit_of(db, device)
        if own_kit is not None and (kit is None or own_kit.id != kit.id):
            problems.append(_kit_refusal(device, own_kit))
    if kit is not None and not problems:
        left_out = sorted({d.asset_tag for d in kit.devices} - {d.asset_tag for d in devices})
        if not kit.active or left_out:
            problems.append(f"Le kit « {kit.name} » se prête en entier"
                            + (f" : il manque {', '.join(left_out)}." if left_out else " (il a été dissous)."))
    if problems:
        code = "on_loan" if any("déjà en prêt" in p for p in problems) else "not_lendable"
        raise Conflict(_join(problems), code=code)


def _lending_site(site: Site | None, devices: list[Device]) -> int:
    if site is not None:
        return site.id
    if len({d.site_id for d in devices}) > 1:
        raise Conflict("Ces appareils sont rattachés à des sites différents : prêtez-les depuis leur site.")
    return devices[0].site_id


def _due_dates(db: Session, devices: list[Device], lend_site_id: int, borrower: Borrower,
               due_override: date | None, day: date) -> dict[int, date]:
    due: dict[int, date] = {}
    errors = {}
    for device in devices:
        rules = rules_for(db, lend_site_id, borrower.kind, device.category)
        if due_override is None:
            due[device.id] = rules.due_on(day)
            continue
        if due_override < day:
            errors["due_on"] = f"La date de retour ({date_fr(due_override)}) est déjà passée."
        elif due_override > rules.latest_due(day):
            errors["due_on"] = (f"La date de retour ({date_fr(due_override)}) dépasse la durée maximale d'un prêt "
                                f"({rules.max_days} jours) : au plus tard le {date_fr(rules.latest_due(day))}.")
        due[device.id] = due_override
    if errors:
        raise Invalid(fields=errors, code="bad_due_date")
    return due


def _check_holds(db: Session, devices: list[Device], site: Site | None, borrower: Borrower,
                 due: dict[int, date]) -> None:
    """Reservations of these very devices by others, over the whole loan."""
    held = [lendability(db, d, site, borrower, until=due[d.id]) for d in devices]
    if any(held):
        raise Conflict(_join([h for h in held if h]), code="reserved")


def _check_limit(db: Session, devices: list[Device], lend_site_id: int, borrower: Borrower) -> None:
    limit = rules_for(db, lend_site_id, borrower.kind, devices[0].category).max_devices
    out_now = db.scalar(select(func.count()).select_from(Loan).where(Loan.borrower_id == borrower.id,
                                                                     Loan.returned_at.is_(None))) or 0
    if out_now + len(devices) > limit:
        raise Conflict(f"Limite atteinte : {borrower.full_name} peut emprunter {plural(limit, 'appareil')} à la fois "
                       f"({borrower.kind_label.lower()}) et en a déjà {out_now} ; ce prêt en ajouterait "
                       f"{len(devices)}.", code="limit")


def _check_category_bookings(db: Session, devices: list[Device], lend_site_id: int, borrower: Borrower,
                             due: dict[int, date], day: date) -> None:
    """Bookings of others for a category (not for a given device) keep enough devices on the shelf."""
    by_category: dict[str, list[Device]] = {}
    for device in devices:
        by_category.setdefault(device.category, []).append(device)
    for category, group in by_category.items():
        end = max(due[d.id] for d in group)
        left, wanted = bookings.category_shortfall(db, lend_site_id, category, day, end, other_than=borrower.id,
                                                   taking=len(group))
        if left < wanted:
            raise Conflict(f"{CATEGORIES[category]} : les appareils restants sont réservés par d'autres usagers "
                           f"({plural(wanted, 'réservation')} sur la période) ; ce prêt les en priverait.",
                           code="reserved")


def _create_loans(db: Session, actor, borrower: Borrower, devices: list[Device], asked: _Request, *,
                  lend_site_id: int, due: dict[int, date], kit: Kit | None, channel: str,
                  at: datetime | None = None) -> list[Loan]:
    now = at or utcnow()
    day = local(now).date()
    loans: list[Loan] = []
    try:
        for device in devices:
            amount = asked.deposits.get(device.asset_tag)
            loan = Loan(device_id=device.id, device=device, borrower_id=borrower.id, borrower=borrower,
                        site_id=lend_site_id, kit_id=kit.id if kit else None, category=device.category,
                        borrower_kind=borrower.kind, channel=channel, started_at=now, start_on=day,
                        due_on=due[device.id], renewals=0, rules_accepted_at=now,
                        deposit_amount=amount, deposit_method=asked.deposit_method if amount else None,
                        deposit_status="held" if amount else None, lent_by_id=actor.id, return_note="")
            db.add(loan)
            db.flush()
            _move(db, actor, device, "on_loan", action="loan",
                  note=f"Prêt n° {loan.id}, retour prévu le {date_fr(loan.due_on)}"
                       + (f", caution {money_fr(amount)}" if amount else ""),
                  data={"loan_id": loan.id, "borrower_id": borrower.id, "due_on": loan.due_on.isoformat(),
                        "kit": kit.code if kit else None}, at=at)
            bookings.fulfil_for(db, borrower, device, loan, lend_site_id, loan.due_on)
            loans.append(loan)
        db.flush()
    except IntegrityError as err:
        if "uq_loans_open_device" in str(err.orig) or "loans.device_id" in str(err.orig):
            raise already_on_loan(devices[len(loans)] if len(loans) < len(devices) else devices[0]) from err
        raise
    return loans


def _join(problems: list[str]) -> str:
    if len(problems) == 1:
        return "Prêt impossible : " + problems[0]
    return "Prêt impossible, rien n'a été prêté : " + " ; ".join(problems)


@use_case
def check_out_basket(db: Session, actor, borrower: Borrower, tags: list[str], kit_codes: list[str], *,
                     site: Site, due_on=None, deposits: dict | None = None, deposit_method: str | None = None,
                     rules_accepted: bool | None = None) -> list[Loan]:
    """The desk's basket: each kit scanned is lent whole (one check-out, one agreement per kit), the other
    devices together; all of it, or nothing."""
    deposits = deposits or {}
    whole = [k for k in (kits.find_kit(db, code) for code in kit_codes) if k is not None]
    in_kits = {d.asset_tag for k in whole for d in k.devices}
    common = {"site": site, "due_on": due_on, "deposit_method": deposit_method, "rules_accepted": rules_accepted}
    made = []
    for kit in whole:
        kit_tags = [d.asset_tag for d in kit.devices]
        made += check_out(db, actor, borrower, kit_tags, kit=kit,
                          deposits={t: v for t, v in deposits.items() if t in kit_tags}, **common)
    single = [t for t in tags if t not in in_kits]
    if single:
        made += check_out(db, actor, borrower, single,
                          deposits={t: v for t, v in deposits.items() if t in single}, **common)
    return made


@use_case
def check_out_presented(db: Session, actor, data: dict) -> Loan:
    """Lend one device to the borrower whose card is presented (the API's check-out): ``data`` holds
    ``asset_tag``, ``borrower_card`` and optionally ``due_on``, ``deposit`` (an amount, or
    ``{"amount", "method"}``) and ``rules_accepted``. The card counts as presented at the desk: the
    device is handed over to the person."""
    borrowers_svc.require_desk(actor)
    tag, card = data.get("asset_tag"), data.get("borrower_card")
    errors = {}
    if not isinstance(tag, str) or not tag.strip():
        errors["asset_tag"] = "L'étiquette de l'appareil (asset_tag) est obligatoire."
    if not isinstance(card, str) or not card.strip():
        errors["borrower_card"] = "La carte de l'usager (borrower_card) est obligatoire."
    if errors:
        raise Invalid(fields=errors)
    amount, method = _deposit_of(data.get("deposit"))
    accepted = data.get("rules_accepted")
    if accepted is not None and not isinstance(accepted, bool):
        raise Invalid(fields={"rules_accepted": "rules_accepted : true ou false attendu."})
    borrower = borrowers_svc.get_borrower(db, actor, card, need=borrowers_svc.PANEL, presented=True)
    return check_out(db, actor, borrower, [tag], due_on=data.get("due_on"),
                     deposits={tag.strip().upper(): amount} if amount is not None else None,
                     deposit_method=method, rules_accepted=accepted)[0]


def _deposit_of(raw) -> tuple[str | None, str | None]:
    if raw in (None, "", 0):
        return None, None
    if isinstance(raw, dict):
        return raw.get("amount"), raw.get("method") or "cash"
    if isinstance(raw, (int, float, str)) and not isinstance(raw, bool):
        return str(raw), "cash"
    raise Invalid(fields={"deposit": "Caution : un montant, ou un objet {\"amount\", \"method\"}."})


# --- who sees a loan ---------------------------------------------------------------------------

def sees_loan(actor, loan: Loan) -> bool:
    """A loan is seen by the desks of the site that lent it, and, once returned, of the site where it
    came back (a kiosk return is checked there)."""
    return serves_site(actor, loan.site_id) or (loan.returned_at is not None
                                                and serves_site(actor, loan.return_site_id))


def loan_scope(stmt, actor):
    """``sees_loan`` as a filter on a query of loans."""
    ids = site_ids(actor)
    if ids is None:
        return stmt
    ids = list(ids) or [-1]
    return stmt.where(or_(Loan.site_id.in_(ids), and_(Loan.returned_at.is_not(None), Loan.return_site_id.in_(ids))))


def shows_borrower(actor, loan: Loan) -> bool:
    """Loan screens name the borrower (name and card, never the contact) to the staff of the site that
    lent: the loan is in their register. A site that only took the device back does not learn who had it."""
    return names_borrower(actor, loan.site_id, loan.borrower.anonymised_at)


def names_borrower(actor, site_id: int, anonymised_at: datetime | None) -> bool:
    """``shows_borrower`` for a loan lent by ``site_id`` to a borrower anonymised at ``anonymised_at`` (None: not)."""
    return serves_site(actor, site_id) and anonymised_at is None


def get_loan(db: Session, actor, loan_id: int, *, found_by_tag: bool = False) -> Loan:
    """The loan ``loan_id``, for every action by id (page, return, renewal, lost, agreement, reminder):
    404 when unknown, 403 when at a site the user does not serve, whatever a request body says.

    ``found_by_tag``: only for the desk, when this loan is the one of the device just scanned there
    (the device is in hand): its site is not asked; ``may_return_here`` decides whether this desk
    takes it back."""
    borrowers_svc.require_desk(actor)
    loan = db.get(Loan, loan_id)
    if loan is None:
        raise NotFound(f"Aucun prêt n° {loan_id}.")
    if not found_by_tag and not sees_loan(actor, loan):
        require_site(actor, loan.site_id, f"ce prêt (n° {loan.id})")
    return loan


# --- the end of a loan -------------------------------------------------------------------------

def may_return_here(db: Session, actor, loan: Loan, site: Site) -> None:
    """The one rule for where a lent device may come back (desk, loan page, API, kits, kiosk): at a site
    the user serves, and at another site than the device's only if that site accepts other sites'
    returns (the device then belongs to it). Which loan the user may act on is the lookup's business
    (``get_loan``, or the device found by its tag at the desk or the kiosk)."""
    require_site(actor, site.id, f"le site « {site.name} »")
    device = loan.device
    if site.id != device.site_id and not site_rules(db, site.id).accept_other_site_returns:
        raise Conflict(f"« {site.name} » ne reprend pas le matériel des autres sites : {device.asset_tag} "
                       f"se rend à « {device.site.name} ».", code="other_site")


# The ways a loan ends (``_close``).
RETURNED, AT_KIOSK, LOST, CHECKED = "returned", "at_kiosk", "lost", "checked"


def _close(db: Session, actor, loan: Loan, how: str, *, condition: str, note: str = "", site: Site | None = None,
           deposit_outcome: str | None = None, loss_reason: str | None = None, at: datetime | None = None) -> Loan:
    """The one way a loan ends, whatever the door: returned (desk, loan page, API, kit: complete → loan
    pool, damaged or incomplete → repairs), returned at the kiosk (``TO_CHECK``: back in the pool, not
    lent again before the desk's check), lost or stolen (the device leaves the pool), or a kiosk return
    checked at the desk (the condition the desk found replaces ``TO_CHECK``)."""
    device = loan.device
    _still_to_close(db, loan, how)
    if how == CHECKED:
        require_site(actor, device.site_id, f"l'appareil {device.asset_tag} (site « {device.site.name} »)")
        here = loan.return_site
    elif how == LOST:
        here = device.site
    else:
        here = site or device.site
        may_return_here(db, actor, loan, here)
        if here.id != device.site_id:
            from_site = device.site
            device.site_id, device.site = here.id, here
            record_event(db, device, actor, "transfer", note=f"Rendu à « {here.name} » (prêt n° {loan.id})",
                         data={"from_site": from_site.code, "to_site": here.code, "via": "loan_return",
                               "loan_id": loan.id}, at=at)
    _move_back(db, actor, loan, how, condition=condition, note=note, loss_reason=loss_reason, at=at)
    now = at or utcnow()
    if how == CHECKED:
        loan.checked_at, loan.checked_by_id = now, actor.id
        if note:
            note = f"{loan.return_note} — {note}" if loan.return_note else note
    else:
        loan.returned_at, loan.return_site_id, loan.returned_by_id = now, here.id, actor.id
        loan.loss_reason = loss_reason
    loan.return_condition = condition
    if note or how != CHECKED:
        loan.return_note = note
    if loan.deposit_status == "held" and how != AT_KIOSK:  # a kiosk return: the desk decides at its check
        loan.deposit_status = deposit_outcome or ("kept" if how == LOST else "returned")
    if how != CHECKED and loan.borrower.anonymised_at is None:
        borrowers_svc.touch(loan.borrower)
    db.flush()
    return loan


def _still_to_close(db: Session, loan: Loan, how: str) -> None:
    """The loan is still open (or, for a check, still waits for it), also after taking the device's lock:
    a return at the same second on another desk is seen here."""
    device = loan.device
    if how != CHECKED and loan.returned_at is not None:
        raise _already_closed(loan, how)
    _lock_devices(db, [device])
    db.refresh(loan)
    if how == CHECKED and loan.return_condition != TO_CHECK:
        raise Conflict(f"Le retour de {device.asset_tag} (prêt n° {loan.id}) n'est pas à vérifier"
                       + (f" : il a déjà été vérifié ({loan.condition_label.lower()})." if loan.checked_at else "."),
                       code="not_to_check")
    if how != CHECKED and loan.returned_at is not None:
        if how == LOST:
            raise Conflict(f"Ce prêt de {device.asset_tag} vient d'être terminé par ailleurs : rien à déclarer.",
                           code="not_on_loan")
        raise Conflict(f"{device.asset_tag} vient d'être rendu par ailleurs : rien à faire.", code="not_on_loan")


def _already_closed(loan: Loan, how: str) -> Conflict:
    device = loan.device
    if how == LOST:
        return Conflict(f"Ce prêt de {device.asset_tag} est déjà terminé ({loan.condition_label.lower()} le "
                        f"{date_fr(loan.returned_at)}) : rien à déclarer. Si l'appareil a disparu depuis, "
                        "déclarez-le perdu depuis sa fiche.", code="not_on_loan")
    return Conflict(f"{device.asset_tag} n'est pas en prêt : ce prêt a déjà été rendu le "
                    f"{date_fr(loan.returned_at)}.", code="not_on_loan")


def _move_back(db: Session, actor, loan: Loan, how: str, *, condition: str, note: str,
               loss_reason: str | None, at: datetime | None = None) -> None:
    """The device's state and history event at the end of its loan."""
    device = loan.device
    data = {"loan_id": loan.id, "condition": condition}
    if how == LOST:
        _move(db, actor, device, "lost", action="loan_lost",
              note=f"Prêt n° {loan.id} : {LOSS_REASONS[loss_reason].lower()}" + (f" — {note}" if note else ""),
              data={"loan_id": loan.id, "reason": loss_reason})
    elif how == CHECKED:
        text = (f"Retour du prêt n° {loan.id} vérifié : {RETURN_CONDITIONS[condition].lower()}"
                + (f" — {note}" if note else ""))
        if condition != "complete" and device.state == "loan_pool":
            _move(db, actor, device, "repairing", action="loan_return_checked", note=text, data=data)
        else:
            record_event(db, device, actor, "loan_return_checked", note=text, data=data)
    else:
        _move(db, actor, device, "repairing" if condition in ("damaged", "incomplete") else "loan_pool",
              action="loan_return",
              note=f"Retour du prêt n° {loan.id} : {END_CONDITIONS[condition].lower()}" + (f" — {note}" if note else ""),
              data=data, at=at)


def _parse_return(condition, note, deposit_outcome) -> tuple[str, str, str | None]:
    c = Checker({"condition": condition, "note": note, "deposit_outcome": deposit_outcome})
    condition = c.choice("condition", "L'état au retour", RETURN_CONDITIONS)
    note = c.text("note", "La note", max_len=2000) or ""
    outcome = c.choice("deposit_outcome", "La caution", {"returned": "", "kept": ""}, required=False)
    if condition in ("damaged", "incomplete") and not note:
        c.add("note", "Décrivez le dommage ou l'accessoire manquant (note obligatoire).")
    c.done()
    return condition, note, outcome


@use_case
def return_loan(db: Session, actor, loan: Loan, *, condition, note: str = "", site: Site | None = None,
                deposit_outcome: str | None = None, at: datetime | None = None) -> Loan:
    """Take a device back at the desk: complete → loan pool; damaged or missing accessory → repairs
    (with a note). ``site``: where it is brought back (default: the device's site), see ``may_return_here``.
    ``at``: when it was brought back, if before now (a return made offline on the bus): not before the loan
    started."""
    borrowers_svc.require_desk(actor)
    condition, note, outcome = _parse_return(condition, note, deposit_outcome)
    if at is not None and at < loan.started_at:
        raise Conflict(f"Ce retour de {loan.device.asset_tag} est daté d'avant le début du prêt n° {loan.id} "
                       f"({date_fr(loan.started_at)}) : vérifiez l'heure de la tablette.", code="before_loan")
    return _close(db, actor, loan, RETURNED, condition=condition, note=note, site=site, deposit_outcome=outcome,
                  at=at)


@use_case
def return_to_check(db: Session, kiosk_user, loan: Loan, site: Site) -> Loan:
    """A return at the kiosk: the loan is closed as "to check" and the device goes back to the loan pool,
    where it is not lent again before the staff confirm its condition at the desk (``confirm_return``).
    The caller (the kiosk) has checked that the device is on loan to the resident identified by card + PIN."""
    if kiosk_user.role != KIOSK:
        raise Forbidden("Seule une borne enregistre un retour « à vérifier ».")
    return _close(db, kiosk_user, loan, AT_KIOSK, condition=TO_CHECK, site=site,
                  note="Rendu à la borne : état à vérifier par l'équipe.")


# Built once: every desk scan asks it (twice).
_OPEN_OR_TO_CHECK_IDS = (select(Loan.id).where(Loan.device_id.in_(bindparam("device_ids", expanding=True)),
                                               or_(Loan.returned_at.is_(None), Loan.return_condition == TO_CHECK))
                         .order_by(Loan.returned_at, Loan.id))


def _open_and_to_check(db: Session, device_ids: list[int]) -> tuple[dict[int, Loan], dict[int, Loan]]:
    """Device id → its open loan, and device id → its last loan returned at the kiosk and waiting for the
    staff's check: both in one query."""
    open_loans: dict[int, Loan] = {}
    to_check: dict[int, Loan] = {}
    if device_ids:
        for loan in rows_found(db, Loan, _OPEN_OR_TO_CHECK_IDS, {"device_ids": list(device_ids)}):
            if loan.returned_at is None:
                open_loans[loan.device_id] = loan
            else:
                to_check[loan.device_id] = loan  # the last one wins
    return open_loans, to_check


def loan_at_desk(db: Session, device: Device) -> Loan | None:
    """What a scan of ``device`` at the desk deals with, read in one query: its open loan (a return), else its
    last loan returned at the kiosk and waiting for the staff's check, else None."""
    open_loans, to_check = _open_and_to_check(db, [device.id])
    return open_loans.get(device.id) or to_check.get(device.id)


@use_case
def confirm_return(db: Session, actor, loan: Loan, *, condition, note: str = "",
                   deposit_outcome: str | None = None) -> Loan:
    """The staff check a device returned at the kiosk and record its condition: complete (it stays in the
    loan pool, lendable again) or damaged / missing accessory (to repairs, with a note), with an event in
    the device's history."""
    borrowers_svc.require_desk(actor)
    condition, note, outcome = _parse_return(condition, note, deposit_outcome)
    return _close(db, actor, loan, CHECKED, condition=condition, note=note, deposit_outcome=outcome)


def returns_to_check(db: Session, actor, site: Site | None = None) -> list[Loan]:
    """Kiosk returns waiting for the staff's check at the user's sites (or at ``site``)."""
    borrowers_svc.require_desk(actor)
    stmt = limit_to_user_sites(select(Loan), Loan.return_site_id, actor).where(Loan.return_condition == TO_CHECK)
    if site is not None:
        stmt = stmt.where(Loan.return_site_id == site.id)
    return list(db.scalars(stmt.order_by(Loan.returned_at, Loan.id)))


# Reasons as staff type or say them: "perdu" / "volé" are the same as "lost" / "stolen".
_LOSS_ALIASES = {"perdu": "lost", "vole": "stolen", "volé": "stolen"}


@use_case
def declare_lost(db: Session, actor, loan: Loan, *, reason, note: str = "",
                 deposit_outcome: str | None = None) -> Loan:
    """Close an open loan because the device is lost or stolen: the device goes to ``lost`` (with its
    history event) and the loan is closed (condition "lost", the reason kept), in one transaction.

    A deposit still held is kept unless ``deposit_outcome`` is "returned". Found again later, the
    device goes back through the workshop (lost → received, from the device page)."""
    borrowers_svc.require_desk(actor)
    if isinstance(reason, str):
        reason = _LOSS_ALIASES.get(reason.strip().lower(), reason.strip().lower())
    c = Checker({"reason": reason, "note": note, "deposit_outcome": deposit_outcome})
    reason = c.choice("reason", "Le motif (perdu ou volé)", LOSS_REASONS)
    note = c.text("note", "La note", max_len=2000) or ""
    outcome = c.choice("deposit_outcome", "La caution", {"returned": "", "kept": ""}, required=False)
    c.done()
    return _close(db, actor, loan, LOST, condition="lost", note=note, deposit_outcome=outcome, loss_reason=reason)


@use_case
def return_kit(db: Session, actor, kit: Kit, present_tags: list[str], *, condition: str, note: str = "",
               site: Site | None = None, partial: bool = False) -> list[Loan]:
    """Return a kit as one. Missing devices are named; a partial return needs ``partial``."""
    out = kits.open_kit_loans(db, kit)
    if not out:
        raise Conflict(f"Le kit « {kit.name} » n'est pas en prêt.", code="not_on_loan")
    missing = kits.missing_from_return(db, kit, present_tags)
    if missing and not partial:
        names = ", ".join(f"{loan.device.asset_tag} ({loan.device.title})" for loan in missing)
        raise Conflict(f"Il manque {plural(len(missing), 'appareil')} du kit « {kit.name} » : {names}. "
                       "Retrouvez-les, ou validez un retour partiel (ils resteront en prêt).", code="kit_incomplete")
    returned = []
    for loan in out:
        if loan not in missing:
            returned.append(return_loan(db, actor, loan, condition=condition, note=note, site=site))
    if not returned:
        raise Invalid(fields={"present": "Aucun appareil du kit n'a été coché comme rendu."})
    return returned


# --- renewal ----------------------------------------------------------------------------------

@use_case
def renew(db: Session, actor, loan: Loan) -> Loan:
    borrowers_svc.require_desk(actor)
    device = loan.device
    _lock_devices(db, [device])  # two renewals at the same second: the second sees the first
    db.refresh(loan)
    if loan.returned_at is not None:
        raise Conflict(f"Ce prêt de {device.asset_tag} est terminé (rendu le {date_fr(loan.returned_at)}).",
                       code="not_on_loan")
    borrower = loan.borrower
    if borrower.blocked:
        raise Conflict(f"Prolongation refusée : {borrower.full_name} est bloqué(e) — {borrower.block_reason}.",
                       code="blocked")
    rules = rules_for(db, loan.site_id, loan.borrower_kind, loan.category)
    if loan.renewals >= rules.max_renewals:
        raise Conflict(f"Prolongation refusée : ce prêt a déjà été prolongé {loan.renewals} fois, le maximum "
                       f"à « {loan.site.name} » est {rules.max_renewals}. Le matériel doit être rendu.",
                       code="renewal_limit")
    day = today()
    new_due = min(max(loan.due_on, day) + timedelta(days=rules.loan_days), rules.latest_due(day))
    if new_due <= loan.due_on:
        raise Conflict("Prolongation refusée : la date de retour est déjà la plus tardive permise.",
                       code="renewal_limit")
    holds = bookings.device_holds(db, device, loan.due_on + timedelta(days=1), new_due, other_than=borrower.id)
    if holds:
        h = holds[0]
        raise Conflict(f"Prolongation refusée : {device.asset_tag} est réservé par un autre usager à partir du "
                       f"{date_fr(h.start_on)}. Il doit être rendu le {date_fr(loan.due_on)}.", code="reserved")
    left, wanted = bookings.category_shortfall(db, loan.site_id, loan.category, loan.due_on + timedelta(days=1),
                                               new_due, other_than=borrower.id, taking=0)
    if left < wanted:
        raise Conflict(f"Prolongation refusée : les {CATEGORIES[loan.category].lower()}s de « {loan.site.name} » "
                       "sont réservé(e)s par d'autres usagers sur la période.", code="reserved")
    old = loan.due_on
    loan.due_on = new_due
    loan.renewals += 1
    record_event(db, device, actor, "loan_renew",
                 note=f"Prêt n° {loan.id} prolongé du {date_fr(old)} au {date_fr(new_due)}",
                 data={"loan_id": loan.id, "from": old.isoformat(), "to": new_due.isoformat()})
    borrowers_svc.touch(borrower)
    db.flush()
    return loan


# --- lists ------------------------------------------------------------------------------------

def loan_query(db: Session, actor, *, state: str | None = None, site_code: str | None = None):
    borrowers_svc.require_desk(actor)
    c = Checker({"state": state})
    state = c.choice("state", "L'état", LOAN_STATES, required=False)
    c.done()
    stmt = loan_scope(select(Loan), actor)
    if site_code:
        site = db.scalar(select(Site).where(Site.code == site_code.strip().upper()[:32]))
        if site is None:
            raise Invalid(fields={"site": f"Site inconnu : « {site_code[:32]} »."})
        require_site(actor, site.id, f"le site « {site.name} »")
        stmt = stmt.where(Loan.site_id == site.id)
    day = today()
    if state == "open":
        stmt = stmt.where(Loan.returned_at.is_(None))
    elif state == "overdue":
        stmt = stmt.where(Loan.returned_at.is_(None), Loan.due_on < day)
    elif state == "closed":
        stmt = stmt.where(Loan.returned_at.is_not(None))
    elif state == TO_CHECK:
        stmt = stmt.where(Loan.return_condition == TO_CHECK)
    return stmt, state


def list_loans(db: Session, actor, *, state: str | None = None, site_code: str | None = None, page: int = 1,
               per_page: int = 50) -> tuple[list[Loan], int]:
    stmt, state = loan_query(db, actor, state=state, site_code=site_code)
    total = db.scalar(stmt.with_only_columns(func.count(Loan.id)).order_by(None)) or 0
    order = (Loan.due_on, Loan.id) if state in ("open", "overdue") else (Loan.started_at.desc(), Loan.id.desc())
    items = list(db.scalars(stmt.order_by(*order).offset((page - 1) * per_page).limit(per_page)))
    return items, total


def overdue(db: Session, actor, site: Site | None = None, *, page: int = 1,
            per_page: int = 50) -> tuple[list[Loan], int]:
    """One page of the overdue loans at the user's sites (or at ``site``), the oldest due first, and their
    number (a network can have thousands: the desk shows the first ten)."""
    return list_loans(db, actor, state="overdue", site_code=site.code if site else None, page=page,
                      per_page=per_page)


def due_today(db: Session, actor, site: Site) -> list[Loan]:
    stmt, _ = loan_query(db, actor, state="open", site_code=site.code)
    return list(db.scalars(stmt.where(Loan.due_on == today()).order_by(Loan.id)))


def borrower_loans(db: Session, borrower: Borrower, *, open_only: bool = False) -> list[Loan]:
    stmt = select(Loan).where(Loan.borrower_id == borrower.id)
    if open_only:
        stmt = stmt.where(Loan.returned_at.is_(None))
    return list(db.scalars(stmt.order_by(Loan.returned_at.is_not(None), Loan.started_at.desc(), Loan.id.desc())))


def loans_of_device():
    """Whether the device ``device_id`` (a bound parameter) was ever lent: an EXISTS clause that the device page
    asks with its other panels' records."""
    return exists().where(Loan.device_id == bindparam("device_id"))


# A device's loans as its page prints them, newest first, plain rows (built once: every device page with loans
# asks): read as mapped loans with their borrowers, two loans cost the page more than its own device.
_DEVICE_LOANS = (
    select(Loan.id, Loan.site_id, Loan.start_on, Loan.due_on, Loan.returned_at, Loan.return_condition,
           Loan.loss_reason, Loan.return_note, Site.name.label("site_name"), Borrower.first_name,
           Borrower.last_name, Borrower.organisation, Borrower.anonymised_at)
    .join(Site, Site.id == Loan.site_id).join(Borrower, Borrower.id == Loan.borrower_id)
    .where(Loan.device_id == bindparam("device_id")).order_by(Loan.started_at.desc(), Loan.id.desc()))


def device_loans_statement():
    """The statement of ``device_loans`` (the device ``device_id`` bound), for the device page's statement to
    carry its rows (``inventory.Panel.carried``): one round trip fewer on a device that was lent."""
    return _DEVICE_LOANS


def device_loans(db: Session, device: Device) -> list:
    """The device's loans, newest first: rows of the loan's ``id``, ``site_id``, ``start_on``, ``due_on``,
    ``returned_at``, ``return_condition``, ``loss_reason`` and ``return_note``, its site's ``site_name`` and its
    borrower's ``first_name``, ``last_name``, ``organisation`` and ``anonymised_at``."""
    return plain_rows(db, _DEVICE_LOANS, {"device_id": device.id})


def reminder(actor, loan: Loan, network_name: str) -> dict:
    """A reminder letter / e-mail ready to send for a loan, from the site that lent it. The borrower's
    phone and e-mail only for the holders of their record (see ``borrowers.borrower_access``); another
    lending site prints the letter and asks the home site to send it."""
    if not serves_site(actor, loan.site_id):
        raise Forbidden("La relance se fait depuis le site qui a prêté l'appareil.")
    b, d = loan.borrower, loan.device
    contact = borrowers_svc.sees_record(actor, b)
    late = loan.days_late(today())
    site = loan.site
    subject = f"Rappel : retour du matériel emprunté ({d.category_label} {d.asset_tag})"
    lines = [
        f"Bonjour {b.full_name},",
        "",
        f"Le {date_fr(loan.start_on)}, vous avez emprunté à « {site.name} » le matériel suivant : "
        f"{d.category_label} {d.title} (n° {d.asset_tag}).",
        f"Il devait être rendu le {date_fr(loan.due_on)}, soit il y a {plural(late, 'jour')}.",
        "",
        "Merci de le rapporter dès que possible, aux heures d'ouverture"
        + (f" ({site.opening_hours})" if site.opening_hours else "") + ".",
        "Si vous en avez encore besoin, contactez-nous : une prolongation est parfois possible.",
        "D'autres habitants attendent ce matériel : merci pour eux.",
        "",
        "Bien cordialement,",
        f"L'équipe de « {site.name} »",
        network_name,
    ]
    site_contact = ", ".join(p for p in (site.phone, site.email, site.full_address) if p)
    if site_contact:
        lines.append(site_contact)
    return {"subject": subject, "body": "\n".join(lines), "to": (b.email or "") if contact else "",
            "phone": (b.phone or "") if contact else "", "days_late": late, "contact_shown": contact,
            "home_site": b.home_site.name}


def agreement_document(db: Session, actor, loan: Loan, network_name: str) -> bytes:
    """The loan agreement (PDF) of ``loan`` and the loans made with it in the same check-out. The
    borrower's contact is printed only for the holders of their record."""
    from .pdf import agreement_pdf

    if not serves_site(actor, loan.site_id):
        raise Forbidden("Le contrat de prêt est un document du site qui a prêté l'appareil : demandez-le-lui.")
    same = list(db.scalars(select(Loan).where(Loan.borrower_id == loan.borrower_id, Loan.site_id == loan.site_id,
                                              Loan.started_at == loan.started_at).order_by(Loan.id)))
    return agreement_pdf(same or [loan], network_name, loan.site,
                         with_contact=borrowers_svc.sees_record(actor, loan.borrower), privacy=privacy_notice(db))


def privacy_notice(db: Session) -> dict:
    """What the loan agreement tells a borrower about their data (RGPD art. 13): who keeps it, where to write,
    how long it is kept (the purge setting)."""
    from ..settings import get_setting
    from .rules import retention_days

    return {"controller": get_setting(db, "network_name"), "address": get_setting(db, "organisation_address"),
            "contact": get_setting(db, "privacy_contact"), "retention_days": retention_days(db)}


def site_for_code(db: Session, code: str) -> Site:
    return get_site(db, code, active_only=True)
