"""The kiosk (borne): full screen, three steps (card → PIN → device), return in one scan,
idle countdown, nothing else reachable, never anyone else's data.

Plain forms (no htmx needed): each step is one page, the scan field has focus. A step done
redirects to the kiosk page (its message kept for it); a step refused shows the kiosk page again
with the reason. The resident's identity lives in the kiosk browser's session and is dropped after
the idle delay (the countdown on screen, and again on the server at the next request).
"""

from __future__ import annotations

import time

from flask import render_template, request, session, url_for
from flask_login import current_user

from ...accounts.roles import KIOSK
from ...errors import TooManyAttempts
from ...extensions import get_db
from ...formatting import date_fr
from ...inventory.services import find_by_code
from ...web.access import roles_required, sign_out
from ...web.kit import see_other, submit
from .. import services as loans
from . import bp

RESIDENT_KEYS = ("kiosk_card", "kiosk_borrower", "kiosk_seen")


def _drop_resident() -> None:
    for key in RESIDENT_KEYS:
        session.pop(key, None)


def _say(kind: str, text: str) -> None:
    session["kiosk_msg"] = [kind, text]


def _kiosk_session(db):
    ks = loans.get_open_session(db, session.get("kiosk_session_id"), current_user, request.remote_addr or "")
    if ks is None:
        _drop_resident()
    return ks


def _resident(db, ks):
    """(borrower waiting for their PIN, borrower identified) — after the idle check."""
    idle = loans.site_rules(db, ks.site_id).kiosk_idle_seconds
    seen = session.get("kiosk_seen")
    if seen is not None and time.time() - seen > idle:
        _drop_resident()
        _say("info", "Session terminée après inactivité : scannez à nouveau votre carte.")
    pending = loans.identified_borrower(db, session.get("kiosk_card"))
    borrower = loans.identified_borrower(db, session.get("kiosk_borrower"))
    if pending or borrower:
        session["kiosk_seen"] = time.time()
    return pending, borrower


def _page(db, ks, message=None):
    """The kiosk at its current step (or "borne fermée"), with ``message`` ([kind, text]) or the one kept."""
    if ks is None:
        return render_template("loans/kiosk_closed.html", message=message or session.pop("kiosk_msg", None),
                               error=None)
    kept = session.pop("kiosk_msg", None)
    pending, borrower = _resident(db, ks)
    message = message or session.pop("kiosk_msg", None) or kept
    step = "device" if borrower else "pin" if pending else "card"
    open_loans = loans.borrower_loans(db, borrower, open_only=True) if borrower else []
    return render_template("loans/kiosk.html", ks=ks, step=step, borrower=borrower, loans=open_loans,
                           message=message, rules=loans.site_rules(db, ks.site_id))


def _refused(db, ks, text: str):
    """A step refused: the kiosk page again, with the reason."""
    return _page(db, ks, ["error", text])


def _to_kiosk():
    return see_other(url_for(".kiosk"))


@bp.get("/borne")
@roles_required(KIOSK)
def kiosk():
    db = get_db()
    return _page(db, _kiosk_session(db))


@bp.post("/borne/ouvrir")
@roles_required(KIOSK)
def kiosk_open():
    """On a kiosk computer logged in with the kiosk account: a staff member opens it."""
    db = get_db()

    def opened(ks):
        _drop_resident()
        session["kiosk_session_id"] = ks.id
        return _to_kiosk()

    return submit(lambda: loans.open_by_staff(db, current_user._get_current_object(),
                                              request.form.get("username", ""), request.form.get("password", ""),
                                              request.remote_addr or ""),
                  done=opened,
                  failed=lambda err: render_template("loans/kiosk_closed.html", message=None, error=err.message))


@bp.post("/borne/fermer")
@roles_required(KIOSK)
def kiosk_close():
    """A staff member closes the kiosk (their own login and password): the computer is logged out."""
    db = get_db()
    ks = _kiosk_session(db)

    def closed(_):
        sign_out()
        return see_other(url_for("accounts.login"))

    return submit(lambda: loans.close_by_staff(db, ks, request.form.get("username", ""),
                                               request.form.get("password", ""), request.remote_addr or ""),
                  done=closed, failed=lambda err: _refused(db, ks, err.message))


