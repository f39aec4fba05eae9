"""Stock per site (counts, minimum levels, shortages) and transfers (scan basket, slip PDF).

The transfer basket lives in the Flask session (a signed cookie): it survives a reload and
works without JavaScript; the transfer form also carries the tags it shows as hidden inputs,
so what is moved is exactly what the person saw.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from ...accounts.roles import ADMIN, MANAGER, NETWORK_ROLES, STAFF_ROLES
from ...accounts.scope import sites_for
from ...errors import RefurbError
from ...extensions import get_db
from ...settings import get_setting
from ...sites.models import Site
from ...sites.services import all_sites, get_site
from ...web.access import roles_required
from ...web.files import send_bytes
from ...web.layout import add_nav
from ...web.views import HOME_BY_ROLE
from .. import services
from ..categories import CATEGORIES, CATEGORIES_PLURAL
from ..models import StockMinimum, Transfer
from ..workflow import FINAL_STATES, STATES
from . import bp

STAFF = tuple(sorted(STAFF_ROLES))
# Columns of the stock tables: every state a device still held by the network can be in.
STOCK_STATES = [s for s in STATES if s not in FINAL_STATES]
# Short column headings (the badges elsewhere use workflow.STATES).
STATE_COLUMNS = {"received": "Reçus", "diagnosing": "En diagnostic", "repairing": "En réparation",
                 "ready": "Reconditionnés", "loan_pool": "Parc de prêt", "on_loan": "En prêt",
                 "lost": "Perdus ou volés"}
# States a manager may set a minimum for.
COUNTED_STATES = {"loan_pool": "Parc de prêt", "ready": "Reconditionnés"}
BASKET_KEY = "transfer_basket"


# --- stock ---------------------------------------------------------------------------------

@dataclass
class SiteStock:
    """One site's counts by (category, state), its minimum levels and what is short."""

    site: Site
    counts: dict = field(default_factory=dict)
    minimums: dict = field(default_factory=dict)  # (category, state) -> minimum
    shortages: dict = field(default_factory=dict)  # (category, state) -> Shortage

    def count(self, category: str, state: str) -> int:
        return self.counts.get((category, state), 0)

    def row_total(self, category: str) -> int:
        return sum(self.count(category, s) for s in STOCK_STATES)

    def column_total(self, state: str) -> int:
        return sum(self.count(c, state) for c in CATEGORIES)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def categories(self, full: bool) -> list[str]:
        """Rows to show: all categories, or only those with devices or a minimum."""
        if full:
            return list(CATEGORIES)
        used = {c for c, _s in self.counts} | {c for c, _s in self.minimums}
        return [c for c in CATEGORIES if c in used]

    def row_shortages(self, category: str) -> list:
        return [self.shortages[(category, s)] for s in COUNTED_STATES if (category, s) in self.shortages]

    def minimum_text(self, category: str) -> str:
        parts = []
        for state, label in COUNTED_STATES.items():
            minimum = self.minimums.get((category, state))
            if not minimum:
                continue
            text = f"{label} ≥ {minimum}"
            short = self.shortages.get((category, state))
            if short is not None:
                text += (f" · manque {short.minimum - short.available} ({short.available} "
                         f"disponible{'s' if short.available > 1 else ''})")
            parts.append(text)
        return " ; ".join(parts)

    def table(self, full: bool) -> tuple[list[TableRow], TableRow | None]:
        """The rows of the site table, and its total row, ready to print (the page has hundreds
        of cells: formatting them here keeps the stock page fast)."""
        rows = []
        totals = dict.fromkeys(STOCK_STATES, 0)
        for category in self.categories(full):
            values = [self.counts.get((category, s), 0) for s in STOCK_STATES]
            for s, n in zip(STOCK_STATES, values):
                totals[s] += n
            rows.append(TableRow(CATEGORIES_PLURAL[category], [_cell(n) for n in values], _cell(sum(values)),
                                 self.minimum_text(category), any(s[0] == category for s in self.shortages)))
        if not rows:
            return rows, None
        values = [totals[s] for s in STOCK_STATES]
        return rows, TableRow("Total", [_cell(n) for n in values], _cell(sum(values)), "", False)


