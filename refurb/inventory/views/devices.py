"""Device pages: /d/<tag> (public for a finder, full for staff), creation (one, "like this",
batch), the list with its CSV export, and label printing."""

from __future__ import annotations

import json

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from ...accounts.roles import KIOSK, STAFF_ROLES
from ...accounts.scope import sites_for
from ...errors import Invalid, NotFound, RefurbError
from ...extensions import get_db
from ...tabular import CSV_MIMETYPE, to_csv
from ...web import urls
from ...web.access import roles_required
from ...web.files import send_bytes
from ...web.layout import add_nav, current_site
from .. import services
from ..categories import CATEGORIES, SPEC_FIELDS, SPECS_BY_CATEGORY, WITH_STORAGE
from ..labels import DEFAULT_LAYOUT, LAYOUTS, LabelError, render_labels
from ..panels import EVENT_LABELS, panels_for
from ..workflow import ACTION_LABELS, FINAL_STATES, STATES
from . import bp

FIELDS = ("category", "site", "brand", "model", "serial_number", "condition", "notes")


def _is_htmx() -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _tone(kind: str = "ok") -> dict:
    return {"HX-Trigger": json.dumps({"refurb:tone": {"kind": kind}})}


# --- device page ---------------------------------------------------------------------------

def _render_panels(db, device) -> list[Markup]:
    """Each area's panel with its own context (the context processors run once for all)."""
    shared: dict = {}
    current_app.update_template_context(shared)
    env = current_app.jinja_env
    return [Markup(env.get_template(panel.template).render(shared | {"device": device} | ctx))
            for panel, ctx in panels_for(db, current_user, device)]


def _device_context(db, device, message: str = "") -> dict:
    panels = _render_panels(db, device)
    return {"device": device, "actions": services.allowed_next_states(db, current_user, device),
            "events": services.history(db, device), "panels": panels, "message": message,
            "event_labels": EVENT_LABELS, "states": STATES, "action_labels": ACTION_LABELS,
            "final_states": FINAL_STATES, "spec_fields": SPEC_FIELDS,
            "can_transfer": "inventory.transfer_new" in current_app.view_functions
            and device.state not in FINAL_STATES and device.state != "on_loan"}


def _hours(site) -> list[str]:
    """Opening hours in plain French when the public pages' helper is there, else as written."""
    try:
        from ...sites.hours import opening_hours_fr
    except ImportError:
        return [site.opening_hours] if site.opening_hours else []
    return opening_hours_fr(site.opening_hours)


@bp.get("/d/<asset_tag>")
def device_page(asset_tag: str):
    """The QR code's target: a short "bring it back" page for a finder, the full page for staff."""
    db = get_db()
    if not current_user.is_authenticated or current_user.role == KIOSK:
        device = services.public_device(db, asset_tag)
        if device is None:
            raise NotFound(f"Aucun appareil ne porte l'étiquette « {asset_tag[:40]} ».")
        return render_template("inventory/device_public.html", device=device, hours=_hours(device.site))
    device = services.get_device(db, current_user, asset_tag)
    return render_template("inventory/device.html", **_device_context(db, device))


@bp.post("/d/<asset_tag>/transition")
@roles_required(*STAFF_ROLES)
def device_transition(asset_tag: str):
    db = get_db()
    device = services.get_device(db, current_user, asset_tag, for_update=True)
    to_state = request.form.get("to", "")
    try:
        raw_version = request.form.get("expected_version", "")
        expected = int(raw_version) if raw_version else None
    except ValueError:
        raise Invalid(fields={"expected_version": "Version de la page illisible : rechargez la page."})
    try:
        services.transition(db, current_user, device, to_state, note=request.form.get("note", "").strip(),
                            expected_version=expected)
    except RefurbError as err:
        db.rollback()
        if _is_htmx():
            raise  # shown in #flash with an error tone (refurb/web/errors.py)
        flash(err.message, "error")
        return redirect(url_for(".device_page", asset_tag=device.asset_tag))
    db.commit()
    message = f"{device.asset_tag} : {STATES[to_state]}."
    if _is_htmx():
        # the page in place, and an error message left in #flash by a refused attempt cleared
        return render_template("inventory/_device_main.html", clear_flash=True,
                               **_device_context(db, device, message)), 200, _tone()
    flash(message, "success")
    return redirect(url_for(".device_page", asset_tag=device.asset_tag))


# --- creation ------------------------------------------------------------------------------

def _form_data() -> dict:
    form = request.form
    data = {name: form.get(name, "") for name in FIELDS}
    storage = form.getlist("has_storage")  # a hidden "0" then the checkbox "1"
    data["has_storage"] = storage[-1] if storage else None
    data["specs"] = {key: form.get(f"spec_{key}", "") for key in SPECS_BY_CATEGORY.get(data["category"], [])}
    return data


