"""Reservations: a given device, or any device of a category at a site, for a date range.

Conflicts are refused when booking; a reserved device is held for its borrower at check-out;
a booking not collected within the site's delay (``no_show_days`` after its start) is released.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from ..accounts.scope import limit_to_user_sites, require_site
from ..clock import today
from ..db import rows_found, use_case, utcnow
from ..errors import Conflict, Invalid, NotFound
from ..formatting import date_fr
from ..inventory.categories import CATEGORIES, CATEGORIES_PLURAL
from ..inventory.models import Device
from ..inventory.services import get_device
from ..sites.services import get_site
from ..validation import Checker
from . import borrowers as borrowers_svc
from .models import Borrower, Loan, Reservation
from .rules import kind_limits, site_rules

LENDABLE_STATES = ("loan_pool", "on_loan")
MAX_AHEAD_DAYS = 365


def live(day: date):
    """Reservations still holding something on ``day`` (active and not released as no-show)."""
    return and_(Reservation.status == "active", Reservation.release_on >= day)


def overlapping(start: date, end: date):
    return and_(Reservation.start_on <= end, Reservation.end_on >= start)


def device_holds(db: Session, device: Device, start: date, end: date, *, other_than: int | None) -> list[Reservation]:
    """Live reservations of this very device overlapping [start, end], by someone else."""
    return devices_holds(db, [device.id], start, end, other_than=other_than).get(device.id, [])


def devices_holds(db: Session, device_ids: list[int], start: date, end: date, *,
                  other_than: int | None) -> dict[int, list[Reservation]]:
    """``device_holds`` of several devices in one query: device id → its holds, earliest first."""
    return devices_holds_until(db, {end: device_ids}, start, other_than=other_than)


@lru_cache(maxsize=32)
def _holds_ids(groups: int, other_than: bool):
    """``devices_holds_until``'s first statement for this many groups (a basket's due dates: one to a few), built
    once, its values bound: each desk scan asks it."""
    start = bindparam("start")
    where = [or_(*[and_(Reservation.device_id.in_(bindparam(f"ids_{n}", expanding=True)),
                        Reservation.start_on <= bindparam(f"end_{n}"), Reservation.end_on >= start)
                   for n in range(groups)]),
             live(bindparam("today"))]
    if other_than:
        where.append(Reservation.borrower_id != bindparam("other_than"))
    return select(Reservation.id).where(*where).order_by(Reservation.start_on, Reservation.id)


def devices_holds_until(db: Session, ids_by_end: dict[date, list[int]], start: date, *,
                        other_than: int | None) -> dict[int, list[Reservation]]:
    """``devices_holds`` of groups of devices, each group from ``start`` to its own end (a basket's
    categories are lent for different periods), in one query."""
    groups = [(end, list(ids)) for end, ids in ids_by_end.items() if ids]
    if not groups:
        return {}
    params = {"start": start, "today": today(), "other_than": other_than}
    for n, (end, ids) in enumerate(groups):
        params |= {f"end_{n}": end, f"ids_{n}": ids}
    found: dict[int, list[Reservation]] = {}
    for reservation in rows_found(db, Reservation, _holds_ids(len(groups), other_than is not None), params):
        found.setdefault(reservation.device_id, []).append(reservation)
    return found


def category_shortfall(db: Session, site_id: int, category: str, start: date, end: date, *,
                       other_than: int | None, taking: int) -> tuple[int, int]:
    """(devices free for lending, category bookings by others) if ``taking`` devices leave now."""
    day = today()
    held_devices = select(Reservation.device_id).where(Reservation.device_id.is_not(None), live(day),
                                                       overlapping(start, end))
    if other_than is not None:
        held_devices = held_devices.where(Reservation.borrower_id != other_than)
    supply = db.scalar(select(func.count()).select_from(Device).where(
        Device.site_id == site_id, Device.category == category, Device.state == "loan_pool",
        Device.id.not_in(held_devices))) or 0
    demand_stmt = select(func.count()).select_from(Reservation).where(
        Reservation.site_id == site_id, Reservation.category == category, Reservation.device_id.is_(None),
        live(day), overlapping(start, end))
    if other_than is not None:
        demand_stmt = demand_stmt.where(Reservation.borrower_id != other_than)
    demand = db.scalar(demand_stmt) or 0
    return supply - taking, demand


def fulfil_for(db: Session, borrower: Borrower, device: Device, loan: Loan, site_id: int, due: date) -> Reservation | None:
    """Mark the borrower's own booking (this device, or its category at this site) as collected."""
    day = today()
    base = select(Reservation).where(Reservation.borrower_id == borrower.id, live(day),
                                     Reservation.start_on <= due, Reservation.end_on >= day)
    booking = db.scalar(base.where(Reservation.device_id == device.id).order_by(Reservation.start_on).limit(1))
    if booking is None:
        booking = db.scalar(base.where(Reservation.device_id.is_(None), Reservation.category == device.category,
                                       Reservation.site_id == site_id).order_by(Reservation.start_on).limit(1))
    if booking is not None:
        booking.status, booking.loan_id, booking.closed_at = "fulfilled", loan.id, utcnow()
    return booking


