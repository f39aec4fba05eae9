"""Stock per site (counts, minimum levels, shortages) and transfers (scan basket, slip PDF).

The transfer basket lives in the Flask session (a signed cookie): it survives a reload and
works without JavaScript; the transfer form also carries the tags it shows as hidden inputs,
so what is moved is exactly what the person saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import flash, render_template, request, session, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from ...accounts.roles import MANAGER, NETWORK_ROLES, STAFF_ROLES
from ...errors import NotFound, RefurbError
from ...extensions import get_db
from ...formatting import plural
from ...sites.services import all_sites, get_site
from ...web.access import roles_required
from ...web.files import send_bytes
from ...web.kit import is_htmx, page_number, see_other, submit, tone
from ...web.layout import add_nav, user_site_names
from ...web.views import HOME_BY_ROLE
from .. import services
from ..categories import CATEGORIES, CATEGORIES_PLURAL
from ..workflow import HELD_STATES
from . import bp

STAFF = tuple(sorted(STAFF_ROLES))
NETWORK = tuple(sorted(NETWORK_ROLES))
# Columns of the stock tables: every state a device still held by the network can be in.
STOCK_STATES = list(HELD_STATES)
# Short column headings (the badges elsewhere use workflow.STATES).
STATE_COLUMNS = {"received": "Reçus", "diagnosing": "En diagnostic", "repairing": "En réparation",
                 "ready": "Reconditionnés", "loan_pool": "Parc de prêt", "on_loan": "En prêt",
                 "lost": "Perdus ou volés"}
# States a manager may set a minimum for.
COUNTED_STATES = {"loan_pool": "Parc de prêt", "ready": "Reconditionnés"}
_COUNTED_INDEX = [(state, services.HELD_INDEX[state]) for state in COUNTED_STATES]  # where in a row of counts
BASKET_KEY = "transfer_basket"


# --- stock ---------------------------------------------------------------------------------

class SiteStock(services.SiteLevels):
    """One site's stock (``services.stock_levels``), with what the tables print."""

    @property
    def total(self) -> int:
        return sum(map(sum, self.held.values()))

    def categories(self, full: bool) -> list[str]:
        """Rows to show: all categories, or only those with devices or a minimum."""
        if full:
            return list(CATEGORIES)
        used = self.held.keys() | {c for c, _s in self.minimums}
        return [c for c in CATEGORIES if c in used]

    def minimum_text(self, category: str) -> str:
        parts = []
        for state, label in COUNTED_STATES.items():
            minimum = self.minimums.get((category, state))
            if not minimum:
                continue
            text = f"{label} ≥ {minimum}"
            short = self.shortages.get((category, state))
            if short is not None:
                text += (f" · manque {short.minimum - short.available} "
                         f"({plural(short.available, 'disponible')})")
            parts.append(text)
        return " ; ".join(parts)

    @cached_property
    def heading(self) -> Markup:
        """The site's row heading in the network's tables: its name (a link to its stock), its shortages, whether
        it is deactivated."""
        site = self.site
        notes = f"<br><small>⚠ {escape(plural(len(self.shortages), 'manque'))}</small>" if self.shortages else ""
        if not site.active:
            notes += "<br><small>(site désactivé)</small>"
        link = escape(url_for("inventory.stock_site", code=site.code))
        return Markup(f'<th scope="row"><a href="{link}">{escape(site.name)}</a>{notes}</th>')

    def overview(self, categories: list[str]) -> Markup:
        """The site's cells in the network overview: each category's counted states, a count with its minimum."""
        cells = []
        none = (0,) * len(STOCK_STATES)
        for category in categories:
            counts = self.held.get(category, none)
            for state, i in _COUNTED_INDEX:
                n = counts[i]
                minimum = self.minimums.get((category, state))
                if (category, state) in self.shortages:
                    cells.append(f'<td class="num shortage">⚠ {count_fr(n)} <small>min. {minimum}</small></td>')
                else:
                    cells.append(_count_cell(count_fr(n), not n, f"(min. {minimum})" if minimum else ""))
        return Markup("".join(cells))

    def by_state(self) -> TableRow:
        """The site's devices by state, all categories together (a row of the network's table of sites)."""
        values = [sum(column) for column in zip(*self.held.values())] or [0] * len(STOCK_STATES)
        return TableRow(self.site.name, [_cell(n) for n in values], _cell(sum(values)), "", bool(self.shortages))

    def table(self, full: bool) -> tuple[list[TableRow], TableRow | None]:
        """The rows of the site table, and its total row, ready to print (the page has hundreds
        of cells: formatting them here keeps the stock page fast)."""
        rows = []
        none = (0,) * len(STOCK_STATES)
        for category in self.categories(full):
            values = self.held.get(category, none)
            rows.append(TableRow(CATEGORIES_PLURAL[category], [_cell(n) for n in values], _cell(sum(values)),
                                 self.minimum_text(category), any(s[0] == category for s in self.shortages),
                                 category))
        if not rows:
            return rows, None
        values = [sum(column) for column in zip(*self.held.values())] or none
        return rows, TableRow("Total", [_cell(n) for n in values], _cell(sum(values)), "", False)


