"""Pages: certificates of a donation (receipt with valuations, erasure certificate), of a device, the
list of issued certificates, sheets of borrower cards, and the public verification page /verify."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ..accounts.roles import ADMIN, MANAGER, RECEPTION, TECHNICIAN
from ..accounts.scope import sites_for
from ..errors import NotFound, RefurbError
from ..extensions import get_db
from ..settings import get_setting
from ..web.access import roles_required
from ..web.files import send_bytes
from ..web.urls import public_base_url
from . import cards, issuing, pdf, services
from . import content as build

bp = Blueprint("certificates", __name__)

DESK = (ADMIN, MANAGER, TECHNICIAN, RECEPTION)  # refurbishment desk roles: donations, devices
LOANS_DESK = (ADMIN, MANAGER, RECEPTION)  # borrowers and loans


def base_url() -> str:
    return public_base_url()  # never the Host header of an untrusted request


def pdf_response(data: bytes, filename: str) -> Response:
    return send_bytes(data, filename, "application/pdf", inline=True)


def issued(issuer, *args):
    """Issue (or find) a certificate in the request's transaction, then show it: an explicit action
    (a POST button "Émettre le certificat"), never the side effect of opening a link."""
    db = get_db()
    cert = issuer(db, current_user._get_current_object(), *args)
    db.commit()
    return redirect(url_for(".reprint", reference=cert.reference), code=303)


# --- donations ----------------------------------------------------------------------------------

@bp.get("/certificats/dons/<int:donation_id>")
@roles_required(*DESK)
def donation(donation_id: int):
    db = get_db()
    item = services.require_donation(db, current_user, donation_id)
    return _donation_page(db, item, {}, {}, 200)


def _donation_page(db, item, errors, form, status):
    devices = item.devices
    values = build.valuations(db, [d.id for d in devices])
    erasure = build.erasure_for_donation(db, current_user, item)
    receipt = build.receipt_for_donation(db, current_user, item)
    return render_template("certificates/donation.html", donation=item, devices=devices, values=values,
                           erasure=erasure, issued=services.certificates_of_donation(db, item), errors=errors,
                           form=form, statuses={d["asset_tag"]: d["status"] for d in erasure["devices"]},
                           status_labels=build.ERASURE_STATUS, erasure_refusal=services.erasure_refusal(erasure),
                           receipt_refusal=services.receipt_refusal(receipt)), status


@bp.post("/certificats/dons/<int:donation_id>/valeurs")
@roles_required(*DESK)
def donation_values(donation_id: int):
    db = get_db()
    try:
        known = services.set_valuations(db, current_user, donation_id, request.form)
    except RefurbError as err:
        db.rollback()
        if err.status in (403, 404):
            raise
        item = services.require_donation(db, current_user, donation_id)
        return _donation_page(db, item, err.fields or {"_": err.message}, request.form, err.status)
    db.commit()
    flash(f"Valeurs enregistrées ({known} appareil(s) valorisé(s)). L'attestation de don les reprend.", "success")
    return redirect(url_for(".donation", donation_id=donation_id))


@bp.post("/certificats/dons/<int:donation_id>/attestation")
@roles_required(*DESK)
def donation_receipt(donation_id: int):
    return issued(services.issue_receipt, donation_id)


@bp.post("/certificats/dons/<int:donation_id>/effacement")
@roles_required(*DESK)
def donation_erasure(donation_id: int):
    return issued(services.issue_erasure_for_donation, donation_id)


# --- devices ------------------------------------------------------------------------------------

@bp.post("/certificats/appareils/<asset_tag>/effacement")
@roles_required(*DESK)
def device_erasure(asset_tag: str):
    return issued(services.issue_erasure_for_device, asset_tag)


@bp.post("/certificats/appareils/<asset_tag>/certificat")
@roles_required(*DESK)
def device_certificate(asset_tag: str):
    return issued(services.issue_device_certificate, asset_tag)


def panel_context(db, user, device) -> dict | None:
    """The "Certificats" panel of the device page."""
    if user.role not in DESK:
        return None
    from ..refurbishment.models import DeviceOrigin

    origin = db.get(DeviceOrigin, device.id)
    issued = services.list_certificates(db, user, subject=f"device:{device.asset_tag}", limit=5)
    # Offered only when it can say something: the workshop done; an erasure or a destruction recorded.
    return {"cert_origin": origin, "cert_issued": issued,
            "cert_device_ok": services.device_certificate_refusal(device) is None,
            "cert_erasure_ok": services.device_erasure_refusal(db, user, device) is None}


# --- issued certificates ------------------------------------------------------------------------

@bp.get("/certificats/")
@roles_required(*DESK)
def index():
    db = get_db()
    code = (request.args.get("site") or "").strip().upper()
    site = None
    if code and code != "*":
        site = next((s for s in sites_for(db, current_user) if s.code == code), None)
        if site is None:
            raise NotFound(f"Aucun de vos sites ne porte le code « {code[:32]} ».")
    q = request.args.get("q", "")
    items = services.list_certificates(db, current_user, site=site, q=q)
    return render_template("certificates/index.html", items=items, q=q, site=site,
                           sites=sites_for(db, current_user))


@bp.get("/certificats/<reference>.pdf")
@roles_required(*DESK)
def reprint(reference: str):
    db = get_db()
    cert = services.get_certificate(db, current_user, reference)
    return pdf_response(pdf.render(cert, base_url()), f"{cert.reference}.pdf")


# --- borrower cards -----------------------------------------------------------------------------

@bp.get("/certificats/cartes.pdf")
@roles_required(*LOANS_DESK)
def card_sheet():
    db = get_db()
    borrowers = cards.borrowers_for_sheet(db, current_user, cards=request.args.getlist("card"),
                                          site_code=(request.args.get("site") or "").strip().upper() or None,
                                          start=request.args.get("from"), end=request.args.get("to"))
    if not borrowers:
        raise NotFound("Aucun usager avec une carte pour ce site et cette période : rien à imprimer.")
    data = cards.card_sheet_pdf(borrowers, get_setting(db, "network_name"),
                                backs=request.args.get("verso") in ("1", "on", "oui"))
    return pdf_response(data, "cartes-emprunteurs.pdf")


# --- public verification ------------------------------------------------------------------------

@bp.get("/verify")
def verify_form():
    reference = (request.args.get("reference") or "").strip()
    if reference:
        args = {"code": request.args["code"]} if request.args.get("code") else {}
        return redirect(url_for(".verify", reference=issuing.normalise_reference(reference), **args))
    return render_template("certificates/verify.html", result=None, reference="", not_found=None,
                           network=get_setting(get_db(), "network_name"))


@bp.get("/verify/<reference>")
def verify(reference: str):
    db = get_db()
    network = get_setting(db, "network_name")
    try:
        result = services.verify(db, reference, request.args.get("code"))
    except NotFound as err:
        response = Response(render_template("certificates/verify.html", result=None, reference=reference[:40],
                                            not_found=err.message, network=network), status=404)
        response.headers["Cache-Control"] = "no-store"
        return response
    response = Response(render_template("certificates/verify.html", result=result,
                                        reference=result.certificate.reference,
                                        not_found=None, network=network, c=result.certificate.content,
                                        status_labels=build.ERASURE_STATUS, title=pdf.device_title, day=pdf.day,
                                        moment=pdf.moment, euros=pdf.euros))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
