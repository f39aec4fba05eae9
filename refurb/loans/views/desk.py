"""The desk (reception home): one scan field for cards, devices and kits; the borrower's panel
and check-out basket; returns with a condition check; today's returns, overdue loans and
reservations to prepare beside it.

The desk's state (borrower, basket, return in progress) lives in the user's session, so a
reload or a second tab shows the same desk; every action is a POST that changes it. An action
answers the desk body (htmx) or, without JavaScript, a redirect to the desk page; a refusal
answers the desk with the reason and the refusal's status.
"""

from __future__ import annotations

from flask import render_template, request, session, url_for
from flask_login import current_user

from ...accounts.roles import LOAN_DESK_ROLES
from ...errors import Forbidden, RefurbError
from ...extensions import get_db
from ...formatting import date_fr, plural
from ...inventory.services import find_by_code
from ...validation import as_id
from ...web.access import roles_required
from ...web.kit import is_htmx, see_other, submit, tone
from ...web.layout import current_site
from .. import services as loans
from ..models import DEPOSIT_METHODS, LOSS_REASONS, RETURN_CONDITIONS
from . import bp

EMPTY = {"borrower": None, "basket": [], "kits": [], "return": None, "kit_return": None, "check": None, "done": [],
         "registered": None}


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


def desk_context(db, state: dict, *, matches=None, kit_missing=None, part: str = "body", lines=None) -> dict:
    context = loans.desk_overview(db, current_user, _site(), borrower_id=state.get("borrower"),
                                  basket=state.get("basket", []), kit_codes=state.get("kits", []),
                                  return_id=state.get("return"), check_id=state.get("check"),
                                  kit_code=state.get("kit_return"), done_ids=state.get("done", []), part=part,
                                  lines=lines)
    if part == "basket":
        return context | {"deposit_methods": DEPOSIT_METHODS}
    registered = context["borrower"] is not None and state.get("registered") == context["borrower"].id
    return context | {"just_registered": registered, "matches": matches, "kit_missing": kit_missing or [],
                      "conditions": RETURN_CONDITIONS, "loss_reasons": LOSS_REASONS, "deposit_methods": DEPOSIT_METHODS}


# htmx: what an answer replaces when it is not the whole desk body (HX-Retarget)
TARGETS = {"main": "#desk-main", "basket": "#desk-basket-part"}
TEMPLATES = {"body": "loans/_desk_body.html", "main": "loans/_desk_main.html",
             "basket": "loans/_desk_basket_answer.html"}


def _retarget(part: str) -> dict:
    return {"HX-Retarget": TARGETS[part], "HX-Reswap": "outerHTML"} if part in TARGETS else {}


def _basket_part(state: dict) -> str:
    """A basket change (a device scanned in, refused or taken out) answers the basket alone while the
    working column shows nothing else that the scan ends (a loan just made, a return or a check in progress);
    its working column otherwise."""
    busy = state.get("done") or state.get("check") or state.get("return") or state.get("kit_return")
    return "main" if busy else "basket"


def _desk(state: dict, message: str, kind: str, *, part: str = "body", **extra):
    """The desk with a message: for htmx its body, or ``part`` of it (``"main"``: its working column, for an
    answer that changed nothing beside it; ``"basket"``: the basket, the message beside it out of band); the
    whole page otherwise."""
    if not is_htmx():
        return render_template("loans/desk.html", message=message, message_kind=kind,
                               **desk_context(get_db(), state, **extra))
    return render_template(TEMPLATES[part], message=message, message_kind=kind,
                           **desk_context(get_db(), state, part=part, **extra))


def _answer(state: dict, message: str = "", kind: str = "success", *, part: str = "body", **extra):
    """Done: the desk body (or ``part`` of it) for htmx, with its tone, or a redirect to the desk page."""
    _save(state)
    if is_htmx():
        return _desk(state, message, kind, part=part, **extra), 200, tone("ok") | _retarget(part)
    return see_other(url_for(".desk"), message or None, kind)


def _refuse(state: dict, message: str, status: int = 422, *, part: str = "body", **extra):
    """Refused: the desk again with the reason, the refusal's status and, for htmx, the error tone."""
    _save(state)
    if not is_htmx():
        return _desk(state, message, "error", **extra), status
    return _desk(state, message, "error", part=part, **extra), status, tone("error") | _retarget(part)


def _refused_body(state: dict, err: RefurbError, **extra):
    """The desk with a service's refusal (``submit``'s ``failed``: the kit adds the status and the tone)."""
    _save(state)
    return _desk(state, err.message, "error", **extra)


