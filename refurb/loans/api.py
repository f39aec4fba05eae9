"""Loans routes of /api/v1: borrowers, loans (check-out, return, renewal, list), reservations."""

from __future__ import annotations

from flask import jsonify, request

from ..api import api_user, bp, json_body
from ..api.openapi import SCHEMAS, operation, query
from ..clock import today
from ..errors import Invalid
from ..extensions import get_db
from ..sites.services import get_site
from . import services as loans
from .models import (
    BORROWER_KINDS,
    DEPOSIT_METHODS,
    LOSS_REASONS,
    RETURN_CONDITIONS,
    Loan,
)


def borrower_json(b, *, record: bool = True) -> dict:
    """A borrower; without ``record`` (the desk panel: see ``borrowers.borrower_access``) no contact,
    no referring partner."""
    return {
        "card_number": b.card_number, "kind": b.kind, "first_name": b.first_name, "last_name": b.last_name,
        "organisation": b.organisation, "phone": b.phone if record else None, "email": b.email if record else None,
        "home_site": b.home_site.code, "referring_partner": b.referring_partner if record else "",
        "has_pin": b.has_pin, "consent_at": b.consent_at.isoformat() if b.consent_at else None,
        "blocked": b.blocked, "block_reason": b.block_reason, "created_at": b.created_at.isoformat(),
    }


def loan_json(loan: Loan, day=None) -> dict:
    day = day or today()
    return {
        "id": loan.id, "asset_tag": loan.device.asset_tag, "category": loan.category,
        "borrower_card": loan.borrower.card_number if loans.shows_borrower(api_user(), loan) else None,
        "site": loan.site.code,
        "start_on": loan.start_on.isoformat(), "due_on": loan.due_on.isoformat(),
        "returned_at": loan.returned_at.isoformat() if loan.returned_at else None,
        "state": loan.state(day), "days_late": loan.days_late(day), "renewals": loan.renewals,
        "kit": loan.kit.code if loan.kit_id else None, "channel": loan.channel,
        "deposit": ({"amount": f"{loan.deposit_amount:.2f}", "method": loan.deposit_method,
                     "status": loan.deposit_status} if loan.deposit_amount is not None else None),
        "return_condition": loan.return_condition, "loss_reason": loan.loss_reason,
        "return_note": loan.return_note or "",
        "return_site": loan.return_site.code if loan.return_site_id else None,
    }


def reservation_json(r, day=None) -> dict:
    day = day or today()
    return {
        "id": r.id, "borrower_card": r.borrower.card_number, "site": r.site.code,
        "asset_tag": r.device.asset_tag if r.device_id else None, "category": r.category or r.device.category,
        "start_on": r.start_on.isoformat(), "end_on": r.end_on.isoformat(),
        "release_on": r.release_on.isoformat(), "status": r.effective_status(day), "note": r.note,
    }


@bp.post("/borrowers")
def create_borrower():
    borrower = loans.create_borrower(get_db(), api_user(), json_body())
    return jsonify(borrower_json(borrower)), 201


@bp.get("/borrowers/<card_number>")
def get_borrower(card_number: str):
    db = get_db()
    user = api_user()
    borrower = loans.get_borrower(db, user, card_number, need=loans.PANEL)
    data = borrower_json(borrower, record=loans.sees_record(user, borrower))
    data["open_loans"] = [loan_json(loan) for loan in loans.borrower_loans(db, borrower, open_only=True)]
    return jsonify(data)


@bp.post("/loans")
def create_loan():
    data = json_body()
    return jsonify(loan_json(loans.check_out_presented(get_db(), api_user(), data))), 201


def _page_args():
    def _int(name, default, lo, hi):
        raw = request.args.get(name, default)
        try:
            return max(lo, min(hi, int(raw)))
        except (TypeError, ValueError):
            raise Invalid(fields={name: f"{name} : nombre entier attendu."}) from None
    return _int("page", 1, 1, 100000), _int("per_page", 50, 1, 200)


@bp.get("/loans")
def list_loans():
    page, per_page = _page_args()
    items, total = loans.list_loans(get_db(), api_user(), state=request.args.get("state") or None,
                                    site_code=request.args.get("site") or None, page=page, per_page=per_page)
    day = today()
    return jsonify(items=[loan_json(loan, day) for loan in items], total=total, page=page, per_page=per_page)


@bp.get("/loans/<int:loan_id>")
def get_loan(loan_id: int):
    return jsonify(loan_json(loans.get_loan(get_db(), api_user(), loan_id)))


