"""Borrower pages: list and search, registration, the borrower's page, edit, PIN, block, card PDF,
and the GDPR page (all data held, printable, JSON/CSV export, erasure on request)."""

from __future__ import annotations

import io
import json

from flask import flash, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ...accounts.roles import LOAN_DESK_ROLES
from ...clock import today
from ...extensions import get_db
from ...settings import get_setting
from ...tabular import CSV_MIMETYPE
from ...web.access import roles_required
from ...web.files import send_bytes
from ...web.kit import is_htmx, page_number, see_other, submit
from ...web.layout import current_site, user_sites
from .. import services as loans
from ..models import BORROWER_KINDS
from . import bp

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


def _form(data: dict, errors: dict | None = None, borrower=None, **extra):
    """The registration or edit form (a refusal's status is added by the kit)."""
    return render_template("loans/borrower_form.html", data=data, errors=errors or {}, borrower=borrower,
                           kinds=BORROWER_KINDS, sites=user_sites(), **extra)


def _refused_registration(data: dict, err):
    """The registration form again with what is wrong; a duplicate is named only to the holders of its record."""
    if err.code != "duplicate":
        return _form(data, dict(err.fields) or {"_": err.message})
    found = loans.duplicates(get_db(), data["first_name"], data["last_name"], loans.clean_phone(data["phone"]),
                             data["email"] or None)
    shown = found[0] if found and loans.sees_record(current_user, found[0]) else None
    return _form(data, {"_": err.message}, duplicate=shown)


