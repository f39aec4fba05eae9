"""The one door of the certificates area: issue certificates (content built from the records, stored,
hashed), reprint them, verify them; the valuation of donated devices at cost; the sheets of borrower cards
and the loan documents printed from here. Plain functions taking the session and the acting user."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import String, bindparam, exists, literal, select
from sqlalchemy.orm import Session

from ..accounts.roles import STAFF_ROLES
from ..accounts.scope import limit_to_user_sites, require_site
from ..db import use_case, utcnow
from ..errors import Conflict, Invalid
from ..inventory import services as inventory
from ..inventory.models import Device
from ..loans import services as loans
from ..refurbishment import catalog
from ..refurbishment import services as refurbishment
from ..refurbishment.models import Donation
from ..settings import get_setting
from ..validation import Checker, as_id
from . import content as build
from . import issuing
from .cards import borrowers_for_sheet, card_sheet_pdf
from .content import ERASURE_STATUS, device_certificate_refusal
from .issuing import Verification, normalise_reference
from .models import Certificate, DeviceValuation
from .pdf import day, device_title, euros, moment
from .pdf import render as render_pdf

__all__ = [
    "ERASURE_STATUS", "Verification", "erasure_refusal", "receipt_refusal", "device_certificate_refusal",
    "donation_erasure_refusal", "device_erasure_refusal", "issue_erasure_for_donation", "issue_erasure_for_device",
    "ensure_signing_key", "rotate_signing_key",
    "issue_receipt", "issue_device_certificate", "verify", "get_certificate", "list_certificates",
    "certificates_of_donation", "set_valuations", "get_donation", "DonationDocuments", "donation_documents",
    "device_panel", "donations_received", "render_pdf", "normalise_reference", "day", "device_title", "euros",
    "moment", "borrowers_for_sheet", "card_sheet_pdf", "borrower_card", "loan_agreement",
]

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


def device_erasure_refusal(db: Session, device, records: tuple[list, list] | None = None) -> str | None:
    return erasure_refusal(build.erasure_of_device(db, device, records))


@use_case
def issue_erasure_for_donation(db: Session, actor, donation_id) -> Certificate:
    donation = build.get_donation(db, actor, donation_id)
    data = build.erasure_for_donation(db, actor, donation)
    _certifiable(erasure_refusal(data))
    return issuing.issue(db, actor, "erasure", f"donation:{donation.id}", donation.site_id, data)


# The kinds of certificate whose subject is a device (``device_subject``): the device page asks whether a device
# has any through the index that starts with the kind (``device_records``).
DEVICE_KINDS = ("erasure", "device")


def device_subject(asset_tag: str) -> str:
    return f"device:{asset_tag}"


@use_case
def issue_erasure_for_device(db: Session, actor, asset_tag: str) -> Certificate:
    device = build.get_device(db, actor, asset_tag)
    data = build.erasure_for_device(db, actor, device)
    _certifiable(erasure_refusal(data))
    return issuing.issue(db, actor, "erasure", device_subject(device.asset_tag), device.site_id, data)


@use_case
def issue_receipt(db: Session, actor, donation_id) -> Certificate:
    donation = build.get_donation(db, actor, donation_id)
    data = build.receipt_for_donation(db, actor, donation)
    _certifiable(receipt_refusal(data))
    return issuing.issue(db, actor, "receipt", f"donation:{donation.id}", donation.site_id, data)


@use_case
def issue_device_certificate(db: Session, actor, asset_tag: str) -> Certificate:
    device = build.get_device(db, actor, asset_tag)
    data = build.device_certificate(db, actor, device)  # refuses (409) a device still in the workshop
    return issuing.issue(db, actor, "device", device_subject(device.asset_tag), device.site_id, data)


def rebuild(db: Session, cert: Certificate) -> dict | None:
    """What the certificate would say from today's records (None: the subject is gone). For the public
    page: no actor, the subject is the one stored with the certificate."""
    what, _, key = cert.subject.partition(":")
    if what == "donation":
        donation = db.get(Donation, as_id(key)) if as_id(key) is not None else None
        if donation is None:
            return None
        builder = build.erasure_for_donation if cert.kind == "erasure" else build.receipt_for_donation
        return builder(db, None, donation)
    if what == "device":
        device = db.scalar(select(Device).where(Device.asset_tag == key))
        if device is None:
            return None
        return (build.erasure_for_device if cert.kind == "erasure" else build.device_certificate)(db, None, device)
    return None


# --- signing keys ---------------------------------------------------------------------------------

@use_case
def ensure_signing_key(db: Session):
    """The active signing key of certificates, made (and the secret key's certificates adopted) if needed."""
    return issuing.active_key(db)


@use_case
def rotate_signing_key(db: Session):
    """A new signing key for the next certificates; those already issued stay verifiable with theirs."""
    return issuing.rotate_key(db)


def verify(db: Session, reference: str, code: str | None = None) -> Verification:
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
        stmt = stmt.where(Certificate.reference.like(f"%{normalise_reference(q)[:24]}%"))
    return list(db.scalars(stmt.order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(limit)))


def certificates_of_donation(db: Session, donation: Donation) -> list[Certificate]:
    return list(db.scalars(select(Certificate).where(Certificate.subject == f"donation:{donation.id}")
                           .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


# --- valuations -----------------------------------------------------------------------------------

MAX_VALUE = Decimal("1000000")
VALUATION_BASES = catalog.VALUATION_BASES


@use_case
def set_valuations(db: Session, actor, donation_id, data) -> int:
    """Values of the devices of a donation as the donor's accounts show them: ``value_<device id>`` (empty:
    unknown) and ``basis_<device id>`` (cost price or net book value, ``catalog.VALUATION_BASES``; never the
    purchase price). All or nothing; returns how many are known."""
    donation = build.get_donation(db, actor, donation_id)
    devices = donation.devices
    c = Checker(data)
    wanted = {}
    for device in devices:
        amount = c.money(f"value_{device.id}", f"Valeur de {device.asset_tag}", max_value=MAX_VALUE)
        basis = c.choice(f"basis_{device.id}", f"Base de la valeur de {device.asset_tag}", catalog.VALUATION_BASES,
                         required=False) or ""
        if amount is not None and not basis and f"basis_{device.id}" not in c.errors:
            c.add(f"basis_{device.id}", f"{device.asset_tag} : dites si la valeur est le coût de revient ou la valeur "
                                        "nette comptable, comme dans les comptes du donateur (art. 238 bis du CGI).")
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


def get_donation(db: Session, actor, donation_id) -> Donation:
    """A donation whose documents this user may print."""
    return build.get_donation(db, actor, donation_id)


@dataclass
class DonationDocuments:
    """What the page of a donation's documents shows: its devices and their values, where their data
    stand, the certificates already issued, and why one cannot be issued yet (None: it can)."""
    devices: list
    values: dict[int, DeviceValuation]
    erasure: dict
    issued: list[Certificate]
    statuses: dict[str, str]
    erasure_refusal: str | None
    receipt_refusal: str | None


def donation_documents(db: Session, actor, donation: Donation) -> DonationDocuments:
    devices = donation.devices
    erasure = build.erasure_for_donation(db, actor, donation)
    receipt = build.receipt_for_donation(db, actor, donation)
    return DonationDocuments(devices, build.valuations(db, [d.id for d in devices]), erasure,
                             certificates_of_donation(db, donation),
                             {d["asset_tag"]: d["status"] for d in erasure["devices"]},
                             erasure_refusal(erasure), receipt_refusal(receipt))


def device_panel(db: Session, user, device, reads=None) -> dict | None:
    """The "Certificats" panel of the device page: offered only when a certificate can say something
    (the workshop done; an erasure or a destruction recorded). The origin and the erasure records come
    from the workshop status the page's panels share (``reads``)."""
    if user.role not in STAFF_ROLES:
        return None
    reads = reads or inventory.PageReads()
    st = refurbishment.page_status(db, device, reads)
    issued = list_certificates(db, user, subject=device_subject(device.asset_tag), limit=5) \
        if reads.has("certificates") else []
    return {"cert_origin": st.origin, "cert_issued": issued,
            "cert_device_ok": device_certificate_refusal(device) is None,
            "cert_erasure_ok": device_erasure_refusal(db, device, (st.all_erasures, st.all_destructions)) is None}


def device_records() -> dict:
    """Whether the device ``asset_tag`` (a bound parameter) has certificates: the device page asks it with its
    other panels' records, through the index that starts with the kind."""
    subject = literal(device_subject(""), String) + bindparam("asset_tag", type_=String)
    # the kinds as bound values of their own, not a list SQLAlchemy writes into the statement at each run
    kinds = [literal(kind, String) for kind in DEVICE_KINDS]
    return {"certificates": exists().where(Certificate.kind.in_(kinds), Certificate.subject == subject)}


def donations_received(db: Session, actor, *, site, start, end, limit: int = 12) -> list[Donation]:
    """The donations received by the user's sites (or ``site``) in a period, newest first."""
    build.require_desk(actor, "de consulter les dons")
    stmt = limit_to_user_sites(select(Donation), Donation.site_id, actor).where(
        Donation.received_on >= start, Donation.received_on <= end)
    if site is not None:
        stmt = stmt.where(Donation.site_id == site.id)
    return list(db.scalars(stmt.order_by(Donation.received_on.desc(), Donation.id.desc()).limit(limit)))


# --- loan documents -------------------------------------------------------------------------------

def borrower_card(db: Session, actor, card_number: str):
    """(borrower, the PDF of their card), for the desk that may see that borrower."""
    loans.require_desk(actor)
    borrower = loans.get_borrower(db, actor, card_number)
    return borrower, loans.borrower_card_pdf(borrower, get_setting(db, "network_name"))


def loan_agreement(db: Session, actor, loan_id: int):
    """(loan, the PDF of its agreement): the lending site's document."""
    loan = loans.get_loan(db, actor, loan_id)
    return loan, loans.agreement_document(db, actor, loan, get_setting(db, "network_name"))