@bp.post("/loans/<int:loan_id>/return")
def return_loan(loan_id: int):
    """``site`` in the body names where a loan the user can see comes back (see ``may_return_here``);
    it never widens which loans the user can see."""
    db = get_db()
    user = api_user()
    data = json_body()
    loan = loans.get_loan(db, user, loan_id)
    site = None
    if data.get("site") not in (None, ""):
        if not isinstance(data["site"], str):
            raise Invalid(fields={"site": "Code de site attendu (ex. EPN-CHINON)."})
        site = get_site(db, data["site"], active_only=True)
    loans.return_loan(db, user, loan, condition=data.get("condition"), note=data.get("note") or "",
                      site=site, deposit_outcome=data.get("deposit_outcome"))
    return jsonify(loan_json(loan))


@bp.post("/loans/<int:loan_id>/lost")
def declare_loan_lost(loan_id: int):
    db = get_db()
    user = api_user()
    data = json_body()
    loan = loans.get_loan(db, user, loan_id)
    loans.declare_lost(db, user, loan, reason=data.get("reason"), note=data.get("note"),
                       deposit_outcome=data.get("deposit_outcome"))
    return jsonify(loan_json(loan))


@bp.post("/loans/<int:loan_id>/renew")
def renew_loan(loan_id: int):
    db = get_db()
    loan = loans.get_loan(db, api_user(), loan_id)
    loans.renew(db, api_user(), loan)
    return jsonify(loan_json(loan))


@bp.post("/reservations")
def create_reservation():
    booking = loans.create_reservation(get_db(), api_user(), json_body())
    return jsonify(reservation_json(booking)), 201


# --- OpenAPI ----------------------------------------------------------------------------------

_S = {"type": "string"}
_SN = {"type": "string", "nullable": True}
SCHEMAS["Borrower"] = {"type": "object", "properties": {
    "card_number": _S, "kind": {"type": "string", "enum": list(BORROWER_KINDS)}, "first_name": _S, "last_name": _S,
    "organisation": _S, "phone": _SN, "email": _SN, "home_site": _S, "referring_partner": _S,
    "has_pin": {"type": "boolean"}, "consent_at": _SN, "blocked": {"type": "boolean"}, "block_reason": _S,
    "created_at": _S}}
SCHEMAS["BorrowerInput"] = {"type": "object", "required": ["first_name", "last_name", "home_site"], "properties": {
    "first_name": _S, "last_name": _S, "phone": {"type": "string", "description": "téléphone ou courriel requis"},
    "email": _S, "home_site": {"type": "string", "description": "code du site de rattachement"},
    "kind": {"type": "string", "enum": list(BORROWER_KINDS), "default": "resident"},
    "organisation": _S, "referring_partner": _S,
    "pin": {"type": "string", "pattern": "^[0-9]{4}$", "description": "code PIN de la borne (stocké haché)"},
    "consent": {"type": "boolean", "description": "accord sur le règlement de prêt (daté)"}}}
SCHEMAS["Loan"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "asset_tag": _S, "category": _S, "borrower_card": _SN, "site": _S,
    "start_on": {"type": "string", "format": "date"}, "due_on": {"type": "string", "format": "date"},
    "returned_at": {"type": "string", "format": "date-time", "nullable": True},
    "state": {"type": "string", "enum": ["open", "overdue", "closed"]}, "days_late": {"type": "integer"},
    "renewals": {"type": "integer"}, "kit": _SN, "channel": _S,
    "deposit": {"type": "object", "nullable": True, "properties": {"amount": _S, "method": _S, "status": _S}},
    "return_condition": {"type": "string", "nullable": True,
                         "description": "complete, damaged, incomplete, lost (prêt clos : perdu ou volé), ou "
                                        "to_check (rendu à la borne, état à vérifier au comptoir)"},
    "loss_reason": {"type": "string", "nullable": True,
                    "description": "lost ou stolen, si le prêt a été clos comme perdu ou volé"},
    "return_note": _S, "return_site": _SN}}
SCHEMAS["Reservation"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "borrower_card": _SN, "site": _S, "asset_tag": _SN, "category": _S,
    "start_on": {"type": "string", "format": "date"}, "end_on": {"type": "string", "format": "date"},
    "release_on": {"type": "string", "format": "date"},
    "status": {"type": "string", "enum": ["active", "fulfilled", "cancelled", "no_show"]}, "note": _S}}

_ref = {"$ref": "#/components/schemas/Loan"}
operation("/borrowers", "post", "Inscrire un usager (renvoie son numéro de carte)",
          body={"$ref": "#/components/schemas/BorrowerInput"}, response={"$ref": "#/components/schemas/Borrower"},
          status="201", errors=("401", "403", "404", "409", "422"),
          description="409 si un usager du même nom avec le même contact existe déjà.")
operation("/borrowers/{card_number}", "get", "Un usager par son numéro de carte, avec ses prêts en cours",
          response={"$ref": "#/components/schemas/Borrower"}, errors=("401", "403", "404"),
          description="Pour les sites de rattachement et les gestionnaires ; un autre site où l'usager a un prêt "
                      "en cours le voit sans ses coordonnées (phone, email null). 403 sinon : un numéro de carte "
                      "tapé n'ouvre rien de plus.")