@dataclass
class TableRow:
    label: str
    cells: list  # (text, is_zero) per state column
    total: tuple
    minimum: str
    short: bool
    category: str | None = None  # None: the total row

    @property
    def cells_html(self) -> Markup:
        """The row's count cells, a zero quiet: written here, a network's stock page prints hundreds of them."""
        return Markup("".join(_count_cell(text, zero) for text, zero in self.cells))


def _count_cell(text: str, zero: bool, small: str = "") -> str:
    """A count's cell (a zero quiet), with a small note after it. Numbers and our own words only: nothing to
    escape."""
    note = f" <small>{small}</small>" if small else ""
    return f'<td class="num zero">{text}{note}</td>' if zero else f'<td class="num">{text}{note}</td>'


def count_fr(n: int) -> str:
    """1 234 (narrow no-break space, as Babel's fr_FR), without Babel's cost per cell."""
    return str(n) if -1000 < n < 1000 else f"{n:,}".replace(",", "\u202f")


def _cell(n: int) -> tuple[str, bool]:
    return count_fr(n), not n


def _stock(db, user, sites, site=None) -> tuple[list[SiteStock], list]:
    levels, short = services.stock_levels(db, user, sites, site)
    return [SiteStock(**vars(level)) for level in levels], short


def _network_totals(stocks: list[SiteStock]) -> SiteStock:
    total = SiteStock(site=None)
    for st in stocks:
        for category, values in st.held.items():
            have = total.held.get(category)
            total.held[category] = tuple(map(sum, zip(have, values))) if have else values
    return total


def _common() -> dict:
    return {"STOCK_STATES": STOCK_STATES, "STATES": STATE_COLUMNS, "CATEGORIES": CATEGORIES,
            "CATEGORIES_PLURAL": CATEGORIES_PLURAL, "COUNTED_STATES": COUNTED_STATES, "count_fr": count_fr}


@bp.get("/stock")
@roles_required(*STAFF)
def stock():
    db = get_db()
    network = current_user.role in NETWORK_ROLES
    stocks, short = _stock(db, current_user, user_site_names())
    overview_categories = [c for c in CATEGORIES
                           if any(st.count(c, s) or (c, s) in st.minimums for st in stocks for s in COUNTED_STATES)]
    return render_template("inventory/stock.html", stocks=stocks, shortages=short, network=network,
                           totals=_network_totals(stocks) if network else None,
                           overview_categories=overview_categories, **_common())


def _site_context(code: str, **form) -> dict:
    db = get_db()
    site = get_site(db, code)
    stocks, short = _stock(db, current_user, [site], site)  # stock_levels checks the site is the user's
    return dict(st=stocks[0], shortages=short, editable=current_user.role in NETWORK_ROLES,
                errors=form.get("errors") or {}, form=form.get("form") or {}, **_common())


@bp.get("/stock/<code>")
@roles_required(*STAFF)
def stock_site(code: str):
    return render_template("inventory/stock_site.html", **_site_context(code))


@bp.post("/stock/<code>/minimums")
@roles_required(*NETWORK)
def set_stock_minimum(code: str):
    db = get_db()
    site = get_site(db, code)
    form = {k: request.form.get(k, "") for k in ("category", "state", "minimum")}

    def failed(err: RefurbError):
        errors = err.fields or {"_": err.message}
        context = _site_context(code, errors=errors, form=form)
        if is_htmx():
            message = ("error", "Le minimum n'a pas été enregistré : " + " ; ".join(errors.values()))
            return render_template("inventory/_stock_site.html", oob_message=message, **context)
        return render_template("inventory/stock_site.html", **context)

    def done(_):
        value = int(form["minimum"])
        what = f"{CATEGORIES_PLURAL[form['category']].lower()} ({COUNTED_STATES[form['state']].lower()})"
        text = (f"Minimum enregistré pour {site.name} : au moins {value} {what}." if value
                else f"Minimum retiré pour {site.name} : {what}.")
        if is_htmx():
            return render_template("inventory/_stock_site.html", oob_message=("success", text),
                                   **_site_context(code)), 200, tone()
        return see_other(url_for(".stock_site", code=site.code), text)

    return submit(lambda: services.set_minimum(db, current_user, site, form["category"], form["state"],
                                               form["minimum"]), done=done, failed=failed)


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


def _add_to_basket(db, code: str):
    """The scanned device joins the basket, or a French refusal (``check_for_basket``)."""
    tags = _basket()
    device = services.check_for_basket(db, current_user, code, tags)
    _save_basket(tags + [device.asset_tag])
    return device


def _added(device) -> tuple[str, str]:
    return "success", f"{device.asset_tag} ajouté au panier ({device.category_label}, {device.site.name})."


