"""Loans list, overdue list with reminders, the loan page (renew, return, agreement),
reservations and kits."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user

from ...accounts.roles import LOAN_DESK_ROLES
from ...accounts.scope import sites_for
from ...clock import today
from ...extensions import get_db
from ...inventory.categories import CATEGORIES
from ...settings import get_setting
from ...web.access import roles_required
from ...web.files import send_bytes
from ...web.kit import is_htmx, page_number, see_other, submit
from ...web.layout import current_site, user_sites
from .. import services as loans
from ..models import LOSS_REASONS, RETURN_CONDITIONS, Loan
from . import bp
from .desk import desk_borrower


def _errors(err) -> dict:
    return dict(err.fields) or {"_": err.message}


@bp.get("/prets/")
@roles_required(*LOAN_DESK_ROLES)
def loan_list():
    db = get_db()
    state = request.args.get("state") or ""
    site = request.args.get("site") or ""
    page = page_number()
    items, total = loans.list_loans(db, current_user, state=state or None, site_code=site or None, page=page)
    context = {"items": items, "total": total, "state": state, "site": site, "page": page,
               "pages": -(-total // 50) if total else 1, "states": loans.LOAN_STATES,
               "sites": sites_for(db, current_user, active_only=False), "today": today()}
    if is_htmx() and request.headers.get("HX-Target") == "loans-results":
        return render_template("loans/_loans_table.html", **context)
    return render_template("loans/loans.html", **context)


@bp.get("/prets/retards")
@roles_required(*LOAN_DESK_ROLES)
def overdue_list():
    db = get_db()
    site = None
    code = request.args.get("site") or ""
    if code:
        site = loans.site_for_code(db, code)
    page = page_number()
    items, total = loans.overdue(db, current_user, site, page=page)
    return render_template("loans/overdue.html", items=items, total=total, page=page,
                           pages=-(-total // 50) if total else 1, today=today(), site=code,
                           sites=sites_for(db, current_user, active_only=False))


def _loan_page(loan: Loan, refusal=None):
    """The loan page; after a refused action, with its reason (the kit adds the refusal's status)."""
    if refusal is not None:
        flash(refusal.message, "error")
    return render_template("loans/loan.html", loan=loan, today=today(), conditions=RETURN_CONDITIONS,
                           loss_reasons=LOSS_REASONS)


@bp.get("/prets/<int:loan_id>")
@roles_required(*LOAN_DESK_ROLES)
def loan_page(loan_id: int):
    return _loan_page(loans.get_loan(get_db(), current_user, loan_id))


@bp.post("/prets/<int:loan_id>/prolonger")
@roles_required(*LOAN_DESK_ROLES)
def renew_loan(loan_id: int):
    db = get_db()
    loan = loans.get_loan(db, current_user, loan_id)
    return submit(lambda: loans.renew(db, current_user, loan),
                  done=lambda _: see_other(url_for(".loan_page", loan_id=loan.id),
                                           f"Prêt prolongé : retour le {loan.due_on:%d/%m/%Y}."),
                  failed=lambda err: _loan_page(loan, err))


@bp.post("/prets/<int:loan_id>/retour")
@roles_required(*LOAN_DESK_ROLES)
def return_loan(loan_id: int):
    db = get_db()
    loan = loans.get_loan(db, current_user, loan_id)
    return submit(lambda: loans.return_loan(db, current_user, loan, condition=request.form.get("condition"),
                                            note=request.form.get("note", ""), site=current_site(),
                                            deposit_outcome=request.form.get("deposit_outcome") or None),
                  done=lambda _: see_other(url_for(".loan_page", loan_id=loan.id),
                                           f"Retour enregistré : {loan.device.asset_tag} "
                                           f"({loan.condition_label.lower()})."),
                  failed=lambda err: _loan_page(loan, err))


@bp.post("/prets/<int:loan_id>/perdu")
@roles_required(*LOAN_DESK_ROLES)
def declare_lost(loan_id: int):
    db = get_db()
    loan = loans.get_loan(db, current_user, loan_id)
    return submit(lambda: loans.declare_lost(db, current_user, loan, reason=request.form.get("reason"),
                                             note=request.form.get("note", ""),
                                             deposit_outcome=request.form.get("deposit_outcome") or None),
                  done=lambda _: see_other(url_for(".loan_page", loan_id=loan.id), lost_message(loan)),
                  failed=lambda err: _loan_page(loan, err))


def lost_message(loan: Loan) -> str:
    text = (f"Prêt n° {loan.id} clos : {loan.device.asset_tag} déclaré {loan.condition_label.lower()}, "
            "l'appareil est sorti du parc (état « Perdu ou volé »).")
    if loan.deposit_status == "kept":
        text += f" Caution de {loan.deposit_amount:.2f} € conservée."
    elif loan.deposit_status == "returned":
        text += f" Rendez la caution ({loan.deposit_amount:.2f} €)."
    return text


@bp.get("/prets/<int:loan_id>/relance")
@roles_required(*LOAN_DESK_ROLES)
def reminder(loan_id: int):
    db = get_db()
    loan = loans.get_loan(db, current_user, loan_id)
    return render_template("loans/reminder.html", loan=loan,
                           letter=loans.reminder(current_user, loan, get_setting(db, "network_name")))


@bp.get("/prets/<int:loan_id>/contrat.pdf")
@roles_required(*LOAN_DESK_ROLES)
def agreement_pdf(loan_id: int):
    db = get_db()
    loan = loans.get_loan(db, current_user, loan_id)
    pdf = loans.agreement_document(db, current_user, loan, get_setting(db, "network_name"))
    return send_bytes(pdf, f"contrat-pret-{loan.id}.pdf", "application/pdf", inline=True)


# --- reservations -----------------------------------------------------------------------------

def _reservations(data: dict, errors: dict | None = None, refusal=None):
    """The reservations page (the form with ``data`` and its ``errors``; a refused cancellation's reason)."""
    db = get_db()
    if refusal is not None:
        flash(refusal.message, "error")
    show = request.args.get("show", "active")
    items = loans.list_reservations(db, current_user, status="past" if show == "past" else "active")
    # No card in hand: the borrower found by name, among those this desk reaches (``loans.search``).
    who = (request.args.get("usager") or "").strip()[:80]
    found = loans.search(db, current_user, who) if who else None
    return render_template("loans/reservations.html", items=items, errors=errors or {}, data=data, show=show,
                           categories=CATEGORIES, sites=user_sites(), today=today(),
                           who=who, found=found)


def _empty_reservation() -> dict:
    here = current_site()
    return {"borrower_card": request.args.get("card", ""), "site": here.code if here else ""}


@bp.route("/prets/reservations", methods=["GET", "POST"])
@roles_required(*LOAN_DESK_ROLES)
def reservation_list():
    if request.method == "GET":
        return _reservations(_empty_reservation())
    db = get_db()
    data = {k: request.form.get(k, "") for k in ("asset_tag", "category", "site", "borrower_card", "start_on",
                                                  "end_on", "note")}
    if data["asset_tag"]:
        data["category"] = ""
    return submit(lambda: loans.create_reservation(db, current_user, data, presented=desk_borrower(db)),
                  done=lambda booking: see_other(
                      url_for(".reservation_list"),
                      f"Réservation enregistrée : {booking.what} du {booking.start_on:%d/%m/%Y} au "
                      f"{booking.end_on:%d/%m/%Y} pour {booking.borrower.full_name}."),
                  failed=lambda err: _reservations(data, _errors(err)))


@bp.post("/prets/reservations/<int:reservation_id>/annuler")
@roles_required(*LOAN_DESK_ROLES)
def cancel_reservation(reservation_id: int):
    db = get_db()
    booking = loans.get_reservation(db, current_user, reservation_id)
    return submit(lambda: loans.cancel_reservation(db, current_user, booking),
                  done=lambda _: see_other(url_for(".reservation_list"), "Réservation annulée."),
                  failed=lambda err: _reservations(_empty_reservation(), refusal=err))


# --- kits -------------------------------------------------------------------------------------

def _kit_data() -> dict:
    return {"name": request.form.get("name", ""), "site": request.form.get("site", ""),
            "note": request.form.get("note", ""), "asset_tags": request.form.get("asset_tags", "")}


def _kits(data: dict, errors: dict | None = None):
    db = get_db()
    kits = loans.list_kits(db, current_user)
    return render_template("loans/kits.html", kits=kits, errors=errors or {}, data=data,
                           sites=user_sites(), out={k.id: loans.open_kit_loans(db, k) for k in kits})


@bp.route("/prets/kits", methods=["GET", "POST"])
@roles_required(*LOAN_DESK_ROLES)
def kit_list():
    if request.method == "GET":
        here = current_site()
        return _kits({"site": here.code if here else ""})
    data = _kit_data()
    return submit(lambda: loans.create_kit(get_db(), current_user, data),
                  done=lambda kit: see_other(url_for(".kit_page", code=kit.code),
                                             f"Kit « {kit.name} » créé : code {kit.code}. Imprimez son étiquette."),
                  failed=lambda err: _kits(data, _errors(err)))


def _kit_page(kit, data: dict | None = None, errors: dict | None = None, refusal=None):
    from .borrowers import barcode_svg

    if refusal is not None:
        flash(refusal.message, "error")
    data = data or {"name": kit.name, "note": kit.note, "asset_tags": "\n".join(d.asset_tag for d in kit.devices)}
    return render_template("loans/kit.html", kit=kit, data=data, errors=errors or {}, barcode=barcode_svg(kit.code),
                           out=loans.open_kit_loans(get_db(), kit))


@bp.route("/prets/kits/<code>", methods=["GET", "POST"])
@roles_required(*LOAN_DESK_ROLES)
def kit_page(code: str):
    db = get_db()
    kit = loans.get_kit(db, current_user, code)
    if request.method == "GET":
        return _kit_page(kit)
    data = _kit_data()
    return submit(lambda: loans.update_kit(db, current_user, kit, data),
                  done=lambda _: see_other(url_for(".kit_page", code=kit.code), "Kit enregistré."),
                  failed=lambda err: _kit_page(kit, data, _errors(err)))


@bp.post("/prets/kits/<code>/dissoudre")
@roles_required(*LOAN_DESK_ROLES)
def dissolve_kit(code: str):
    db = get_db()
    kit = loans.get_kit(db, current_user, code)
    return submit(lambda: loans.dissolve_kit(db, current_user, kit),
                  done=lambda _: see_other(url_for(".kit_list"),
                                           f"Kit « {kit.name} » dissous : ses appareils se prêtent à nouveau un par un."),
                  failed=lambda err: _kit_page(kit, refusal=err))
