"""API of the refurbishment channel (same services as the pages), and the device's state changes
(POST /devices/<tag>/transition: most moves are the workshop's; the others go to the inventory's door,
which makes its own and says where the rest are done)."""

from __future__ import annotations

import base64
import binascii

from flask import jsonify

from ..accounts.roles import STAFF_ROLES
from ..api import api_user, bp, json_body
from ..api.openapi import SCHEMAS, operation
from ..api.serializers import device_json
from ..errors import Forbidden, Invalid
from ..extensions import get_db
from ..inventory import services as inventory
from ..inventory import workflow
from . import catalog
from . import services as refurb
from .views import report_store


def _brief(device) -> dict:
    return device_json(device, brief=True)


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _moment(value) -> str | None:
    return value.isoformat() if value is not None else None


def donation_json(donation, devices=None) -> dict:
    donor = donation.donor
    return {"id": donation.id, "reference": donation.reference,
            "donor": {"id": donor.id, "name": donor.name, "kind": donor.kind, "siret": donor.siret},
            "site": donation.site.code, "received_on": donation.received_on.isoformat(),
            "erasure_certificate_required": donation.erasure_certificate_required,
            "convention_reference": donation.convention_reference, "conditions": donation.conditions,
            "price_capped": donor.kind == "public_body",
            "devices": [_brief(d) for d in (devices if devices is not None else donation.devices)]}


def erasure_json(erasure) -> dict:
    return {"id": erasure.id, "method": erasure.method, "nist_category": erasure.nist_category,
            "tool": erasure.tool, "tool_version": erasure.tool_version, "passes": erasure.passes,
            "verified": erasure.verified, "result": erasure.result, "started_at": _moment(erasure.started_at),
            "ended_at": _moment(erasure.ended_at), "operator": erasure.operator_name,
            "operator_title": erasure.operator_title, "verification_method": erasure.verification_method,
            "destination": erasure.destination, "erased": erasure.passed,
            "media": [{"serial": m.serial, "manufacturer": m.manufacturer, "model": m.model, "size_gb": m.size_gb,
                       "kind": m.kind}
                      for m in erasure.media],
            "report": ({"filename": erasure.report_filename, "sha256": erasure.report_sha256,
                        "size": erasure.report_size, "kind": erasure.report_kind}
                       if erasure.report_sha256 else None)}


def status_json(db, device) -> dict:
    st = refurb.status(db, device)
    d = st.diagnosis
    return {
        "asset_tag": device.asset_tag, "state": device.state, "version": device.version,
        "step": st.step, "step_label": st.step_label,
        "refurbished": st.refurbished, "refurbished_gaps": st.refurbished_gaps(),
        "price_capped": bool(st.origin and st.origin.price_capped),
        "donation_id": st.origin.donation_id if st.origin else None,
        "diagnosis": ({"id": d.id, "at": _moment(d.at), "verdict": d.verdict, "checks": d.checks,
                       "battery_health": d.battery_health, "unresolved": st.unresolved} if d else None),
        "erasure": {"state": st.erasure.state, "ok": st.erasure.ok,
                    "failed_media": st.erasure.failed_serials, "erased_media": st.erasure.passed_serials,
                    "unverified_media": st.erasure.unverified_serials,
                    "media_destroyed": bool(st.erasure.destructions)},
        "grade": device.grade,
    }


def _device(tag: str):
    return inventory.get_device(get_db(), api_user(), tag)