operation("/loans", "post", "Prêter un appareil", status="201", response=_ref, body={
    "type": "object", "required": ["asset_tag", "borrower_card"], "properties": {
        "asset_tag": _S, "borrower_card": _S,
        "due_on": {"type": "string", "format": "date", "description": "sinon selon les règles du site"},
        "deposit": {"oneOf": [{"type": "number"}, {"type": "string"}, {"type": "object", "properties": {
            "amount": {"oneOf": [{"type": "number"}, {"type": "string"}]},
            "method": {"type": "string", "enum": list(DEPOSIT_METHODS)}}}]},
        "rules_accepted": {"type": "boolean", "default": True,
                           "description": "l'usager a accepté le règlement de prêt"}}},
    errors=("401", "403", "404", "409", "422"),
    description="409 quand l'appareil ne peut pas être prêté (déjà en prêt, hors du parc de prêt, réservé, "
                "usager bloqué ou à sa limite) ; 403 quand il est à un site que l'utilisateur ne sert pas.")
operation("/loans", "get", "Les prêts des sites de l'utilisateur", response={"type": "object", "properties": {
    "items": {"type": "array", "items": _ref}, "total": {"type": "integer"}, "page": {"type": "integer"},
    "per_page": {"type": "integer"}}},
    parameters=[query("state", "open, overdue, closed, ou to_check (rendus à la borne, à vérifier)",
                      {"type": "string", "enum": ["open", "overdue", "closed", "to_check"]}),
                query("site", "code du site de prêt"), query("page", "page (1…)", {"type": "integer"}),
                query("per_page", "éléments par page (≤ 200)", {"type": "integer"})],
    errors=("401", "403", "422"))
operation("/loans/{loan_id}", "get", "Un prêt", response=_ref, errors=("401", "403", "404"),
          parameters=[{"name": "loan_id", "in": "path", "required": True, "schema": {"type": "integer"}}])
operation("/loans/{loan_id}/return", "post", "Enregistrer le retour d'un prêt", response=_ref, body={
    "type": "object", "required": ["condition"], "properties": {
        "condition": {"type": "string", "enum": list(RETURN_CONDITIONS)},
        "note": {"type": "string", "description": "obligatoire si endommagé ou incomplet"},
        "site": {"type": "string", "description": "site où l'appareil est rendu (sinon son site)"},
        "deposit_outcome": {"type": "string", "enum": ["returned", "kept"]}}},
    errors=("401", "403", "404", "409", "422"),
    description="403 pour un prêt d'un site que l'utilisateur ne sert pas, quel que soit le corps ; « site » nomme "
                "seulement où ce prêt revient (un site de l'utilisateur, qui accepte les retours des autres sites).",
    parameters=[{"name": "loan_id", "in": "path", "required": True, "schema": {"type": "integer"}}])
operation("/loans/{loan_id}/lost", "post", "Clore un prêt : appareil perdu ou volé", response=_ref, body={
    "type": "object", "required": ["reason"], "properties": {
        "reason": {"type": "string", "enum": list(LOSS_REASONS)},
        "note": _S,
        "deposit_outcome": {"type": "string", "enum": ["kept", "returned"],
                            "description": "caution encaissée : conservée par défaut"}}},
    errors=("401", "403", "404", "409", "422"),
    description="L'appareil passe à l'état « Perdu ou volé » et le prêt est clos (return_condition « lost »). "
                "409 si le prêt est déjà clos.",
    parameters=[{"name": "loan_id", "in": "path", "required": True, "schema": {"type": "integer"}}])
operation("/loans/{loan_id}/renew", "post", "Prolonger un prêt (nouvelle date de retour)", response=_ref,
          errors=("401", "403", "404", "409"),
          parameters=[{"name": "loan_id", "in": "path", "required": True, "schema": {"type": "integer"}}])
operation("/reservations", "post", "Réserver un appareil, ou un appareil d'une catégorie à un site",
          status="201", response={"$ref": "#/components/schemas/Reservation"}, body={
              "type": "object", "required": ["borrower_card", "start_on", "end_on"], "properties": {
                  "asset_tag": _S, "category": _S, "site": _S, "borrower_card": _S,
                  "start_on": {"type": "string", "format": "date"}, "end_on": {"type": "string", "format": "date"},
                  "note": _S}},
          errors=("401", "403", "404", "409", "422"),
          description="Pour un usager que l'utilisateur sert déjà (rattaché à l'un de ses sites, ou avec un prêt en "
                      "cours à l'un de ses sites) ; 403 sinon : une réservation ne donne accès à aucun usager.")
