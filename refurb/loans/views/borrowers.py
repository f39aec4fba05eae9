"""Borrower pages: list and search, registration, the borrower's page, edit, PIN, block, card PDF,
and the GDPR page (all data held, printable, JSON/CSV export, erasure on request)."""

from __future__ import annotations

import io
import json

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ...accounts.scope import sites_for
from ...errors import RefurbError
from ...extensions import get_db
from ...settings import get_setting
from ...tabular import CSV_MIMETYPE
from ...web.access import roles_required
from ...web.files import send_bytes
from ...web.layout import current_site
from .. import borrowers as svc
from .. import loans as loans_svc
from .. import reservations as bookings
from ..borrowers import DESK_ROLES
from ..models import BORROWER_KINDS
from ..rules import retention_days, today
from . import bp, is_htmx, page_number

FIELDS = ("first_name", "last_name", "phone", "email", "kind", "organisation", "home_site", "referring_partner",
          "pin")


def barcode_svg(code: str) -> Markup:
    """The card number as an inline SVG Code 128 (python-barcode), for the page and printing."""
    import barcode
    from barcode.writer import SVGWriter

    out = io.BytesIO()
    barcode.get("code128", code, writer=SVGWriter()).write(
        out, options={"module_height": 12, "module_width": 0.33, "quiet_zone": 3.5, "write_text": False,
                      "compress": False})
    svg = out.getvalue().decode()
    svg = svg[svg.index("<svg"):]
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="Code-barres de la carte {code}" ', 1)
    return Markup(svg)


def _form_data() -> dict:
    data = {name: request.form.get(name, "") for name in FIELDS}
    data["consent"] = request.form.get("consent") == "on"
    return data


def _form(template: str, data: dict, errors: dict, borrower=None, status: int | None = None, **extra):
    db = get_db()
    return render_template(template, data=data, errors=errors, borrower=borrower, kinds=BORROWER_KINDS,
                           sites=sites_for(db, current_user), **extra), status or (422 if errors else 200)


