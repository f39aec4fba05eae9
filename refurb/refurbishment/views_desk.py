"""Pages around the workshop: donations (with their devices and labels), donors, sales and
donations out, recycling batches and the DEEE register, the network's prices."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import NETWORK_ROLES
from ..clock import today
from ..errors import Invalid, RefurbError
from ..extensions import get_db
from ..formatting import plural
from ..inventory.categories import CATEGORIES
from ..settings import get_setting
from ..tabular import CSV_MIMETYPE, XLSX_MIMETYPE, to_csv, to_xlsx
from ..web.access import roles_required
from ..web.files import send_bytes
from ..web.kit import is_htmx, see_other, submit
from ..web.layout import user_sites
from . import catalog
from . import services as refurb
from .views import STAFF, WORKSHOP, bp, current_site_code, flag

NETWORK = tuple(sorted(NETWORK_ROLES))
DONOR_FORM_FIELDS = ("kind", "name", "siret", "contact_name", "email", "phone", "address", "postal_code", "city",
                     "notes")
LINE_FIELDS = ("category", "brand", "model", "serial_number", "quantity", "has_storage")
DEFAULT_LINES = 3


def _errors(err: RefurbError) -> dict:
    errors = dict(err.fields)
    if not err.fields or err.status != 422:
        errors["_"] = err.message
    return errors


# --- donations ------------------------------------------------------------------------------

def _lines_from_form() -> list[dict]:
    lists = {f: request.form.getlist(f"line_{f}") for f in LINE_FIELDS}
    count = max(len(v) for v in lists.values())
    return [{f: (lists[f][i] if i < len(lists[f]) else "") for f in LINE_FIELDS} for i in range(count)]


def _donation_payload(form, lines) -> tuple[dict, dict[int, int], dict]:
    """The service's input from the form; device index → line index; line-level errors."""
    if form.get("donor_id"):
        donor = {"id": form.get("donor_id")}
    else:
        donor = {f: form.get(f"donor_{f}", "") for f in DONOR_FORM_FIELDS}
    devices, owner, errors = [], {}, {}
    for n, line in enumerate(lines):
        if not any((line.get(f) or "").strip() for f in ("category", "brand", "model", "serial_number")):
            continue
        quantity_raw = (line.get("quantity") or "1").strip() or "1"
        try:
            quantity = int(quantity_raw)
            if not 1 <= quantity <= 200:
                raise ValueError
        except ValueError:
            errors[f"lines.{n}.quantity"] = f"Ligne {n + 1} : quantité entre 1 et 200."
            continue
        if quantity > 1 and (line.get("serial_number") or "").strip():
            errors[f"lines.{n}.quantity"] = (f"Ligne {n + 1} : un numéro de série désigne un seul appareil ; "
                                             "mettez la quantité à 1 ou une ligne par appareil.")
            continue
        device = {"category": line.get("category", ""), "brand": line.get("brand", ""),
                  "model": line.get("model", ""), "serial_number": line.get("serial_number", "")}
        if line.get("has_storage") in ("0", "1"):
            device["has_storage"] = line["has_storage"] == "1"
        for _ in range(quantity):
            owner[len(devices)] = n
            devices.append(device)
    data = {"donor": donor, "site": form.get("site", ""), "received_on": form.get("received_on", ""),
            "erasure_certificate_required": flag("erasure_certificate_required"),
            "convention_reference": form.get("convention_reference", ""), "conditions": form.get("conditions", ""),
            "allow_known_serial": flag("allow_known_serial"), "devices": devices}
    return data, owner, errors


def _map_errors(fields: dict, owner: dict[int, int]) -> dict:
    mapped = {}
    for key, message in fields.items():
        parts = key.split(".")
        if parts[0] == "devices" and len(parts) >= 2 and parts[1].isdigit():
            line = owner.get(int(parts[1]), int(parts[1]))
            field = parts[2] if len(parts) > 2 else "category"
            mapped.setdefault(f"lines.{line}.{field}", message.replace(f"Appareil {int(parts[1]) + 1} :",
                                                                       f"Ligne {line + 1} :"))
        else:
            mapped[key] = message
    return mapped


