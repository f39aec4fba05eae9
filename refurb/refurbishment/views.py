"""Workshop pages: the technician's queue, the scan that opens a device at its step, and
the device-page panel whose forms (diagnosis, erasure, repair, grading, sale, donation)
post with HTMX and answer the device page in place. Donations, recycling and prices: ``views_desk.py``."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from ..accounts.roles import STAFF_ROLES, WORKSHOP_ROLES
from ..clock import today, utcnow
from ..errors import RefurbError
from ..extensions import get_db
from ..formatting import local
from ..inventory import services as inventory
from ..inventory.categories import WITH_BATTERY
from ..inventory.workflow import STATES
from ..sites.services import get_site
from ..web.access import roles_required
from ..web.files import send_bytes
from ..web.kit import is_htmx, see_other, submit
from ..web.layout import current_site, user_sites
from . import catalog
from . import services as refurb

bp = Blueprint("refurbishment", __name__, url_prefix="/atelier")

WORKSHOP = tuple(sorted(WORKSHOP_ROLES))
STAFF = tuple(sorted(STAFF_ROLES))
PANEL_MESSAGE = "refurb-panel"  # flash category shown inside the panel (after an HTMX re-render)
QUEUE_ROWS = 100  # rows shown per step (oldest first): a tablet on the bus stays fast
# The title of the form the panel opens first, by form.
NEXT_TITLES = {"diagnosis": "diagnostic", "erasure": "effacement des données", "destruction": "destruction des supports",
               "repair": "réparation", "grading": "grade", "sale": "vente", "gift": "don"}


def device_url(tag: str) -> str:
    return url_for("inventory.device_page", asset_tag=tag)


def report_store() -> refurb.ReportStore:
    """Where this installation keeps the erasure tools' reports (REFURB_REPORTS_DIR, else the instance
    folder's ``reports``), and their size limit (REFURB_MAX_REPORT_MB)."""
    directory = current_app.config.get("REFURB_REPORTS_DIR") or Path(current_app.instance_path) / "reports"
    return refurb.ReportStore(Path(directory), _max_report_bytes())


def _max_report_bytes() -> int:
    return int(float(current_app.config.get("REFURB_MAX_REPORT_MB", refurb.DEFAULT_MAX_REPORT_MB)) * 1024 * 1024)


# --- queue ----------------------------------------------------------------------------------

def _queue_page(site=None, *, scan_message: str | None = None, code: str = "") -> str:
    db = get_db()
    groups, total = refurb.queue(db, current_user, site)
    return render_template("refurbishment/queue.html", groups=groups, total=total, order=refurb.STEP_ORDER,
                           labels=refurb.STEP_LABELS, sites=user_sites(), site=site,
                           scan_message=scan_message, code=code, shown=QUEUE_ROWS)


@bp.get("/")
@roles_required(*WORKSHOP)
def queue():
    site_code = (request.args.get("site") or "").strip().upper()
    return _queue_page(get_site(get_db(), site_code) if site_code else None)


@bp.get("/scan")
@roles_required(*WORKSHOP)
def scan():
    """The workshop scan field: a tag (or a unique serial number, or a label's QR URL) opens the device."""
    db = get_db()
    code = inventory.normalise_code(request.args.get("code", ""))[:120]
    device = inventory.find_by_code(db, current_user, code) if code else None
    if device is not None:
        inventory.get_device(db, current_user, device.asset_tag)  # site check: 403 on another site's device
        return see_other(device_url(device.asset_tag) + "#refurb-panel")
    message = (f"Aucun appareil ne correspond au code « {code[:80]} ». Vérifiez l'étiquette ou saisissez-la."
               if code else "Scannez ou saisissez l'étiquette d'un appareil, puis appuyez sur Entrée.")
    return _queue_page(scan_message=message, code=code), 404


# --- device panel ---------------------------------------------------------------------------

def _local_input(dt) -> str:
    return local(dt).strftime("%Y-%m-%dT%H:%M") if dt else ""


def _defaults(device, st, price) -> dict:
    """What the panel's forms start with."""
    # never a reading made before a battery replacement: the new battery is measured again
    battery = st.measured_battery if st.measured_battery is not None \
        else "" if st.battery_replaced_at else (device.specs or {}).get("battery_health", "")
    day = today().isoformat()
    return {
        "erasure": {"method": "overwrite", "nist_category": "clear", "tool": "nwipe", "passes": "1",
                    "verified": "1", "result": "passed", "ended_at": _local_input(utcnow()),
                    "media_size": [str((device.specs or {}).get("storage_gb", ""))], "media_kind": [""]},
        "grading": {"battery_health": battery},
        "sale": {"price": f"{price.suggested:.2f}".replace(".", ",") if price.suggested is not None else "",
                 "delivered_on": day, "eligible": "1" if price.capped else ""},
        "gift": {"delivered_on": day, "eligible": "1" if price.capped else ""},
        "destruction": {"destroyed_on": day},
    }