def _report(data: dict):
    raw = data.get("report")
    if raw in (None, ""):
        return None
    if not isinstance(raw, dict):
        raise Invalid(fields={"report": "Le rapport : objet {\"filename\", \"content_base64\"} attendu."})
    try:
        content = base64.b64decode(str(raw.get("content_base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(fields={"report": "Le rapport : contenu base64 illisible."}) from None
    return refurb.ReportFile(filename=str(raw.get("filename") or "")[:200], content=content)


def _expected(data: dict):
    """The device version the client read (``expected_version``; ``version`` accepted too)."""
    return data.get("expected_version", data.get("version"))


def _created(payload: dict):
    return jsonify(payload), 201


# --- routes ---------------------------------------------------------------------------------

@bp.post("/donations")
def create_donation():
    donation, devices = refurb.create_donation(get_db(), api_user(), json_body())
    return _created(donation_json(donation, devices))


@bp.get("/donations/<int:donation_id>")
def get_donation(donation_id: int):
    return jsonify(donation_json(refurb.get_donation(get_db(), api_user(), donation_id)))


@bp.get("/devices/<asset_tag>/refurbishment")
def device_status(asset_tag: str):
    device = _device(asset_tag)
    return jsonify(status_json(get_db(), device))


@bp.post("/devices/<asset_tag>/diagnosis")
def create_diagnosis(asset_tag: str):
    db, device, data = get_db(), _device(asset_tag), json_body()
    diagnosis = refurb.record_diagnosis(db, api_user(), device, data, expected_version=_expected(data))
    return _created({"id": diagnosis.id, "verdict": diagnosis.verdict, "checks": diagnosis.checks,
                     "failed": diagnosis.failed, "battery_health": diagnosis.battery_health,
                     "device": _brief(device)})


@bp.post("/devices/<asset_tag>/erasures")
def create_erasure(asset_tag: str):
    db, device, data = get_db(), _device(asset_tag), json_body()
    report = _report(data)
    erasure = refurb.record_erasure(db, api_user(), device, data, report=report, store=report_store(),
                                    expected_version=_expected(data))
    st = refurb.erasure_status(db, device)
    return _created(erasure_json(erasure) | {"erasure_complete": st.ok, "device": _brief(device)})


def destruction_json(record) -> dict:
    return {"id": record.id, "destroyed_by": record.destroyed_by, "method": record.method,
            "recycler": record.recycler_name, "certificate_number": record.certificate_number,
            "destroyed_on": record.destroyed_on.isoformat(), "batch_id": record.batch_id,
            "operator": record.operator_name, "notes": record.notes}


@bp.post("/devices/<asset_tag>/media-destructions")
def create_media_destruction(asset_tag: str):
    db, device, data = get_db(), _device(asset_tag), json_body()
    record = refurb.record_media_destruction(db, api_user(), device, data, expected_version=_expected(data))
    return _created(destruction_json(record) | {"device": _brief(device)})


@bp.get("/devices/<asset_tag>/erasures")
def list_erasures(asset_tag: str):
    device = _device(asset_tag)
    return jsonify(items=[erasure_json(e) for e in refurb.erasures_of(get_db(), device)])


@bp.post("/devices/<asset_tag>/repairs")
def create_repair(asset_tag: str):
    db, device, data = get_db(), _device(asset_tag), json_body()
    repair = refurb.record_repair(db, api_user(), device, data, expected_version=_expected(data))
    return _created({"id": repair.id, "problem": repair.problem, "action": repair.action,
                     "checks_fixed": repair.checks_fixed, "minutes": repair.minutes,
                     "parts": [{"description": p.description, "source": p.source,
                                "from_tag": p.from_device.asset_tag if p.from_device else None,
                                "cost": _money(p.cost)} for p in repair.parts],
                     "device": _brief(device)})


@bp.post("/devices/<asset_tag>/grading")
def create_grading(asset_tag: str):
    db, device, data = get_db(), _device(asset_tag), json_body()
    grading = refurb.record_grading(db, api_user(), device, data, expected_version=_expected(data))
    return _created({"id": grading.id, "grade": grading.grade, "functional": grading.functional,
                     "battery_health": grading.battery_health, "device": _brief(device)})


def sale_json(sale) -> dict:
    return {"id": sale.id, "reference": sale.reference, "asset_tag": sale.device.asset_tag,
            "price": _money(sale.price), "suggested_price": _money(sale.suggested_price),
            "price_capped": sale.price_capped, "price_cap": _money(sale.price_cap),
            "buyer": {"name": sale.buyer_name, "contact": sale.buyer_contact},
            "eligible": sale.eligible, "eligibility_reason": sale.eligibility_reason_code,
            "payment_method": sale.payment_method, "delivered_on": sale.delivered_on.isoformat(),
            "warranty_months": sale.warranty_months, "warranty_until": sale.warranty_until.isoformat(),
            "sold_as_refurbished": sale.sold_as_refurbished, "grade": sale.grade}


@bp.post("/devices/<asset_tag>/sale")
def create_sale(asset_tag: str):
    db, device, data = get_db(), _device(asset_tag), json_body()
    sale = refurb.sell(db, api_user(), device, data, expected_version=_expected(data))
    return _created(sale_json(sale))


@bp.post("/devices/<asset_tag>/gift")
def create_gift(asset_tag: str):
    db, device, data = get_db(), _device(asset_tag), json_body()
    gift = refurb.give(db, api_user(), device, data, expected_version=_expected(data))
    return _created({"id": gift.id, "asset_tag": device.asset_tag, "recipient_kind": gift.recipient_kind,
                     "recipient_name": gift.recipient_name, "eligible": gift.eligible,
                     "eligibility_reason": gift.eligibility_reason_code,
                     "delivered_on": gift.delivered_on.isoformat(), "sold_as_refurbished": gift.sold_as_refurbished})


def batch_json(batch) -> dict:
    return {"id": batch.id, "reference": batch.reference, "site": batch.site.code,
            "handed_over_on": batch.handed_over_on.isoformat(), "waste_code": batch.waste_code,
            "weight_kg": _money(batch.weight_kg), "producer_siret": batch.producer_siret,
            "carrier": batch.carrier_name, "carrier_siret": batch.carrier_siret,
            "facility": batch.facility_name, "facility_siret": batch.facility_siret,
            "treatment_code": batch.treatment_code, "tracking_number": batch.tracking_number,
            "weight_t": format(batch.weight_tonnes, "f"), "eco_organisme": batch.eco_organisme,
            "carrier_address": batch.carrier_address, "carrier_receipt": batch.carrier_receipt,
            "facility_address": batch.facility_address, "contains_pop": batch.contains_pop,
            "asset_tags": [i.device.asset_tag for i in batch.items]}


@bp.post("/devices/<asset_tag>/transition")
def transition_device(asset_tag: str):
    user = api_user()
    if user.role not in STAFF_ROLES:
        raise Forbidden("Ce compte ne peut pas gérer l'inventaire.")
    db = get_db()
    data = json_body()
    to_state, note, expected = data.get("to"), data.get("note") or "", data.get("expected_version")
    errors = {}
    if not isinstance(to_state, str) or not to_state:
        errors["to"] = f"Indiquez l'état visé (« to ») parmi : {', '.join(workflow.STATES)}."
    if not isinstance(note, str):
        errors["note"] = "La note doit être un texte."
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)):
        errors["expected_version"] = "La version attendue doit être un nombre entier."
    if errors:
        raise Invalid(fields=errors)
    device = inventory.get_device(db, user, asset_tag)
    workshop_move = workflow.OWNER.get((device.state, to_state)) == workflow.REFURBISHMENT
    make = refurb.move if workshop_move else inventory.transition
    make(db, user, device, to_state, note=note.strip(), expected_version=expected)
    return jsonify(device_json(device))


@bp.post("/recycling-batches")
def create_recycling_batch():
    batch = refurb.create_batch(get_db(), api_user(), json_body())
    return _created(batch_json(batch))


@bp.get("/recycling-batches")
def list_recycling_batches():
    return jsonify(items=[batch_json(b) for b in refurb.register(get_db(), api_user())])


# --- OpenAPI --------------------------------------------------------------------------------

def _enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


_STR = {"type": "string"}
_TEXT = {"type": "string", "minLength": 1}  # must be given, not empty
_DATE = {"type": "string", "format": "date"}
_MONEY = {"type": "string", "pattern": r"^\d{1,7}(\.\d{1,2})?$", "example": "120.00",
          "description": "Montant en euros, deux décimales au plus (une chaîne, pas un nombre à virgule)."}
_VERSION = {"type": "integer", "description": "Version de la fiche lue (facultatif) : 409 si l'appareil a changé."}

SCHEMAS["RefurbDevice"] = {"type": "object", "properties": {
    "asset_tag": _STR, "category": _STR, "brand": _STR, "model": _STR,
    "serial_number": {"type": "string", "nullable": True}, "has_storage": {"type": "boolean"}, "state": _STR,
    "grade": {"type": "string", "nullable": True}, "site": _STR, "version": {"type": "integer"}}}
SCHEMAS["Donor"] = {"type": "object", "required": ["name", "kind"], "properties": {
    "id": {"type": "integer", "description": "Donateur déjà connu (les autres champs sont alors ignorés)."},
    "name": _STR, "kind": _enum(catalog.DONOR_KINDS),
    "siret": {"type": "string", "description": "14 chiffres (clé de Luhn) ; obligatoire pour une entreprise. "
                                               "Un SIRET connu désigne le donateur existant."},
    "contact_name": _STR, "email": _STR, "phone": _STR, "address": _STR, "postal_code": _STR, "city": _STR,
    "notes": _STR}}
SCHEMAS["Donation"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "reference": _STR, "donor": {"type": "object"}, "site": _STR,
    "received_on": _DATE, "erasure_certificate_required": {"type": "boolean"}, "convention_reference": _STR,
    "conditions": _STR, "price_capped": {"type": "boolean"},
    "devices": {"type": "array", "items": {"$ref": "#/components/schemas/RefurbDevice"}}}}
