"""Out of the workshop: sale at a social price (caps for public-body equipment, eligible
buyers, legal guarantee), donation to a beneficiary or association; the network's price
list, caps, eligibility reasons and guarantee length."""

from __future__ import annotations

import re

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from ..accounts.roles import NETWORK_ROLES, STAFF_ROLES
from ..accounts.scope import limit_to_user_sites
from ..clock import today
from ..db import plain_rows, use_case
from ..errors import Conflict, Forbidden, Invalid
from ..formatting import money_fr
from ..inventory import lifecycle
from ..inventory import services as inventory
from ..inventory.categories import CATEGORIES
from ..inventory.models import Device
from ..settings import get_setting, set_setting
from ..validation import Checker
from . import catalog
from .common import add_months, check_day_not_future, check_siret, require_role
from .models import (
    DeviceOrigin,
    EligibilityReason,
    Gift,
    PriceCap,
    PriceListEntry,
    Sale,
)
from .rules import RECORD_STATES, ensure_erased_before_release
from .status import status

# --- the network's lists ------------------------------------------------------------------

@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    active: bool = True


# Built once, plain rows (a ready device's page offers them in its sale and gift forms).
_REASONS = select(EligibilityReason.code, EligibilityReason.label, EligibilityReason.active).order_by(
    EligibilityReason.position, EligibilityReason.code)


def eligibility_reasons(db: Session, *, active_only: bool = True) -> list[Reason]:
    rows = plain_rows(db, _REASONS)
    if not rows:
        return [Reason(code, label) for code, label in catalog.ELIGIBILITY_REASONS]
    return [Reason(code, label, bool(active)) for code, label, active in rows if active or not active_only]


def caps(db: Session) -> dict[str, tuple[str, Decimal]]:
    overrides = {row.cap_key: row.amount for row in db.scalars(select(PriceCap))}
    return {key: (label, overrides.get(key, amount)) for key, (label, amount) in catalog.CAPS.items()}


def price_list(db: Session) -> dict[str, dict[str, Decimal]]:
    table = {cat: {g: Decimal(v) for g, v in grades.items()} for cat, grades in catalog.PRICE_LIST.items()}
    for row in db.scalars(select(PriceListEntry)):
        table.setdefault(row.category, {})[row.grade] = row.price
    return table


def warranty_months(db: Session) -> int:
    try:
        return max(0, min(120, int(get_setting(db, "warranty_months"))))
    except (TypeError, ValueError):
        return catalog.DEFAULT_WARRANTY_MONTHS


# A price more than this many times the suggested one is asked again before it is recorded (450 typed
# for 45,00, or a price that would not be a social one).
PRICE_CONFIRM_RATIO = Decimal(2)


@dataclass
class Pricing:
    capped: bool  # from a public body: "prix solidaires" apply
    cap: Decimal | None
    cap_label: str
    suggested: Decimal | None

    @property
    def confirm_above(self) -> Decimal | None:
        """Above this price a sale asks for a confirmation. None: no suggested price to compare with, or a
        "prix solidaire" cap already bounds the price (a multifunction printer may sell at its cap)."""
        if not self.suggested or (self.capped and self.cap is not None):
            return None
        return self.suggested * PRICE_CONFIRM_RATIO


def pricing(db: Session, device: Device, origin: DeviceOrigin | None | bool = False) -> Pricing:
    """The device's suggested price and cap; ``origin`` when the caller has read it already (None: it has none)."""
    if origin is False:
        origin = db.get(DeviceOrigin, device.id)
    capped = bool(origin and origin.price_capped)
    key = catalog.cap_key(device)
    cap_label = catalog.CAPS[key][0] if key else ""
    cap = caps(db)[key][1] if key and capped else None  # the network's amount is read only when it applies
    suggested = price_list(db).get(device.category, {}).get(device.grade) if device.grade else None
    if capped and cap is not None and suggested is not None:
        suggested = min(suggested, cap)
    return Pricing(capped=capped, cap=cap if capped else None, cap_label=cap_label, suggested=suggested)


