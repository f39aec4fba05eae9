"""What each certificate states, built from the records as plain JSON-safe dicts.

The same builders serve three purposes: issuing a certificate (the content is stored and hashed),
drawing its PDF (drawn from the stored content, so the paper says exactly what was certified), and
/verify (rebuilt from today's records to tell whether they changed since).

Builders check roles and site scope when given an ``actor`` (None: the public verification page,
which only compares hashes and shows the part of the content that is not personal data).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.roles import STAFF_ROLES
from ..errors import Conflict, Forbidden
from ..inventory import services as inventory
from ..inventory.categories import CATEGORIES
from ..inventory.models import Device
from ..refurbishment import catalog
from ..refurbishment import services as refurbishment
from ..refurbishment.models import (
    Diagnosis,
    Donation,
    Erasure,
    Gift,
    MediaDestruction,
    Repair,
    Sale,
)
from ..settings import get_setting
from ..sites.models import Site
from .models import DeviceValuation

LEGAL_GUARANTEE_MONTHS = 24  # Code de la consommation, art. L. 217-3 and L. 217-12: 2 years, second-hand included
PRESUMPTION_MONTHS_SECOND_HAND = 12  # art. L. 217-7: 12 months for goods sold second-hand

# States in which a device has a certificate for its buyer / holder (it went through the workshop).
DEVICE_CERTIFICATE_STATES = ("ready", "loan_pool", "on_loan", "sold", "donated")

ERASURE_STATUS = {
    "erased": "EFFACÉ",
    "destroyed": "SUPPORT DÉTRUIT",
    "pending": "EN ATTENTE — pas encore effacé",
    "failed": "ÉCHEC — non effacé, à refaire",
    "unverified": "NON VÉRIFIÉ — effacement sans relecture, pas une preuve",
    "no_storage": "Sans support de données",
}


def require_desk(actor, what: str) -> None:
    if actor is not None and actor.role not in STAFF_ROLES:
        raise Forbidden(f"Votre rôle ne permet pas {what}. Demandez à l'accueil, à un technicien ou à un "
                        "gestionnaire.")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(Decimal(value).quantize(Decimal("0.01")), "f")


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() if hasattr(value, "hour") else value.isoformat()


def organisation(db: Session, site: Site | None) -> dict:
    org = {"name": get_setting(db, "network_name"), "siret": get_setting(db, "producer_siret") or "",
           "site": site.name if site else "", "address": site.full_address if site else "",
           "phone": site.phone if site else "", "email": site.email if site else ""}
    # The identity the admin filled in; written only when filled, so older certificates keep their hash.
    identity = {"identifier": get_setting(db, "organisation_identifier"),
                "head_office": get_setting(db, "organisation_address"),
                "status": get_setting(db, "organisation_status")}
    return org | {k: v for k, v in identity.items() if v}


def device_facts(device: Device) -> dict:
    return {"asset_tag": device.asset_tag, "category": device.category,
            "category_label": CATEGORIES.get(device.category, device.category), "make": device.brand or "",
            "model": device.model or "", "serial": device.serial_number or ""}


# --- erasure --------------------------------------------------------------------------------------

def _destruction(record: MediaDestruction) -> dict:
    return {"by": record.destroyed_by, "label": record.label, "method": record.method,
            "recycler": record.recycler_name, "certificate_number": record.certificate_number,
            "destroyed_on": record.destroyed_on.isoformat(), "operator": record.operator_name or ""}


def _erasure_device(device: Device, erasures: list[Erasure], destructions: list[MediaDestruction] = ()) -> dict:
    """What happened to the data of one device: each medium erased (method, tool, result…), its media
    destroyed (by us, or by the recycler with its certificate n°), or nothing yet (pending)."""
    facts = device_facts(device)
    media = []
    latest: dict[str, Erasure] = {}
    for erasure in sorted(erasures, key=lambda e: (e.ended_at, e.id)):
        for medium in erasure.media:
            latest[medium.serial] = erasure
            media.append({
                "kind": medium.kind, "kind_label": catalog.MEDIA_KINDS.get(medium.kind, medium.kind),
                "model": medium.model or "", "serial": medium.serial, "size_gb": medium.size_gb,
                "method": erasure.method, "method_label": catalog.ERASURE_METHODS.get(erasure.method, erasure.method),
                "category": erasure.nist_category, "tool": erasure.tool, "tool_version": erasure.tool_version or "",
                "passes": erasure.passes, "verified": bool(erasure.verified), "result": erasure.result,
                "started_at": _iso(erasure.started_at), "ended_at": _iso(erasure.ended_at),
                "operator": erasure.operator_name or "", "report_sha256": erasure.report_sha256 or "",
            })
            # Fields added later are written only when filled, so that certificates issued before keep
            # their hash on the verification page.
            extra = {"manufacturer": medium.manufacturer, "operator_title": erasure.operator_title,
                     "verification_method": erasure.verification_method,
                     "destination": erasure.destination if erasure.destination != "reuse" else ""}
            media[-1].update({k: v for k, v in extra.items() if v})
    if not device.has_storage and not media and not destructions:
        status = "no_storage"
    elif destructions:
        status = "destroyed"
    elif not latest:
        status = "pending"
    elif any(e.result != "passed" for e in latest.values()):
        status = "failed"
    elif any(e.unverified for e in latest.values()):
        status = "unverified"
    elif all(e.method == "destruction" for e in latest.values()):
        status = "destroyed"
    else:
        status = "erased"
    row = {**facts, "status": status, "media": media}
    if destructions:  # only then: certificates issued before destructions were recorded keep their hash
        row["destructions"] = [_destruction(d) for d in destructions]
    return row


def _erasures_by_device(db: Session, ids: list[int]) -> dict[int, list[Erasure]]:
    found: dict[int, list[Erasure]] = {}
    if ids:
        for e in db.scalars(select(Erasure).where(Erasure.device_id.in_(ids))):
            found.setdefault(e.device_id, []).append(e)
    return found


def _destructions_by_device(db: Session, ids: list[int]) -> dict[int, list[MediaDestruction]]:
    found: dict[int, list[MediaDestruction]] = {}
    if ids:
        for d in db.scalars(select(MediaDestruction).where(MediaDestruction.device_id.in_(ids))
                            .order_by(MediaDestruction.destroyed_on, MediaDestruction.id)):
            found.setdefault(d.device_id, []).append(d)
    return found


def _summary(devices: list[dict]) -> dict:
    counts = {key: 0 for key in ERASURE_STATUS if key != "unverified"}
    for d in devices:
        counts[d["status"]] = counts.get(d["status"], 0) + 1  # "unverified" only when there is one (older hashes)
    return {"total": len(devices), **counts}


def _donor(donation: Donation) -> dict:
    d = donation.donor
    return {"name": d.name, "kind": d.kind, "kind_label": d.kind_label, "siret": d.siret or "",
            "address": d.full_address, "contact": d.contact_name or ""}


def get_donation(db: Session, actor, donation_id) -> Donation:
    """A donation whose documents this user may print (the refurbishment door decides the site scope)."""
    require_desk(actor, "d'imprimer les documents d'un don")
    return refurbishment.get_donation(db, actor, donation_id)


def get_device(db: Session, actor, asset_tag: str) -> Device:
    """A device whose certificates this user may print (the inventory door decides the site scope)."""
    require_desk(actor, "d'imprimer les certificats d'un appareil")
    return inventory.get_device(db, actor, asset_tag)


def erasure_for_donation(db: Session, actor, donation: Donation) -> dict:
    devices = donation.devices
    ids = [d.id for d in devices]
    erasures, destructions = _erasures_by_device(db, ids), _destructions_by_device(db, ids)
    rows = [_erasure_device(d, erasures.get(d.id, []), destructions.get(d.id, [])) for d in devices]
    return {"scope": "donation", "organisation": organisation(db, donation.site),
            "customer": {**_donor(donation), "donation": donation.reference,
                         "received_on": donation.received_on.isoformat()},
            "devices": rows, "summary": _summary(rows)}


def erasure_of_device(db: Session, device: Device, records: tuple[list, list] | None = None) -> dict:
    """The erasure facts of one device alone (its row and summary): enough to say whether its certificate
    would certify something (``erasure_refusal``), without the organisation and the donor. ``records``:
    its erasures and its media destructions when the caller has read them (the workshop status)."""
    if records is None:
        records = (_erasures_by_device(db, [device.id]).get(device.id, []),
                   _destructions_by_device(db, [device.id]).get(device.id, []))
    erasures, destructions = records
    row = _erasure_device(device, erasures, sorted(destructions, key=lambda d: (d.destroyed_on, d.id)))
    return {"scope": "device", "devices": [row], "summary": _summary([row])}


def erasure_for_device(db: Session, actor, device: Device) -> dict:
    origin = refurbishment.origin_of(db, device)
    facts = erasure_of_device(db, device)
    customer = None
    if origin is not None:
        donation = origin.donation
        donor = _donor(donation)
        if donation.donor.kind == "individual":
            # A device travels (to other sites, to its buyer): its certificate never carries a private
            # donor's name or address; the donation's own certificate, at the donation's site, does.
            donor = {**donor, "name": "Donateur particulier", "address": "", "contact": "", "siret": ""}
        customer = {**donor, "donation": donation.reference, "received_on": donation.received_on.isoformat()}
    return {"scope": "device", "organisation": organisation(db, device.site), "customer": customer, **facts}


# --- donation receipt -----------------------------------------------------------------------------

def valuations(db: Session, device_ids: list[int]) -> dict[int, DeviceValuation]:
    if not device_ids:
        return {}
    rows = db.scalars(select(DeviceValuation).where(DeviceValuation.device_id.in_(device_ids)))
    return {v.device_id: v for v in rows}


def describe(device: Device) -> str:
    return " ".join(p for p in (CATEGORIES.get(device.category, device.category), device.brand, device.model) if p)


def receipt_for_donation(db: Session, actor, donation: Donation) -> dict:
    devices = donation.devices
    values = valuations(db, [d.id for d in devices])
    rows, lines = [], {}
    for d in devices:
        v = values.get(d.id)
        amount = v.amount if v is not None else None
        rows.append({**device_facts(d), "value": _money(amount), "basis": v.basis if v is not None else ""})
        if v is not None and v.basis in catalog.VALUATION_BASES:
            rows[-1]["basis_label"] = catalog.VALUATION_BASES[v.basis]
        key = (describe(d), _money(amount))
        line = lines.setdefault(key, {"description": key[0], "quantity": 0, "unit_value": key[1],
                                      "total_value": None, "tags": []})
        line["quantity"] += 1
        line["tags"].append(d.asset_tag)
        if amount is not None:
            line["total_value"] = _money(Decimal(line["total_value"] or 0) + amount)
    valued = [Decimal(r["value"]) for r in rows if r["value"] is not None]
    donor = donation.donor
    return {
        "organisation": organisation(db, donation.site),
        "donor": _donor(donation),
        "donation": {"reference": donation.reference, "received_on": donation.received_on.isoformat(),
                     "site": donation.site.name, "convention_reference": donation.convention_reference or "",
                     "price_capped": donor.kind == "public_body"},
        "lines": sorted(lines.values(), key=lambda line: (line["description"], line["unit_value"] or "")),
        "devices": rows,
        "total_quantity": len(rows),
        "valued_quantity": len(valued),
        "total_value": _money(sum(valued, Decimal("0"))) if valued else None,
    }


# --- device certificate (refurbishment / sale) --------------------------------------------------

FORBIDDEN = ("etat neuf", "comme neuf", "a neuf")


def _fold(text: str) -> str:
    """Lower case without accents, one character for each character of ``text`` (positions match)."""
    return "".join((unicodedata.normalize("NFKD", ch)[:1] or ch).lower()[:1] for ch in text)


def lawful(text: str) -> str:
    """User text with the forbidden claims ("état neuf", "comme neuf", "à neuf") taken out."""
    text = text or ""
    folded = _fold(text)
    if not any(word in folded for word in FORBIDDEN):
        return text
    # Cut the forbidden expressions out, accents and case ignored.
    chars = list(text)
    for word in FORBIDDEN:
        for m in re.finditer(r"\b" + re.escape(word) + r"\b", folded):
            for i in range(m.start(), m.end()):
                if i < len(chars):
                    chars[i] = ""
    cleaned = re.sub(r"\s{2,}", " ", "".join(chars)).strip(" ,;-—")
    return cleaned or "—"


def device_certificate_refusal(device: Device) -> str | None:
    """Why this device has no certificate yet (it has not finished the workshop), or None."""
    if device.state in DEVICE_CERTIFICATE_STATES:
        return None
    return (f"{device.asset_tag} est « {device.state_label} » : son certificat s'imprime quand il a terminé "
            "l'atelier (prêt, parc de prêt, vendu ou donné).")


def device_certificate(db: Session, actor, device: Device) -> dict:
    refusal = device_certificate_refusal(device)
    if refusal:
        raise Conflict(refusal, code="not_ready")
    st = refurbishment.status(db, device)
    sale = db.scalar(select(Sale).where(Sale.device_id == device.id))
    gift = db.scalar(select(Gift).where(Gift.device_id == device.id))
    refurbished = st.refurbished and (sale is None or sale.sold_as_refurbished) and \
        (gift is None or gift.sold_as_refurbished)
    diagnosis: Diagnosis | None = st.diagnosis
    checks = []
    if diagnosis is not None:
        fixed = {k for r in st.repairs for k in (r.checks_fixed or [])}
        for key, value in (diagnosis.checks or {}).items():
            result = "repaired" if value == "fail" and key in fixed else value
            checks.append({"key": key, "label": catalog.CHECKS.get(key, key), "result": result})
    repairs: list[Repair] = st.repairs
    erasure = st.erasure
    last_passed = [e for e in erasure.records if e.passed]
    grading = st.grading
    facts = device_facts(device)
    facts["make"], facts["model"] = lawful(facts["make"]), lawful(facts["model"])
    content = {
        "organisation": organisation(db, sale.site if sale else (gift.site if gift else device.site)),
        "device": {**facts, "grade": device.grade or "",
                   "grade_label": catalog.GRADES.get(device.grade, "") if device.grade else ""},
        "refurbished": bool(refurbished),
        "diagnosis": None if diagnosis is None else {
            "at": _iso(diagnosis.at), "checks": checks, "battery_health": diagnosis.battery_health},
        "repairs": [{"at": _iso(r.at), "action": lawful(r.action)} for r in repairs],
        "erasure": {"needed": erasure.needed, "state": erasure.state,
                    "done": bool(erasure.needed and erasure.ok),
                    "method_label": catalog.ERASURE_METHODS.get(last_passed[-1].method, "") if last_passed else "",
                    "category": last_passed[-1].nist_category if last_passed else "",
                    "ended_at": _iso(last_passed[-1].ended_at) if last_passed else None},
        "grading": None if grading is None else {
            "grade": grading.grade, "functional": grading.functional,
            "functional_label": catalog.FUNCTIONAL_RESULTS.get(grading.functional, grading.functional),
            "battery_health": grading.battery_health,
            "reservations": lawful(grading.notes) if grading.functional == "limited" else ""},
        **({"gaps": [lawful(gap) for gap in st.refurbished_gaps()]} if not refurbished and st.refurbished_gaps()
           else {}),
        "outcome": "sale" if sale else ("gift" if gift else "stock"),
        "sale": None, "gift": None,
    }
    if sale is not None:
        content["sale"] = {
            "reference": sale.reference, "delivered_on": sale.delivered_on.isoformat(), "price": _money(sale.price),
            "price_capped": bool(sale.price_capped), "price_cap": _money(sale.price_cap),
            "payment": sale.payment_label, "buyer": sale.buyer_name,
            "legal_guarantee_until": refurbishment.add_months(sale.delivered_on, LEGAL_GUARANTEE_MONTHS).isoformat(),
            "presumption_until": refurbishment.add_months(sale.delivered_on, PRESUMPTION_MONTHS_SECOND_HAND).isoformat(),
            "warranty_until": sale.warranty_until.isoformat(), "warranty_months": sale.warranty_months,
        }
    if gift is not None:
        content["gift"] = {"delivered_on": gift.delivered_on.isoformat(), "recipient": gift.recipient_name,
                           "recipient_kind": catalog.RECIPIENT_KINDS.get(gift.recipient_kind, gift.recipient_kind)}
    return content
