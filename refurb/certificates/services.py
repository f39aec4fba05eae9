"""Certificates: issue them (content built from the records, stored, hashed), reprint them, verify them,
and the valuation of donated devices at cost. Plain functions taking the session and the acting user."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.scope import limit_to_user_sites, require_site
from ..db import utcnow
from ..errors import Conflict, Invalid
from ..refurbishment.models import Donation
from ..validation import Checker
from . import content as build
from . import issuing
from .models import Certificate, DeviceValuation

# --- what a certificate must say before it is issued ------------------------------------------------
# A certificate is an official, publicly verifiable statement: none is issued that certifies nothing.
# The pages offer a certificate only when these say None; issuing refuses with 409 and the same words.

def erasure_refusal(content: dict) -> str | None:
    """Why this erasure certificate would certify nothing (French), or None: at least one device must
    have been erased, or its media destroyed. Devices still pending are stated as pending, never erased."""
    s = content["summary"]
    if s["erased"] + s["destroyed"] > 0:
        return None
    donation = content["scope"] == "donation"
    if s["no_storage"] == s["total"]:
        subject = (f"Aucun appareil du don {content['customer']['donation']} n'a" if donation
                   else f"L'appareil {content['devices'][0]['asset_tag']} n'a pas")
        return f"{subject} de support de données : il n'y a pas d'effacement à certifier."
    if donation:
        return (f"Aucun appareil du don {content['customer']['donation']} n'a encore été effacé, ni ses supports "
                "détruits : le certificat n'attesterait rien. Enregistrez un effacement réussi (ou la destruction "
                "des supports) d'au moins un appareil, puis émettez le certificat.")
    return (f"L'appareil {content['devices'][0]['asset_tag']} n'a pas encore été effacé, ni ses supports "
            "détruits : le certificat n'attesterait rien. Enregistrez un effacement réussi (ou la destruction "
            "des supports) d'abord.")


def receipt_refusal(content: dict) -> str | None:
    """Why this donation receipt would certify nothing, or None (a donation with at least one device)."""
    if content["total_quantity"] > 0:
        return None
    return (f"Le don {content['donation']['reference']} n'a aucun appareil enregistré : l'attestation "
            "n'attesterait rien. Ajoutez ses appareils d'abord.")


def _certifiable(refusal: str | None) -> None:
    if refusal:
        raise Conflict(refusal, code="nothing_to_certify")


def donation_erasure_refusal(db: Session, actor, donation: Donation) -> str | None:
    return erasure_refusal(build.erasure_for_donation(db, actor, donation))


def device_erasure_refusal(db: Session, actor, device) -> str | None:
    return erasure_refusal(build.erasure_for_device(db, actor, device))


def issue_erasure_for_donation(db: Session, actor, donation_id) -> Certificate:
    donation = build.get_donation(db, actor, donation_id)
    data = build.erasure_for_donation(db, actor, donation)
    _certifiable(erasure_refusal(data))
    return issuing.issue(db, actor, "erasure", f"donation:{donation.id}", donation.site_id, data)


def issue_erasure_for_device(db: Session, actor, asset_tag: str) -> Certificate:
    device = build.get_device(db, actor, asset_tag)
    data = build.erasure_for_device(db, actor, device)
    _certifiable(erasure_refusal(data))
    return issuing.issue(db, actor, "erasure", f"device:{device.asset_tag}", device.site_id, data)


def issue_receipt(db: Session, actor, donation_id) -> Certificate:
    donation = build.get_donation(db, actor, donation_id)
    data = build.receipt_for_donation(db, actor, donation)
    _certifiable(receipt_refusal(data))
    return issuing.issue(db, actor, "receipt", f"donation:{donation.id}", donation.site_id, data)


device_certificate_refusal = build.device_certificate_refusal


def issue_device_certificate(db: Session, actor, asset_tag: str) -> Certificate:
    device = build.get_device(db, actor, asset_tag)
    data = build.device_certificate(db, actor, device)  # refuses (409) a device still in the workshop
    return issuing.issue(db, actor, "device", f"device:{device.asset_tag}", device.site_id, data)


def rebuild(db: Session, cert: Certificate) -> dict | None:
    """What the certificate would say from today's records (None: the subject is gone)."""
    what, _, key = cert.subject.partition(":")
    if what == "donation":
        donation = build.get_donation(db, None, key)
        builder = build.erasure_for_donation if cert.kind == "erasure" else build.receipt_for_donation
        return builder(db, None, donation)
    if what == "device":
        device = build.get_device(db, None, key)
        return (build.erasure_for_device if cert.kind == "erasure" else build.device_certificate)(db, None, device)
    return None


def verify(db: Session, reference: str, code: str | None = None) -> issuing.Verification:
    """Whether a certificate with this reference exists; what it covers only with its verification code."""
    return issuing.verify(db, reference, code, rebuild=rebuild)


def get_certificate(db: Session, actor, reference: str) -> Certificate:
    """An issued certificate, for reprinting by staff (site scope: the site of its subject)."""
    cert = issuing.find(db, reference)
    build.require_desk(actor, "de réimprimer un certificat")
    if cert.site_id is not None:
        require_site(actor, cert.site_id, f"le certificat {cert.reference}")
    return cert


def list_certificates(db: Session, actor, *, site=None, subject: str | None = None, q: str = "",
                      limit: int = 200) -> list[Certificate]:
    build.require_desk(actor, "de consulter les certificats")
    stmt = limit_to_user_sites(select(Certificate), Certificate.site_id, actor)
    if site is not None:
        stmt = stmt.where(Certificate.site_id == site.id)
    if subject:
        stmt = stmt.where(Certificate.subject == subject)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(Certificate.reference.like(f"%{issuing.normalise_reference(q)[:24]}%"))
    return list(db.scalars(stmt.order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(limit)))


def certificates_of_donation(db: Session, donation: Donation) -> list[Certificate]:
    return list(db.scalars(select(Certificate).where(Certificate.subject == f"donation:{donation.id}")
                           .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


# --- valuations -----------------------------------------------------------------------------------

MAX_VALUE = Decimal("1000000")


def set_valuations(db: Session, actor, donation_id, data) -> int:
    """Values at cost of the devices of a donation: ``value_<device id>`` (empty: unknown) and
    ``basis_<device id>`` (how it was valued). All or nothing; returns how many are known."""
    donation = build.get_donation(db, actor, donation_id)
    devices = donation.devices
    c = Checker(data)
    wanted = {}
    for device in devices:
        amount = c.money(f"value_{device.id}", f"Valeur de {device.asset_tag}", max_value=MAX_VALUE)
        basis = c.text(f"basis_{device.id}", f"Base de la valeur de {device.asset_tag}", max_len=200) or ""
        wanted[device.id] = (amount, basis)
    if c.errors:
        raise Invalid(fields=c.errors)
    existing = build.valuations(db, [d.id for d in devices])
    known = 0
    for device_id, (amount, basis) in wanted.items():
        row = existing.get(device_id)
        if amount is None:
            if row is not None:
                db.delete(row)
            continue
        known += 1
        if row is None:
            db.add(DeviceValuation(device_id=device_id, amount=amount, basis=basis, set_by_id=actor.id,
                                   set_at=utcnow()))
        elif row.amount != amount or row.basis != basis:
            row.amount, row.basis, row.set_by_id, row.set_at = amount, basis, actor.id, utcnow()
    db.flush()
    return known


def require_donation(db: Session, actor, donation_id) -> Donation:
    return build.get_donation(db, actor, donation_id)