def _first_empty(lines: list[dict]) -> int | None:
    for n, line in enumerate(lines):
        if not any((line.get(f) or "").strip() for f in ("category", "brand", "model", "serial_number")):
            return n
    return None


def _donation_form(data: dict, lines: list[dict], errors: dict, focus_line: int | None = None) -> str:
    db = get_db()
    return render_template("refurbishment/donation_form.html", data=data, lines=lines, errors=errors,
                           focus_line=focus_line,
                           donors=refurb.donor_choices(db, current_user), sites=user_sites(),
                           categories=CATEGORIES, donor_kinds=catalog.DONOR_KINDS)


@bp.route("/dons/nouveau", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_donation():
    db = get_db()
    if request.method == "GET":
        data = {"site": current_site_code(), "received_on": today().isoformat(), "erasure_certificate_required": "1",
                "donor_id": request.args.get("donor", ""), "donor_kind": ""}
        return _donation_form(data, [{} for _ in range(DEFAULT_LINES)], {})
    form = request.form
    lines = _lines_from_form()
    data = dict(form.items())
    for name in ("erasure_certificate_required", "allow_known_serial"):
        data[name] = flag(name)
    if "add_lines" in form:  # also what Enter does in a line (a scanner's Enter never saves half a donation)
        empty = sum(1 for line in lines if not any((v or "").strip() for k, v in line.items() if k != "quantity"
                                                   and k != "has_storage"))
        lines = lines + [{} for _ in range(max(0, 3 - empty))]
        return _donation_form(data, lines, {}, focus_line=_first_empty(lines))
    payload, owner, line_errors = _donation_payload(form, lines)

    def create():
        if line_errors:
            raise Invalid(fields=line_errors)
        return refurb.create_donation(db, current_user, payload)

    def refused(err: RefurbError) -> str:
        errors = _map_errors(_errors(err), owner)
        errors = {(f"donor_{k[6:]}" if k.startswith("donor.") else k): v for k, v in errors.items()}
        return _donation_form(data, lines, errors)

    def created(result):
        donation, devices = result
        tags = ", ".join(d.asset_tag for d in devices)
        return see_other(url_for(".donation", donation_id=donation.id),
                         f"Don {donation.reference} enregistré : {plural(len(devices), 'appareil créé')} ({tags}). "
                         "Imprimez leurs étiquettes ci-dessous.")
    return submit(create, done=created, failed=refused)


@bp.get("/dons")
@roles_required(*STAFF)
def donations():
    db = get_db()
    donor = refurb.get_donor(db, current_user, request.args["donor"]) if request.args.get("donor") else None
    items = refurb.list_donations(db, current_user, donor=donor)
    return render_template("refurbishment/donations.html", donations=items, donor=donor,
                           counts=refurb.donation_counts(db, [d.id for d in items]))


@bp.get("/dons/<int:donation_id>")
@roles_required(*STAFF)
def donation(donation_id: int):
    db = get_db()
    item = refurb.get_donation(db, current_user, donation_id)
    devices = item.devices
    return render_template("refurbishment/donation.html", donation=item, devices=devices,
                           statuses=refurb.statuses(db, devices),
                           labels_url=url_for("inventory.labels_page", tag=[d.asset_tag for d in devices]))


# --- donors ---------------------------------------------------------------------------------

@bp.get("/donateurs")
@roles_required(*STAFF)
def donors():
    q = request.args.get("q", "")
    items = refurb.list_donors(get_db(), current_user, q)
    if is_htmx() and request.headers.get("HX-Target") == "donor-results":
        return render_template("refurbishment/_donors_table.html", donors=items, q=q)
    return render_template("refurbishment/donors.html", donors=items, q=q)


def _donor_form(donor, data: dict, errors: dict) -> str:
    donations = refurb.list_donations(get_db(), current_user, donor=donor) if donor is not None else []
    return render_template("refurbishment/donor_form.html", donor=donor, data=data, errors=errors,
                           kinds=catalog.DONOR_KINDS, donations=donations)


def _donor_saved(donor):
    return see_other(url_for(".edit_donor", donor_id=donor.id), f"Donateur « {donor.name} » enregistré.")


@bp.route("/donateurs/nouveau", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_donor():
    if request.method == "GET":
        return _donor_form(None, {"kind": "company"}, {})
    data = {f: request.form.get(f, "") for f in DONOR_FORM_FIELDS}
    return submit(lambda: refurb.create_donor(get_db(), current_user, {**data, "site": current_site_code()}),
                  done=_donor_saved, failed=lambda err: _donor_form(None, data, _errors(err)))


@bp.route("/donateurs/<int:donor_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_donor(donor_id: int):
    db = get_db()
    donor = refurb.get_donor(db, current_user, donor_id)
    if request.method == "GET":
        return _donor_form(donor, {f: getattr(donor, f) or "" for f in DONOR_FORM_FIELDS}, {})
    data = {f: request.form.get(f, "") for f in DONOR_FORM_FIELDS}
    return submit(lambda: refurb.update_donor(db, current_user, donor, data), done=_donor_saved,
                  failed=lambda err: _donor_form(refurb.get_donor(db, current_user, donor_id), data, _errors(err)))


# --- sales and donations out ----------------------------------------------------------------

@bp.get("/ventes")
@roles_required(*STAFF)
def sales():
    db = get_db()
    return render_template("refurbishment/sales.html", sales=refurb.list_sales(db, current_user),
                           gifts=refurb.list_gifts(db, current_user), catalog=catalog)


# --- recycling ------------------------------------------------------------------------------

def _recycling_page(data: dict, errors: dict) -> str:
    db = get_db()
    candidates = refurb.candidates(db, current_user)
    return render_template("refurbishment/recycling.html", data=data, errors=errors, candidates=candidates,
                           holding_data=refurb.still_holding_data(db, candidates),
                           batches=list(reversed(refurb.register(db, current_user)))[:20],
                           waste_codes=catalog.WASTE_CODES,
                           treatment_codes={k: v for k, v in catalog.TREATMENT_CODES.items() if k},
                           register_rule=refurb.REGISTER_RULE)


@bp.get("/recyclage")
@roles_required(*WORKSHOP)
def recycling():
    data = {"asset_tags": request.args.getlist("tag"), "handed_over_on": today().isoformat(),
            "waste_code": "16 02 14"}
    return _recycling_page(data, {})


@bp.post("/recyclage")
@roles_required(*WORKSHOP)
def create_recycling_batch():
    db = get_db()
    form = request.form
    tags = form.getlist("asset_tags") + form.get("extra_tags", "").replace(",", " ").split()
    data = {k: form.get(k, "") for k in ("handed_over_on", "waste_code", "weight_kg", "carrier", "carrier_siret",
                                         "facility", "facility_siret", "treatment_code", "tracking_number", "notes",
                                         "media_destruction_certificate", "eco_organisme", "carrier_address",
                                         "carrier_receipt", "facility_address")}
    data["contains_pop"] = flag("contains_pop")
    data["asset_tags"] = tags
    shown = dict(data, extra_tags=form.get("extra_tags", ""), asset_tags=form.getlist("asset_tags"))
    return submit(lambda: refurb.create_batch(db, current_user, data),
                  done=lambda batch: see_other(url_for(".recycling_batch", batch_id=batch.id),
                                               f"Lot {batch.reference} enregistré au registre DEEE : "
                                               f"{plural(len(batch.items), 'appareil')}, "
                                               f"bordereau {batch.tracking_number}."),
                  failed=lambda err: _recycling_page(shown, _errors(err)))


@bp.get("/recyclage/<int:batch_id>")
@roles_required(*WORKSHOP)
def recycling_batch(batch_id: int):
    batch = refurb.get_batch(get_db(), current_user, batch_id)
    return render_template("refurbishment/recycling_batch.html", batch=batch, catalog=catalog,
                           destructions=refurb.destructions_of_batch(get_db(), batch))


def _year() -> int | None:
    try:
        year = int(request.args.get("annee", ""))
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


@bp.get("/registre-deee")
@roles_required(*WORKSHOP)
def waste_register():
    year = _year()
    batches = refurb.register(get_db(), current_user, year=year)
    total = sum((b.weight_kg for b in batches), start=0)
    return render_template("refurbishment/register.html", batches=batches, year=year, total=total,
                           this_year=today().year, catalog=catalog)


@bp.get("/registre-deee.csv")
@roles_required(*WORKSHOP)
def waste_register_csv():
    year = _year()
    batches = refurb.register(get_db(), current_user, year=year)
    columns, rows = refurb.REGISTER_COLUMNS, (refurb.register_row(b) for b in batches)
    name = f"registre-deee-{year}.csv" if year else "registre-deee.csv"
    return send_bytes(to_csv(columns, rows), name, CSV_MIMETYPE)


@bp.get("/registre-deee.xlsx")
@roles_required(*WORKSHOP)
def waste_register_xlsx():
    year = _year()
    batches = refurb.register(get_db(), current_user, year=year)
    rows = (refurb.register_row(b) for b in batches)
    name = f"registre-deee-{year}.xlsx" if year else "registre-deee.xlsx"
    return send_bytes(to_xlsx(refurb.REGISTER_COLUMNS, rows, title="Registre DEEE"), name, XLSX_MIMETYPE)


# --- prices ---------------------------------------------------------------------------------

def _prices_page(data: dict | None = None, errors: dict | None = None, reason_errors: dict | None = None) -> str:
    db = get_db()
    caps = refurb.caps(db)
    table = refurb.price_list(db)
    if data is None:
        data = {f"cap_{k}": f"{amount:.2f}".replace(".", ",") for k, (_l, amount) in caps.items()}
        for category, grades in table.items():
            for grade, price in grades.items():
                data[f"price_{category}_{grade}"] = f"{price:.2f}".replace(".", ",")
        data["warranty_months"] = str(refurb.warranty_months(db))
        data["producer_siret"] = get_setting(db, "producer_siret")
        for key in refurb.ORGANISATION_SETTINGS:
            data[key] = get_setting(db, key)
    return render_template("refurbishment/prices.html", data=data, errors=errors or {},
                           reason_errors=reason_errors or {}, caps=caps, categories=CATEGORIES,
                           grades=list(catalog.GRADES), price_categories=list(catalog.PRICE_LIST),
                           reasons=refurb.eligibility_reasons(db, active_only=False),
                           can_edit=current_user.role in NETWORK_ROLES)


@bp.get("/tarifs")
@roles_required(*STAFF)
def prices():
    return _prices_page()


@bp.post("/tarifs")
@roles_required(*NETWORK)
def update_prices():
    db = get_db()
    data = dict(request.form.items())
    return submit(lambda: refurb.update_prices(db, current_user, data),
                  done=lambda _: see_other(url_for(".prices"), "Tarifs, plafonds et garantie enregistrés."),
                  failed=lambda err: _prices_page(data, _errors(err)))


@bp.post("/tarifs/motifs")
@roles_required(*NETWORK)
def update_reasons():
    db = get_db()
    codes, labels = request.form.getlist("reason_code"), request.form.getlist("reason_label")
    active = set(request.form.getlist("reason_active"))
    rows = [{"code": c, "label": label, "active": str(i) in active} for i, (c, label) in enumerate(zip(codes, labels))]
    return submit(lambda: refurb.update_reasons(db, current_user, rows),
                  done=lambda _: see_other(url_for(".prices") + "#motifs", "Motifs d'éligibilité enregistrés."),
                  failed=lambda err: _prices_page(reason_errors=_errors(err)))