@bp.post("/borne/carte")
@roles_required(KIOSK)
def kiosk_card():
    """Step 1: the card (then the PIN). A device is returned only after both, by the resident it is lent to."""
    db = get_db()
    ks = _kiosk_session(db)
    if ks is None:
        return _to_kiosk()
    _drop_resident()
    code = (request.form.get("code") or "").strip()[:120]
    if code and not loans.looks_like_card(code) and find_by_code(db, None, code) is not None:
        return _refused(db, ks, "Pour rendre un appareil, scannez d'abord votre carte, puis tapez votre code PIN."), 422

    def identified(borrower):
        session["kiosk_card"] = borrower.id
        session["kiosk_seen"] = time.time()
        return _to_kiosk()

    return submit(lambda: loans.identify(db, ks, code), done=identified,
                  failed=lambda err: _refused(db, ks, err.message))


@bp.post("/borne/pin")
@roles_required(KIOSK)
def kiosk_pin():
    """Step 2: the 4-digit PIN (never the card alone)."""
    db = get_db()
    ks = _kiosk_session(db)
    if ks is None:
        return _to_kiosk()
    pending, _borrower = _resident(db, ks)
    if pending is None:
        return _to_kiosk()

    def welcome(_):
        session.pop("kiosk_card", None)
        session["kiosk_borrower"] = pending.id
        session["kiosk_seen"] = time.time()
        _say("info", f"Bonjour {pending.first_name} ! Scannez l'appareil à emprunter ou à rendre.")
        return _to_kiosk()

    def wrong(err):
        if isinstance(err, TooManyAttempts):
            _drop_resident()
        return _refused(db, ks, err.message)

    return submit(lambda: loans.check_pin(db, ks, pending, request.form.get("pin", "")), done=welcome, failed=wrong)


@bp.post("/borne/appareil")
@roles_required(KIOSK)
def kiosk_device():
    """Step 3: the device to borrow (or to return)."""
    db = get_db()
    ks = _kiosk_session(db)
    if ks is None:
        return _to_kiosk()
    _pending, borrower = _resident(db, ks)
    if borrower is None:
        return _to_kiosk()
    code = (request.form.get("code") or "").strip()[:120]
    device = find_by_code(db, None, code) if code else None
    if device is None:
        return _refused(db, ks, f"Appareil non reconnu : « {code[:40]} ». Scannez l'étiquette de l'appareil."), 404

    def done(outcome):
        what, loan = outcome
        if what == loans.RETURNED:
            place = loans.site_rules(db, ks.site_id).return_place
            _say("success", f"Merci ! {device.asset_tag} ({device.category_label}) est rendu. Posez-le {place} : "
                            "l'équipe vérifiera son état.")
        else:
            _say("success", f"C'est noté : {device.asset_tag} ({device.category_label}) est prêté jusqu'au "
                            f"{date_fr(loan.due_on)}. Rendez-le à « {ks.site.name} » ou à la borne.")
        return _to_kiosk()

    def failed(err):
        text = err.message
        if err.code == "rules_not_accepted":
            text = "Avant votre premier emprunt, acceptez le règlement de prêt à l'accueil."
        elif err.status == 403:
            text = f"{device.asset_tag} ne se prête pas à cette borne : adressez-vous à l'accueil."
        return _refused(db, ks, text)

    return submit(lambda: loans.borrow_or_return(db, ks, current_user._get_current_object(), borrower, device),
                  done=done, failed=failed)


@bp.post("/borne/fin")
@roles_required(KIOSK)
def kiosk_end():
    """The resident leaves (button or idle countdown): nothing of theirs stays on screen."""
    _drop_resident()
    session.pop("kiosk_msg", None)
    return _to_kiosk()
