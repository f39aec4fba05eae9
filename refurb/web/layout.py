"""What the base layout needs on every page: network name, current site, the role's menu."""

from __future__ import annotations

from flask import g, session
from flask_login import current_user

from ..accounts.roles import ADMIN, KIOSK, MANAGER, RECEPTION, ROLES, TECHNICIAN
from ..accounts.scope import sites_for
from ..extensions import get_db
from ..settings import get_setting

# (endpoint, label, roles). Areas add their entries when they register.
NAV: list[tuple[str, str, frozenset[str]]] = [
    ("web.home", "Accueil", frozenset({ADMIN, MANAGER, TECHNICIAN, RECEPTION, KIOSK})),
    ("sites.list_sites", "Sites", frozenset({ADMIN, MANAGER})),
    ("users_admin.list_users", "Utilisateurs", frozenset({ADMIN})),
]


def add_nav(endpoint: str, label: str, roles, *, before: str | None = None) -> None:
    entry = (endpoint, label, frozenset(roles))
    if any(e[0] == endpoint for e in NAV):
        return
    NAV.append(entry)


def current_site():
    """The site the user works at now: chosen in the header, else their home site."""
    if "current_site" in g:
        return g.current_site
    site = None
    if current_user.is_authenticated:
        sites = sites_for(get_db(), current_user)
        wanted = session.get("site_id")
        site = next((s for s in sites if s.id == wanted), None)
        if site is None:
            home = current_user.home_site_id
            site = next((s for s in sites if s.id == home), sites[0] if sites else None)
    g.current_site = site
    return site


def user_sites():
    if not current_user.is_authenticated:
        return []
    return sites_for(get_db(), current_user)


def init_app(app) -> None:
    @app.context_processor
    def _layout():
        nav = []
        if current_user.is_authenticated:
            nav = [(e, label) for e, label, roles in NAV if current_user.role in roles]
        return {
            "network_name": get_setting(get_db(), "network_name"),
            "current_site": current_site,
            "user_sites": user_sites,
            "nav_items": nav,
            "role_labels": ROLES,
        }