def _undo(db, user, device, reads) -> dict | None:
    """The last move the user may still take back here, with its deadline (from the page's history when the
    page has read it)."""
    event = inventory.undo_offer(db, user, device, reads.known("history"))
    if event is None:
        return None
    return {"event": event, "until": inventory.undo_deadline(db, event),
            "label": f"{STATES[event.from_state]} → {STATES[event.to_state]}"}


def panel_context(db, user, device, reads=None, *, form: str | None = None, data: dict | None = None,
                  errors: dict | None = None) -> dict | None:
    """What the "Atelier" panel of the device page shows (None hides it): the forms and moves of
    ``available_actions``, the form ``form`` again with its ``data`` and ``errors`` after a refusal.
    ``reads``: what the page's panels share (``inventory.PageReads``)."""
    if user.role not in STAFF_ROLES:
        return None
    reads = reads or inventory.PageReads()
    st = refurb.page_status(db, device, reads)
    actions = refurb.available_actions(db, user, device, st)
    price = refurb.pricing(db, device, st.origin)
    can = {a.key: True for a in actions if not a.move}
    primary = next((a.key for a in actions if a.primary and not a.move), None)
    if form in can:
        primary = form
    defaults = _defaults(device, st, price)
    if "diagnosis" in can:
        # SMART and battery from the hardware reports (read once for the page, with the reports' panel)
        defaults["diagnosis"] = refurb.diagnosis_defaults(db, device, refurb.reports_for_page(db, device, reads))
    forms = {key: {"data": dict(defaults.get(key, {})), "errors": {}} for key in can}
    if form in forms:
        forms[form] = {"data": data or {}, "errors": errors or {}}
    general_error = (errors or {}).get("_") if (errors and form not in forms) else None
    return {"rp": {
        "st": st, "donation": st.origin.donation if st.origin else None, "price": price, "can": can,
        "primary": primary, "next_title": NEXT_TITLES.get(primary, ""), "forms": forms,
        "moves": [a for a in actions if a.move and not a.danger],
        "others": [a for a in actions if not a.move and a.key != primary],
        # the one action area's dangerous group (leaving the stock), with the inventory's own moves (lost, found)
        "danger": [a for a in actions if a.move and a.danger], "consequences": refurb.DANGER_CONSEQUENCES,
        "inventory_moves": inventory.inventory_moves(device), "undo": _undo(db, user, device, reads),
        "finish": next((a for a in actions if a.move and a.key == "ready" and not a.refusal), None)
        if "grading" in can else None,
        "checks": [(k, catalog.CHECKS[k]) for k in refurb.category_checks(device.category)],
        "battery": device.category in WITH_BATTERY, "erasures": st.all_erasures, "repairs": st.all_repairs,
        # a sale or a gift is recorded with the move that makes the device leave the stock
        "sale": refurb.sale_of(db, device) if device.state == "sold" else None,
        "gift": refurb.gift_of(db, device) if device.state == "donated" else None,
        "reasons": refurb.eligibility_reasons(db) if ("sale" in can or "gift" in can) else [],
        "warranty_months": refurb.warranty_months(db) if "sale" in can else None, "catalog": catalog,
        "max_report_mb": _max_report_bytes() // 1048576, "workshop": user.role in WORKSHOP_ROLES,
        "error": general_error,
    }}


def _panel(db, device, **refusal) -> str:
    """The panel alone (htmx), or on a page of its own (a form posted without JavaScript)."""
    html = render_template("refurbishment/_panel.html", device=device,
                           **panel_context(db, current_user, device, **refusal))
    if is_htmx():
        return html
    return render_template("refurbishment/device_step.html", device=device, panel=Markup(html))


def _done(device, message: str):
    """A panel form succeeded: the device page in place (htmx: its state, panel and timeline changed, one
    round trip), or the page itself."""
    if not is_htmx():
        return see_other(device_url(device.asset_tag) + "#refurb-panel", message)
    flash(message, PANEL_MESSAGE)  # shown in the panel, with its tone, when it is swapped in
    headers = {"HX-Retarget": "#device-main", "HX-Reswap": "outerHTML"}
    if not request.headers.get("HX-Current-URL", "").split("#")[0].endswith(device_url(device.asset_tag)):
        headers["HX-Push-Url"] = device_url(device.asset_tag)
    return render_template("inventory/_device_main.html", device=device, clear_flash=True), 200, headers


