"""Device pages: /d/<tag> (public for a finder, full for staff), creation (one, "like this",
batch), the list with its CSV export, and label printing."""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app, render_template, request, session, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from ...accounts.models import display_name
from ...accounts.roles import KIOSK, STAFF_ROLES
from ...accounts.scope import sites_for
from ...errors import Invalid, NotFound, RefurbError
from ...extensions import get_db
from ...formatting import datetime_fr, plural
from ...sites.hours import opening_hours_fr
from ...tabular import CSV_MIMETYPE, to_csv
from ...web import urls
from ...web.access import roles_required
from ...web.files import send_bytes
from ...web.kit import is_htmx, see_other, submit, tone
from ...web.layout import add_nav, current_site, user_sites
from ...web.scan import register_resolver
from .. import services
from ..categories import CATEGORIES, SPEC_FIELDS, SPECS_BY_CATEGORY, WITH_STORAGE
from ..workflow import STATES
from . import bp

FIELDS = ("category", "site", "brand", "model", "serial_number", "condition", "notes")
STAFF = tuple(sorted(STAFF_ROLES))


# --- device page ---------------------------------------------------------------------------

@bp.app_template_global()
def device_sections(device, reads=None) -> dict:
    """What ``inventory/_device_main.html`` shows around a device: each area's panel (the one action area
    among them), the timeline, whether it may be transferred. The template asks for it, so any area's view that
    changed the device answers with the page in place (one round trip) by rendering the template with the
    device alone. ``reads``: what the page's panels share, when the view read it with the device
    (``services.device_page``)."""
    db = get_db()
    shared: dict = {}
    current_app.update_template_context(shared)  # the context processors, once for all the panels
    env = current_app.jinja_env
    if not isinstance(reads, services.PageReads):  # the template's variable absent: read them now
        reads = services.page_reads(db, device)
    events = reads.known("history")
    panels = [(panel.actions, Markup(env.get_template(panel.template).render(shared | {"device": device} | ctx)))
              for panel, ctx in services.panels_for(db, current_user, device, reads)]
    return {"timeline": _timeline(events), "panels": panels, "spec_fields": SPEC_FIELDS,
            "can_transfer": services.transfer_refusal(device) is None}


def _timeline(events) -> Markup:
    """The history's lines as the page prints them, newest first: when (its ISO time and its Paris time), what, its
    change of state or of site, where and who, the note; every value escaped here. Written in one pass: a device
    page shows about ten of them on every scan, and a template loop cost the page as much again."""
    labels = services.EVENT_LABELS
    lines = []
    for e in events:
        change = ""
        if e.from_state and e.to_state:
            change = f" : {STATES.get(e.from_state, e.from_state)} → {STATES.get(e.to_state, e.to_state)}"
        elif e.to_state:
            change = f" : {STATES.get(e.to_state, e.to_state)}"
        if e.action == "transfer" and e.data:
            change += f" : {e.data.get('from_site', '')} → {e.data.get('to_site', '')}"
        who = display_name(e.full_name, e.username) if e.username is not None else "Système"
        note = f"\n<blockquote>{escape(e.note)}</blockquote>" if e.note else ""
        lines.append(f'<li>\n<time datetime="{escape(e.at.isoformat())}">{escape(datetime_fr(e.at))}</time>\n'
                     f'<strong>{escape(labels.get(e.action, e.action))}</strong>{escape(change)}\n'
                     f'<br><small>{escape(e.site_name)} · {escape(who)}</small>{note}\n</li>\n')
    return Markup("".join(lines))


@bp.get("/d/<asset_tag>")
def device_page(asset_tag: str):
    """The QR code's target: a short "bring it back" page for a finder, the full page for staff."""
    db = get_db()
    if not current_user.is_authenticated or current_user.role == KIOSK:
        device = services.public_device(db, asset_tag)
        if device is None:
            raise NotFound(f"Aucun appareil ne porte l'étiquette « {asset_tag[:40]} ».")
        return render_template("inventory/device_public.html", device=device,
                               hours=opening_hours_fr(device.site.opening_hours))
    device, reads = services.device_page(db, current_user, asset_tag)
    return render_template("inventory/device.html", device=device, page_reads=reads)