@use_case
def update_prices(db: Session, actor, data: dict) -> None:
    """Caps, price list, guarantee length, producer SIRET (managers)."""
    if actor.role not in NETWORK_ROLES:
        raise Forbidden("Seuls les gestionnaires modifient les tarifs, les plafonds et la garantie.")
    c = Checker(data)
    new_caps = {key: c.money(f"cap_{key}", f"Plafond « {label} »", required=True)
                for key, (label, _amount) in catalog.CAPS.items()}
    new_prices = {}
    for category in catalog.PRICE_LIST:
        for grade in catalog.GRADES:
            new_prices[(category, grade)] = c.money(f"price_{category}_{grade}",
                                                    f"Prix {CATEGORIES[category].lower()} grade {grade}",
                                                    required=True)
    months = c.integer("warranty_months", "La durée de garantie (mois)", min_value=0, max_value=120, required=True)
    if months is not None and months < 24 and "warranty_months" not in c.errors:
        c.add("warranty_months", "La garantie légale de conformité dure 2 ans à compter de la remise, biens "
                                 "d'occasion compris : 24 mois au minimum (davantage si le réseau le souhaite).")
    siret = check_siret(data.get("producer_siret"), "producer_siret", "Le SIRET du réseau (registre DEEE)", c.errors)
    identity = organisation_identity(data, c)
    c.done()
    db.execute(delete(PriceCap))
    db.execute(delete(PriceListEntry))
    for key, amount in new_caps.items():
        db.add(PriceCap(cap_key=key, amount=amount))
    for (category, grade), price in new_prices.items():
        db.add(PriceListEntry(category=category, grade=grade, price=price))
    set_setting(db, "warranty_months", str(months))
    set_setting(db, "producer_siret", siret or "")
    for key, value in identity.items():
        set_setting(db, key, value)
    db.flush()


ORGANISATION_SETTINGS = ("organisation_identifier", "organisation_address", "organisation_status", "privacy_contact")


def organisation_identity(data: dict, c: Checker) -> dict:
    """The organisation's identity printed on donation receipts and loan agreements (settings)."""
    ident = re.sub(r"\s", "", str(data.get("organisation_identifier") or "")).upper()
    if ident and not re.fullmatch(r"\d{9}|W\d{9}", ident):
        c.add("organisation_identifier", "Le SIREN a 9 chiffres ; le RNA d'une association, W suivi de 9 chiffres.")
    return {"organisation_identifier": ident,
            "organisation_address": c.text("organisation_address", "L'adresse du siège", max_len=300) or "",
            "organisation_status": c.text("organisation_status", "Le statut de l'organisation", max_len=300) or "",
            "privacy_contact": c.text("privacy_contact", "Le contact pour les données personnelles",
                                      max_len=200) or ""}


@use_case
def update_reasons(db: Session, actor, rows: list[dict]) -> None:
    """Replace the list of eligibility reasons (codes already used stay, possibly inactive)."""
    if actor.role not in NETWORK_ROLES:
        raise Forbidden("Seuls les gestionnaires modifient la liste des motifs d'éligibilité.")
    errors: dict[str, str] = {}
    cleaned, seen = [], set()
    for i, row in enumerate(rows):
        c = Checker(row)
        code = c.text("code", "Le code", max_len=40, pattern=r"[a-z0-9_]{2,40}",
                      pattern_hint="minuscules, chiffres et _")
        label = c.text("label", "Le libellé", max_len=200)
        active = c.boolean("active", "Actif", default=False)
        if not code and not label:
            continue
        if not label:
            c.add("label", "Le libellé est obligatoire.")
        if not code:
            c.add("code", "Le code est obligatoire.")
        if code in seen:
            c.add("code", f"Le code « {code} » est en double.")
        seen.add(code)
        errors.update({f"reasons.{i}.{k}": f"Ligne {i + 1} : {v}" for k, v in c.errors.items()})
        cleaned.append((code, label, bool(active)))
    if not any(active for _c, _l, active in cleaned):
        errors.setdefault("reasons", "Gardez au moins un motif actif.")
    if errors:
        raise Invalid(fields=errors)
    existing = {r.code: r for r in db.scalars(select(EligibilityReason))}
    for position, (code, label, active) in enumerate(cleaned):
        row = existing.pop(code, None)
        if row is None:
            db.add(EligibilityReason(code=code, label=label, active=active, position=position))
        else:
            row.label, row.active, row.position = label, active, position
    for row in existing.values():  # removed from the form: kept for history, inactive
        row.active = False
        row.position = 1000
    db.flush()


# --- eligibility --------------------------------------------------------------------------