@dataclass
class TableRow:
    label: str
    cells: list  # (text, is_zero) per state column
    total: tuple
    minimum: str
    short: bool


def count_fr(n: int) -> str:
    """1 234 (narrow no-break space, as Babel's fr_FR), without Babel's cost per cell."""
    return f"{n:,}".replace(",", "\u202f")


def _cell(n: int) -> tuple[str, bool]:
    return count_fr(n), not n


def _stock(db, user, sites: list[Site], site: Site | None = None) -> tuple[list[SiteStock], list]:
    """The stock of these sites, with one count query and one minimums query."""
    rows = services.stock_counts(db, user, site)
    short = services.shortages(db, user, site, counts=rows)
    by_id = {s.id: SiteStock(s) for s in sites}
    for site_id, category, state, n in rows:
        if site_id not in by_id:  # a deactivated site that still holds devices
            extra = db.get(Site, site_id)
            by_id[site_id] = SiteStock(extra)
        by_id[site_id].counts[(category, state)] = n
    stmt = select(StockMinimum).where(StockMinimum.site_id.in_(list(by_id)), StockMinimum.minimum > 0)
    for m in db.scalars(stmt):
        by_id[m.site_id].minimums[(m.category, m.state)] = m.minimum
    for s in short:
        if s.site.id in by_id:
            by_id[s.site.id].shortages[(s.category, s.state)] = s
    ordered = sorted(by_id.values(), key=lambda st: (not st.site.active, st.site.name))
    return ordered, short


def _network_totals(stocks: list[SiteStock]) -> SiteStock:
    total = SiteStock(site=None)
    for st in stocks:
        for key, n in st.counts.items():
            total.counts[key] = total.counts.get(key, 0) + n
    return total


def _optional_url(endpoint: str, **values) -> str | None:
    """A link to another area's page only when that area is installed (no dead links)."""
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


def _common() -> dict:
    return {"STOCK_STATES": STOCK_STATES, "STATES": STATE_COLUMNS, "CATEGORIES": CATEGORIES,
            "CATEGORIES_PLURAL": CATEGORIES_PLURAL, "COUNTED_STATES": COUNTED_STATES, "count_fr": count_fr}


@bp.get("/stock")
@roles_required(*STAFF)
def stock():
    db = get_db()
    network = current_user.role in NETWORK_ROLES
    stocks, short = _stock(db, current_user, sites_for(db, current_user))
    overview_categories = [c for c in CATEGORIES
                           if any(st.count(c, s) or (c, s) in st.minimums for st in stocks for s in COUNTED_STATES)]
    return render_template("inventory/stock.html", stocks=stocks, shortages=short, network=network,
                           totals=_network_totals(stocks) if network else None,
                           overview_categories=overview_categories,
                           documents_url=_optional_url("documents.index"), **_common())


def _site_page(code: str, *, errors=None, form=None, message=None, status: int = 200):
    db = get_db()
    site = get_site(db, code)
    stocks, short = _stock(db, current_user, [site], site)  # stock_counts checks the site is the user's
    st = stocks[0]
    context = dict(st=st, shortages=short, errors=errors or {}, form=form or {},
                   inventory_url=_optional_url("documents.inventory_form", site=site.code),
                   editable=current_user.role in NETWORK_ROLES, **_common())
    if request.headers.get("HX-Request") and request.method == "POST":
        if errors and not message:
            message = ("error", "Le minimum n'a pas été enregistré : " + " ; ".join(errors.values()))
        response = make_response(render_template("inventory/_stock_site.html", oob_message=message, **context))
        tone = "error" if errors else "ok"
        response.headers["HX-Trigger"] = json.dumps({"refurb:tone": {"kind": tone}})
        return response
    return render_template("inventory/stock_site.html", **context), status