@use_case
def release_no_shows(db: Session) -> int:
    """Persist the release of bookings nobody came for (queries already ignore them)."""
    result = db.execute(update(Reservation).where(Reservation.status == "active", Reservation.release_on < today())
                        .values(status="no_show", closed_at=utcnow()))
    return result.rowcount or 0


# --- booking ----------------------------------------------------------------------------------

@use_case
def create_reservation(db: Session, actor, data: dict, *, presented: Borrower | None = None) -> Reservation:
    """Book a device, or a device of a category at a site, for a borrower the desk already serves (see
    ``borrowers.borrower_access``: home site, or a loan open here), or for ``presented``: the borrower
    whose card is presented at this desk now. A card number typed in the form opens nothing else: a
    reservation needs no one present, so it never widens what a desk sees."""
    borrowers_svc.require_desk(actor)
    c = Checker(data)
    tag = c.text("asset_tag", "L'appareil", max_len=20)
    category = c.choice("category", "La catégorie", CATEGORIES, required=False)
    site_code = c.text("site", "Le site", max_len=32)
    card = c.text("borrower_card", "La carte de l'usager", max_len=16, required=True)
    start = c.day("start_on", "La date de début", required=True)
    end = c.day("end_on", "La date de fin", required=True)
    note = c.text("note", "La note", max_len=300) or ""
    if not tag and not category and "category" not in c.errors:
        c.add("asset_tag", "Indiquez un appareil, ou une catégorie et un site.")
    if not tag and category and not site_code:
        c.add("site", "Pour une catégorie, indiquez le site où retirer l'appareil.")
    day = today()
    if start and end and end < start:
        c.add("end_on", f"La réservation se termine ({date_fr(end)}) avant de commencer ({date_fr(start)}).")
    if start and start < day:
        c.add("start_on", f"La date de début ({date_fr(start)}) est déjà passée.")
    if start and start > day + timedelta(days=MAX_AHEAD_DAYS):
        c.add("start_on", "On ne réserve pas plus d'un an à l'avance.")
    c.done()
    at_desk = presented is not None and presented.card_number == card.strip().upper()
    borrower = borrowers_svc.get_borrower(db, actor, card, need=borrowers_svc.PANEL, presented=at_desk)
    if borrower.blocked:
        raise Conflict(f"Réservation impossible : {borrower.full_name} est bloqué(e) ({borrower.block_reason}).",
                       code="blocked")
    device = None
    if tag:
        device = get_device(db, actor, tag)  # 404 / 403 when at a site the user does not serve
        site = device.site
        category = device.category
    else:
        site = get_site(db, site_code, active_only=True)
        require_site(actor, site.id, f"le site « {site.name} »")
    _max_devices, _renewals, max_days = kind_limits(db, site.id, borrower.kind)
    if (end - start).days > max_days:
        raise Invalid(fields={"end_on": f"La période dépasse la durée maximale d'un prêt à « {site.name} » "
                                        f"({max_days} jours)."})
    release_no_shows(db)
    if device is not None:
        _check_device_free(db, device, borrower, start, end)
    _check_category_capacity(db, site, category, start, end, adding_device=device)
    rules = site_rules(db, site.id)
    booking = Reservation(borrower_id=borrower.id, borrower=borrower, site_id=site.id, site=site,
                          device_id=device.id if device else None, device=device,
                          category=None if device else category, start_on=start, end_on=end,
                          release_on=start + timedelta(days=rules.no_show_days), status="active", note=note,
                          created_at=utcnow(), created_by_id=actor.id)
    db.add(booking)
    borrowers_svc.touch(borrower)
    db.flush()
    return booking