def _eligibility(db: Session, data: dict, c: Checker, capped: bool, who: str) -> tuple[bool, str | None, str]:
    eligible = bool(c.boolean("eligible", "Éligibilité", default=False))
    raw = data.get("eligibility_reason")
    code, label = None, ""
    if raw not in (None, ""):
        reasons = eligibility_reasons(db)
        text = str(raw).strip()
        match = next((r for r in reasons if text in (r.code, r.label)), None)
        if match is None:
            c.add("eligibility_reason", "Motif d'éligibilité inconnu : choisissez dans la liste du réseau ("
                  + ", ".join(r.code for r in reasons) + ").")
        else:
            code, label = match.code, match.label
            eligible = True if "eligible" not in data else eligible
            if not eligible:
                c.add("eligible", "Un motif d'éligibilité est donné mais la personne n'est pas déclarée éligible.")
    if capped and not eligible and "eligible" not in c.errors:
        c.add("eligible", f"Appareil donné par un organisme public : {who} doit être éligible "
                          "(personne en difficulté ou association qui les accompagne). Cochez l'éligibilité "
                          "et choisissez le motif.")
    return eligible, code, label


# --- sale ---------------------------------------------------------------------------------

def _buyer(data: dict, c: Checker) -> tuple[str | None, str]:
    buyer = data.get("buyer")
    if isinstance(buyer, dict):
        bc = Checker(buyer)
        name = bc.text("name", "Le nom de l'acheteur", max_len=160, required=True)
        parts = [bc.text(k, label, max_len=120) for k, label in
                 (("contact", "Le contact"), ("phone", "Le téléphone"), ("email", "Le courriel"),
                  ("address", "L'adresse"))]
        for key, message in bc.errors.items():
            c.add(f"buyer.{key}", message)
        return name, " · ".join(p for p in parts if p)[:200]
    name = c.text("buyer_name", "Le nom de l'acheteur", max_len=160, required=True)
    contact = c.text("buyer_contact", "Le contact de l'acheteur", max_len=200) or ""
    if buyer not in (None, ""):
        c.add("buyer", "L'acheteur doit être un objet (name, contact…).")
    return name, contact


def _require_ready(device: Device, what: str) -> None:
    if device.state not in RECORD_STATES["sale"]:
        raise Conflict(f"{device.asset_tag} est « {device.state_label} » : seul un appareil « Prêt à la vente » "
                       f"peut être {what}. Terminez d'abord son passage à l'atelier.", code="not_ready")


@use_case
def sell(db: Session, actor, device: Device, data: dict, *, expected_version=None) -> Sale:
    """Sale of a ready device: price within the "prix solidaires" cap for public-body equipment, an eligible
    buyer for it, the legal guarantee's end date; never a device whose data were not erased."""
    require_role(actor, STAFF_ROLES, "d'enregistrer une vente")
    inventory.lock_device(db, actor, device, expected_version)
    _require_ready(device, "vendu")
    st = status(db, device)
    ensure_erased_before_release(db, device, st)
    price_info = pricing(db, device)
    c = Checker(data)
    price = c.money("price", "Le prix", required=True)
    buyer_name, buyer_contact = _buyer(data, c)
    eligible, reason_code, reason_label = _eligibility(db, data, c, price_info.capped, "l'acheteur")
    payment = c.choice("payment_method", "Le moyen de paiement", catalog.PAYMENT_METHODS)
    delivered = c.day("delivered_on", "La date de remise") or (today() if "delivered_on" not in c.errors else None)
    check_day_not_future(delivered, "delivered_on", "La date de remise", c.errors)
    notes = c.text("notes", "Les notes", max_len=2000) or ""
    if price is not None and price_info.cap is not None and price > price_info.cap:
        c.add("price", f"Prix au-dessus du plafond « prix solidaire » : {money_fr(price_info.cap)} au plus pour "
                       f"« {price_info.cap_label} » donné par un organisme public.")
    confirmed = c.boolean("price_confirmed", "La confirmation du prix", default=False)
    limit = price_info.confirm_above
    if price is not None and "price" not in c.errors and limit is not None and price > limit and not confirmed:
        c.add("price_confirmed", f"{money_fr(price)}, c'est plus du double du prix conseillé "
                                 f"({money_fr(price_info.suggested)}) : vérifiez le montant, puis cochez "
                                 "« Je confirme ce prix » pour l'enregistrer.")
    c.done()
    months = warranty_months(db)
    sale = Sale(device_id=device.id, site_id=device.site_id, user_id=actor.id, delivered_on=delivered, price=price,
                suggested_price=price_info.suggested, price_capped=price_info.capped, price_cap=price_info.cap,
                buyer_name=buyer_name, buyer_contact=buyer_contact, eligible=eligible,
                eligibility_reason_code=reason_code, eligibility_reason=reason_label, payment_method=payment,
                warranty_months=months, warranty_until=add_months(delivered, months),
                sold_as_refurbished=st.refurbished, grade=device.grade, notes=notes)
    db.add(sale)
    db.flush()
    lifecycle.apply(db, actor, device, "sold", action="sale",
                    note=f"Vente {sale.reference} — {money_fr(price)} — garantie jusqu'au "
                         f"{sale.warranty_until:%d/%m/%Y}",
                    data={"sale_id": sale.id, "price": str(price), "warranty_until": sale.warranty_until.isoformat()})
    return sale


