"""Pages: certificates of a donation (receipt with valuations, erasure certificate), of a device, the
list of issued certificates, sheets of borrower cards, and the public verification page /verify."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import LOAN_DESK_ROLES, STAFF_ROLES
from ..errors import NotFound, RefurbError
from ..extensions import get_db
from ..formatting import plural
from ..settings import get_setting
from ..web.access import roles_required
from ..web.files import send_bytes
from ..web.kit import see_other, submit
from ..web.layout import user_sites
from ..web.urls import public_base_url
from . import services

bp = Blueprint("certificates", __name__)


def pdf_response(data: bytes, filename: str) -> Response:
    return send_bytes(data, filename, "application/pdf", inline=True)


def issued(issuer, *args):
    """Issue (or find) a certificate, then show it: an explicit action (a POST button "Émettre le
    certificat"), never the side effect of opening a link."""
    cert = issuer(get_db(), current_user._get_current_object(), *args)
    return see_other(url_for(".reprint", reference=cert.reference))


# --- donations ----------------------------------------------------------------------------------

def _donation_page(db, donation, errors=None, form=None):
    docs = services.donation_documents(db, current_user, donation)
    return render_template("certificates/donation.html", donation=donation, devices=docs.devices,
                           values=docs.values, erasure=docs.erasure, issued=docs.issued, errors=errors or {},
                           form=form or {}, statuses=docs.statuses, status_labels=services.ERASURE_STATUS,
                           erasure_refusal=docs.erasure_refusal, receipt_refusal=docs.receipt_refusal,
                           valuation_bases=services.VALUATION_BASES)


@bp.get("/certificats/dons/<int:donation_id>")
@roles_required(*STAFF_ROLES)
def donation(donation_id: int):
    db = get_db()
    return _donation_page(db, services.get_donation(db, current_user, donation_id))


@bp.post("/certificats/dons/<int:donation_id>/valeurs")
@roles_required(*STAFF_ROLES)
def donation_values(donation_id: int):
    db = get_db()

    def failed(err: RefurbError):
        if err.status in (403, 404):
            raise err
        return _donation_page(db, services.get_donation(db, current_user, donation_id),
                              err.fields or {"_": err.message}, request.form)

    return submit(lambda: services.set_valuations(db, current_user, donation_id, request.form),
                  done=lambda known: see_other(url_for(".donation", donation_id=donation_id),
                                               f"Valeurs enregistrées ({plural(known, 'appareil valorisé')}). "
                                               "L'attestation de don les reprend."),
                  failed=failed)


@bp.post("/certificats/dons/<int:donation_id>/attestation")
@roles_required(*STAFF_ROLES)
def donation_receipt(donation_id: int):
    return issued(services.issue_receipt, donation_id)


@bp.post("/certificats/dons/<int:donation_id>/effacement")
@roles_required(*STAFF_ROLES)
def donation_erasure(donation_id: int):
    return issued(services.issue_erasure_for_donation, donation_id)


# --- devices ------------------------------------------------------------------------------------

@bp.post("/certificats/appareils/<asset_tag>/effacement")
@roles_required(*STAFF_ROLES)
def device_erasure(asset_tag: str):
    return issued(services.issue_erasure_for_device, asset_tag)


@bp.post("/certificats/appareils/<asset_tag>/certificat")
@roles_required(*STAFF_ROLES)
def device_certificate(asset_tag: str):
    return issued(services.issue_device_certificate, asset_tag)


# --- issued certificates ------------------------------------------------------------------------

@bp.get("/certificats/")
@roles_required(*STAFF_ROLES)
def index():
    db = get_db()
    code = (request.args.get("site") or "").strip().upper()
    site = None
    if code and code != "*":
        site = next((s for s in user_sites() if s.code == code), None)
        if site is None:
            raise NotFound(f"Aucun de vos sites ne porte le code « {code[:32]} ».")
    q = request.args.get("q", "")
    items = services.list_certificates(db, current_user, site=site, q=q)
    return render_template("certificates/index.html", items=items, q=q, site=site,
                           sites=user_sites())


@bp.get("/certificats/<reference>.pdf")
@roles_required(*STAFF_ROLES)
def reprint(reference: str):
    cert = services.get_certificate(get_db(), current_user, reference)
    # The QR code and the printed address: never the Host header of an untrusted request.
    return pdf_response(services.render_pdf(cert, public_base_url()), f"{cert.reference}.pdf")


# --- borrower cards -----------------------------------------------------------------------------

@bp.get("/certificats/cartes.pdf")
@roles_required(*LOAN_DESK_ROLES)
def card_sheet():
    db = get_db()
    borrowers = services.borrowers_for_sheet(db, current_user, cards=request.args.getlist("card"),
                                             site_code=(request.args.get("site") or "").strip().upper() or None,
                                             start=request.args.get("from"), end=request.args.get("to"))
    if not borrowers:
        raise NotFound("Aucun usager avec une carte pour ce site et cette période : rien à imprimer.")
    data = services.card_sheet_pdf(borrowers, get_setting(db, "network_name"),
                                   backs=request.args.get("verso") in ("1", "on", "oui"))
    return pdf_response(data, "cartes-emprunteurs.pdf")


# --- public verification ------------------------------------------------------------------------

@bp.get("/verify")
def verify_form():
    reference = (request.args.get("reference") or "").strip()
    if reference:
        args = {"code": request.args["code"]} if request.args.get("code") else {}
        return redirect(url_for(".verify", reference=services.normalise_reference(reference), **args))
    return render_template("certificates/verify.html", result=None, reference="", not_found=None,
                           network=get_setting(get_db(), "network_name"))


@bp.get("/verify/<reference>")
def verify(reference: str):
    db = get_db()
    network = get_setting(db, "network_name")

    def unknown(err: RefurbError):
        if not isinstance(err, NotFound):
            raise err
        response = Response(render_template("certificates/verify.html", result=None, reference=reference[:40],
                                            not_found=err.message, network=network))
        response.headers["Cache-Control"] = "no-store"
        return response

    def shown(result: services.Verification):
        response = Response(render_template("certificates/verify.html", result=result,
                                            reference=result.certificate.reference, not_found=None,
                                            network=network, c=result.certificate.content,
                                            status_labels=services.ERASURE_STATUS, title=services.device_title,
                                            day=services.day, moment=services.moment, euros=services.euros))
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    return submit(lambda: services.verify(db, reference, request.args.get("code")), done=shown, failed=unknown)
