"""What the base layout needs on every page: network name, current site, the role's menu."""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from ..accounts.roles import ADMIN, KIOSK, MANAGER, RECEPTION, ROLES, TECHNICIAN
from ..accounts.scope import needs_sites, sites_for
from ..extensions import get_db
from ..settings import DEFAULTS, get_setting
from . import fields
from .access import PAGES_WITH_USER_SITES
from .written import init_app as written_init
from .written import written

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
    """The header's current site and the sites it may switch to, each with its id and name (``user_site_names``):
    the view's current site when it read the user's sites (``current_site``), else chosen among those names."""
    sites = user_site_names()
    return (current_site() if "user_sites" in g else _chosen(sites)), sites


def user_site_names():
    """The user's sites for a view that prints their codes and names alone (the header, the stock page's headings):
    the request's sites when a view read them already, else what the page's first statement carried
    (``accounts.scope.sites_for(names_only=True)``: a network role's active sites, a site-bound user's own), no
    query."""
    if "user_sites" in g:
        return g.user_sites
    if not current_user.is_authenticated or g.get("db_unavailable"):
        return []
    return sites_for(get_db(), current_user, names_only=True)


def user_sites():
    """The user's sites, read once per request (a view and ``current_site`` may both ask)."""
    if not current_user.is_authenticated or g.get("db_unavailable"):
        return []
    if "user_sites" not in g:
        g.user_sites = sites_for(get_db(), current_user)
        # read now: this page's next requests read them with the session (an unknown address has no page)
        if needs_sites(current_user) and request.endpoint:
            PAGES_WITH_USER_SITES.add(request.endpoint)
    return g.user_sites


# The header's two values of each request, as the written header holds them (lower case: nothing else in a header
# is spelled so, and a text that is, a user's or a site's name, has its header rendered as it is).
_CSRF, _NEXT = "x-refurb-csrf-x", "x-refurb-next-x"


def header_menus(role: str) -> Markup:
    """The menus of ``role`` (``menus_for``), the current page marked."""
    menus, links = menus_for(role)
    return Markup(current_app.jinja_env.get_template("_menus.html").render(menus=menus, links=links,
                                                                           here=request.endpoint))


def site_header() -> Markup:
    """The page header: the network's name, the menus, the scan box and the user's menu (their name, role, site
    and the sites they may switch to). Written once for each of these values, the page (its menus, whether it
    has its own scan field) and the URL prefix, with a placeholder for the request's CSRF token and path, then
    filled for each page: everything else it shows is in the key, so a header never shows another user's value
    nor an old one. The menus depend on nothing else (the areas register their entries at start-up)."""
    user = current_user if current_user.is_authenticated else None
    here, mine = header_sites() if user else (None, [])
    name = str(_LayoutSetting("network_name"))
    switch = tuple((s.id, s.name) for s in mine) if len(mine) > 1 else ()  # the sites offered, if more than one
    key = (request.script_root, request.endpoint, name, user and (user.role, user.display_name),
           here and (here.id, here.name), switch)
    values = {_CSRF: generate_csrf(), _NEXT: request.full_path if request.method == "GET" else ""}

    def write(environment, csrf: str = _CSRF, next_path: str = _NEXT) -> str:
        return environment.get_template("_header.html").render(
            csrf=csrf, next_path=next_path, network_name=name,
            user={"name": user.display_name, "role_label": ROLES.get(user.role, user.role)} if user else None,
            menus=header_menus(user.role) if user else "",
            scan_box=bool(user) and user.role != KIOSK and request.endpoint not in OWN_SCAN_FIELD,
            here={"id": here.id, "name": here.name} if here else None,
            mine=[{"id": site_id, "name": site_name} for site_id, site_name in switch])

    if "x-refurb-" in repr(key):  # a name spelled as a placeholder: rendered as it is, for this page alone
        return Markup(write(current_app.jinja_env, values[_CSRF], values[_NEXT]))
    return written("header", key, write, values, most=2000)  # roles × pages × users × sites: a few hundred a day


def init_app(app) -> None:
    written_init(app)  # the header and the workshop's forms, written once (``web.written``)
    # the forms' fields, {{ fields.input(…) }}, and every form's CSRF field, {{ csrf() }} (refurb/web/fields.py)
    app.jinja_env.globals.update(fields=fields, csrf=fields.csrf)

    @app.context_processor
    def _layout():
        return {
            "network_name": _LayoutSetting("network_name"),
            "site_header": site_header,
            "role_labels": ROLES,
            "may_open": may_open,
        }