@bp.get("/usagers/")
@roles_required(*DESK_ROLES)
def borrower_list():
    db = get_db()
    q = (request.args.get("q") or "").strip()[:80]
    page = page_number()
    items, total = svc.list_borrowers(db, current_user, q=q, page=page,
                                      blocked_only=request.args.get("blocked") == "1")
    context = {"items": items, "total": total, "q": q, "page": page, "pages": -(-total // 50) if total else 1,
               "blocked": request.args.get("blocked") == "1"}
    if is_htmx() and request.headers.get("HX-Target") == "borrowers-results":
        return render_template("loans/_borrowers_table.html", **context)
    return render_template("loans/borrowers.html", **context)


@bp.route("/usagers/nouveau", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def new_borrower():
    db = get_db()
    if request.method == "GET":
        here = current_site()
        return _form("loans/borrower_form.html", {"kind": "resident", "home_site": here.code if here else "",
                                                  "consent": False}, {})
    data = _form_data()
    try:
        borrower = svc.create_borrower(db, current_user, data)
    except RefurbError as err:
        db.rollback()
        errors = dict(err.fields) if err.fields else {"_": err.message}
        if err.code == "duplicate":
            errors = {"_": err.message}
            found = svc.duplicates(db, data["first_name"], data["last_name"], svc.clean_phone(data["phone"]),
                                   data["email"] or None)
            shown = found[0] if found and svc.sees_record(current_user, found[0]) else None
            return _form("loans/borrower_form.html", data, errors, status=409, duplicate=shown)
        return _form("loans/borrower_form.html", data, errors)
    db.commit()
    flash(f"{borrower.full_name} est inscrit(e) : carte {borrower.card_number}. Imprimez sa carte.", "success")
    if request.form.get("action") == "desk":
        from .desk import desk_for_borrower
        desk_for_borrower(borrower.id)
        return redirect(url_for(".desk"))
    return redirect(url_for(".borrower_page", card=borrower.card_number))


@bp.get("/usagers/<card>")
@roles_required(*DESK_ROLES)
def borrower_page(card: str):
    db = get_db()
    borrower = svc.get_borrower(db, current_user, card)
    return render_template("loans/borrower.html", borrower=borrower, barcode=barcode_svg(borrower.card_number),
                           loans=loans_svc.borrower_loans(db, borrower),
                           bookings=bookings.borrower_reservations(db, borrower), today=today())


@bp.route("/usagers/<card>/modifier", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def edit_borrower(card: str):
    db = get_db()
    borrower = svc.get_borrower(db, current_user, card)
    if request.method == "GET":
        data = {name: getattr(borrower, name, "") or "" for name in FIELDS if name not in ("home_site", "pin")}
        data.update(home_site=borrower.home_site.code, consent=borrower.consent_at is not None, pin="")
        return _form("loans/borrower_form.html", data, {}, borrower=borrower)
    data = _form_data()
    try:
        svc.update_borrower(db, current_user, borrower, data)
    except RefurbError as err:
        db.rollback()
        return _form("loans/borrower_form.html", data, dict(err.fields) or {"_": err.message}, borrower=borrower,
                     status=err.status if not err.fields else None)
    db.commit()
    flash("Fiche de l'usager enregistrée.", "success")
    return redirect(url_for(".borrower_page", card=borrower.card_number))


@bp.post("/usagers/<card>/pin")
@roles_required(*DESK_ROLES)
def borrower_pin(card: str):
    db = get_db()
    borrower = svc.get_borrower(db, current_user, card)
    pin = request.form.get("pin", "")
    try:
        svc.set_pin(db, current_user, borrower, pin if request.form.get("action") != "clear" else None)
    except RefurbError as err:
        db.rollback()
        flash(err.message, "error")
    else:
        db.commit()
        flash("Code PIN enregistré : l'usager peut utiliser la borne." if borrower.has_pin
              else "Code PIN retiré : la borne refusera cette carte.", "success")
    return redirect(url_for(".borrower_page", card=borrower.card_number))


@bp.post("/usagers/<card>/blocage")
@roles_required(*DESK_ROLES)
def borrower_block(card: str):
    db = get_db()
    borrower = svc.get_borrower(db, current_user, card)
    try:
        if request.form.get("action") == "unblock":
            svc.unblock(db, current_user, borrower)
            message = "Blocage levé."
        else:
            svc.block(db, current_user, borrower, request.form.get("reason", ""))
            message = "Usager bloqué : aucun nouveau prêt ne lui sera fait."
    except RefurbError as err:
        db.rollback()
        flash(err.message, "error")
    else:
        db.commit()
        flash(message, "success")
    return redirect(url_for(".borrower_page", card=borrower.card_number))


@bp.get("/usagers/<card>/carte.pdf")
@roles_required(*DESK_ROLES)
def borrower_card(card: str):
    from ..pdf import borrower_card_pdf

    db = get_db()
    borrower = svc.get_borrower(db, current_user, card)
    pdf = borrower_card_pdf(borrower, get_setting(db, "network_name"))
    return send_bytes(pdf, f"carte-{borrower.card_number}.pdf", "application/pdf", inline=True)


# --- GDPR -------------------------------------------------------------------------------------

@bp.get("/usagers/<card>/donnees")
@roles_required(*DESK_ROLES)
def borrower_data(card: str):
    db = get_db()
    borrower = svc.get_borrower(db, current_user, card)
    return render_template("loans/borrower_data.html", borrower=borrower, data=svc.personal_data(db, borrower),
                           retention_days=retention_days(db), open_loans=svc.open_loans_of(db, borrower))


@bp.get("/usagers/<card>/donnees.json")
@roles_required(*DESK_ROLES)
def borrower_data_json(card: str):
    db = get_db()
    borrower = svc.get_borrower(db, current_user, card)
    body = json.dumps(svc.personal_data(db, borrower), ensure_ascii=False, indent=2)
    return send_bytes(body, f"donnees-{borrower.card_number}.json", "application/json")


@bp.get("/usagers/<card>/donnees.csv")
@roles_required(*DESK_ROLES)
def borrower_data_csv(card: str):
    db = get_db()
    borrower = svc.get_borrower(db, current_user, card)
    return send_bytes(svc.personal_data_csv(db, borrower), f"donnees-{borrower.card_number}.csv", CSV_MIMETYPE)


@bp.post("/usagers/<card>/effacer")
@roles_required(*DESK_ROLES)
def erase_borrower(card: str):
    db = get_db()
    borrower = svc.get_borrower(db, current_user, card)
    if request.form.get("confirm") != "on":
        flash("Cochez la case de confirmation pour effacer les données de cet usager.", "error")
        return redirect(url_for(".borrower_data", card=borrower.card_number))
    try:
        svc.erase(db, current_user, borrower)
    except RefurbError as err:
        db.rollback()
        flash(err.message, "error")
        return redirect(url_for(".borrower_data", card=card))
    db.commit()
    flash("Données de l'usager effacées : il est anonymisé, seules les statistiques de prêt restent.", "success")
    return redirect(url_for(".borrower_list"))
