"""What the base layout needs on every page: network name, current site, the role's menu."""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_login import current_user
from markupsafe import Markup, escape

from ..accounts.roles import ADMIN, KIOSK, MANAGER, RECEPTION, ROLES, TECHNICIAN
from ..accounts.scope import sites_for
from ..extensions import get_db
from ..settings import DEFAULTS, get_setting
from . import fields

# (endpoint, label, roles). Areas add their entries when they register.
NAV: list[tuple[str, str, frozenset[str]]] = [
    ("web.home", "Accueil", frozenset({ADMIN, MANAGER, TECHNICIAN, RECEPTION, KIOSK})),
    ("sites.list_sites", "Sites", frozenset({ADMIN, MANAGER})),
    ("users_admin.list_users", "Utilisateurs", frozenset({ADMIN})),
]


# The header's menus, in this order; an entry not listed here shows as a plain link after them.
MENUS = ("Atelier", "Prêts", "Stock", "Documents", "Administration")
MENU_OF = {
    "refurbishment.queue": "Atelier", "inventory.new_device": "Atelier", "refurbishment.donations": "Atelier",
    "refurbishment.sales": "Atelier", "refurbishment.recycling": "Atelier",
    "loans.desk": "Prêts", "loans.borrower_list": "Prêts", "loans.loan_list": "Prêts", "bus.stops": "Prêts",
    "inventory.device_list": "Stock", "inventory.stock": "Stock", "documents.stocktakes_list": "Stock",
    "offline.conflicts": "Stock",
    "documents.index": "Documents", "reports.activity": "Documents",
    "sites.list_sites": "Administration", "users_admin.list_users": "Administration",
}
# Labels that read better inside their menu than alone.
MENU_LABELS = {"refurbishment.queue": "File de l'atelier", "inventory.stock": "Stock par site"}
# Pages whose own scan field has the focus: the header's box is not shown twice there.
OWN_SCAN_FIELD = frozenset({"refurbishment.queue", "refurbishment.scan", "loans.desk", "documents.stocktake"})


def route_roles(endpoint: str) -> frozenset[str] | None:
    """The roles the route's ``roles_required`` lets in (None: any signed-in user): the one place that says
    who may open a page; links and menus ask it rather than repeating a list of roles."""
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "allowed_roles", None) if view is not None else frozenset()


def may_open(endpoint: str, role: str | None = None) -> bool:
    """Whether ``role`` (the signed-in user's by default) may open the page of ``endpoint``."""
    if role is None:
        if not current_user.is_authenticated:
            return False
        role = current_user.role
    allowed = route_roles(endpoint)
    return allowed is None or role in allowed


def menus_for(role: str | None) -> tuple[list[tuple[str, list[tuple[str, str]]]], list[tuple[str, str]]]:
    """The header's menus for ``role`` (only those holding a page the role may open) and its loose links."""
    grouped: dict[str, list[tuple[str, str]]] = {m: [] for m in MENUS}
    loose = []
    for endpoint, label, roles in NAV:
        # an entry's roles narrow whom the menu offers a page to; never more than the route lets in
        if role not in roles or not may_open(endpoint, role) or endpoint == "web.home":  # the network's name leads home
            continue
        entry = (endpoint, MENU_LABELS.get(endpoint, label))
        if endpoint in MENU_OF:
            grouped[MENU_OF[endpoint]].append(entry)
        else:
            loose.append(entry)
    return [(m, items) for m, items in grouped.items() if items], loose


def add_nav(endpoint: str, label: str, roles, *, before: str | None = None) -> None:
    entry = (endpoint, label, frozenset(roles))
    if any(e[0] == endpoint for e in NAV):
        return
    NAV.append(entry)


# The last values read from the database, so that a page answered while the database is unreachable
# (the French "service momentanément indisponible") still shows the network's own name.
_last_good: dict[str, str] = {}


def layout_setting(key: str) -> str:
    if g.get("db_unavailable"):
        return _last_good.get(key, DEFAULTS[key])
    value = get_setting(get_db(), key)
    _last_good[key] = value
    return value


class _LayoutSetting:
    """A setting the layout prints, read when a template prints it: a partial (a desk scan, a list's results)
    that never does asks the database nothing for it."""

    def __init__(self, key: str):
        self.key = key

    def __str__(self) -> str:
        return layout_setting(self.key)

    def __html__(self) -> str:
        return escape(str(self))


def current_site():
    """The site the user works at now: chosen in the header, else their home site."""
    if "current_site" not in g:
        g.current_site = _chosen(user_sites())
    return g.current_site


def _chosen(sites: list):
    """The site of ``sites`` the user works at: the one chosen in the header, else their home site, else the
    first (None: no site)."""
    if not sites:
        return None
    wanted = session.get("site_id")
    site = next((s for s in sites if s.id == wanted), None)
    if site is None:
        home = current_user.home_site_id
        site = next((s for s in sites if s.id == home), sites[0])
    return site


def header_sites() -> tuple:
    """The header's current site and the sites it may switch to, each with its id and name: the request's sites
    when a view read them already, else, for a network role, their ids and names alone (``sites_for``)."""
    if "user_sites" in g:
        return current_site(), g.user_sites
    if not current_user.is_authenticated or g.get("db_unavailable"):
        return None, []
    sites = sites_for(get_db(), current_user, names_only=True)
    return _chosen(sites), sites


def user_sites():
    """The user's sites, read once per request (a view and ``current_site`` may both ask)."""
    if not current_user.is_authenticated or g.get("db_unavailable"):
        return []
    if "user_sites" not in g:
        g.user_sites = sites_for(get_db(), current_user)
    return g.user_sites


def init_app(app) -> None:
    # the forms' fields, {{ fields.input(…) }}, and every form's CSRF field, {{ csrf() }} (refurb/web/fields.py)
    app.jinja_env.globals.update(fields=fields, csrf=fields.csrf)

    menus_html: dict[tuple, Markup] = {}  # the header's menus written once per role, page and URL prefix

    def header_menus() -> Markup:
        """The signed-in user's menus (``menus_for`` their role), the current page marked: written once for each
        role and page, since they depend on nothing else (the areas register their entries at start-up)."""
        key = (current_user.role, request.endpoint, request.script_root)
        html = menus_html.get(key)
        if html is None:
            menus, links = menus_for(current_user.role)
            html = Markup(current_app.jinja_env.get_template("_menus.html").render(
                menus=menus, links=links, here=request.endpoint))
            if len(menus_html) >= 2000:  # endpoints × roles: never reached, but bounded
                menus_html.clear()
            if not current_app.debug:  # a developer's edit of _menus.html shows at once
                menus_html[key] = html
        return html

    @app.context_processor
    def _layout():
        return {
            "network_name": _LayoutSetting("network_name"),
            "header_sites": header_sites,
            "header_menus": header_menus,
            "own_scan_field": OWN_SCAN_FIELD,
            "role_labels": ROLES,
            "may_open": may_open,
        }