@bp.get("/stock/<code>")
@roles_required(*STAFF)
def stock_site(code: str):
    return _site_page(code)


@bp.post("/stock/<code>/minimums")
@roles_required(ADMIN, MANAGER)
def set_stock_minimum(code: str):
    db = get_db()
    site = get_site(db, code)
    form = {k: request.form.get(k, "") for k in ("category", "state", "minimum")}
    try:
        services.set_minimum(db, current_user, site, form["category"], form["state"], form["minimum"])
    except RefurbError as err:
        db.rollback()
        errors = err.fields or {"_": err.message}
        return _site_page(code, errors=errors, form=form, status=err.status)
    db.commit()
    value = int(form["minimum"])
    what = f"{CATEGORIES_PLURAL[form['category']].lower()} ({COUNTED_STATES[form['state']].lower()})"
    text = (f"Minimum enregistré pour {site.name} : au moins {value} {what}." if value
            else f"Minimum retiré pour {site.name} : {what}.")
    if request.headers.get("HX-Request"):
        return _site_page(code, message=("success", text))
    flash(text, "success")
    return redirect(url_for(".stock_site", code=site.code), code=303)


# --- transfer basket -----------------------------------------------------------------------

def _basket() -> list[str]:
    tags = session.get(BASKET_KEY)
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _save_basket(tags: list[str]) -> None:
    session[BASKET_KEY] = tags
    session.modified = True


def _destinations(db) -> list[tuple[str, str]]:
    """(code, label) of every active site of the network: a user may send devices anywhere."""
    return [(s.code, f"{s.name} ({s.code})") for s in all_sites(db, active_only=True)]


def _basket_context(db) -> dict:
    tags = _basket()
    devices = services.basket_devices(db, tags)
    if len(devices) != len(tags):  # a tag that no longer exists: drop it quietly
        _save_basket([d.asset_tag for d in devices])
    warnings = {d.asset_tag: services.transfer_refusal(d) for d in devices}
    return {"devices": devices, "warnings": {k: v for k, v in warnings.items() if v}}


def _add_to_basket(db, code: str) -> tuple[str, str, int]:
    """Add the scanned device; returns (kind, French message, HTTP status of a refusal)."""
    tags = _basket()
    try:
        device = services.check_for_basket(db, current_user, code, tags)
    except RefurbError as err:
        db.rollback()
        return "error", (err.fields.get("code") if err.fields else None) or err.message, err.status
    tags.append(device.asset_tag)
    _save_basket(tags)
    return "success", f"{device.asset_tag} ajouté au panier ({device.category_label}, {device.site.name}).", 200


def _new_page(*, message=None, errors=None, form=None, status: int = 200, code: str = ""):
    db = get_db()
    if message:
        flash(message[1], message[0])  # shown in the page's live #flash area
    return render_template("inventory/transfer_new.html", destinations=_destinations(db), code=code,
                           errors=errors or {}, form=form or {}, **_basket_context(db)), status


def _basket_response(message):
    """HTMX: the basket in place, with its tone; without JS: back to the page (or the error)."""
    kind = message[0] if message else "success"
    if request.headers.get("HX-Request"):
        response = make_response(render_template("inventory/_transfer_basket.html", oob_message=message,
                                                 **_basket_context(get_db())))
        response.headers["HX-Trigger"] = json.dumps({"refurb:tone": {"kind": "error" if kind == "error" else "ok"}})
        return response
    if kind == "error":
        status = message[2] if len(message) > 2 else 422
        return _new_page(message=message, errors={"code": message[1]}, status=status,
                         code=request.form.get("code", "")[:200])
    flash(message[1], "success")
    return redirect(url_for(".transfer_new"), code=303)


