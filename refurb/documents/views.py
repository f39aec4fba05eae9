"""Pages: the Documents page, inventories (PDF/CSV/XLSX, background when large), stock-takes by scanning,
exports and imports."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import NETWORK_ROLES, STAFF_ROLES, WORKSHOP_ROLES
from ..clock import today
from ..errors import Invalid, NotFound, RefurbError
from ..extensions import get_db
from ..formatting import plural
from ..reports import services as reports
from ..tabular import render
from ..web.access import roles_required
from ..web.files import send_bytes
from ..web.kit import is_htmx, see_other, submit, tone
from ..web.layout import current_site, user_sites
from . import services
from .views_catalogue import DocumentContext, documents_for

bp = Blueprint("documents", __name__)


# --- Documents page ------------------------------------------------------------------------------

def _chosen_site(db, args):
    """The site chosen on the page: ?site=CODE, "*" for the whole network (managers), else the current site."""
    code = (args.get("site") or "").strip().upper()
    if code == "*":
        return None if current_user.role in NETWORK_ROLES else current_site()
    if code:
        site = next((s for s in user_sites() if s.code == code), None)
        if site is None:
            raise NotFound(f"Aucun de vos sites ne porte le code « {code[:32]} ».")
        return site
    return current_site()


@bp.get("/documents/")
@roles_required(*STAFF_ROLES)
def index():
    db = get_db()
    site = _chosen_site(db, request.args)

    def page(start: date, end: date, errors: dict):
        ctx = DocumentContext(db, current_user, site, start, end)
        return render_template("documents/index.html", sections=[] if errors else documents_for(ctx), ctx=ctx,
                               sites=user_sites(), errors=errors,
                               sees_network=current_user.role in NETWORK_ROLES,
                               args={"from": request.args.get("from", start.isoformat()),
                                     "to": request.args.get("to", end.isoformat())})

    return submit(lambda: reports.parse_period(request.args.get("from"), request.args.get("to")),
                  done=lambda period: page(*period, {}),
                  failed=lambda err: page(today().replace(day=1), today(), err.fields))


# --- inventories ---------------------------------------------------------------------------------

@bp.get("/documents/inventory")
@roles_required(*STAFF_ROLES)
def inventory_form():
    here = current_site()
    return render_template("documents/inventory.html", sites=user_sites(),
                           chosen=request.args.get("site", here.code if here else ""),
                           sees_network=current_user.role in NETWORK_ROLES,
                           at=request.args.get("at", ""), today=today().isoformat(), errors={})


@bp.get("/documents/inventory.<fmt>")
@roles_required(*STAFF_ROLES)
def inventory_document(fmt: str):
    db = get_db()
    if fmt not in ("pdf", "csv", "xlsx"):
        raise NotFound(f"Format inconnu : « {fmt[:10]} » (pdf, csv ou xlsx).")
    site_code = (request.args.get("site") or "").strip().upper()
    if site_code == "*":
        site_code = ""
    at = request.args.get("at") or None
    if fmt == "pdf" and services.count_inventory(db, current_user, site_code or None) > job_threshold():
        job = services.start_inventory_job(job_runner(), current_user, site_code or None, at)
        return redirect(url_for(".job", job_id=job.id))
    inv = services.build_inventory(db, current_user, site_code or None, at)
    if fmt == "pdf":
        return send_bytes(services.render_inventory_pdf(inv), inv.filename("pdf"), "application/pdf",
                          inline=True)
    columns, rows = services.inventory_table(inv)
    data, mimetype = render(fmt, columns, rows, title=f"Inventaire {inv.at.isoformat()}")
    return send_bytes(data, inv.filename(fmt), mimetype)


def job_threshold() -> int:
    """How many devices a document may cover before it is prepared in the background (REFURB_JOB_THRESHOLD)."""
    return current_app.config["REFURB_JOB_THRESHOLD"]


def job_runner() -> services.Runner:
    return current_app.extensions["refurb.jobs"]


def _job_page(item):
    state = services.effective_state(item)
    return render_template("documents/_job_progress.html" if is_htmx() else "documents/job.html", job=item,
                           state=state, notice=services.state_message(item, state), percent=services.percent(item),
                           labels=services.STATE_LABELS)


@bp.get("/documents/jobs/<job_id>")
@roles_required(*STAFF_ROLES)
def job(job_id: str):
    return _job_page(services.get_job(get_db(), current_user, job_id))


@bp.post("/documents/jobs/<job_id>/relancer")
@roles_required(*STAFF_ROLES)
def job_retry(job_id: str):
    def relaunched(item):
        job_runner().kick()
        return _job_page(item) if is_htmx() else see_other(url_for(".job", job_id=item.id), "Travail relancé.")

    return submit(lambda: services.retry_job(get_db(), current_user, job_id), done=relaunched,
                  failed=lambda err: _job_page(services.get_job(get_db(), current_user, job_id)))


@bp.get("/documents/jobs/<job_id>/file")
@roles_required(*STAFF_ROLES)
def job_file(job_id: str):
    item, data = services.job_result(get_db(), current_user, job_id)
    return send_bytes(data, item.filename or "document.bin", item.mimetype, inline=item.mimetype == "application/pdf")


# --- stock-takes ---------------------------------------------------------------------------------

def _stocktakes_page(chosen: str, errors: dict):
    db = get_db()
    return render_template("documents/stocktakes.html", items=services.list_stocktakes(db, current_user),
                           sites=user_sites(), chosen=chosen, errors=errors)


@bp.get("/stocktakes/")
@roles_required(*WORKSHOP_ROLES)
def stocktakes_list():
    here = current_site()
    return _stocktakes_page(here.code if here else "", {})


@bp.post("/stocktakes/")
@roles_required(*WORKSHOP_ROLES)
def stocktake_start():
    def started(st):
        return see_other(url_for(".stocktake", stocktake_id=st.id),
                         f"Inventaire physique n° {st.id} commencé à « {st.site.name} » : {st.expected_count} "
                         "appareils attendus. Scannez tout ce qui est en rayon.")

    def failed(err: RefurbError):
        if err.status in (403, 404):
            raise err
        return _stocktakes_page(request.form.get("site", ""), err.fields or {"site": err.message})

    return submit(lambda: services.start_stocktake(get_db(), current_user, request.form.get("site", ""),
                                                   request.form.get("note", "")),
                  done=started, failed=failed)


def _live_context(db, st, result=None):
    return {"st": st, "counts": services.counts(db, st), "scans": services.last_scans(db, st),
            "result": result, "outcome_labels": services.OUTCOME_LABELS}


@bp.get("/stocktakes/<int:stocktake_id>")
@roles_required(*WORKSHOP_ROLES)
def stocktake(stocktake_id: int):
    db = get_db()
    st = services.get_stocktake(db, current_user, stocktake_id)
    res = None if st.is_open else services.results(db, current_user, st)
    return render_template("documents/stocktake.html", res=res, labels=services.RESOLUTION_LABELS,
                           **_live_context(db, st))


@bp.post("/stocktakes/<int:stocktake_id>/scan")
@roles_required(*WORKSHOP_ROLES)
def stocktake_scan(stocktake_id: int):
    db = get_db()
    st = services.get_stocktake(db, current_user, stocktake_id)
    result = services.record_scan(db, current_user, st, request.form.get("code", ""))
    good = result.status == "found"
    if is_htmx():
        return render_template("documents/_stocktake_live.html", **_live_context(db, st, result)), 200, \
            tone("ok" if good else "error")
    return see_other(url_for(".stocktake", stocktake_id=st.id), result.message,
                     "success" if good else ("info" if result.status == "duplicate" else "error"))


@bp.post("/stocktakes/<int:stocktake_id>/close")
@roles_required(*WORKSHOP_ROLES)
def stocktake_close(stocktake_id: int):
    db = get_db()
    st = services.get_stocktake(db, current_user, stocktake_id)
    n = services.close_stocktake(db, current_user, st).counts
    return see_other(url_for(".stocktake", stocktake_id=st.id),
                     f"Inventaire physique clos : {plural(n.found, 'trouvé')}, {plural(n.missing, 'manquant')}, "
                     f"{plural(n.unexpected, 'inattendu')}, {plural(n.unknown, 'code inconnu')}. "
                     "Réglez les écarts ci-dessous.")


@bp.post("/stocktakes/<int:stocktake_id>/resolve")
@roles_required(*WORKSHOP_ROLES)
def stocktake_resolve(stocktake_id: int):
    db = get_db()
    st = services.get_stocktake(db, current_user, stocktake_id)
    resolution = services.resolve(db, current_user, st, request.form.get("asset_tag", ""),
                                  request.form.get("action", ""))
    message = f"{resolution.device.asset_tag} : {services.RESOLUTION_LABELS[resolution.action].lower()}."
    if is_htmx():
        res = services.results(db, current_user, st)
        item = next(d for d in res.missing + res.unexpected if d.device.id == resolution.device_id)
        return render_template("documents/_discrepancy_row.html", st=st, d=item, labels=services.RESOLUTION_LABELS,
                               message=message), 200, tone("ok")
    return see_other(url_for(".stocktake", stocktake_id=st.id) + "#ecarts", message)


@bp.get("/stocktakes/<int:stocktake_id>/report.pdf")
@roles_required(*WORKSHOP_ROLES)
def stocktake_report(stocktake_id: int):
    db = get_db()
    st = services.get_stocktake(db, current_user, stocktake_id)
    return send_bytes(services.render_report_pdf(db, current_user, st), f"inventaire-physique-{st.id}.pdf",
                      "application/pdf", inline=True)


# --- exports -------------------------------------------------------------------------------------

@bp.get("/exports/<key>.<fmt>")
@roles_required(*STAFF_ROLES)
def export(key: str, fmt: str):
    db = get_db()
    dataset = services.get_dataset(key, current_user)
    if fmt not in ("csv", "xlsx"):
        raise NotFound(f"Format inconnu : « {fmt[:10]} » (csv ou xlsx).")
    data, mimetype = render(fmt, dataset.columns, dataset.rows(db, current_user, request.args), title=dataset.label)
    return send_bytes(data, f"{key}-{today().isoformat()}.{fmt}", mimetype)


# --- imports -------------------------------------------------------------------------------------

@bp.route("/imports/<key>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def import_upload(key: str):
    db = get_db()
    importer = services.get_importer(key, current_user)

    def form(site: str, errors: dict):
        return render_template("documents/import_upload.html", importer=importer, sites=user_sites(),
                               chosen=site, errors=errors, max_mb=services.MAX_IMPORT_BYTES // (1024 * 1024))

    if request.method == "GET":
        here = current_site()
        return form(request.args.get("site", here.code if here else ""), {})
    # Checked before reading the body: a 50 MB upload is refused with its own message.
    size = request.content_length or 0
    if size > services.MAX_IMPORT_BYTES:
        raise services.TooLarge(services.too_large_message(size))
    site = request.form.get("site", "")

    def upload() -> str:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise Invalid(fields={"file": "Choisissez le fichier à importer (.csv ou .xlsx)."})
        data = upload.read(services.MAX_IMPORT_BYTES + 1)
        # The file is read once, here; the preview and the commit work on the table kept with it.
        table = services.read_table(upload.filename, data)
        return services.keep_upload(db, current_user, key, upload.filename, data, table, site)

    def failed(err: RefurbError):
        if isinstance(err, services.TooLarge):
            raise err
        return form(site, err.fields or {"file": err.message})

    return submit(upload, done=lambda token: see_other(url_for(".import_preview", key=key, token=token)),
                  failed=failed)


def _preview(importer, meta, table, mapping, errors=None, checked=None):
    return render_template("documents/import_preview.html", importer=importer, meta=meta, table=table,
                           mapping=mapping, checked=checked, errors=errors or {},
                           sample=table.rows[:8], token=request.view_args["token"])


@bp.route("/imports/<key>/<token>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def import_preview(key: str, token: str):
    db = get_db()
    importer = services.get_importer(key, current_user)
    meta, table = services.pending_upload(db, current_user, key, token)
    form = request.form if request.method == "POST" else request.args
    if any(k.startswith("map_") for k in form):
        return submit(lambda: services.mapping_from_form(importer, table.headers, form),
                      done=lambda mapping: _check_or_import(db, importer, meta, table, mapping, token),
                      failed=lambda err: _preview(importer, meta, table,
                                                  services.guess_mapping(importer, table.headers), err.fields))
    return _check_or_import(db, importer, meta, table, services.guess_mapping(importer, table.headers), token)


def _check_or_import(db, importer, meta, table, mapping, token):
    """The preview with every line checked; or, asked to import, all lines or none."""
    options = {"site": meta.get("site", ""), "filename": meta["filename"]}
    if request.method == "GET" or request.form.get("step") != "commit":
        checked = services.check_table(db, current_user, importer, table, mapping, options)
        return _preview(importer, meta, table, mapping, checked=checked), 200 if checked.ok else 422
    if len(table.rows) > current_app.config.get("REFURB_IMPORT_SYNC_LIMIT", 300):
        return _import_in_background(importer, meta, table, mapping, options, token)

    def refused(err: RefurbError):
        return _preview(importer, meta, table, mapping, {"_": err.message},
                        services.check_table(db, current_user, importer, table, mapping, options))

    return submit(lambda: services.import_table(db, current_user, importer, table, mapping, options, pending=token),
                  done=lambda count: see_other(url_for(".index"), f"{count} {importer.label.lower()} importés "
                                                                   f"depuis « {meta['filename']} »."),
                  failed=refused)


def _import_in_background(importer, meta, table, mapping, options, token):
    params = {"importer": importer.key, "token": token, "mapping": {str(k): v for k, v in mapping.items()},
              "options": options, "link": url_for("documents.index")}
    job = services.start_job(get_db(), current_user, "import", params, label=f"Import : {importer.label}",
                             message="Vérification des lignes…")
    job_runner().kick()
    return see_other(url_for(".job", job_id=job.id))