@bp.post("/d/<asset_tag>/transition")
@roles_required(*STAFF)
def device_transition(asset_tag: str):
    """The inventory's own moves (lost, found again); a refusal is said by the global error handler."""
    db = get_db()
    device = services.get_device(db, current_user, asset_tag)
    to_state = request.form.get("to", "")
    services.transition(db, current_user, device, to_state, note=request.form.get("note", "").strip(),
                        expected_version=request.form.get("expected_version"))
    message = f"{device.asset_tag} : {STATES[to_state]}."
    if is_htmx():
        # the page in place, and an error message left in #flash by a refused attempt cleared
        return render_template("inventory/_device_main.html", device=device, message=message,
                               clear_flash=True), 200, tone()
    return see_other(url_for(".device_page", asset_tag=device.asset_tag), message)


@bp.post("/d/<asset_tag>/annuler")
@roles_required(*STAFF)
def device_undo(asset_tag: str):
    """Take back one's own last move, within minutes (``services.undo_last_move``)."""
    db = get_db()
    device = services.get_device(db, current_user, asset_tag)
    event = services.undo_last_move(db, current_user, device, expected_version=request.form.get("expected_version"))
    message = f"{device.asset_tag} : étape annulée, de nouveau « {STATES[event.to_state]} »."
    if is_htmx():
        return render_template("inventory/_device_main.html", device=device, message=message,
                               clear_flash=True), 200, tone()
    return see_other(url_for(".device_page", asset_tag=device.asset_tag), message)


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


def _form(template: str, data: dict, errors: dict | None = None, **extra) -> str:
    sites = user_sites()
    if not data.get("site"):
        here = current_site()
        data["site"] = here.code if here else (sites[0].code if sites else "")
    return render_template(template, data=data, errors=errors or {}, sites=sites, categories=CATEGORIES,
                           **_specs_context(data), **extra)


def _refused_form(template: str, data: dict, serial_field: str = "serial_number"):
    return lambda err: _form(template, data, _field_errors(err, serial_field), known_serial=err.code == "known_serial")


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


def _created(device):
    """After a creation: the device page, its label, or the form again for a similar device."""
    message = f"Appareil {device.asset_tag} enregistré ({device.category_label}, {device.site.name})."
    target = {"print": url_for(".labels_page", tag=device.asset_tag),
              "another": url_for(".new_device", like=device.asset_tag)}.get(request.form.get("action"))
    return see_other(target or url_for(".device_page", asset_tag=device.asset_tag), message)