@bp.get("/prets/comptoir")
@roles_required(*LOAN_DESK_ROLES)
def desk():
    db = get_db()
    state = _state()
    # A card in the address (a link, a typed address, the scan box asked by GET) only fills the scan field:
    # presenting a card changes what the desk holds and shows, so it is the scan's POST, never a link.
    card = (request.args.get("carte") or "").strip()[:120]
    message = f"Carte {card} : validez pour l'ouvrir au comptoir." if card else ""
    searched = session.pop("desk_search", None)  # a name typed without htmx: its matches, found again
    matches = loans.search(db, current_user, searched) if searched else None
    return render_template("loans/desk.html", message=message, message_kind="info", scan_code=card,
                           **desk_context(db, state, matches=matches))


@bp.post("/prets/comptoir/scan")
@roles_required(*LOAN_DESK_ROLES)
def desk_scan():
    db = get_db()
    state = _state()
    site = _site()
    code = (request.form.get("code") or "").strip()[:120]
    if not code:
        return _answer(state, "Scannez une carte, un appareil ou un kit, ou tapez un nom.", "info")
    part = _basket_part(state)  # before the scan ends what the working column showed
    state["done"] = []
    state["check"] = None
    if loans.looks_like_card(code):
        return _scan_card(db, state, code)
    if loans.looks_like_kit(code):
        return _scan_kit(db, state, site, code)
    device = find_by_code(db, current_user, code)
    if device is not None:
        return _scan_device(db, state, site, device, part)
    found = loans.search(db, current_user, code)
    if found:
        if not is_htmx():
            session["desk_search"] = code
        return _answer(state, f"{plural(len(found), 'usager trouvé')} pour « {code} » : choisissez.", "info",
                       matches=found)
    return _refuse(state, f"Aucune carte, aucun appareil, aucun kit ni aucun usager ne correspond à « {code} ». "
                          "Vérifiez le code, ou inscrivez l'usager.", 404)


def _scan_card(db, state: dict, code: str):
    return submit(lambda: loans.get_borrower(db, current_user, code, need=loans.PANEL, presented=True),
                  done=lambda borrower: _card_presented(state, borrower),
                  failed=lambda err: _refused_body(state, err))


def _card_presented(state: dict, borrower):
    if state.get("borrower") != borrower.id:
        state["return"] = state["kit_return"] = None
    state["borrower"] = borrower.id
    if borrower.blocked:
        return _refuse(state, f"{borrower.full_name} est bloqué(e) : {borrower.block_reason}")
    note = "" if borrower.consent_at is not None else " Le règlement de prêt n'a pas encore été accepté."
    return _answer(state, f"Usager : {borrower.full_name} (carte {borrower.card_number}).{note}")


def _scan_kit(db, state: dict, site, code: str):
    kit = loans.find_kit(db, code)
    if kit is None or not kit.active:
        return _refuse(state, f"Aucun kit actif ne porte le code « {code} ».", 404)
    if loans.open_kit_loans(db, kit):
        state["kit_return"], state["return"] = kit.code, None
        return _answer(state, f"Retour du kit « {kit.name} » : cochez les appareils rendus.", "info")
    borrower = loans.presented_borrower(db, current_user, state.get("borrower"))
    reason = loans.kit_refusal(db, kit, site, borrower)
    if reason:
        return _refuse(state, reason)
    if kit.code in state["kits"]:
        return _refuse(state, f"Le kit « {kit.name} » est déjà dans le panier.")
    tags = [d.asset_tag for d in kit.devices]
    state["basket"] = [t for t in state["basket"] if t not in tags] + tags
    state["kits"] = state["kits"] + [kit.code]
    state["return"] = state["kit_return"] = None
    return _answer(state, f"Kit « {kit.name} » ajouté au panier ({plural(len(tags), 'appareil')}).")


def _scan_device(db, state: dict, site, device, part: str):
    """``part``: what a basket change answers (``_basket_part`` of the desk before the scan)."""
    loan = loans.loan_at_desk(db, device)  # open (a return), or returned at the kiosk and still to check
    if loan is not None and loan.returned_at is None:
        if loan.kit_id:  # a kit comes back whole, at the desk
            state["kit_return"], state["return"] = loan.kit.code, None
            return _answer(state, f"{device.asset_tag} fait partie du kit « {loan.kit.name} » : "
                                  "cochez les appareils du kit rendus.", "info")
        state["return"], state["kit_return"], state["check"] = loan.id, None, None
        return _answer(state, f"Retour de {device.asset_tag} ({device.title}), prêté le "
                              f"{date_fr(loan.start_on)} : vérifiez son état.", "info")
    if loan is not None and loan.to_check and loans.sees_loan(current_user, loan):
        state["check"], state["return"], state["kit_return"] = loan.id, None, None
        return _answer(state, f"{device.asset_tag} a été rendu à la borne le {date_fr(loan.returned_at)} : "
                              "vérifiez son état et confirmez-le.", "info")
    tag = device.asset_tag
    if tag in state["basket"]:
        return _refuse(state, f"{tag} est déjà dans le panier (scanné deux fois).", part=part)
    borrower = loans.presented_borrower(db, current_user, state.get("borrower"))
    lines, reason = loans.basket_with(db, current_user, site, borrower, state["basket"], state["kits"], device)
    if reason:
        return _refuse(state, reason, part=part, lines=lines)
    state["basket"] = state["basket"] + [tag]
    state["return"] = state["kit_return"] = None
    who = "" if state.get("borrower") else " Scannez maintenant la carte de l'usager."
    return _answer(state, f"{tag} ajouté au panier ({device.category_label}).{who}", part=part, lines=lines)