def _posted(form_key: str, parse, service, success):
    """Run one panel form: parse, then the service (a use case); on success the device page, on a
    refusal the panel again with the form's errors."""
    db = get_db()
    device = inventory.get_device(db, current_user, request.view_args["asset_tag"])
    data = parse(device)

    def refused(err: RefurbError) -> str:
        errors = dict(err.fields) if err.fields else {}
        if not err.fields or err.status != 422:
            errors["_"] = err.message
        fresh = inventory.get_device(db, current_user, device.asset_tag)
        return _panel(db, fresh, form=form_key, data=_echo(data), errors=errors)
    return submit(lambda: service(db, device, data), failed=refused,
                  done=lambda result: _done(device, success if isinstance(success, str) else success(result)))


def _echo(data: dict) -> dict:
    """Form data to show again after an error (without file contents)."""
    return {k: v for k, v in data.items() if k != "report"}


def flag(name: str) -> str:
    """A checkbox sent after its hidden "0": the last value counts."""
    values = request.form.getlist(name)
    return values[-1] if values else "0"


def _form(_device=None) -> dict:
    return {k: v for k, v in request.form.items()}


@bp.get("/appareils/<asset_tag>")
@roles_required(*STAFF)
def device_step(asset_tag: str):
    """The device's workshop panel on a page of its own (also where a form without JavaScript
    comes back with its errors)."""
    db = get_db()
    device = inventory.get_device(db, current_user, asset_tag)
    html = render_template("refurbishment/_panel.html", device=device, **panel_context(db, current_user, device))
    return render_template("refurbishment/device_step.html", device=device, panel=Markup(html))


def _parse_diagnosis(device) -> dict:
    form = request.form
    checks = {k: form.get(f"check_{k}", "") for k in refurb.category_checks(device.category)}
    return {"checks": checks, "verdict": form.get("verdict", ""), "battery_health": form.get("battery_health", ""),
            "notes": form.get("notes", ""), "expected_version": form.get("expected_version", "")}


@bp.post("/appareils/<asset_tag>/diagnostic")
@roles_required(*WORKSHOP)
def record_diagnosis(asset_tag: str):
    return _posted("diagnosis", _parse_diagnosis,
                   lambda db, d, data: refurb.record_diagnosis(db, current_user, d, data,
                                                               expected_version=data["expected_version"]),
                   lambda diag: f"Diagnostic enregistré : {diag.verdict_label.lower()}.")


def _rows(*names: str) -> list[dict]:
    lists = [request.form.getlist(n) for n in names]
    count = max((len(values) for values in lists), default=0)
    return [{n: (lists[j][i] if i < len(lists[j]) else "") for j, n in enumerate(names)} for i in range(count)]


def _parse_erasure(_device) -> dict:
    form = request.form
    media = []
    for i, row in enumerate(_rows("media_serial", "media_manufacturer", "media_model", "media_size", "media_kind")):
        if i > 0 and not any(v.strip() for k, v in row.items() if k != "media_kind"):
            continue
        media.append({"serial": row["media_serial"], "manufacturer": row["media_manufacturer"],
                      "model": row["media_model"], "size_gb": row["media_size"], "kind": row["media_kind"]})
    data = {k: form.get(k, "") for k in ("method", "nist_category", "tool", "tool_version", "passes", "result",
                                         "started_at", "ended_at", "notes", "verification_method", "destination",
                                         "operator_title")}
    data["verified"] = flag("verified")
    data["media"] = media
    data["expected_version"] = form.get("expected_version", "")
    upload = request.files.get("report")
    if upload is not None and upload.filename:
        data["report"] = refurb.ReportFile(filename=upload.filename,
                                           content=upload.read(report_store().max_bytes + 1))
    return data


def _erasure_message(erasure) -> str:
    if erasure.unverified:
        return ("Effacement enregistré sans vérification : ce n'est pas une preuve, l'appareil n'est pas compté "
                "effacé. Relisez le support puis enregistrez un effacement vérifié.")
    if erasure.result == "passed":
        return ("Destruction du support enregistrée." if erasure.method == "destruction"
                else "Effacement réussi enregistré.")
    return "Effacement échoué enregistré : l'appareil reste bloqué jusqu'à un effacement réussi ou la destruction."


@bp.post("/appareils/<asset_tag>/effacement")
@roles_required(*WORKSHOP)
def record_erasure(asset_tag: str):
    def service(db, device, data):
        return refurb.record_erasure(db, current_user, device, data, report=data.get("report"), store=report_store(),
                                     expected_version=data["expected_version"])
    return _posted("erasure", _parse_erasure, service, _erasure_message)


