"""The kiosk (borne): full screen, three steps (card → PIN → device), return in one scan,
idle countdown, nothing else reachable, never anyone else's data.

Plain forms and redirects (no htmx needed): each step is one page, the scan field has focus.
The resident's identity lives in the kiosk browser's session and is dropped after the idle delay
(the countdown on screen, and again on the server at the next request).
"""

from __future__ import annotations

import time

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user

from ...accounts import services as accounts
from ...accounts.roles import KIOSK
from ...errors import RefurbError, TooManyAttempts
from ...extensions import get_db
from ...formatting import date_fr
from ...inventory.services import find_by_code
from ...web.access import roles_required, sign_out
from .. import kiosk as svc
from .. import loans as loans_svc
from ..borrowers import looks_like_card
from ..models import Borrower
from ..rules import site_rules
from . import bp

RESIDENT_KEYS = ("kiosk_card", "kiosk_borrower", "kiosk_seen")


def _drop_resident() -> None:
    for key in RESIDENT_KEYS:
        session.pop(key, None)


def _say(kind: str, text: str) -> None:
    session["kiosk_msg"] = [kind, text]


def _kiosk_session(db):
    ks = svc.get_open_session(db, session.get("kiosk_session_id"), current_user, request.remote_addr or "")
    if ks is None:
        _drop_resident()
    return ks


def _resident(db, ks):
    """(borrower waiting for their PIN, borrower identified) — after the idle check."""
    idle = site_rules(db, ks.site_id).kiosk_idle_seconds
    seen = session.get("kiosk_seen")
    if seen is not None and time.time() - seen > idle:
        _drop_resident()
        _say("info", "Session terminée après inactivité : scannez à nouveau votre carte.")
    pending = db.get(Borrower, session["kiosk_card"]) if session.get("kiosk_card") else None
    borrower = db.get(Borrower, session["kiosk_borrower"]) if session.get("kiosk_borrower") else None
    if pending or borrower:
        session["kiosk_seen"] = time.time()
    return pending, borrower


@bp.get("/borne")
@roles_required(KIOSK)
def kiosk():
    db = get_db()
    ks = _kiosk_session(db)
    message = session.pop("kiosk_msg", None)
    if ks is None:
        return render_template("loans/kiosk_closed.html", message=message, error=None)
    pending, borrower = _resident(db, ks)
    message = session.pop("kiosk_msg", None) or message
    step = "device" if borrower else "pin" if pending else "card"
    loans = loans_svc.borrower_loans(db, borrower, open_only=True) if borrower else []
    return render_template("loans/kiosk.html", ks=ks, step=step, borrower=borrower, loans=loans, message=message,
                           idle=site_rules(db, ks.site_id).kiosk_idle_seconds)


@bp.post("/borne/ouvrir")
@roles_required(KIOSK)
def kiosk_open():
    """On a kiosk computer logged in with the kiosk account: a staff member opens it."""
    db = get_db()
    try:
        staff = accounts.authenticate(db, request.form.get("username", ""), request.form.get("password", ""),
                                      request.remote_addr or "")
        ks = svc.open_session(db, staff, current_user._get_current_object(), request.remote_addr or "")
    except RefurbError as err:
        db.commit()  # keep the failed login attempt: it feeds the throttling
        return render_template("loans/kiosk_closed.html", message=None, error=err.message), \
            429 if isinstance(err, TooManyAttempts) else 422
    db.commit()
    _drop_resident()
    session["kiosk_session_id"] = ks.id
    return redirect(url_for(".kiosk"))


@bp.post("/borne/fermer")
@roles_required(KIOSK)
def kiosk_close():
    """A staff member closes the kiosk (their own login and password): the computer is logged out."""
    db = get_db()
    ks = _kiosk_session(db)
    try:
        staff = accounts.authenticate(db, request.form.get("username", ""), request.form.get("password", ""),
                                      request.remote_addr or "")
        if ks is not None:
            svc.close_session(db, staff, ks)
    except RefurbError as err:
        db.commit()
        _say("error", err.message)
        return redirect(url_for(".kiosk"))
    db.commit()
    sign_out()
    return redirect(url_for("accounts.login"))