@use_case
def give(db: Session, actor, device: Device, data: dict, *, expected_version=None) -> Gift:
    """Donation of a ready device to a person in need or a partner association (an eligible one for
    public-body equipment); never a device whose data were not erased."""
    require_role(actor, STAFF_ROLES, "d'enregistrer un don à un bénéficiaire")
    inventory.lock_device(db, actor, device, expected_version)
    _require_ready(device, "donné")
    st = status(db, device)
    ensure_erased_before_release(db, device, st)
    price_info = pricing(db, device)
    c = Checker(data)
    kind = c.choice("recipient_kind", "Le type de bénéficiaire", catalog.RECIPIENT_KINDS)
    name = c.text("recipient_name", "Le nom du bénéficiaire", max_len=160, required=True)
    contact = c.text("recipient_contact", "Le contact du bénéficiaire", max_len=200) or ""
    eligible, reason_code, reason_label = _eligibility(db, data, c, price_info.capped, "le bénéficiaire")
    delivered = c.day("delivered_on", "La date de remise") or (today() if "delivered_on" not in c.errors else None)
    check_day_not_future(delivered, "delivered_on", "La date de remise", c.errors)
    notes = c.text("notes", "Les notes", max_len=2000) or ""
    c.done()
    gift = Gift(device_id=device.id, site_id=device.site_id, user_id=actor.id, delivered_on=delivered,
                recipient_kind=kind, recipient_name=name, recipient_contact=contact, price_capped=price_info.capped,
                eligible=eligible, eligibility_reason_code=reason_code, eligibility_reason=reason_label,
                sold_as_refurbished=st.refurbished, notes=notes)
    db.add(gift)
    db.flush()
    lifecycle.apply(db, actor, device, "donated", action="gift", note=f"Don à {name} ({catalog.RECIPIENT_KINDS[kind]})",
                    data={"gift_id": gift.id})
    return gift


# Built once, without the device the caller holds already (nor the seller, read if asked): a sold or donated
# device's page asks on each scan, and the eager loads cost it more than the query.
_SALE_OF = select(Sale).where(Sale.device_id == bindparam("device_id")).options(lazyload(Sale.device),
                                                                              lazyload(Sale.user))
_GIFT_OF = select(Gift).where(Gift.device_id == bindparam("device_id")).options(lazyload(Gift.device))


def sale_of(db: Session, device: Device) -> Sale | None:
    """The device's sale (None: never sold), its ``device`` the one given."""
    return _with_device(db.scalar(_SALE_OF, {"device_id": device.id}), device)


def gift_of(db: Session, device: Device) -> Gift | None:
    """The device's gift (None: never given), its ``device`` the one given."""
    return _with_device(db.scalar(_GIFT_OF, {"device_id": device.id}), device)


def _with_device(record, device: Device):
    if record is not None:
        set_committed_value(record, "device", device)
    return record


def list_sales(db: Session, actor, limit: int = 200) -> list[Sale]:
    require_role(actor, STAFF_ROLES, "de consulter les ventes")
    stmt = limit_to_user_sites(select(Sale), Sale.site_id, actor)
    return list(db.scalars(stmt.order_by(Sale.at.desc(), Sale.id.desc()).limit(limit)))


def list_gifts(db: Session, actor, limit: int = 200) -> list[Gift]:
    require_role(actor, STAFF_ROLES, "de consulter les dons")
    stmt = limit_to_user_sites(select(Gift), Gift.site_id, actor)
    return list(db.scalars(stmt.order_by(Gift.at.desc(), Gift.id.desc()).limit(limit)))