SCHEMAS["Erasure"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "method": _STR, "nist_category": _STR, "tool": _STR, "tool_version": _STR,
    "passes": {"type": "integer"}, "verified": {"type": "boolean"}, "result": _STR,
    "started_at": {"type": "string", "format": "date-time"}, "ended_at": {"type": "string", "format": "date-time"},
    "operator": _STR, "operator_title": _STR, "verification_method": _STR, "destination": _STR,
    "erased": {"type": "boolean", "description": "Réussi et vérifié : seul un effacement vérifié prouve l'effacement."},
    "media": {"type": "array", "items": {"type": "object"}},
    "report": {"type": "object", "nullable": True}}}
SCHEMAS["Sale"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "reference": _STR, "asset_tag": _STR, "price": _STR,
    "suggested_price": {"type": "string", "nullable": True}, "price_capped": {"type": "boolean"},
    "price_cap": {"type": "string", "nullable": True}, "buyer": {"type": "object"},
    "eligible": {"type": "boolean"}, "eligibility_reason": {"type": "string", "nullable": True},
    "payment_method": _STR, "delivered_on": _DATE, "warranty_months": {"type": "integer"},
    "warranty_until": _DATE, "sold_as_refurbished": {"type": "boolean"}, "grade": {"type": "string", "nullable": True}}}