@bp.get("/usagers/")
@roles_required(*LOAN_DESK_ROLES)
def borrower_list():
    db = get_db()
    q = (request.args.get("q") or "").strip()[:80]
    page = page_number()
    items, total = loans.list_borrowers(db, current_user, q=q, page=page,
                                        blocked_only=request.args.get("blocked") == "1")
    context = {"items": items, "total": total, "q": q, "page": page, "pages": -(-total // 50) if total else 1,
               "blocked": request.args.get("blocked") == "1"}
    if is_htmx() and request.headers.get("HX-Target") == "borrowers-results":
        return render_template("loans/_borrowers_table.html", **context)
    return render_template("loans/borrowers.html", **context)


@bp.route("/usagers/nouveau", methods=["GET", "POST"])
@roles_required(*LOAN_DESK_ROLES)
def new_borrower():
    if request.method == "GET":
        here = current_site()
        return _form({"kind": "resident", "home_site": here.code if here else "", "consent": False})
    data = _form_data()

    def registered(borrower):
        message = f"{borrower.full_name} est inscrit(e) : carte {borrower.card_number}. Imprimez sa carte."
        if request.form.get("action") == "desk":
            from .desk import desk_for_borrower

            desk_for_borrower(borrower.id, registered=True)
            return see_other(url_for(".desk"), message)
        return see_other(url_for(".borrower_page", card=borrower.card_number, inscrit=1), message)

    return submit(lambda: loans.create_borrower(get_db(), current_user, data), done=registered,
                  failed=lambda err: _refused_registration(data, err))


def _borrower_page(borrower, refusal=None, *, registered: bool = False):
    """The borrower's page; after a refused action, with its reason (the kit adds the refusal's status)."""
    db = get_db()
    if refusal is not None:
        flash(refusal.message, "error")
    return render_template("loans/borrower.html", borrower=borrower, barcode=barcode_svg(borrower.card_number),
                           loans=loans.borrower_loans(db, borrower),
                           bookings=loans.borrower_reservations(db, borrower), today=today(),
                           just_registered=registered)


def _to_borrower_page(borrower, message: str):
    return see_other(url_for(".borrower_page", card=borrower.card_number), message)


@bp.get("/usagers/<card>")
@roles_required(*LOAN_DESK_ROLES)
def borrower_page(card: str):
    return _borrower_page(loans.get_borrower(get_db(), current_user, card),
                          registered=request.args.get("inscrit") == "1")


@bp.route("/usagers/<card>/modifier", methods=["GET", "POST"])
@roles_required(*LOAN_DESK_ROLES)
def edit_borrower(card: str):
    db = get_db()
    borrower = loans.get_borrower(db, current_user, card)
    if request.method == "GET":
        data = {name: getattr(borrower, name, "") or "" for name in FIELDS if name not in ("home_site", "pin")}
        data.update(home_site=borrower.home_site.code, consent=borrower.consent_at is not None, pin="")
        return _form(data, borrower=borrower)
    data = _form_data()
    return submit(lambda: loans.update_borrower(db, current_user, borrower, data),
                  done=lambda _: _to_borrower_page(borrower, "Fiche de l'usager enregistrée."),
                  failed=lambda err: _form(data, dict(err.fields) or {"_": err.message}, borrower))


@bp.post("/usagers/<card>/pin")
@roles_required(*LOAN_DESK_ROLES)
def borrower_pin(card: str):
    db = get_db()
    borrower = loans.get_borrower(db, current_user, card)
    pin = request.form.get("pin", "") if request.form.get("action") != "clear" else None
    return submit(lambda: loans.set_pin(db, current_user, borrower, pin),
                  done=lambda _: _to_borrower_page(
                      borrower, "Code PIN enregistré : l'usager peut utiliser la borne." if borrower.has_pin
                      else "Code PIN retiré : la borne refusera cette carte."),
                  failed=lambda err: _borrower_page(borrower, err))


@bp.post("/usagers/<card>/blocage")
@roles_required(*LOAN_DESK_ROLES)
def borrower_block(card: str):
    db = get_db()
    borrower = loans.get_borrower(db, current_user, card)
    if request.form.get("action") == "unblock":
        return submit(lambda: loans.unblock(db, current_user, borrower),
                      done=lambda _: _to_borrower_page(borrower, "Blocage levé."),
                      failed=lambda err: _borrower_page(borrower, err))
    return submit(lambda: loans.block(db, current_user, borrower, request.form.get("reason", "")),
                  done=lambda _: _to_borrower_page(borrower, "Usager bloqué : aucun nouveau prêt ne lui sera fait."),
                  failed=lambda err: _borrower_page(borrower, err))


@bp.get("/usagers/<card>/carte.pdf")
@roles_required(*LOAN_DESK_ROLES)
def borrower_card(card: str):
    db = get_db()
    borrower = loans.get_borrower(db, current_user, card)
    pdf = loans.borrower_card_pdf(borrower, get_setting(db, "network_name"))
    return send_bytes(pdf, f"carte-{borrower.card_number}.pdf", "application/pdf", inline=True)


# --- GDPR -------------------------------------------------------------------------------------

def _data_page(borrower, refusal=None):
    db = get_db()
    if refusal is not None:
        flash(refusal.message, "error")
    return render_template("loans/borrower_data.html", borrower=borrower, data=loans.personal_data(db, borrower),
                           retention_days=loans.retention_days(db), open_loans=loans.open_loans_of(db, borrower))


@bp.get("/usagers/<card>/donnees")
@roles_required(*LOAN_DESK_ROLES)
def borrower_data(card: str):
    return _data_page(loans.get_borrower(get_db(), current_user, card))


@bp.get("/usagers/<card>/donnees.json")
@roles_required(*LOAN_DESK_ROLES)
def borrower_data_json(card: str):
    db = get_db()
    borrower = loans.get_borrower(db, current_user, card)
    body = json.dumps(loans.personal_data(db, borrower), ensure_ascii=False, indent=2)
    return send_bytes(body, f"donnees-{borrower.card_number}.json", "application/json")


@bp.get("/usagers/<card>/donnees.csv")
@roles_required(*LOAN_DESK_ROLES)
def borrower_data_csv(card: str):
    db = get_db()
    borrower = loans.get_borrower(db, current_user, card)
    return send_bytes(loans.personal_data_csv(db, borrower), f"donnees-{borrower.card_number}.csv", CSV_MIMETYPE)


@bp.post("/usagers/<card>/effacer")
@roles_required(*LOAN_DESK_ROLES)
def erase_borrower(card: str):
    db = get_db()
    borrower = loans.get_borrower(db, current_user, card)
    return submit(lambda: loans.erase(db, current_user, borrower, confirmed=request.form.get("confirm") == "on"),
                  done=lambda _: see_other(url_for(".borrower_list"), "Données de l'usager effacées : il est "
                                           "anonymisé, seules les statistiques de prêt restent."),
                  failed=lambda err: _data_page(borrower, err))