def _return_device(db, ks, borrower, device) -> None:
    try:
        svc.return_at_kiosk(db, ks, current_user, borrower, device)
    except RefurbError as err:
        db.rollback()
        _say("error", err.message)
        return
    db.commit()
    _say("success", f"Merci ! {device.asset_tag} ({device.category_label}) est rendu. Posez-le à l'endroit "
                    "indiqué : l'équipe vérifiera son état.")


@bp.post("/borne/carte")
@roles_required(KIOSK)
def kiosk_card():
    """Step 1: the card (then the PIN). A device is returned only after both, by the resident it is lent to."""
    db = get_db()
    ks = _kiosk_session(db)
    if ks is None:
        return redirect(url_for(".kiosk"))
    _drop_resident()
    code = (request.form.get("code") or "").strip()[:120]
    if code and not looks_like_card(code) and find_by_code(db, None, code) is not None:
        _say("error", "Pour rendre un appareil, scannez d'abord votre carte, puis tapez votre code PIN.")
        return redirect(url_for(".kiosk"))
    try:
        borrower = svc.identify(db, ks, code)
    except RefurbError as err:
        _say("error", err.message)
        return redirect(url_for(".kiosk"))
    session["kiosk_card"] = borrower.id
    session["kiosk_seen"] = time.time()
    return redirect(url_for(".kiosk"))


@bp.post("/borne/pin")
@roles_required(KIOSK)
def kiosk_pin():
    """Step 2: the 4-digit PIN (never the card alone)."""
    db = get_db()
    ks = _kiosk_session(db)
    if ks is None:
        return redirect(url_for(".kiosk"))
    pending, _borrower = _resident(db, ks)
    if pending is None:
        return redirect(url_for(".kiosk"))
    try:
        svc.check_pin(db, ks, pending, request.form.get("pin", ""))
    except RefurbError as err:
        db.commit()  # the failure counts, even though the answer is an error
        if isinstance(err, TooManyAttempts):
            _drop_resident()
        _say("error", err.message)
        return redirect(url_for(".kiosk"))
    db.commit()
    session.pop("kiosk_card", None)
    session["kiosk_borrower"] = pending.id
    session["kiosk_seen"] = time.time()
    _say("info", f"Bonjour {pending.first_name} ! Scannez l'appareil à emprunter ou à rendre.")
    return redirect(url_for(".kiosk"))


@bp.post("/borne/appareil")
@roles_required(KIOSK)
def kiosk_device():
    """Step 3: the device to borrow (or to return)."""
    db = get_db()
    ks = _kiosk_session(db)
    if ks is None:
        return redirect(url_for(".kiosk"))
    _pending, borrower = _resident(db, ks)
    if borrower is None:
        return redirect(url_for(".kiosk"))
    code = (request.form.get("code") or "").strip()[:120]
    device = find_by_code(db, None, code) if code else None
    if device is None:
        _say("error", f"Appareil non reconnu : « {code[:40]} ». Scannez l'étiquette de l'appareil.")
        return redirect(url_for(".kiosk"))
    if loans_svc.open_loan_for(db, device) is not None:
        _return_device(db, ks, borrower, device)
        return redirect(url_for(".kiosk"))
    try:
        made = loans_svc.check_out(db, current_user, borrower, [device.asset_tag], site=ks.site)
    except RefurbError as err:
        db.rollback()
        text = err.message
        if err.code == "rules_not_accepted":
            text = "Avant votre premier emprunt, acceptez le règlement de prêt à l'accueil."
        elif err.status == 403:
            text = f"{device.asset_tag} ne se prête pas à cette borne : adressez-vous à l'accueil."
        _say("error", text)
        return redirect(url_for(".kiosk"))
    db.commit()
    loan = made[0]
    _say("success", f"C'est noté : {device.asset_tag} ({device.category_label}) est prêté jusqu'au "
                    f"{date_fr(loan.due_on)}. Rendez-le à « {ks.site.name} » ou à la borne.")
    return redirect(url_for(".kiosk"))


@bp.post("/borne/fin")
@roles_required(KIOSK)
def kiosk_end():
    """The resident leaves (button or idle countdown): nothing of theirs stays on screen."""
    _drop_resident()
    session.pop("kiosk_msg", None)
    return redirect(url_for(".kiosk"))