SCHEMAS["RecyclingBatch"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "reference": _STR, "site": _STR, "handed_over_on": _DATE, "waste_code": _STR,
    "weight_kg": _STR, "producer_siret": _STR, "carrier": _STR, "carrier_siret": _STR, "facility": _STR,
    "facility_siret": _STR, "treatment_code": _STR, "tracking_number": _STR, "weight_t": _STR,
    "eco_organisme": _STR, "carrier_address": _STR, "carrier_receipt": _STR, "facility_address": _STR,
    "contains_pop": {"type": "boolean"}, "asset_tags": {"type": "array", "items": _STR}}}

_DEVICE_INPUT = {"type": "object", "required": ["category"], "description": "Mêmes champs que POST /devices "
                 "(le site est celui du don).", "properties": {
                     "category": _STR, "brand": _STR, "model": _STR, "serial_number": _STR,
                     "has_storage": {"type": "boolean"}, "specs": {"type": "object"}, "condition": _STR,
                     "notes": _STR}}
_ERR = ("401", "403", "404", "409", "422")

operation("/donations", "post", "Enregistrer un don et créer ses appareils (tout ou rien)", status="201",
          response={"$ref": "#/components/schemas/Donation"}, errors=("401", "403", "404", "409", "422"),
          body={"type": "object", "required": ["donor", "site", "received_on", "devices"], "properties": {
              "donor": {"$ref": "#/components/schemas/Donor"}, "site": _STR, "received_on": _DATE,
              "erasure_certificate_required": {"type": "boolean", "default": True},
              "convention_reference": {"type": "string", "description": "Convention de cession (organisme public)."},
              "conditions": _STR, "allow_known_serial": {"type": "boolean"},
              "devices": {"type": "array", "minItems": 1, "maxItems": 200, "items": _DEVICE_INPUT}}})
operation("/donations/{donation_id}", "get", "Un don et ses appareils",
          response={"$ref": "#/components/schemas/Donation"}, errors=("401", "403", "404"))
operation("/devices/{asset_tag}/refurbishment", "get", "Où en est l'appareil à l'atelier (étape, effacement, "
          "« reconditionné »)", response={"type": "object"}, errors=("401", "403", "404"))
operation("/devices/{asset_tag}/diagnosis", "post", "Enregistrer un diagnostic (liste de contrôles de la catégorie)",
          status="201", response={"type": "object"}, errors=_ERR, body={
              "type": "object", "required": ["checks", "verdict"], "properties": {
                  "checks": {"type": "object", "additionalProperties": _enum(catalog.CHECK_RESULTS),
                             "description": "Chaque contrôle de la catégorie : " + "; ".join(
                                 f"{cat}: {', '.join(keys)}" for cat, keys in catalog.CHECKLISTS.items())},
                  "verdict": _enum(catalog.VERDICTS), "battery_health": {"type": "integer", "minimum": 0,
                                                                         "maximum": 100},
                  "notes": _STR, "expected_version": _VERSION}})