@bp.post("/prets/comptoir/retirer")
@roles_required(*LOAN_DESK_ROLES)
def desk_remove():
    state = _state()
    tag = (request.form.get("tag") or "").strip().upper()
    kit_code = (request.form.get("kit") or "").strip().upper()
    if kit_code:
        kit = loans.find_kit(get_db(), kit_code)
        tags = {d.asset_tag for d in kit.devices} if kit else set()
        state["basket"] = [t for t in state["basket"] if t not in tags]
        state["kits"] = [k for k in state["kits"] if k != kit_code]
        return _answer(state, f"Kit {kit_code} retiré du panier.", "info", part="basket")
    state["basket"] = [t for t in state["basket"] if t != tag]
    return _answer(state, f"{tag} retiré du panier.", "info", part="basket")  # nothing else changes


@bp.post("/prets/comptoir/vider")
@roles_required(*LOAN_DESK_ROLES)
def desk_clear():
    return _answer(dict(EMPTY), "Comptoir libéré : au suivant.", "info")


@bp.post("/prets/comptoir/preter")
@roles_required(*LOAN_DESK_ROLES)
def desk_lend():
    db = get_db()
    state = _state()
    site = _site()
    borrower = loans.presented_borrower(db, current_user, state.get("borrower"))
    if borrower is None:
        return _refuse(state, "Scannez d'abord la carte de l'usager (ou cherchez-le par son nom).")
    if not state["basket"]:
        return _refuse(state, "Le panier est vide : scannez les appareils à prêter.")
    deposits = {tag: request.form.get(f"deposit-{tag}", "") for tag in state["basket"]
                if request.form.get(f"deposit-{tag}", "").strip()}

    def lent(made):
        state.update(basket=[], kits=[], done=[loan.id for loan in made])
        state["return"] = None
        lines = ", ".join(f"{loan.device.asset_tag} (retour le {date_fr(loan.due_on)})" for loan in made)
        return _answer(state, f"Prêté à {borrower.full_name} : {lines}.")

    return submit(lambda: loans.check_out_basket(
                      db, current_user, borrower, state["basket"], state["kits"], site=site,
                      due_on=request.form.get("due_on") or None, deposits=deposits,
                      deposit_method=request.form.get("deposit_method") or None,
                      rules_accepted=request.form.get("rules_accepted") == "on"),
                  done=lent, failed=lambda err: _refused_body(state, err))


def _deposit_said(loan) -> str:
    if loan.deposit_status == "returned":
        return f" Rendez la caution ({loan.deposit_amount:.2f} €)."
    if loan.deposit_status == "kept":
        return " Caution conservée."
    return ""


@bp.post("/prets/comptoir/prolonger")
@roles_required(*LOAN_DESK_ROLES)
def desk_renew():
    """One of the presented borrower's loans renewed from their panel (the renewal rules: ``loans.renew``)."""
    db = get_db()
    state = _state()
    _site()
    loan_id = as_id(request.form.get("loan_id"))
    if loan_id is None:
        return _refuse(state, "Prêt non reconnu : scannez à nouveau la carte de l'usager.")

    def renewed(loan):
        return _answer(state, f"Prêt prolongé : {loan.device.asset_tag} est à rendre le {date_fr(loan.due_on)}.")

    return submit(lambda: loans.renew(db, current_user, loans.get_loan(db, current_user, loan_id)),
                  done=renewed, failed=lambda err: _refused_body(state, err))


@bp.post("/prets/comptoir/retour")
@roles_required(*LOAN_DESK_ROLES)
def desk_return():
    db = get_db()
    state = _state()
    site = _site()
    loan_id = as_id(request.form.get("loan_id"))
    if loan_id is None:
        return _refuse(state, "Prêt non reconnu : scannez à nouveau l'appareil.")

    def take_back():
        # The loan of the device just scanned here is found by its tag (the device is in hand);
        # any other loan id is looked up within the user's sites, whatever the form says.
        loan = loans.get_loan(db, current_user, loan_id, found_by_tag=state.get("return") == loan_id)
        return loans.return_loan(db, current_user, loan, condition=request.form.get("condition"),
                                 note=request.form.get("note", ""), site=site,
                                 deposit_outcome=request.form.get("deposit_outcome") or None)

    def returned(loan):
        state["return"] = None
        device = loan.device
        where = "au parc de prêt" if device.state == "loan_pool" else "en réparation"
        return _answer(state, f"Retour enregistré : {device.asset_tag} ({loan.condition_label.lower()}) va {where}."
                              + _deposit_said(loan))

    return submit(take_back, done=returned, failed=lambda err: _refused_body(state, err))