@bp.route("/devices/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_device():
    db = get_db()
    template = "inventory/device_form.html"
    if request.method == "GET":
        data = _like(request.args["like"]) if request.args.get("like") else {"category": "laptop"}
        return _form(template, data, like=request.args.get("like", ""))
    data = _form_data()
    if request.form.get("action") == "refresh":  # without JavaScript: show the fields of the category
        return _form(template, data)
    return submit(lambda: services.create_device(db, current_user, services.parse_device_input(db, current_user, data),
                                                 allow_known_serial=request.form.get("confirm_serial") == "1"),
                  done=_created, failed=_refused_form(template, data))


@bp.get("/devices/new/specs")
@roles_required(*STAFF)
def device_specs():
    """The fields that follow the category (swapped in when the category changes)."""
    category = request.args.get("category", "")
    if category not in CATEGORIES:
        raise Invalid(fields={"category": "Catégorie inconnue."})
    return render_template("inventory/_device_specs.html", **_specs_context({"category": category}))


def _batch_created(devices):
    return see_other(url_for(".labels_page", tag=[d.asset_tag for d in devices]),
                     f"{plural(len(devices), 'appareil enregistré')} "
                     f"({devices[0].asset_tag} à {devices[-1].asset_tag}). "
                     "Imprimez leurs étiquettes.")


@bp.route("/devices/batch", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_batch():
    db = get_db()
    template = "inventory/device_batch.html"
    if request.method == "GET":
        data = _like(request.args["like"]) if request.args.get("like") else {"category": "laptop"}
        return _form(template, data)
    data = _form_data() | {"serials": request.form.get("serials", ""), "count": request.form.get("count", "")}
    if request.form.get("action") == "refresh":
        return _form(template, data)
    def create():
        spec = services.parse_device_input(db, current_user, data | {"serial_number": ""})
        return services.create_devices(db, current_user, spec, data["serials"].splitlines(), count=data["count"],
                                       allow_known_serial=request.form.get("confirm_serial") == "1")
    return submit(create, done=_batch_created, failed=_refused_form(template, data, "serials"))


# --- list and export -----------------------------------------------------------------------

@bp.get("/devices")
@roles_required(*STAFF)
def device_list():
    db = get_db()
    f = services.parse_filter(request.args)
    items, total = services.list_devices(db, current_user, f, rows=True)
    context = {"f": f, "items": items, "rows": _list_rows(items), "total": total, "cap": services.count_cap(f),
               "pages": -(-total // f.per_page), "states": STATES, "categories": CATEGORIES}
    if is_htmx() and request.headers.get("HX-Target") == "devices-results":
        return render_template("inventory/_devices_table.html", **context)
    return render_template("inventory/devices.html", sites=sites_for(db, current_user, active_only=False), **context)


def _list_rows(items) -> Markup:
    """The list's lines (``services.LIST_COLUMNS``), every value escaped. Written here in one pass: a page holds
    50 lines of eight cells, and in the template they were half of a search's time."""
    page_of = url_for("inventory.device_page", asset_tag="-")[:-1]
    lines = []
    for d in items:
        tag = escape(d.asset_tag)
        state = escape(d.state)
        lines.append(
            f'<tr>\n<td><input type="checkbox" name="tag" value="{tag}" aria-label="Choisir {tag}"></td>\n'
            f'<td class="nowrap"><a href="{escape(page_of + quote(d.asset_tag))}">{tag}</a></td>\n'
            f'<td>{escape(CATEGORIES.get(d.category, d.category))}</td>\n'
            f'<td>{escape(d.brand)} {escape(d.model)}</td>\n'
            f'<td>{escape(d.serial_number or "")}</td>\n'
            f'<td>{escape(d.site_name)}</td>\n'
            f'<td><span class="badge badge--{state}">{escape(STATES.get(d.state, d.state))}</span></td>\n'
            f'<td class="nowrap">{datetime_fr(d.updated_at)}</td>\n</tr>')
    return Markup("\n".join(lines))


CSV_COLUMNS = ("Étiquette", "Catégorie", "Marque", "Modèle", "N° de série", "Site", "État", "Grade",
               "Stockage", "Caractéristiques", "État esthétique", "Notes", "Enregistré le", "Modifié le")


def _csv_row(d) -> list[str]:
    specs = ", ".join(f"{SPEC_FIELDS[k][0] if k in SPEC_FIELDS else k} : {v}" for k, v in (d.specs or {}).items())
    return [d.asset_tag, d.category_label, d.brand, d.model, d.serial_number, d.site.name, d.state_label, d.grade,
            d.has_storage, specs, d.condition, d.notes, d.created_at, d.updated_at]


@bp.get("/devices.csv")
@roles_required(*STAFF)
def device_export():
    rows = (_csv_row(device) for device in services.export_devices(get_db(), current_user,
                                                                   services.parse_filter(request.args)))
    return send_bytes(to_csv([(c, c) for c in CSV_COLUMNS], rows), "appareils.csv", CSV_MIMETYPE)


# --- labels --------------------------------------------------------------------------------

def labels_response(user, args):
    """The labels PDF asked for by a query string (``tag`` repeated, ``layout``, ``start``): the page's
    link and the API's route answer the same."""
    tags = args.getlist("tag")
    pdf = services.label_sheet(get_db(), user, tags, args.get("layout"), args.get("start"),
                               urls.public_base_url())  # never the Host header of an untrusted request
    name = f"etiquettes-{tags[0].strip().upper()}.pdf" if len(tags) == 1 else "etiquettes.pdf"
    return send_bytes(pdf, name, "application/pdf", inline=True)


@bp.get("/labels")
@roles_required(*STAFF)
def labels_page():
    tags = request.args.getlist("tag")
    devices = services.devices_for_labels(get_db(), current_user, tags) if tags else []
    layouts = services.LABEL_LAYOUTS
    layout = request.args.get("layout") or session.get("label_layout") or services.DEFAULT_LABEL_LAYOUT
    return render_template("inventory/labels.html", devices=devices, layouts=layouts,
                           layout=layout if layout in layouts else services.DEFAULT_LABEL_LAYOUT)


@bp.get("/labels.pdf")
@roles_required(*STAFF)
def labels_pdf():
    response = labels_response(current_user, request.args)
    session["label_layout"] = request.args.get("layout") or services.DEFAULT_LABEL_LAYOUT
    return response


# --- wiring --------------------------------------------------------------------------------

def resolve_scan(db, user, code: str) -> str | None:
    """Global scan box: an asset tag, or a serial number that names one device, opens its page."""
    device = services.find_by_code(db, user, code)
    return url_for("inventory.device_page", asset_tag=device.asset_tag) if device else None


def register_hooks() -> None:
    staff = STAFF_ROLES - {KIOSK}
    add_nav("inventory.device_list", "Appareils", staff)
    add_nav("inventory.new_device", "Nouvel appareil", staff)
    register_resolver(resolve_scan)