operation("/devices/{asset_tag}/erasures", "post", "Enregistrer un effacement de données (par support)",
          status="201", response={"$ref": "#/components/schemas/Erasure"}, errors=_ERR, body={
              "type": "object", "required": ["media", "method", "nist_category", "tool", "result", "started_at",
                                             "ended_at"], "properties": {
                  "media": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["serial"],
                            "properties": {"serial": _STR, "manufacturer": _STR, "model": _STR,
                                           "size_gb": {"type": "integer"}, "kind": _enum(catalog.MEDIA_KINDS)}}},
                  "method": _enum(catalog.ERASURE_METHODS), "nist_category": _enum(catalog.NIST_CATEGORIES),
                  "tool": _STR, "tool_version": {"type": "string", "description": "Obligatoire, sauf destruction "
                                                 "physique."},
                  "passes": {"type": "integer", "minimum": 0, "maximum": 99},
                  "verified": {"type": "boolean", "description": "Relecture du support : sans elle, l'effacement "
                               "n'est pas une preuve et l'appareil n'est pas compté effacé."},
                  "verification_method": _STR, "destination": _enum(catalog.ERASURE_DESTINATIONS),
                  "operator_title": _STR, "result": _enum(catalog.ERASURE_RESULTS),
                  "started_at": {"type": "string", "format": "date-time",
                                 "description": "ISO 8601 ; sans fuseau : heure de Paris. Pas dans le futur."},
                  "ended_at": {"type": "string", "format": "date-time", "description": "Après le début."},
                  "notes": _STR, "expected_version": _VERSION,
                  "report": {"type": "object", "description": "Rapport de l'outil : PDF ou journal .log/.txt, "
                             "10 Mo au plus.", "properties": {"filename": _STR, "content_base64": _STR}}}})
operation("/devices/{asset_tag}/media-destructions", "post",
          "Enregistrer la destruction des supports de données (par nos soins, ou par le recycleur avec le n° de son "
          "certificat de destruction)", status="201", response={"type": "object"}, errors=_ERR,
          description="Sans effacement réussi ni destruction enregistrée, un appareil avec stockage ne part ni au "
                      "recyclage ni en pièces détachées.", body={
              "type": "object", "required": ["destroyed_by"], "properties": {
                  "destroyed_by": _enum(catalog.DESTROYERS),
                  "method": {"type": "string", "description": "Par nos soins : comment (broyage, perçage…)."},
                  "recycler_name": {"type": "string", "description": "Par le recycleur : son nom."},
                  "certificate_number": {"type": "string",
                                         "description": "Par le recycleur : n° de son certificat de destruction."},
                  "destroyed_on": _DATE, "notes": _STR, "expected_version": _VERSION}})
operation("/devices/{asset_tag}/erasures", "get", "Les effacements enregistrés pour un appareil",
          response={"type": "object", "properties": {"items": {"type": "array", "items": {
              "$ref": "#/components/schemas/Erasure"}}}}, errors=("401", "403", "404"))
operation("/devices/{asset_tag}/repairs", "post", "Enregistrer une réparation", status="201",
          response={"type": "object"}, errors=_ERR, body={
              "type": "object", "required": ["problem", "action"], "properties": {
                  "problem": _STR, "action": _STR, "minutes": {"type": "integer"},
                  "checks_fixed": {"type": "array", "items": _STR,
                                   "description": "Contrôles du diagnostic remis en état."},
                  "parts": {"type": "array", "items": {"type": "object", "required": ["description", "source"],
                            "properties": {"description": _STR, "source": _enum(catalog.PART_SOURCES),
                                           "from_tag": {"type": "string", "description": "Appareil « pièces "
                                                        "détachées » d'où vient la pièce."},
                                           "cost": _MONEY}}},
                  "expected_version": _VERSION}})