def _field_errors(err: RefurbError, serial_field: str = "serial_number") -> dict:
    if err.code == "known_serial":  # the full message: which serial, which tag, what to do
        return {serial_field: err.message}
    errors = {k.replace("specs.", "spec_"): v for k, v in err.fields.items()}
    return errors or {"_": err.message}


def _form_page(template: str, data: dict, errors: dict, **extra):
    db = get_db()
    sites = sites_for(db, current_user)
    if not data.get("site"):
        here = current_site()
        data["site"] = here.code if here else (sites[0].code if sites else "")
    return render_template(template, data=data, errors=errors, sites=sites, categories=CATEGORIES,
                           **_specs_context(data), **extra), (422 if errors else 200)


def _specs_context(data: dict) -> dict:
    category = data.get("category") or "laptop"
    storage = data.get("has_storage")
    has_storage = category in WITH_STORAGE if storage in (None, "") else storage in (True, "1", "on", "true")
    return {"spec_keys": SPECS_BY_CATEGORY.get(category, []), "spec_fields": SPEC_FIELDS,
            "specs": data.get("specs") or {}, "has_storage": has_storage}


def _like(tag: str) -> dict:
    device = services.get_device(get_db(), current_user, tag)
    return {"category": device.category, "site": device.site.code, "brand": device.brand, "model": device.model,
            "has_storage": "1" if device.has_storage else "0", "specs": dict(device.specs or {}),
            "condition": device.condition}


