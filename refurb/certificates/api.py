"""API: the certificates and forms as PDF (donation receipt, erasure certificate, device certificate,
loan agreement, borrower card)."""

from __future__ import annotations

from flask import Response, current_app

from ..api import api_user, bp
from ..api.openapi import operation
from ..extensions import get_db
from ..web.files import send_bytes
from ..web.urls import public_base_url
from . import services

PDF = {"type": "string", "format": "binary"}


def _pdf(data: bytes, filename: str) -> Response:
    return send_bytes(data, filename, "application/pdf", inline=True)


def _issued(issuer, *args) -> Response:
    base = public_base_url()  # before issuing: an untrusted Host is refused with nothing issued
    # Issuing writes: a session that takes the write lock (the request's own, for a GET, only reads).
    with current_app.extensions["refurb.db"].session(write=True) as db:
        cert = issuer(db, api_user(), *args)
        response = _pdf(services.render_pdf(cert, base), f"{cert.reference}.pdf")
    response.headers["X-Certificate-Reference"] = cert.reference
    response.headers["X-Certificate-Code"] = cert.code
    return response


@bp.get("/donations/<int:donation_id>/receipt.pdf")
def donation_receipt_pdf(donation_id: int):
    return _issued(services.issue_receipt, donation_id)


@bp.get("/donations/<int:donation_id>/erasure-certificate.pdf")
def donation_erasure_certificate_pdf(donation_id: int):
    return _issued(services.issue_erasure_for_donation, donation_id)


@bp.get("/devices/<asset_tag>/certificate.pdf")
def device_certificate_pdf(asset_tag: str):
    return _issued(services.issue_device_certificate, asset_tag)


@bp.get("/loans/<int:loan_id>/agreement.pdf")
def loan_agreement_pdf(loan_id: int):
    loan, data = services.loan_agreement(get_db(), api_user(), loan_id)
    return _pdf(data, f"contrat-pret-{loan.id}.pdf")


@bp.get("/borrowers/<card_number>/card.pdf")
def borrower_card_pdf(card_number: str):
    borrower, data = services.borrower_card(get_db(), api_user(), card_number)
    return _pdf(data, f"carte-{borrower.card_number}.pdf")


_HEADERS = ("La référence du certificat et son code de vérification sont aussi dans les en-têtes "
            "X-Certificate-Reference et X-Certificate-Code.")
operation("/donations/{donation_id}/receipt.pdf", "get",
          "Attestation de don / de prise en charge d'un don (PDF, A4)", response=PDF, content_type="application/pdf",
          errors=("401", "403", "404", "409"), description="Émet le certificat (ou reprend celui déjà émis pour le "
                                                            "même contenu). " + _HEADERS)
operation("/donations/{donation_id}/erasure-certificate.pdf", "get",
          "Certificat d'effacement des données de tous les appareils d'un don (PDF, A4)", response=PDF,
          content_type="application/pdf", errors=("401", "403", "404", "409"),
          description="Les appareils pas encore effacés y figurent « en attente », jamais comme effacés ; 409 tant "
                      "qu'aucun appareil du don n'a été effacé (ou ses supports détruits) : un certificat "
                      "n'atteste jamais rien. " + _HEADERS)
operation("/devices/{asset_tag}/certificate.pdf", "get",
          "Certificat de reconditionnement / de vente d'un appareil (PDF, A4, garantie légale et date de fin)",
          response=PDF, content_type="application/pdf", errors=("401", "403", "404", "409"), description=_HEADERS)
operation("/loans/{loan_id}/agreement.pdf", "get", "Contrat de prêt (PDF, A4)", response=PDF,
          content_type="application/pdf", errors=("401", "403", "404"))
operation("/borrowers/{card_number}/card.pdf", "get",
          "Carte d'emprunteur (PDF, format carte bancaire 85,6 × 54 mm, code-barres du numéro de carte)",
          response=PDF, content_type="application/pdf", errors=("401", "403", "404"))