@bp.get("/transfers/new")
@roles_required(*STAFF)
def transfer_new():
    message = None
    tag = (request.args.get("tag") or "").strip()
    if tag:
        db = get_db()
        device = services.find_by_code(db, current_user, tag)
        if device is not None and device.asset_tag in _basket():
            message = ("info", f"{device.asset_tag} est dans le panier.")
        else:
            message = _add_to_basket(db, tag)
    return _new_page(message=message)


@bp.post("/transfers/new/scan")
@roles_required(*STAFF)
def transfer_scan():
    message = _add_to_basket(get_db(), request.form.get("code", ""))
    return _basket_response(message)


@bp.post("/transfers/new/remove")
@roles_required(*STAFF)
def transfer_remove():
    tag = (request.form.get("tag") or "").strip().upper()
    tags = _basket()
    if tag in tags:
        tags.remove(tag)
        _save_basket(tags)
        message = ("success", f"{tag} retiré du panier.")
    else:
        message = ("error", f"{tag[:40] or 'Cet appareil'} n'est pas dans le panier.", 404)
    return _basket_response(message)


@bp.post("/transfers/new/clear")
@roles_required(*STAFF)
def transfer_clear():
    _save_basket([])
    return _basket_response(("success", "Panier vidé."))


@bp.post("/transfers")
@roles_required(*STAFF)
def create_transfer():
    db = get_db()
    form = {"to_site": request.form.get("to_site", ""), "note": request.form.get("note", "")}
    tags = request.form.getlist("asset_tags") or _basket()
    try:
        transfer = services.transfer_devices(db, current_user, form["to_site"], tags, form["note"])
    except RefurbError as err:
        db.rollback()
        errors = dict(err.fields)
        if err.status == 404 and not err.fields and "site" in err.message:
            errors["to_site"] = err.message
        return _new_page(message=("error", err.message), errors=errors, form=form, status=err.status)
    db.commit()
    _save_basket([])
    n = len(transfer.items)
    flash(f"Transfert n° {transfer.id} enregistré : {n} appareil{'s' if n > 1 else ''} vers "
          f"« {transfer.to_site.name} ». Imprimez le bordereau et joignez-le au matériel.", "success")
    target = url_for(".transfer_detail", transfer_id=transfer.id)
    if request.headers.get("HX-Request"):
        return "", 204, {"HX-Redirect": target}
    return redirect(target, code=303)


# --- transfers: list, detail, slip ---------------------------------------------------------

@bp.get("/transfers")
@roles_required(*STAFF)
def transfers():
    db = get_db()
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 100000))
    per_page = 50
    items, total = services.list_transfers(db, current_user, page=page, per_page=per_page)
    pages = max(1, -(-total // per_page))
    return render_template("inventory/transfers.html", transfers=items, total=total, page=page, pages=pages)


def _from_sites(transfer: Transfer) -> list[Site]:
    seen: dict[int, Site] = {}
    for item in transfer.items:
        seen.setdefault(item.from_site_id, item.from_site)
    return list(seen.values())


@bp.get("/transfers/<int:transfer_id>")
@roles_required(*STAFF)
def transfer_detail(transfer_id: int):
    transfer = services.get_transfer(get_db(), current_user, transfer_id)
    return render_template("inventory/transfer.html", transfer=transfer, from_sites=_from_sites(transfer))


@bp.get("/transfers/<int:transfer_id>/slip.pdf")
@roles_required(*STAFF)
def transfer_slip(transfer_id: int):
    from ..transfer_slip import build_slip

    db = get_db()
    transfer = services.get_transfer(db, current_user, transfer_id)
    pdf = build_slip(transfer, get_setting(db, "network_name"))
    return send_bytes(pdf, f"bordereau-transfert-{transfer.id}.pdf", "application/pdf", inline=True)


# --- hooks ---------------------------------------------------------------------------------

def register_hooks(app) -> None:
    add_nav("inventory.stock", "Stock", STAFF_ROLES)
    HOME_BY_ROLE[MANAGER] = "inventory.stock"