@bp.route("/devices/new", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new_device():
    db = get_db()
    if request.method == "GET":
        data = _like(request.args["like"]) if request.args.get("like") else {"category": "laptop"}
        return _form_page("inventory/device_form.html", data, {}, like=request.args.get("like", ""))
    data = _form_data()
    if request.form.get("action") == "refresh":  # without JavaScript: show the fields of the category
        return _form_page("inventory/device_form.html", data, {})
    try:
        spec = services.parse_device_input(db, current_user, data)
        device = services.create_device(db, current_user, spec,
                                        allow_known_serial=request.form.get("confirm_serial") == "1")
    except RefurbError as err:
        db.rollback()
        return _form_page("inventory/device_form.html", data, _field_errors(err),
                          known_serial=err.code == "known_serial")
    db.commit()
    flash(f"Appareil {device.asset_tag} enregistré ({device.category_label}, {device.site.name}).", "success")
    action = request.form.get("action")
    if action == "print":
        return redirect(url_for(".labels_page", tag=device.asset_tag))
    if action == "another":
        return redirect(url_for(".new_device", like=device.asset_tag))
    return redirect(url_for(".device_page", asset_tag=device.asset_tag))


@bp.get("/devices/new/specs")
@roles_required(*STAFF_ROLES)
def device_specs():
    """The fields that follow the category (swapped in when the category changes)."""
    category = request.args.get("category", "")
    if category not in CATEGORIES:
        raise Invalid(fields={"category": "Catégorie inconnue."})
    return render_template("inventory/_device_specs.html", **_specs_context({"category": category}))


@bp.route("/devices/batch", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def new_batch():
    db = get_db()
    if request.method == "GET":
        data = _like(request.args["like"]) if request.args.get("like") else {"category": "laptop"}
        return _form_page("inventory/device_batch.html", data, {})
    data = _form_data() | {"serials": request.form.get("serials", ""), "count": request.form.get("count", "")}
    if request.form.get("action") == "refresh":
        return _form_page("inventory/device_batch.html", data, {})
    serials = data["serials"].splitlines()
    try:
        count = int(data["count"]) if data["count"].strip() and not any(s.strip() for s in serials) else None
    except ValueError:
        return _form_page("inventory/device_batch.html", data, {"count": "Le nombre d'appareils doit être un entier."})
    try:
        spec = services.parse_device_input(db, current_user, data | {"serial_number": ""})
        devices = services.create_devices(db, current_user, spec, serials, count=count,
                                          allow_known_serial=request.form.get("confirm_serial") == "1")
    except RefurbError as err:
        db.rollback()
        return _form_page("inventory/device_batch.html", data, _field_errors(err, "serials"),
                          known_serial=err.code == "known_serial")
    db.commit()
    flash(f"{len(devices)} appareils enregistrés ({devices[0].asset_tag} à {devices[-1].asset_tag}). "
          "Imprimez leurs étiquettes.", "success")
    return redirect(url_for(".labels_page", tag=[d.asset_tag for d in devices]))


# --- list and export -----------------------------------------------------------------------

@bp.get("/devices")
@roles_required(*STAFF_ROLES)
def device_list():
    db = get_db()
    f = services.parse_filter(request.args)
    items, total = services.list_devices(db, current_user, f)
    context = {"f": f, "items": items, "total": total, "cap": services.count_cap(f),
               "pages": -(-total // f.per_page), "sites": sites_for(db, current_user, active_only=False),
               "states": STATES, "categories": CATEGORIES}
    if _is_htmx() and request.headers.get("HX-Target") == "devices-results":
        return render_template("inventory/_devices_table.html", **context)
    return render_template("inventory/devices.html", **context)


CSV_COLUMNS = ("Étiquette", "Catégorie", "Marque", "Modèle", "N° de série", "Site", "État", "Grade",
               "Stockage", "Caractéristiques", "État esthétique", "Notes", "Enregistré le", "Modifié le")


def _csv_row(d) -> list[str]:
    specs = ", ".join(f"{SPEC_FIELDS[k][0] if k in SPEC_FIELDS else k} : {v}" for k, v in (d.specs or {}).items())
    return [d.asset_tag, d.category_label, d.brand, d.model, d.serial_number, d.site.name, d.state_label, d.grade,
            d.has_storage, specs, d.condition, d.notes, d.created_at, d.updated_at]


@bp.get("/devices.csv")
@roles_required(*STAFF_ROLES)
def device_export():
    db = get_db()
    f = services.parse_filter(request.args)
    stmt = services.device_query(db, current_user, f).order_by(services.SORTS[f.sort], services.Device.id.desc())

    rows = (_csv_row(device) for device in db.scalars(stmt.execution_options(yield_per=1000)))
    return send_bytes(to_csv([(c, c) for c in CSV_COLUMNS], rows), "appareils.csv", CSV_MIMETYPE)


# --- labels --------------------------------------------------------------------------------

def public_base_url() -> str:
    return urls.public_base_url()  # never the Host header of an untrusted request


def label_pdf(db, user, tags: list[str], layout: str | None, start: str | int | None) -> bytes:
    """The labels PDF of these devices (shared by the page and the API)."""
    layout = layout or DEFAULT_LAYOUT
    if layout not in LAYOUTS:
        raise Invalid(fields={"layout": f"Format d'étiquettes inconnu : « {str(layout)[:40]} ». "
                                        f"Formats possibles : {', '.join(LAYOUTS)}."})
    try:
        first = int(start) if start not in (None, "") else 1
    except (TypeError, ValueError):
        raise Invalid(fields={"start": "La première position libre doit être un nombre entier."})
    devices = services.devices_for_labels(db, user, tags)
    try:
        return render_labels(services.make_labels(db, devices, public_base_url()), layout, first)
    except LabelError as err:
        raise Invalid(str(err), fields={"start" if "départ" in str(err) else "tag": str(err)})


def pdf_response(pdf: bytes, tags: list[str]) -> Response:
    name = f"etiquettes-{tags[0].strip().upper()}.pdf" if len(tags) == 1 else "etiquettes.pdf"
    return send_bytes(pdf, name, "application/pdf", inline=True)


@bp.get("/labels")
@roles_required(*STAFF_ROLES)
def labels_page():
    tags = request.args.getlist("tag")
    devices = services.devices_for_labels(get_db(), current_user, tags) if tags else []
    layout = request.args.get("layout") or session.get("label_layout") or DEFAULT_LAYOUT
    return render_template("inventory/labels.html", devices=devices, layouts=LAYOUTS,
                           layout=layout if layout in LAYOUTS else DEFAULT_LAYOUT)


@bp.get("/labels.pdf")
@roles_required(*STAFF_ROLES)
def labels_pdf():
    tags = request.args.getlist("tag")
    pdf = label_pdf(get_db(), current_user, tags, request.args.get("layout"), request.args.get("start"))
    session["label_layout"] = request.args.get("layout") or DEFAULT_LAYOUT
    return pdf_response(pdf, tags)


# --- hooks ---------------------------------------------------------------------------------

def resolve_scan(db, user, code: str) -> str | None:
    """Global scan box: an asset tag, or a serial number that names one device, opens its page."""
    device = services.find_by_code(db, user, code)
    return url_for("inventory.device_page", asset_tag=device.asset_tag) if device else None


def register_hooks(app) -> None:
    from ...web.scan import register_resolver

    staff = STAFF_ROLES - {KIOSK}
    add_nav("inventory.device_list", "Appareils", staff)
    add_nav("inventory.new_device", "Nouvel appareil", staff)
    register_resolver(resolve_scan)