def _check_device_free(db: Session, device: Device, borrower: Borrower, start: date, end: date) -> None:
    if device.state not in LENDABLE_STATES:
        raise Conflict(f"{device.asset_tag} ne fait pas partie du parc de prêt (état : {device.state_label}) : "
                       "il ne peut pas être réservé.", code="not_lendable")
    if device.state == "on_loan":
        loan = db.scalar(select(Loan).where(Loan.device_id == device.id, Loan.returned_at.is_(None)))
        if loan is not None and loan.due_on >= start:
            raise Conflict(f"{device.asset_tag} est en prêt jusqu'au {date_fr(loan.due_on)} : choisissez une date "
                           "de début plus tardive ou un autre appareil.", code="conflict")
    taken = device_holds(db, device, start, end, other_than=None)
    if taken:
        other = taken[0]
        who = "cet usager" if other.borrower_id == borrower.id else "un autre usager"
        raise Conflict(f"{device.asset_tag} est déjà réservé par {who} du {date_fr(other.start_on)} au "
                       f"{date_fr(other.end_on)} : choisissez d'autres dates ou un autre appareil.", code="conflict")


def _check_category_capacity(db: Session, site, category: str, start: date, end: date, *,
                             adding_device: Device | None) -> None:
    """The bookings of a category at a site never exceed the devices that can be lent there."""
    capacity = db.scalar(select(func.count()).select_from(Device).where(
        Device.site_id == site.id, Device.category == category, Device.state.in_(LENDABLE_STATES))) or 0
    booked = db.scalar(select(func.count()).select_from(Reservation).outerjoin(
        Device, Device.id == Reservation.device_id).where(
        Reservation.site_id == site.id, live(today()), overlapping(start, end),
        or_(Reservation.category == category, Device.category == category))) or 0
    if booked + 1 > capacity:
        plural = CATEGORIES_PLURAL.get(category, category).lower()
        if capacity == 0:
            raise Conflict(f"Aucun appareil de la catégorie « {CATEGORIES[category]} » n'est prêtable à "
                           f"« {site.name} » : réservation impossible.", code="conflict")
        raise Conflict(f"Les {capacity} {plural} prêtables à « {site.name} » sont déjà toutes réservées du "
                       f"{date_fr(start)} au {date_fr(end)} : choisissez d'autres dates ou un autre site.",
                       code="conflict")


def get_reservation(db: Session, actor, reservation_id: int) -> Reservation:
    borrowers_svc.require_desk(actor)
    booking = db.get(Reservation, reservation_id)
    if booking is None:
        raise NotFound(f"Aucune réservation n° {reservation_id}.")
    require_site(actor, booking.site_id, "cette réservation")
    return booking


@use_case
def cancel_reservation(db: Session, actor, booking: Reservation) -> None:
    borrowers_svc.require_desk(actor)
    require_site(actor, booking.site_id, "cette réservation")
    if booking.effective_status(today()) != "active":
        raise Conflict(f"Cette réservation n'est plus active ({booking.status_label(today()).lower()}).")
    booking.status, booking.closed_at = "cancelled", utcnow()
    db.flush()


def list_reservations(db: Session, actor, *, site=None, status: str = "active", limit: int = 200) -> list[Reservation]:
    borrowers_svc.require_desk(actor)
    stmt = limit_to_user_sites(select(Reservation), Reservation.site_id, actor)
    if site is not None:
        stmt = stmt.where(Reservation.site_id == site.id)
    day = today()
    if status == "active":
        stmt = stmt.where(live(day))
    elif status == "past":
        stmt = stmt.where(~live(day))
    return list(db.scalars(stmt.order_by(Reservation.start_on, Reservation.id).limit(limit)))


def to_prepare(db: Session, actor, site, *, days: int = 2) -> list[Reservation]:
    """Bookings starting within ``days`` days (or started and still waiting) at this site."""
    day = today()
    stmt = limit_to_user_sites(select(Reservation), Reservation.site_id, actor).where(
        Reservation.site_id == site.id, live(day), Reservation.start_on <= day + timedelta(days=days))
    return list(db.scalars(stmt.order_by(Reservation.start_on, Reservation.id)))


def borrower_reservations(db: Session, borrower: Borrower) -> list[Reservation]:
    return list(db.scalars(select(Reservation).where(Reservation.borrower_id == borrower.id)
                           .order_by(Reservation.start_on.desc(), Reservation.id.desc())))