def _why(err: RefurbError) -> str:
    return (err.fields.get("code") if err.fields else None) or err.message


def _new_page(*, message=None, errors=None, form=None, code: str = "") -> str:
    db = get_db()
    if message:
        flash(message[1], message[0])  # shown in the page's live #flash area
    return render_template("inventory/transfer_new.html", destinations=_destinations(db), code=code,
                           errors=errors or {}, form=form or {}, **_basket_context(db))


def _basket_partial(message) -> str:
    return render_template("inventory/_transfer_basket.html", oob_message=message, **_basket_context(get_db()))


def _basket_changed(message):
    """Success: the basket in place with its tone (htmx), or back to the page."""
    if is_htmx():
        return _basket_partial(message), 200, tone()
    return see_other(url_for(".transfer_new"), message[1])


def _basket_refused(err: RefurbError):
    """Refusal: the basket in place with the message (htmx), or the page with the field's error."""
    if is_htmx():
        return _basket_partial(("error", _why(err)))
    return _new_page(message=("error", _why(err)), errors={"code": _why(err)}, code=request.form.get("code", "")[:200])


@bp.get("/transfers/new")
@roles_required(*STAFF)
def transfer_new():
    """The basket page; ``?tag=`` (the device page's "transfer" button) puts that device in it."""
    tag = (request.args.get("tag") or "").strip()
    if not tag:
        return _new_page()
    db = get_db()
    device = services.find_by_code(db, current_user, tag)
    if device is not None and device.asset_tag in _basket():
        return _new_page(message=("info", f"{device.asset_tag} est dans le panier."))
    return submit(lambda: _add_to_basket(db, tag), done=lambda added: _new_page(message=_added(added)),
                  failed=lambda err: _new_page(message=("error", _why(err))))


@bp.post("/transfers/new/scan")
@roles_required(*STAFF)
def transfer_scan():
    db = get_db()
    return submit(lambda: _add_to_basket(db, request.form.get("code", "")),
                  done=lambda device: _basket_changed(_added(device)), failed=_basket_refused)


@bp.post("/transfers/new/remove")
@roles_required(*STAFF)
def transfer_remove():
    tag = (request.form.get("tag") or "").strip().upper()

    def remove():
        tags = _basket()
        if tag not in tags:
            raise NotFound(f"{tag[:40] or 'Cet appareil'} n'est pas dans le panier.")
        tags.remove(tag)
        _save_basket(tags)
    return submit(remove, done=lambda _: _basket_changed(("success", f"{tag} retiré du panier.")),
                  failed=_basket_refused)


@bp.post("/transfers/new/clear")
@roles_required(*STAFF)
def transfer_clear():
    _save_basket([])
    return _basket_changed(("success", "Panier vidé."))


def _transferred(transfer):
    _save_basket([])
    n = len(transfer.items)
    return see_other(url_for(".transfer_detail", transfer_id=transfer.id),
                     f"Transfert n° {transfer.id} enregistré : {plural(n, 'appareil')} vers "
                     f"« {transfer.to_site.name} ». Imprimez le bordereau et joignez-le au matériel.")


@bp.post("/transfers")
@roles_required(*STAFF)
def create_transfer():
    db = get_db()
    form = {"to_site": request.form.get("to_site", ""), "note": request.form.get("note", "")}
    tags = request.form.getlist("asset_tags") or _basket()

    def refused_transfer(err: RefurbError) -> str:
        errors = dict(err.fields)
        if err.status == 404 and not err.fields and "site" in err.message:
            errors["to_site"] = err.message
        return _new_page(message=("error", err.message), errors=errors, form=form)
    return submit(lambda: services.transfer_devices(db, current_user, form["to_site"], tags, form["note"]),
                  done=_transferred, failed=refused_transfer)


# --- transfers: list, detail, slip ---------------------------------------------------------

@bp.get("/transfers")
@roles_required(*STAFF)
def transfers():
    page, per_page = page_number(), 50
    items, total = services.list_transfers(get_db(), current_user, page=page, per_page=per_page)
    pages = max(1, -(-total // per_page))
    return render_template("inventory/transfers.html", transfers=items, total=total, page=page, pages=pages)


@bp.get("/transfers/<int:transfer_id>")
@roles_required(*STAFF)
def transfer_detail(transfer_id: int):
    return render_template("inventory/transfer.html",
                           transfer=services.get_transfer(get_db(), current_user, transfer_id))


@bp.get("/transfers/<int:transfer_id>/slip.pdf")
@roles_required(*STAFF)
def transfer_slip(transfer_id: int):
    transfer, pdf = services.transfer_slip(get_db(), current_user, transfer_id)
    return send_bytes(pdf, f"bordereau-transfert-{transfer.id}.pdf", "application/pdf", inline=True)


# --- wiring ---------------------------------------------------------------------------------

def register_hooks() -> None:
    add_nav("inventory.stock", "Stock", STAFF_ROLES)
    HOME_BY_ROLE[MANAGER] = "inventory.stock"