@bp.post("/prets/comptoir/verifier")
@roles_required(*LOAN_DESK_ROLES)
def desk_check():
    """The condition of a device returned at the kiosk, checked at the desk."""
    db = get_db()
    state = _state()
    _site()
    loan_id = as_id(request.form.get("loan_id"))
    if loan_id is None:
        return _refuse(state, "Retour non reconnu : scannez à nouveau l'appareil.")

    def check():
        loan = loans.get_loan(db, current_user, loan_id)
        return loans.confirm_return(db, current_user, loan, condition=request.form.get("condition"),
                                    note=request.form.get("note", ""),
                                    deposit_outcome=request.form.get("deposit_outcome") or None)

    def checked(loan):
        state["check"] = None
        device = loan.device
        where = "reste au parc de prêt" if device.state == "loan_pool" else "part en réparation"
        return _answer(state, f"Retour vérifié : {device.asset_tag} ({loan.condition_label.lower()}) {where}."
                              + _deposit_said(loan))

    return submit(check, done=checked, failed=lambda err: _refused_body(state, err))


@bp.post("/prets/comptoir/perdu")
@roles_required(*LOAN_DESK_ROLES)
def desk_lost():
    """The loan shown for a return is closed as lost or stolen instead."""
    from .lists import lost_message

    db = get_db()
    state = _state()
    _site()
    loan_id = as_id(request.form.get("loan_id"))
    if loan_id is None:
        return _refuse(state, "Prêt non reconnu : scannez à nouveau l'appareil.")

    def declare():
        loan = loans.get_loan(db, current_user, loan_id)
        return loans.declare_lost(db, current_user, loan, reason=request.form.get("reason"),
                                  note=request.form.get("note", ""),
                                  deposit_outcome=request.form.get("deposit_outcome") or None)

    def declared(loan):
        if state.get("return") == loan.id:
            state["return"] = None
        return _answer(state, lost_message(loan))

    return submit(declare, done=declared, failed=lambda err: _refused_body(state, err))


@bp.post("/prets/comptoir/retour-kit")
@roles_required(*LOAN_DESK_ROLES)
def desk_return_kit():
    db = get_db()
    state = _state()
    site = _site()
    code = (request.form.get("kit") or "").strip().upper()
    present = request.form.getlist("present")
    found = {}

    def take_back():
        # The kit just scanned here is in hand; any other kit code is looked up within the user's sites.
        kit = found["kit"] = loans.get_kit(db, current_user, code,
                                           found_by_code=bool(code) and state.get("kit_return") == code)
        return loans.return_kit(db, current_user, kit, present, condition=request.form.get("condition"),
                                note=request.form.get("note", ""), site=site,
                                partial=request.form.get("partial") == "1")

    def returned(made):
        kit = found["kit"]
        left = loans.open_kit_loans(db, kit)
        state["kit_return"] = kit.code if left else None
        text = f"Retour du kit « {kit.name} » : {plural(len(made), 'appareil rendu')}."
        if left:
            text += " Encore en prêt : " + ", ".join(loan.device.asset_tag for loan in left) + "."
        return _answer(state, text, "success")

    def failed(err):
        missing = []
        if err.code == "kit_incomplete":
            missing = [loan.device.asset_tag for loan in loans.missing_from_return(db, found["kit"], present)]
        return _refused_body(state, err, kit_missing=missing)

    return submit(take_back, done=returned, failed=failed)


def desk_borrower(db):
    """The borrower whose card is presented at this desk now (the panel open), or None."""
    return loans.presented_borrower(db, current_user, _state().get("borrower"))


def desk_for_borrower(borrower_id: int, *, registered: bool = False) -> None:
    """Open a borrower's panel at the desk (from their page; ``registered``: just now, their card to print)."""
    state = _state()
    if state.get("borrower") != borrower_id:
        state.update(borrower=borrower_id, **{"return": None, "kit_return": None, "done": []})
    state["registered"] = borrower_id if registered else None
    _save(state)


@bp.post("/prets/comptoir/usager/<card>")
@roles_required(*LOAN_DESK_ROLES)
def desk_open_borrower(card: str):
    db = get_db()
    borrower = loans.get_borrower(db, current_user, card, need=loans.PANEL)
    desk_for_borrower(borrower.id)
    return see_other(url_for(".desk"))
