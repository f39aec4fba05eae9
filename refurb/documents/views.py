"""Pages: the Documents page, inventories (PDF/CSV/XLSX, background when large), stock-takes by scanning,
exports and imports."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from .. import storage
from ..accounts.roles import ADMIN, MANAGER, NETWORK_ROLES, RECEPTION, TECHNICIAN
from ..accounts.scope import sites_for
from ..clock import today
from ..errors import Invalid, NotFound, RefurbError
from ..extensions import get_db
from ..formatting import date_fr
from ..web.access import roles_required
from ..web.files import send_bytes
from ..web.layout import current_site
from . import exports, imports, inventory, jobs, stocktakes
from .registry import DocumentContext, documents_for

bp = Blueprint("documents", __name__)

STAFF = (ADMIN, MANAGER, TECHNICIAN, RECEPTION)
STOCKTAKE = (ADMIN, MANAGER, TECHNICIAN)
IMPORTERS_ROLES = (ADMIN, MANAGER, TECHNICIAN)
TONE_OK = json.dumps({"refurb:tone": {"kind": "ok"}})
TONE_ERROR = json.dumps({"refurb:tone": {"kind": "error"}})


# --- Documents page ------------------------------------------------------------------------------

def _period(args) -> tuple[date, date]:
    default_start = today().replace(day=1)
    errors = {}
    try:
        start = date.fromisoformat(args.get("from")) if args.get("from") else default_start
    except ValueError:
        errors["from"] = "Début de période : date attendue au format AAAA-MM-JJ."
        start = default_start
    try:
        end = date.fromisoformat(args.get("to")) if args.get("to") else today()
    except ValueError:
        errors["to"] = "Fin de période : date attendue au format AAAA-MM-JJ."
        end = today()
    if not errors and end < start:
        errors["to"] = (f"La fin de la période ({date_fr(end)}) est avant son début ({date_fr(start)}) : "
                        "corrigez l'une des deux dates.")
    if errors:
        raise Invalid(fields=errors)
    return start, end


def _chosen_site(db, args):
    """The site chosen on the page: ?site=CODE, "*" for the whole network (managers), else the current site."""
    code = (args.get("site") or "").strip().upper()
    mine = sites_for(db, current_user)
    if code == "*":
        return None if current_user.role in NETWORK_ROLES else current_site()
    if code:
        site = next((s for s in mine if s.code == code), None)
        if site is None:
            raise NotFound(f"Aucun de vos sites ne porte le code « {code[:32]} ».")
        return site
    return current_site() or (None if current_user.role in NETWORK_ROLES else None)


@bp.get("/documents/")
@roles_required(*STAFF)
def index():
    db = get_db()
    errors = {}
    try:
        start, end = _period(request.args)
    except Invalid as err:
        errors = err.fields
        end = today()
        start = end.replace(day=1)
    site = _chosen_site(db, request.args)
    ctx = DocumentContext(current_user, site, start, end)
    return render_template("documents/index.html", sections=documents_for(ctx) if not errors else [], ctx=ctx,
                           sites=sites_for(db, current_user), errors=errors,
                           args={"from": request.args.get("from", start.isoformat()),
                                 "to": request.args.get("to", end.isoformat())}), (422 if errors else 200)


# --- inventories ---------------------------------------------------------------------------------

@bp.get("/documents/inventory")
@roles_required(*STAFF)
def inventory_form():
    db = get_db()
    here = current_site()
    return render_template("documents/inventory.html", sites=sites_for(db, current_user),
                           chosen=request.args.get("site", here.code if here else ""),
                           at=request.args.get("at", ""), today=today().isoformat(), errors={})


def _inventory_filename(inv: inventory.Inventory, ext: str) -> str:
    scope = inv.site.code if inv.site else "reseau"
    return f"inventaire-{scope}-{inv.at.isoformat()}.{ext}"


@bp.get("/documents/inventory.<fmt>")
@roles_required(*STAFF)
def inventory_document(fmt: str):
    db = get_db()
    if fmt not in ("pdf", "csv", "xlsx"):
        raise NotFound(f"Format inconnu : « {fmt[:10]} » (pdf, csv ou xlsx).")
    site_code = (request.args.get("site") or "").strip().upper()
    if site_code == "*":
        site_code = ""
    at = request.args.get("at") or None
    if fmt == "pdf":
        limit = current_app.config.get("REFURB_INVENTORY_SYNC_LIMIT", 10_000)
        inventory.parse_inventory_date(at)  # a bad date is refused before any background work
        if inventory.count_inventory(db, current_user, site_code or None) > limit:
            return _inventory_in_background(site_code or None, at)
    inv = inventory.build_inventory(db, current_user, site_code or None, at)
    if fmt == "pdf":
        return send_bytes(inventory.render_inventory_pdf(inv), _inventory_filename(inv, "pdf"), "application/pdf",
                         inline=True)
    columns, rows = inventory.inventory_table(inv)
    data, mimetype = exports.render(fmt, columns, rows, title=f"Inventaire {inv.at.isoformat()}")
    return send_bytes(data, _inventory_filename(inv, fmt), mimetype)


def _inventory_in_background(site_code: str | None, at):
    def work(db, user, progress):
        progress(0, 1, "Lecture de l'historique des appareils…")
        inv = inventory.build_inventory(db, user, site_code, at)
        progress(0, 1, f"Mise en page de {inv.total} appareils…")
        data = inventory.render_inventory_pdf(inv, progress=lambda done, total: progress(
            done, total, f"Page {done} / {total}…"))
        return jobs.JobOutput(data=data, summary=f"Inventaire prêt : {inv.total} appareils.")

    name = f"inventaire-{(site_code or 'reseau')}-{(at or today().isoformat())}.pdf"
    job = jobs.start_job(current_user, "Inventaire", work, filename=name, mimetype="application/pdf")
    return redirect(url_for(".job", job_id=job.id))


@bp.get("/documents/jobs/<job_id>")
@roles_required(*STAFF)
def job(job_id: str):
    item = jobs.get_job(current_user, job_id)
    template = "documents/_job_progress.html" if request.headers.get("HX-Request") else "documents/job.html"
    return render_template(template, job=item)


@bp.get("/documents/jobs/<job_id>/file")
@roles_required(*STAFF)
def job_file(job_id: str):
    item = jobs.get_job(current_user, job_id)
    if item.status != "done" or item.path is None or not item.path.exists():
        raise NotFound("Le document n'est pas (ou plus) prêt : revenez à la page de préparation.")
    return send_bytes(item.path.read_bytes(), item.filename or "document.bin", item.mimetype,
                     inline=item.mimetype == "application/pdf")


# --- stock-takes ---------------------------------------------------------------------------------

@bp.get("/stocktakes/")
@roles_required(*STOCKTAKE)
def stocktakes_list():
    db = get_db()
    here = current_site()
    return render_template("documents/stocktakes.html", items=stocktakes.list_stocktakes(db, current_user),
                           sites=sites_for(db, current_user), chosen=here.code if here else "", errors={})


@bp.post("/stocktakes/")
@roles_required(*STOCKTAKE)
def stocktake_start():
    db = get_db()
    try:
        st = stocktakes.start_stocktake(db, current_user, request.form.get("site", ""), request.form.get("note", ""))
    except RefurbError as err:
        db.rollback()
        if err.status in (403, 404):
            raise
        return render_template("documents/stocktakes.html", items=stocktakes.list_stocktakes(db, current_user),
                               sites=sites_for(db, current_user), chosen=request.form.get("site", ""),
                               errors=err.fields or {"site": err.message}), err.status
    db.commit()
    flash(f"Inventaire physique n° {st.id} commencé à « {st.site.name} » : {st.expected_count} appareils attendus. "
          "Scannez tout ce qui est en rayon.", "success")
    return redirect(url_for(".stocktake", stocktake_id=st.id))


def _live_context(db, st, result=None):
    return {"st": st, "counts": stocktakes.counts(db, st), "scans": stocktakes.last_scans(db, st),
            "result": result, "outcome_labels": stocktakes.OUTCOME_LABELS}


@bp.get("/stocktakes/<int:stocktake_id>")
@roles_required(*STOCKTAKE)
def stocktake(stocktake_id: int):
    db = get_db()
    st = stocktakes.get_stocktake(db, current_user, stocktake_id)
    res = None if st.is_open else stocktakes.results(db, current_user, st)
    return render_template("documents/stocktake.html", res=res, labels=stocktakes.RESOLUTION_LABELS,
                           **_live_context(db, st))


@bp.post("/stocktakes/<int:stocktake_id>/scan")
@roles_required(*STOCKTAKE)
def stocktake_scan(stocktake_id: int):
    db = get_db()
    st = stocktakes.get_stocktake(db, current_user, stocktake_id)
    result = stocktakes.record_scan(db, current_user, st, request.form.get("code", ""))
    db.commit()
    good = result.status == "found"
    if request.headers.get("HX-Request"):
        return render_template("documents/_stocktake_live.html", **_live_context(db, st, result)), 200, \
            {"HX-Trigger": TONE_OK if good else TONE_ERROR}
    flash(result.message, "success" if good else ("info" if result.status == "duplicate" else "error"))
    return redirect(url_for(".stocktake", stocktake_id=st.id))


@bp.post("/stocktakes/<int:stocktake_id>/close")
@roles_required(*STOCKTAKE)
def stocktake_close(stocktake_id: int):
    db = get_db()
    st = stocktakes.get_stocktake(db, current_user, stocktake_id)
    res = stocktakes.close_stocktake(db, current_user, st)
    db.commit()
    n = res.counts
    flash(f"Inventaire physique clos : {n.found} trouvés, {n.missing} manquants, {n.unexpected} inattendus, "
          f"{n.unknown} codes inconnus. Réglez les écarts ci-dessous.", "success")
    return redirect(url_for(".stocktake", stocktake_id=st.id))


@bp.post("/stocktakes/<int:stocktake_id>/resolve")
@roles_required(*STOCKTAKE)
def stocktake_resolve(stocktake_id: int):
    db = get_db()
    st = stocktakes.get_stocktake(db, current_user, stocktake_id)
    tag = request.form.get("asset_tag", "")
    resolution = stocktakes.resolve(db, current_user, st, tag, request.form.get("action", ""))
    db.commit()
    message = f"{resolution.device.asset_tag} : {stocktakes.RESOLUTION_LABELS[resolution.action].lower()}."
    if request.headers.get("HX-Request"):
        res = stocktakes.results(db, current_user, st)
        item = next(d for d in res.missing + res.unexpected if d.device.id == resolution.device_id)
        return render_template("documents/_discrepancy_row.html", st=st, d=item, labels=stocktakes.RESOLUTION_LABELS,
                               message=message), 200, {"HX-Trigger": TONE_OK}
    flash(message, "success")
    return redirect(url_for(".stocktake", stocktake_id=st.id) + "#ecarts")


@bp.get("/stocktakes/<int:stocktake_id>/report.pdf")
@roles_required(*STOCKTAKE)
def stocktake_report(stocktake_id: int):
    db = get_db()
    st = stocktakes.get_stocktake(db, current_user, stocktake_id)
    return send_bytes(stocktakes.render_report_pdf(db, current_user, st), f"inventaire-physique-{st.id}.pdf",
                     "application/pdf", inline=True)


# --- exports -------------------------------------------------------------------------------------

@bp.get("/exports/<key>.<fmt>")
@roles_required(*STAFF)
def export(key: str, fmt: str):
    db = get_db()
    dataset = exports.get_dataset(key, current_user)
    if fmt not in ("csv", "xlsx"):
        raise NotFound(f"Format inconnu : « {fmt[:10]} » (csv ou xlsx).")
    data, mimetype = exports.render(fmt, dataset.columns, dataset.rows(db, current_user, request.args),
                                    title=dataset.label)
    return send_bytes(data, f"{key}-{today().isoformat()}.{fmt}", mimetype)


# --- imports -------------------------------------------------------------------------------------

UPLOAD_PURPOSE = "import"


def _load_upload(db, key: str, token: str):
    """The pending import ``token`` of the current user for importer ``key``: (its facts, its table)."""
    stored = storage.get(db, token, owner_id=current_user.id, purpose=UPLOAD_PURPOSE)
    if stored.meta.get("key") != key:
        raise NotFound(storage.GONE)
    meta = dict(stored.meta, filename=stored.filename)
    return meta, imports.Table.from_json(stored.content)


@bp.route("/imports/<key>", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_upload(key: str):
    db = get_db()
    importer = imports.get_importer(key, current_user)
    here = current_site()
    errors = {}
    site = request.args.get("site", here.code if here else "")
    if request.method == "POST":
        # Checked before reading the body: a 50 MB upload is refused with its own message.
        size = request.content_length or 0
        if size > imports.MAX_IMPORT_BYTES:
            raise imports.TooLarge(imports.too_large_message(size))
        upload = request.files.get("file")
        site = request.form.get("site", "")
        if upload is None or not upload.filename:
            errors = {"file": "Choisissez le fichier à importer (.csv ou .xlsx)."}
        else:
            data = upload.read(imports.MAX_IMPORT_BYTES + 1)
            try:
                table = imports.read_table(upload.filename, data)
            except imports.TooLarge:
                raise
            except RefurbError as err:
                errors = {"file": err.message}
            else:
                # The file is read once, here; the preview and the commit work on the table kept with it.
                stored = storage.put(db, purpose=UPLOAD_PURPOSE, owner_id=current_user.id, filename=upload.filename,
                                     content=table.to_json(),
                                     meta={"key": key, "site": site, "encoding": table.encoding,
                                           "rows": len(table.rows), "source_bytes": len(data),
                                           "source_sha256": hashlib.sha256(data).hexdigest()})
                db.commit()
                return redirect(url_for(".import_preview", key=key, token=stored.token))
    return render_template("documents/import_upload.html", importer=importer, sites=sites_for(db, current_user),
                           chosen=site, errors=errors, max_mb=imports.MAX_IMPORT_BYTES // (1024 * 1024)), \
        (422 if errors else 200)


def _preview(importer, meta, table, mapping, status=200, errors=None, checked=None):
    return render_template("documents/import_preview.html", importer=importer, meta=meta, table=table,
                           mapping=mapping, checked=checked, errors=errors or {},
                           sample=table.rows[:8], token=request.view_args["token"]), status


@bp.route("/imports/<key>/<token>", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_preview(key: str, token: str):
    db = get_db()
    importer = imports.get_importer(key, current_user)
    meta, table = _load_upload(db, key, token)
    form = request.form if request.method == "POST" else request.args
    try:
        mapping = (imports.mapping_from_form(importer, table.headers, form)
                   if any(k.startswith("map_") for k in form) else imports.guess_mapping(importer, table.headers))
    except Invalid as err:
        return _preview(importer, meta, table, imports.guess_mapping(importer, table.headers), 422, err.fields)
    options = {"site": meta.get("site", ""), "filename": meta["filename"]}
    if request.method == "GET" or request.form.get("step") != "commit":
        checked = imports.check_table(db, current_user, importer, table, mapping, options)
        db.rollback()
        return _preview(importer, meta, table, mapping, 200 if checked.ok else 422, checked=checked)
    # Commit: all lines or none; the pending upload goes in the same transaction as the lines.
    if len(table.rows) > current_app.config.get("REFURB_IMPORT_SYNC_LIMIT", 300):
        link = url_for("documents.index")  # (no request in the worker thread)

        def work(job_db, user, progress):
            progress(0, len(table.rows), "Vérification des lignes…")
            count = imports.commit_table(job_db, user, importer, table, mapping, options, progress=progress)
            storage.discard(job_db, token)
            job_db.commit()
            return jobs.JobOutput(summary=f"{count} {importer.label.lower()} importés depuis « {meta['filename']} ».",
                                  link=link)
        db.rollback()
        job = jobs.start_job(current_user, f"Import : {importer.label}", work,
                             message="Vérification des lignes…")
        return redirect(url_for(".job", job_id=job.id))
    try:
        count = imports.commit_table(db, current_user, importer, table, mapping, options)
    except RefurbError as err:
        db.rollback()
        checked = imports.check_table(db, current_user, importer, table, mapping, options)
        db.rollback()
        return _preview(importer, meta, table, mapping, 422, {"_": err.message}, checked)
    storage.discard(db, token)
    db.commit()
    flash(f"{count} {importer.label.lower()} importés depuis « {meta['filename']} ».", "success")
    return redirect(url_for(".index"))


# --- hooks ---------------------------------------------------------------------------------------

def register_hooks(app) -> None:
    from ..web.layout import add_nav
    from .registry import register_document

    add_nav("documents.index", "Documents", STAFF)
    add_nav("documents.stocktakes_list", "Inventaire physique", STOCKTAKE)
    exports.register_builtin_datasets()
    imports.register_builtin_importers()

    def inventory_links(ctx: DocumentContext):
        site = ctx.site.code if ctx.site is not None else "*"
        if ctx.site is None and ctx.user.role not in NETWORK_ROLES:
            return []
        return [(fmt.upper(), url_for("documents.inventory_document", fmt=fmt, site=site))
                for fmt in ("pdf", "csv", "xlsx")] + \
               [("À une date passée…", url_for("documents.inventory_form", site=site))]

    register_document("inventory", "Inventaire du jour", section="Inventaires", roles=STAFF, order=10,
                      description="Appareils du site (ou du réseau) par catégorie et état, avec totaux et signatures.",
                      links=inventory_links)

    def inventory_end_links(ctx: DocumentContext):
        if ctx.site is None and ctx.user.role not in NETWORK_ROLES:
            return []
        site = ctx.site.code if ctx.site is not None else "*"
        return [(f"PDF au {date_fr(ctx.end)}", url_for("documents.inventory_document", fmt="pdf", site=site,
                                                       at=ctx.end.isoformat())),
                ("XLSX", url_for("documents.inventory_document", fmt="xlsx", site=site, at=ctx.end.isoformat()))]

    register_document("inventory_at_end", "Inventaire à la fin de la période", section="Inventaires", roles=STAFF,
                      order=11, description="Reconstitué depuis l'historique des appareils (ex. « au 31 décembre »).",
                      links=inventory_end_links)

    def stocktake_links(ctx: DocumentContext):
        from sqlalchemy import select

        from ..accounts.scope import limit_to_user_sites
        from .models import StockTake

        stmt = limit_to_user_sites(select(StockTake), StockTake.site_id, ctx.user)
        if ctx.site is not None:
            stmt = stmt.where(StockTake.site_id == ctx.site.id)
        items = list(get_db().scalars(stmt.order_by(StockTake.started_at.desc()).limit(10)))
        links = [(f"N° {st.id} — {st.site.name}, {date_fr(st.started_at)} ({'en cours' if st.is_open else 'clos'})",
                  url_for("documents.stocktake_report", stocktake_id=st.id))
                 for st in items if ctx.start <= st.started_at.date() <= ctx.end or st.is_open]
        return links + [("Commencer ou reprendre un inventaire physique", url_for("documents.stocktakes_list"))]

    register_document("stocktakes", "Rapports d'inventaire physique", section="Inventaire physique",
                      roles=STOCKTAKE, order=20,
                      description="Trouvés, manquants, inattendus et codes inconnus, avec la suite donnée.",
                      links=stocktake_links)

    def device_export_links(ctx: DocumentContext):
        args = {"site": ctx.site.code} if ctx.site is not None else {}
        return [("CSV", url_for("documents.export", key="devices", fmt="csv", **args)),
                ("XLSX", url_for("documents.export", key="devices", fmt="xlsx", **args))]

    register_document("devices_export", "Liste des appareils", section="Exports et imports", roles=STAFF, order=60,
                      description="Tous les appareils (tous états) du site, pour un tableur.",
                      links=device_export_links)
    register_document("devices_import", "Importer des appareils", section="Exports et imports",
                      roles=IMPORTERS_ROLES, order=61,
                      description="Depuis un fichier CSV ou XLSX, avec aperçu des colonnes et vérification de "
                                  "chaque ligne.",
                      links=lambda ctx: [("Importer un fichier…", url_for("documents.import_upload", key="devices",
                                                                          site=ctx.site_code or ""))])
