"""Loans list, overdue list with reminders, the loan page (renew, return, agreement),
reservations and kits."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...accounts.scope import sites_for
from ...errors import RefurbError
from ...extensions import get_db
from ...inventory.categories import CATEGORIES
from ...settings import get_setting
from ...web.access import roles_required
from ...web.files import send_bytes
from ...web.layout import current_site
from .. import kits as kits_svc
from .. import loans as loans_svc
from .. import reservations as bookings
from ..borrowers import DESK_ROLES
from ..models import LOSS_REASONS, RETURN_CONDITIONS, Loan
from ..rules import today
from . import bp, is_htmx, page_number
from .desk import desk_borrower


@bp.get("/prets/")
@roles_required(*DESK_ROLES)
def loan_list():
    db = get_db()
    state = request.args.get("state") or ""
    site = request.args.get("site") or ""
    page = page_number()
    items, total = loans_svc.list_loans(db, current_user, state=state or None, site_code=site or None, page=page)
    context = {"items": items, "total": total, "state": state, "site": site, "page": page,
               "pages": -(-total // 50) if total else 1, "states": loans_svc.LOAN_STATES,
               "sites": sites_for(db, current_user, active_only=False), "today": today()}
    if is_htmx() and request.headers.get("HX-Target") == "loans-results":
        return render_template("loans/_loans_table.html", **context)
    return render_template("loans/loans.html", **context)


@bp.get("/prets/retards")
@roles_required(*DESK_ROLES)
def overdue_list():
    db = get_db()
    site = None
    code = request.args.get("site") or ""
    if code:
        site = loans_svc.site_for_code(db, code)
    return render_template("loans/overdue.html", items=loans_svc.overdue(db, current_user, site), today=today(),
                           site=code, sites=sites_for(db, current_user, active_only=False))


@bp.get("/prets/<int:loan_id>")
@roles_required(*DESK_ROLES)
def loan_page(loan_id: int):
    db = get_db()
    loan = loans_svc.get_loan(db, current_user, loan_id)
    return render_template("loans/loan.html", loan=loan, today=today(), conditions=RETURN_CONDITIONS,
                           loss_reasons=LOSS_REASONS)


@bp.post("/prets/<int:loan_id>/prolonger")
@roles_required(*DESK_ROLES)
def renew_loan(loan_id: int):
    db = get_db()
    loan = loans_svc.get_loan(db, current_user, loan_id)
    try:
        loans_svc.renew(db, current_user, loan)
    except RefurbError as err:
        db.rollback()
        flash(err.message, "error")
    else:
        db.commit()
        flash(f"Prêt prolongé : retour le {loan.due_on:%d/%m/%Y}.", "success")
    return redirect(url_for(".loan_page", loan_id=loan.id))


@bp.post("/prets/<int:loan_id>/retour")
@roles_required(*DESK_ROLES)
def return_loan(loan_id: int):
    db = get_db()
    loan = loans_svc.get_loan(db, current_user, loan_id)
    try:
        loans_svc.return_loan(db, current_user, loan, condition=request.form.get("condition"),
                              note=request.form.get("note", ""), site=current_site(),
                              deposit_outcome=request.form.get("deposit_outcome") or None)
    except RefurbError as err:
        db.rollback()
        flash(err.message, "error")
    else:
        db.commit()
        flash(f"Retour enregistré : {loan.device.asset_tag} ({loan.condition_label.lower()}).", "success")
    return redirect(url_for(".loan_page", loan_id=loan.id))


@bp.post("/prets/<int:loan_id>/perdu")
@roles_required(*DESK_ROLES)
def declare_lost(loan_id: int):
    db = get_db()
    loan = loans_svc.get_loan(db, current_user, loan_id)
    try:
        loans_svc.declare_lost(db, current_user, loan, reason=request.form.get("reason"),
                               note=request.form.get("note", ""),
                               deposit_outcome=request.form.get("deposit_outcome") or None)
    except RefurbError as err:
        db.rollback()
        flash(err.message, "error")
    else:
        db.commit()
        flash(lost_message(loan), "success")
    return redirect(url_for(".loan_page", loan_id=loan.id))


def lost_message(loan: Loan) -> str:
    text = (f"Prêt n° {loan.id} clos : {loan.device.asset_tag} déclaré {loan.condition_label.lower()}, "
            "l'appareil est sorti du parc (état « Perdu ou volé »).")
    if loan.deposit_status == "kept":
        text += f" Caution de {loan.deposit_amount:.2f} € conservée."
    elif loan.deposit_status == "returned":
        text += f" Rendez la caution ({loan.deposit_amount:.2f} €)."
    return text


@bp.get("/prets/<int:loan_id>/relance")
@roles_required(*DESK_ROLES)
def reminder(loan_id: int):
    db = get_db()
    loan = loans_svc.get_loan(db, current_user, loan_id)
    return render_template("loans/reminder.html", loan=loan,
                           letter=loans_svc.reminder(current_user, loan, get_setting(db, "network_name")))


@bp.get("/prets/<int:loan_id>/contrat.pdf")
@roles_required(*DESK_ROLES)
def agreement_pdf(loan_id: int):
    db = get_db()
    loan = loans_svc.get_loan(db, current_user, loan_id)
    pdf = loans_svc.agreement_document(db, current_user, loan, get_setting(db, "network_name"))
    return send_bytes(pdf, f"contrat-pret-{loan.id}.pdf", "application/pdf", inline=True)


# --- reservations -----------------------------------------------------------------------------

@bp.route("/prets/reservations", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def reservation_list():
    db = get_db()
    errors, data, status = {}, {"borrower_card": request.args.get("card", ""), "site": ""}, 200
    here = current_site()
    data["site"] = here.code if here else ""
    if request.method == "POST":
        data = {k: request.form.get(k, "") for k in ("asset_tag", "category", "site", "borrower_card", "start_on",
                                                      "end_on", "note")}
        if data["asset_tag"]:
            data["category"] = ""
        try:
            booking = bookings.create_reservation(db, current_user, data, presented=desk_borrower(db))
        except RefurbError as err:
            db.rollback()
            errors, status = (dict(err.fields) or {"_": err.message}), err.status
        else:
            db.commit()
            flash(f"Réservation enregistrée : {booking.what} du {booking.start_on:%d/%m/%Y} au "
                  f"{booking.end_on:%d/%m/%Y} pour {booking.borrower.full_name}.", "success")
            return redirect(url_for(".reservation_list"))
    show = request.args.get("show", "active")
    items = bookings.list_reservations(db, current_user, status="past" if show == "past" else "active")
    return render_template("loans/reservations.html", items=items, errors=errors, data=data, show=show,
                           categories=CATEGORIES, sites=sites_for(db, current_user), today=today()), status


@bp.post("/prets/reservations/<int:reservation_id>/annuler")
@roles_required(*DESK_ROLES)
def cancel_reservation(reservation_id: int):
    db = get_db()
    booking = bookings.get_reservation(db, current_user, reservation_id)
    try:
        bookings.cancel_reservation(db, current_user, booking)
    except RefurbError as err:
        db.rollback()
        flash(err.message, "error")
    else:
        db.commit()
        flash("Réservation annulée.", "success")
    return redirect(url_for(".reservation_list"))


# --- kits -------------------------------------------------------------------------------------

def _kit_data() -> dict:
    return {"name": request.form.get("name", ""), "site": request.form.get("site", ""),
            "note": request.form.get("note", ""), "asset_tags": request.form.get("asset_tags", "")}


@bp.route("/prets/kits", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def kit_list():
    db = get_db()
    errors, status = {}, 200
    here = current_site()
    data = {"site": here.code if here else ""}
    if request.method == "POST":
        data = _kit_data()
        try:
            kit = kits_svc.create_kit(db, current_user, data)
        except RefurbError as err:
            db.rollback()
            errors, status = (dict(err.fields) or {"_": err.message}), err.status
        else:
            db.commit()
            flash(f"Kit « {kit.name} » créé : code {kit.code}. Imprimez son étiquette.", "success")
            return redirect(url_for(".kit_page", code=kit.code))
    kits = kits_svc.list_kits(db, current_user)
    return render_template("loans/kits.html", kits=kits, errors=errors, data=data,
                           sites=sites_for(db, current_user),
                           out={k.id: kits_svc.open_loans(db, k) for k in kits}), status


@bp.route("/prets/kits/<code>", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def kit_page(code: str):
    from .borrowers import barcode_svg

    db = get_db()
    kit = kits_svc.get_kit(db, current_user, code)
    errors, status = {}, 200
    data = {"name": kit.name, "note": kit.note, "asset_tags": "\n".join(d.asset_tag for d in kit.devices)}
    if request.method == "POST":
        data = _kit_data()
        try:
            kits_svc.update_kit(db, current_user, kit, data)
        except RefurbError as err:
            db.rollback()
            errors, status = (dict(err.fields) or {"_": err.message}), err.status
        else:
            db.commit()
            flash("Kit enregistré.", "success")
            return redirect(url_for(".kit_page", code=kit.code))
    return render_template("loans/kit.html", kit=kit, data=data, errors=errors, barcode=barcode_svg(kit.code),
                           out=kits_svc.open_loans(db, kit)), status


@bp.post("/prets/kits/<code>/dissoudre")
@roles_required(*DESK_ROLES)
def dissolve_kit(code: str):
    db = get_db()
    kit = kits_svc.get_kit(db, current_user, code)
    try:
        kits_svc.dissolve_kit(db, current_user, kit)
    except RefurbError as err:
        db.rollback()
        flash(err.message, "error")
        return redirect(url_for(".kit_page", code=kit.code))
    db.commit()
    flash(f"Kit « {kit.name} » dissous : ses appareils se prêtent à nouveau un par un.", "success")
    return redirect(url_for(".kit_list"))