def _parse_repair(_device) -> dict:
    form = request.form
    parts = []
    for row in _rows("part_description", "part_source", "part_from_tag", "part_cost"):
        if not any(v.strip() for k, v in row.items() if k != "part_source"):
            continue
        parts.append({"description": row["part_description"], "source": row["part_source"],
                      "from_tag": row["part_from_tag"], "cost": row["part_cost"]})
    return {"problem": form.get("problem", ""), "action": form.get("action", ""),
            "minutes": form.get("minutes", ""), "checks_fixed": form.getlist("checks_fixed"), "parts": parts,
            "expected_version": form.get("expected_version", "")}


@bp.post("/appareils/<asset_tag>/reparation")
@roles_required(*WORKSHOP)
def record_repair(asset_tag: str):
    return _posted("repair", _parse_repair,
                   lambda db, d, data: refurb.record_repair(db, current_user, d, data,
                                                            expected_version=data["expected_version"]),
                   "Réparation enregistrée.")


@bp.post("/appareils/<asset_tag>/grade")
@roles_required(*WORKSHOP)
def record_grading(asset_tag: str):
    if request.form.get("then") == "ready":  # "Enregistrer et déclarer prêt à la vente"
        return _posted("grading", _form,
                       lambda db, d, data: refurb.grade_and_declare_ready(
                           db, current_user, d, data, expected_version=data.get("expected_version")),
                       lambda g: f"Grade {g.grade} enregistré, appareil déclaré reconditionné.")
    return _posted("grading", _form,
                   lambda db, d, data: refurb.record_grading(db, current_user, d, data,
                                                             expected_version=data.get("expected_version")),
                   lambda g: f"Grade {g.grade} enregistré.")


def _parse_sale(_device) -> dict:
    data = _form()
    data["eligible"] = flag("eligible")
    return data


@bp.post("/appareils/<asset_tag>/vente")
@roles_required(*STAFF)
def record_sale(asset_tag: str):
    return _posted("sale", _parse_sale,
                   lambda db, d, data: refurb.sell(db, current_user, d, data,
                                                   expected_version=data.get("expected_version")),
                   lambda s: f"Vente {s.reference} enregistrée — garantie jusqu'au {s.warranty_until:%d/%m/%Y}.")


@bp.post("/appareils/<asset_tag>/don")
@roles_required(*STAFF)
def record_gift(asset_tag: str):
    return _posted("gift", _parse_sale,
                   lambda db, d, data: refurb.give(db, current_user, d, data,
                                                   expected_version=data.get("expected_version")),
                   lambda g: f"Don à {g.recipient_name} enregistré.")


MOVE_MESSAGES = {"diagnosing": "Diagnostic commencé.", "repairing": "Appareil envoyé en réparation.",
                 "ready": "Appareil déclaré reconditionné.", "loan_pool": "Appareil mis au parc de prêt.",
                 "parts": "Appareil démonté pour pièces.", "recycled": "Appareil recyclé (DEEE)."}


@bp.post("/appareils/<asset_tag>/etape")
@roles_required(*STAFF)
def move_device(asset_tag: str):
    to_state = request.form.get("to", "")
    return _posted("move", _form,
                   lambda db, d, data: refurb.move(db, current_user, d, to_state, note=data.get("note", ""),
                                                   expected_version=data.get("expected_version")),
                   MOVE_MESSAGES.get(to_state, "Enregistré."))


@bp.post("/appareils/<asset_tag>/destruction")
@roles_required(*WORKSHOP)
def record_destruction(asset_tag: str):
    return _posted("destruction", _form,
                   lambda db, d, data: refurb.record_media_destruction(db, current_user, d, data,
                                                                       expected_version=data.get("expected_version")),
                   lambda m: f"{m.label} : enregistré.")


@bp.get("/effacements/<int:erasure_id>/rapport")
@roles_required(*WORKSHOP)
def erasure_report(erasure_id: int):
    erasure = refurb.get_erasure(get_db(), current_user, erasure_id)
    content = refurb.report_file(get_db(), erasure, report_store())
    response = send_bytes(content, erasure.report_filename or "rapport", "application/pdf"
                          if erasure.report_kind == "pdf" else "text/plain", inline=erasure.report_kind == "pdf")
    # A file that came from outside: never run anything from it in our origin.
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def current_site_code() -> str:
    site = current_site()
    return site.code if site else ""


from . import views_desk  # noqa: E402,F401  (donations, recycling, prices: same blueprint)
from . import views_reports  # noqa: E402,F401  (hardware reports: a USB stick, a device's files)