operation("/devices/{asset_tag}/grading", "post", "Enregistrer le grade (A/B/C) et le résultat fonctionnel",
          status="201", response={"type": "object"}, errors=_ERR, body={
              "type": "object", "required": ["grade"], "properties": {
                  "grade": _enum(catalog.GRADES), "functional": _enum(catalog.FUNCTIONAL_RESULTS),
                  "battery_health": {"type": "integer", "minimum": 0, "maximum": 100,
                                     "description": "Portables, tablettes, smartphones (sinon celle du diagnostic)."},
                  "notes": _STR, "expected_version": _VERSION}})
operation("/devices/{asset_tag}/sale", "post", "Vendre un appareil prêt (plafonds « prix solidaires », garantie)",
          status="201", response={"$ref": "#/components/schemas/Sale"}, errors=_ERR, body={
              "type": "object", "required": ["price", "buyer", "payment_method"], "properties": {
                  "price": _MONEY, "buyer": {"type": "object", "required": ["name"], "properties": {
                      "name": _STR, "contact": _STR, "phone": _STR, "email": _STR, "address": _STR}},
                  "eligible": {"type": "boolean", "description": "Obligatoire (vrai) pour un appareil donné par "
                                                                 "un organisme public."},
                  "eligibility_reason": {"type": "string", "description": "Code d'un motif de la liste du réseau."},
                  "price_confirmed": {"type": "boolean", "description": "Vrai pour enregistrer un prix de plus du "
                                                                         "double du prix conseillé (hors plafond)."},
                  "payment_method": _enum(catalog.PAYMENT_METHODS), "delivered_on": _DATE, "notes": _STR,
                  "expected_version": _VERSION}})
operation("/devices/{asset_tag}/gift", "post", "Donner un appareil prêt à un bénéficiaire ou une association",
          status="201", response={"type": "object"}, errors=_ERR, body={
              "type": "object", "required": ["recipient_kind", "recipient_name"], "properties": {
                  "recipient_kind": _enum(catalog.RECIPIENT_KINDS), "recipient_name": _STR,
                  "recipient_contact": _STR, "eligible": {"type": "boolean"}, "eligibility_reason": _STR,
                  "delivered_on": _DATE, "notes": _STR, "expected_version": _VERSION}})
operation("/devices/{asset_tag}/transition", "post", "Changer l'état d'un appareil",
          response={"$ref": "#/components/schemas/Device"}, errors=("401", "403", "404", "409", "422"),
          body={"type": "object", "required": ["to"], "properties": {
              "to": {"type": "string", "enum": list(workflow.STATES)}, "note": {"type": "string", "maxLength": 2000},
              "expected_version": {"type": "integer"}}})
operation("/recycling-batches", "post", "Recycler un lot d'appareils (registre DEEE ; tout ou rien)", status="201",
          response={"$ref": "#/components/schemas/RecyclingBatch"}, errors=_ERR, body={
              "type": "object", "description": "Le registre des déchets (arrêté du 31 mai 2021) exige le nom et "
              "l'adresse du transporteur et son récépissé, le nom et l'adresse de l'installation et le code de "
              "traitement : ils sont obligatoires.",
              "required": ["asset_tags", "weight_kg", "carrier", "carrier_address", "carrier_receipt", "facility",
                           "facility_address", "treatment_code", "tracking_number"],
              "properties": {
                  "asset_tags": {"type": "array", "minItems": 1, "items": _STR},
                  "weight_kg": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
                  "carrier": _TEXT, "carrier_siret": _STR, "facility": _TEXT, "facility_siret": _STR,
                  "eco_organisme": _STR, "carrier_address": _TEXT, "carrier_receipt": {
                      "type": "string", "minLength": 1, "maxLength": 60,
                      "description": "N° du récépissé de déclaration du transporteur de déchets, tel que le "
                      "transporteur ou le recycleur le donne (texte libre)."},
                  "facility_address": _TEXT, "contains_pop": {"type": "boolean"},
                  "tracking_number": _STR, "waste_code": _enum(catalog.WASTE_CODES),
                  "treatment_code": _enum(code for code in catalog.TREATMENT_CODES if code),
                  "handed_over_on": _DATE, "notes": _STR,
                  "media_destruction_certificate": {
                      "type": "string", "description": "N° du certificat de destruction des supports délivré par le "
                      "recycleur : obligatoire si un appareil du lot a un support ni effacé ni détruit."}}})
operation("/recycling-batches", "get", "Le registre DEEE (lots de recyclage, ordre chronologique)",
          response={"type": "object", "properties": {"items": {"type": "array", "items": {
              "$ref": "#/components/schemas/RecyclingBatch"}}}}, errors=("401", "403"))

