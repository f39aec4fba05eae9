"""Certificates: donation receipts and erasure certificates, device certificates, the list and reprints,
sheets of borrower cards (loans desk roles), the public verification page; their API (with the loan
agreement and the borrower card). Donations and devices are those of tests/authz/refurbishment.py,
loans and cards those of tests/authz/loans.py."""

from datetime import timedelta

from sqlalchemy import select

from refurb.accounts.models import User
from refurb.certificates import services
from refurb.db import utcnow
from refurb.inventory import services as inventory
from refurb.refurbishment import services as refurb

from . import PUBLIC, STAFF, Case

LOANS_DESK = frozenset({"admin", "gestionnaire", "accueil"})


def arrange(db, ctx):
    admin = db.scalar(select(User).where(User.username == "admin"))
    for which, code in (("own", "EPN-A"), ("other", "EPN-B")):
        spec = inventory.parse_device_input(db, admin, {"category": "laptop", "site": code,
                                                        "serial_number": f"CERT-{code}"})
        device = inventory.create_device(db, admin, spec, allow_known_serial=True)
        end = utcnow() - timedelta(hours=1)  # erased: a certificate never certifies nothing
        refurb.record_erasure(db, admin, device, {
            "media": [{"serial": f"CERT-DISK-{code}"}], "method": "overwrite", "nist_category": "clear",
            "tool": "nwipe", "tool_version": "0.36", "passes": 1, "verified": True, "result": "passed",
            "started_at": (end - timedelta(hours=1)).isoformat(), "ended_at": end.isoformat()})
        cert = services.issue_erasure_for_device(db, admin, device.asset_tag)
        ctx[which]["cert_ref"] = cert.reference


CASES = {
    "certificates.donation": Case("GET", "/certificats/dons/{o[rf_donation]}", STAFF, site_bound=True),
    "certificates.donation_values": Case("POST", "/certificats/dons/{o[rf_donation]}/valeurs", STAFF,
                                         site_bound=True),
    "certificates.donation_receipt": Case("POST", "/certificats/dons/{o[rf_donation]}/attestation", STAFF,
                                          site_bound=True),
    "certificates.donation_erasure": Case("POST", "/certificats/dons/{o[rf_donation]}/effacement", STAFF,
                                          site_bound=True),
    "certificates.device_erasure": Case("POST", "/certificats/appareils/{o[rf_tag]}/effacement", STAFF,
                                        site_bound=True),
    "certificates.device_certificate": Case("POST", "/certificats/appareils/{o[rf_tag]}/certificat", STAFF,
                                            site_bound=True),
    "certificates.index": Case("GET", "/certificats/", STAFF),
    "certificates.reprint": Case("GET", "/certificats/{o[cert_ref]}.pdf", STAFF, site_bound=True),
    "certificates.card_sheet": Case("GET", "/certificats/cartes.pdf?site={o[site]}", LOANS_DESK, site_bound=True),
    "certificates.verify_form": Case("GET", "/verify", PUBLIC),
    "certificates.verify": Case("GET", "/verify/{o[cert_ref]}", PUBLIC),
    "api.donation_receipt_pdf": Case("GET", "/api/v1/donations/{o[rf_donation]}/receipt.pdf", STAFF,
                                     site_bound=True),
    "api.donation_erasure_certificate_pdf": Case("GET", "/api/v1/donations/{o[rf_donation]}/erasure-certificate.pdf",
                                                 STAFF, site_bound=True),
    "api.device_certificate_pdf": Case("GET", "/api/v1/devices/{o[rf_tag]}/certificate.pdf", STAFF, site_bound=True),
    "api.loan_agreement_pdf": Case("GET", "/api/v1/loans/{o[loan]}/agreement.pdf", LOANS_DESK, site_bound=True),
    "api.borrower_card_pdf": Case("GET", "/api/v1/borrowers/{o[card]}/card.pdf", LOANS_DESK, site_bound=True),
}
