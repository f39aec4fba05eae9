"""The desk (reception home): one scan field for cards, devices and kits; the borrower's panel
and check-out basket; returns with a condition check; today's returns, overdue loans and
reservations to prepare beside it.

The desk's state (borrower, basket, return in progress) lives in the user's session, so a
reload or a second tab shows the same desk; every action is a POST that changes it.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from ...errors import Forbidden, RefurbError
from ...extensions import get_db
from ...formatting import date_fr
from ...inventory.services import find_by_code
from ...validation import as_id
from ...web.access import roles_required
from ...web.layout import current_site
from .. import borrowers as borrowers_svc
from .. import kits as kits_svc
from .. import loans as loans_svc
from .. import reservations as bookings
from ..borrowers import DESK_ROLES
from ..models import (
    DEPOSIT_METHODS,
    LOSS_REASONS,
    RETURN_CONDITIONS,
    Borrower,
    KitDevice,
    Loan,
)
from ..rules import rules_for, today
from . import bp, is_htmx, tone

EMPTY = {"borrower": None, "basket": [], "kits": [], "return": None, "kit_return": None, "check": None, "done": []}


def _state() -> dict:
    state = dict(EMPTY)
    state.update(session.get("desk") or {})
    return state


def _save(state: dict) -> None:
    session["desk"] = state
    session.modified = True


def _site():
    site = current_site()
    if site is None:
        raise Forbidden("Aucun site ne vous est attribué : le comptoir de prêt a besoin d'un site.")
    return site


def desk_context(db, state: dict, *, matches=None, kit_missing=None) -> dict:
    site = _site()
    borrower = db.get(Borrower, state["borrower"]) if state.get("borrower") else None
    if borrower is not None and borrower.anonymised_at is not None:
        borrower = None
    kind = borrower.kind if borrower else "resident"
    basket = []
    for tag in state.get("basket", []):
        device = find_by_code(db, current_user, tag)
        if device is None:
            continue
        rules = rules_for(db, site.id, kind, device.category)
        in_kit = db.scalar(select(KitDevice).where(KitDevice.device_id == device.id))
        basket.append({"device": device, "due": rules.due_on(today()), "deposit": rules.deposit,
                       "kit": in_kit.kit if in_kit and in_kit.kit.code in state.get("kits", []) else None,
                       "problem": loans_svc.lendability(db, device, site, borrower)})
    return_loan = db.get(Loan, state["return"]) if state.get("return") else None
    if return_loan is not None and return_loan.returned_at is not None:
        return_loan = None
    check_loan = db.get(Loan, state["check"]) if state.get("check") else None
    if check_loan is not None and not check_loan.to_check:
        check_loan = None
    kit_return = kits_svc.find_kit(db, state["kit_return"]) if state.get("kit_return") else None
    kit_loans = kits_svc.open_loans(db, kit_return) if kit_return else []
    done = [loan for loan in (db.get(Loan, i) for i in state.get("done", [])) if loan is not None]
    return {
        "site": site, "borrower": borrower,
        "borrower_record": borrower is not None and borrowers_svc.sees_record(current_user, borrower),
        "return_named": return_loan is not None and loans_svc.shows_borrower(current_user, return_loan),
        "return_seen": return_loan is not None and loans_svc.sees_loan(current_user, return_loan),
        "check_loan": check_loan, "to_check": loans_svc.returns_to_check(db, current_user, site),
        "open_loans": loans_svc.borrower_loans(db, borrower, open_only=True) if borrower else [],
        "bookings": [r for r in bookings.borrower_reservations(db, borrower)
                     if r.effective_status(today()) == "active"] if borrower else [],
        "basket": basket, "return_loan": return_loan, "kit_return": kit_return, "kit_loans": kit_loans,
        "kit_missing": kit_missing or [], "done": done, "matches": matches,
        "due_today": loans_svc.due_today(db, current_user, site),
        "overdue": loans_svc.overdue(db, current_user, site),
        "to_prepare": bookings.to_prepare(db, current_user, site),
        "conditions": RETURN_CONDITIONS, "loss_reasons": LOSS_REASONS, "deposit_methods": DEPOSIT_METHODS, "today": today(),
        "can_lend": borrower is not None and basket and not any(row["problem"] for row in basket),
    }


def _answer(state: dict, message: str = "", kind: str = "success", **extra):
    """The desk body for htmx (with a tone), or a redirect to the desk page."""
    _save(state)
    db = get_db()
    if is_htmx():
        context = desk_context(db, state, **extra)
        return render_template("loans/_desk_body.html", message=message, message_kind=kind, **context), 200, \
            tone("error" if kind == "error" else "ok")
    if message:
        flash(message, kind)
    if extra.get("matches") is not None:
        session["desk_matches"] = [b.id for b in extra["matches"]]
    return redirect(url_for(".desk"))


@bp.get("/prets/comptoir")
@roles_required(*DESK_ROLES)
def desk():
    db = get_db()
    state = _state()
    card = request.args.get("carte")
    if card:  # from the global scan box: the card is in hand
        borrower = borrowers_svc.get_borrower(db, current_user, card, need=borrowers_svc.PANEL, presented=True)
        if state.get("borrower") != borrower.id:
            state.update(borrower=borrower.id, done=[], **{"return": None, "kit_return": None})
            _save(state)
    matches = None
    if "desk_matches" in session:
        ids = session.pop("desk_matches")
        matches = [b for b in (db.get(Borrower, i) for i in ids) if b is not None]
    return render_template("loans/desk.html", message="", message_kind="success",
                           **desk_context(db, state, matches=matches))


@bp.post("/prets/comptoir/scan")
@roles_required(*DESK_ROLES)
def desk_scan():
    db = get_db()
    state = _state()
    site = _site()
    code = (request.form.get("code") or "").strip()[:120]
    if not code:
        return _answer(state, "Scannez une carte, un appareil ou un kit, ou tapez un nom.", "info")
    state["done"] = []
    state["check"] = None
    if borrowers_svc.looks_like_card(code):
        try:
            borrower = borrowers_svc.get_borrower(db, current_user, code, need=borrowers_svc.PANEL, presented=True)
        except RefurbError as err:
            return _answer(state, err.message, "error")
        if state.get("borrower") != borrower.id:
            state["return"] = state["kit_return"] = None
        state["borrower"] = borrower.id
        note = ""
        if borrower.blocked:
            return _answer(state, f"{borrower.full_name} est bloqué(e) : {borrower.block_reason}", "error")
        if borrower.consent_at is None:
            note = " Le règlement de prêt n'a pas encore été accepté."
        return _answer(state, f"Usager : {borrower.full_name} (carte {borrower.card_number}).{note}")

    if kits_svc.looks_like_kit(code):
        kit = kits_svc.find_kit(db, code)
        if kit is None or not kit.active:
            return _answer(state, f"Aucun kit actif ne porte le code « {code} ».", "error")
        if kits_svc.open_loans(db, kit):
            state["kit_return"], state["return"] = kit.code, None
            return _answer(state, f"Retour du kit « {kit.name} » : cochez les appareils rendus.", "info")
        return _add_kit(db, state, site, kit)

    device = find_by_code(db, current_user, code)
    if device is not None:
        loan = loans_svc.open_loan_for(db, device)
        if loan is not None:
            if loan.kit_id:
                state["kit_return"], state["return"] = loan.kit.code, None
                return _answer(state, f"{device.asset_tag} fait partie du kit « {loan.kit.name} » : "
                                      "cochez les appareils du kit rendus.", "info")
            state["return"], state["kit_return"], state["check"] = loan.id, None, None
            return _answer(state, f"Retour de {device.asset_tag} ({device.title}), prêté le "
                                  f"{date_fr(loan.start_on)} : vérifiez son état.", "info")
        unchecked = loans_svc.kiosk_return_to_check(db, device)
        if unchecked is not None and loans_svc.sees_loan(current_user, unchecked):
            state["check"], state["return"], state["kit_return"] = unchecked.id, None, None
            return _answer(state, f"{device.asset_tag} a été rendu à la borne le {date_fr(unchecked.returned_at)} : "
                                  "vérifiez son état et confirmez-le.", "info")
        tag = device.asset_tag
        if tag in state["basket"]:
            return _answer(state, f"{tag} est déjà dans le panier (scanné deux fois).", "error")
        borrower = db.get(Borrower, state["borrower"]) if state.get("borrower") else None
        reason = loans_svc.lendability(db, device, site, borrower)
        if reason is None:
            in_kit = db.scalar(select(KitDevice).where(KitDevice.device_id == device.id))
            if in_kit is not None and in_kit.kit.active:
                reason = (f"{tag} fait partie du kit « {in_kit.kit.name} » : scannez le code du kit "
                          f"({in_kit.kit.code}) pour le prêter en entier.")
        if reason:
            return _answer(state, reason, "error")
        state["basket"] = state["basket"] + [tag]
        state["return"] = state["kit_return"] = None
        who = "" if state.get("borrower") else " Scannez maintenant la carte de l'usager."
        return _answer(state, f"{tag} ajouté au panier ({device.category_label}).{who}")

    found = borrowers_svc.search(db, current_user, code)
    if found:
        return _answer(state, f"{len(found)} usager(s) trouvé(s) pour « {code} » : choisissez.", "info",
                       matches=found)
    return _answer(state, f"Aucune carte, aucun appareil, aucun kit ni aucun usager ne correspond à « {code} ». "
                          "Vérifiez le code, ou inscrivez l'usager.", "error")


def _add_kit(db, state, site, kit):
    if kit.site_id != site.id:
        return _answer(state, f"Le kit « {kit.name} » est rattaché à « {kit.site.name} » : il se prête là-bas.",
                       "error")
    borrower = db.get(Borrower, state["borrower"]) if state.get("borrower") else None
    problems = []
    for device in kit.devices:
        reason = loans_svc.lendability(db, device, site, borrower)
        if reason:
            problems.append(reason)
    if problems:
        return _answer(state, f"Le kit « {kit.name} » ne peut pas être prêté : " + " ; ".join(problems), "error")
    if kit.code in state["kits"]:
        return _answer(state, f"Le kit « {kit.name} » est déjà dans le panier.", "error")
    tags = [d.asset_tag for d in kit.devices]
    state["basket"] = [t for t in state["basket"] if t not in tags] + tags
    state["kits"] = state["kits"] + [kit.code]
    state["return"] = state["kit_return"] = None
    return _answer(state, f"Kit « {kit.name} » ajouté au panier ({len(tags)} appareils).")


@bp.post("/prets/comptoir/retirer")
@roles_required(*DESK_ROLES)
def desk_remove():
    state = _state()
    tag = (request.form.get("tag") or "").strip().upper()
    kit_code = (request.form.get("kit") or "").strip().upper()
    if kit_code:
        kit = kits_svc.find_kit(get_db(), kit_code)
        tags = {d.asset_tag for d in kit.devices} if kit else set()
        state["basket"] = [t for t in state["basket"] if t not in tags]
        state["kits"] = [k for k in state["kits"] if k != kit_code]
        return _answer(state, f"Kit {kit_code} retiré du panier.", "info")
    state["basket"] = [t for t in state["basket"] if t != tag]
    return _answer(state, f"{tag} retiré du panier.", "info")


@bp.post("/prets/comptoir/vider")
@roles_required(*DESK_ROLES)
def desk_clear():
    return _answer(dict(EMPTY), "Comptoir libéré : au suivant.", "info")


@bp.post("/prets/comptoir/preter")
@roles_required(*DESK_ROLES)
def desk_lend():
    db = get_db()
    state = _state()
    site = _site()
    if not state.get("borrower"):
        return _answer(state, "Scannez d'abord la carte de l'usager (ou cherchez-le par son nom).", "error")
    if not state["basket"]:
        return _answer(state, "Le panier est vide : scannez les appareils à prêter.", "error")
    borrower = db.get(Borrower, state["borrower"])
    deposits = {tag: request.form.get(f"deposit-{tag}", "") for tag in state["basket"]
                if request.form.get(f"deposit-{tag}", "").strip()}
    common = {"site": site, "due_on": request.form.get("due_on") or None, "deposits": deposits,
              "deposit_method": request.form.get("deposit_method") or None,
              "rules_accepted": request.form.get("rules_accepted") == "on"}
    kits = [k for k in (kits_svc.find_kit(db, code) for code in state["kits"]) if k is not None]
    in_kits = {d.asset_tag for k in kits for d in k.devices}
    try:
        made = []
        for kit in kits:
            tags = [d.asset_tag for d in kit.devices]
            made += loans_svc.check_out(db, current_user, borrower, tags, kit=kit,
                                        **common | {"deposits": {t: v for t, v in deposits.items() if t in tags}})
        single = [t for t in state["basket"] if t not in in_kits]
        if single:
            made += loans_svc.check_out(db, current_user, borrower, single,
                                        **common | {"deposits": {t: v for t, v in deposits.items() if t in single}})
    except RefurbError as err:
        db.rollback()
        return _answer(state, err.message, "error")
    db.commit()
    state.update(basket=[], kits=[], done=[loan.id for loan in made])
    state["return"] = None
    lines = ", ".join(f"{loan.device.asset_tag} (retour le {date_fr(loan.due_on)})" for loan in made)
    return _answer(state, f"Prêté à {borrower.full_name} : {lines}.")


@bp.post("/prets/comptoir/retour")
@roles_required(*DESK_ROLES)
def desk_return():
    db = get_db()
    state = _state()
    site = _site()
    loan_id = as_id(request.form.get("loan_id"))
    if loan_id is None:
        return _answer(state, "Prêt non reconnu : scannez à nouveau l'appareil.", "error")
    try:
        # The loan of the device just scanned here is found by its tag (the device is in hand);
        # any other loan id is looked up within the user's sites, whatever the form says.
        loan = loans_svc.get_loan(db, current_user, loan_id, found_by_tag=state.get("return") == loan_id)
        loans_svc.return_loan(db, current_user, loan, condition=request.form.get("condition"),
                              note=request.form.get("note", ""), site=site,
                              deposit_outcome=request.form.get("deposit_outcome") or None)
    except RefurbError as err:
        db.rollback()
        return _answer(state, err.message, "error")
    db.commit()
    state["return"] = None
    device = loan.device
    where = "au parc de prêt" if device.state == "loan_pool" else "en réparation"
    deposit = ""
    if loan.deposit_status == "returned":
        deposit = f" Rendez la caution ({loan.deposit_amount:.2f} €)."
    elif loan.deposit_status == "kept":
        deposit = " Caution conservée."
    return _answer(state, f"Retour enregistré : {device.asset_tag} ({loan.condition_label.lower()}) va {where}."
                          + deposit)


@bp.post("/prets/comptoir/verifier")
@roles_required(*DESK_ROLES)
def desk_check():
    """The condition of a device returned at the kiosk, checked at the desk."""
    db = get_db()
    state = _state()
    _site()
    loan_id = as_id(request.form.get("loan_id"))
    if loan_id is None:
        return _answer(state, "Retour non reconnu : scannez à nouveau l'appareil.", "error")
    try:
        loan = loans_svc.get_loan(db, current_user, loan_id)
        loans_svc.confirm_return(db, current_user, loan, condition=request.form.get("condition"),
                                 note=request.form.get("note", ""),
                                 deposit_outcome=request.form.get("deposit_outcome") or None)
    except RefurbError as err:
        db.rollback()
        return _answer(state, err.message, "error")
    db.commit()
    state["check"] = None
    device = loan.device
    where = "reste au parc de prêt" if device.state == "loan_pool" else "part en réparation"
    deposit = ""
    if loan.deposit_status == "returned":
        deposit = f" Rendez la caution ({loan.deposit_amount:.2f} €)."
    elif loan.deposit_status == "kept":
        deposit = " Caution conservée."
    return _answer(state, f"Retour vérifié : {device.asset_tag} ({loan.condition_label.lower()}) {where}." + deposit)


@bp.post("/prets/comptoir/perdu")
@roles_required(*DESK_ROLES)
def desk_lost():
    """The loan shown for a return is closed as lost or stolen instead."""
    from .lists import lost_message

    db = get_db()
    state = _state()
    _site()
    loan_id = as_id(request.form.get("loan_id"))
    if loan_id is None:
        return _answer(state, "Prêt non reconnu : scannez à nouveau l'appareil.", "error")
    try:
        loan = loans_svc.get_loan(db, current_user, loan_id)
        loans_svc.declare_lost(db, current_user, loan, reason=request.form.get("reason"),
                               note=request.form.get("note", ""),
                               deposit_outcome=request.form.get("deposit_outcome") or None)
    except RefurbError as err:
        db.rollback()
        return _answer(state, err.message, "error")
    db.commit()
    if state.get("return") == loan.id:
        state["return"] = None
    return _answer(state, lost_message(loan))


@bp.post("/prets/comptoir/retour-kit")
@roles_required(*DESK_ROLES)
def desk_return_kit():
    db = get_db()
    state = _state()
    site = _site()
    code = (request.form.get("kit") or "").strip().upper()
    try:
        # The kit just scanned here is in hand; any other kit code is looked up within the user's sites.
        kit = kits_svc.get_kit(db, current_user, code, found_by_code=bool(code) and state.get("kit_return") == code)
    except RefurbError as err:
        return _answer(state, err.message, "error")
    present = request.form.getlist("present")
    try:
        returned = loans_svc.return_kit(db, current_user, kit, present, condition=request.form.get("condition"),
                                        note=request.form.get("note", ""), site=site,
                                        partial=request.form.get("partial") == "1")
    except RefurbError as err:
        db.rollback()
        missing = []
        if err.code == "kit_incomplete":
            missing = [loan.device.asset_tag for loan in kits_svc.open_loans(db, kit)
                       if loan.device.asset_tag not in {p.strip().upper() for p in present}]
        return _answer(state, err.message, "error", kit_missing=missing)
    db.commit()
    left = kits_svc.open_loans(db, kit)
    state["kit_return"] = kit.code if left else None
    text = f"Retour du kit « {kit.name} » : {len(returned)} appareil(s) rendu(s)."
    if left:
        text += " Encore en prêt : " + ", ".join(loan.device.asset_tag for loan in left) + "."
    return _answer(state, text, "success")


def desk_borrower(db):
    """The borrower whose card is presented at this desk now (the panel open), or None."""
    borrower = db.get(Borrower, _state()["borrower"]) if _state().get("borrower") else None
    return borrower if borrower is not None and borrower.anonymised_at is None else None


def desk_for_borrower(borrower_id: int) -> None:
    """Open a borrower's panel at the desk (from their page)."""
    state = _state()
    if state.get("borrower") != borrower_id:
        state.update(borrower=borrower_id, **{"return": None, "kit_return": None, "done": []})
    _save(state)


@bp.post("/prets/comptoir/usager/<card>")
@roles_required(*DESK_ROLES)
def desk_open_borrower(card: str):
    db = get_db()
    borrower = borrowers_svc.get_borrower(db, current_user, card, need=borrowers_svc.PANEL)
    desk_for_borrower(borrower.id)
    return redirect(url_for(".desk"))
