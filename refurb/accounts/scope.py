"""Which sites a user sees and acts on: the one place where site scoping is decided.

Service functions call these helpers; views never filter by site themselves.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session, object_session

from ..db import keep, kept, plain_rows, rows_as_json, rows_from_json
from ..errors import Forbidden
from ..sites.models import Site
from .models import User, user_sites
from .roles import NETWORK_ROLES


def needs_sites(user) -> bool:
    """Whether the user's scope is their own sites (``site_ids``) rather than the whole network."""
    return user.role not in NETWORK_ROLES


def site_ids(user) -> frozenset[int] | None:
    """The ids of the sites the user serves, or None for the whole network."""
    if not needs_sites(user):
        return None
    return frozenset(s.id for s in own_sites(user))


def serves_site(user, site_id: int | None) -> bool:
    ids = site_ids(user)
    return ids is None or (site_id is not None and site_id in ids)


def require_site(user, site_id: int | None, what: str = "ce site") -> None:
    if not serves_site(user, site_id):
        raise Forbidden(f"Vous n'avez pas accès à {what} : il dépend d'un site que vous ne servez pas. "
                        "Demandez à un gestionnaire.")


def limit_to_user_sites(stmt: Select, site_column, user) -> Select:
    ids = site_ids(user)
    if ids is None:
        return stmt
    if not ids:
        return stmt.where(false())
    return stmt.where(site_column.in_(ids))


# Built once: every page's header asks. (all sites, active ones) as mapped sites, then their ids, codes, names and
# whether active (``SiteName``).
_SITES = {False: select(Site).order_by(Site.name)}
_SITES[True] = _SITES[False].where(Site.active.is_(True))
_SITE_NAMES = {active: stmt.with_only_columns(Site.id, Site.code, Site.name, Site.active)
               for active, stmt in _SITES.items()}
# The active sites' ids, codes and names, carried by a statement that reads something else first
# (``db.rows_as_json``): the session behind a page's cookie reads them with it, since a network role's header offers
# them (one round trip, not two). ``remember_site_names`` keeps them for the transaction.
ACTIVE_SITE_NAMES_AS_JSON = rows_as_json(_SITE_NAMES[True])
_NAMES_MEMO = "refurb.site_names"
# The user's own sites, carried the same way by the statement that reads the user (correlated with it): the scope
# of a site-bound role, and the sites its header offers. ``remember_own_sites`` keeps them with the user's id.
OWN_SITE_NAMES_AS_JSON = rows_as_json(
    select(Site.id, Site.code, Site.name, Site.active).join(user_sites, user_sites.c.site_id == Site.id)
    .where(user_sites.c.user_id == User.id).order_by(Site.name).correlate(User))
_OWN_MEMO = "refurb.own_sites"


class SiteName(NamedTuple):
    """A site as a menu or a table's heading prints it (``sites_for(names_only=True)``)."""

    id: int
    code: str
    name: str
    active: bool


def _site_names_from_json(value: str | None) -> list[SiteName]:
    return [SiteName(site_id, code, name, bool(active)) for site_id, code, name, active in rows_from_json(value)]


def remember_site_names(db: Session, value: str | None) -> None:
    """Keep the names ``ACTIVE_SITE_NAMES_AS_JSON`` read, for the rest of the session's transaction."""
    keep(db, _NAMES_MEMO, _site_names_from_json(value))


def remember_own_sites(db: Session, user, value: str | None) -> None:
    """Keep the user's own sites ``OWN_SITE_NAMES_AS_JSON`` read with them, for the rest of the transaction."""
    keep(db, _OWN_MEMO, (user.id, _site_names_from_json(value)))


def own_sites(user) -> list:
    """The sites the user is attached to, by name: their ``sites`` when this session read or changed them, else
    what the statement that read the user carried in this transaction (``remember_own_sites``), else read now."""
    if "sites" not in user.__dict__:  # the relationship neither loaded nor set
        db = object_session(user)
        carried = kept(db, _OWN_MEMO) if db is not None else None
        if carried is not None and carried[0] == user.id:
            return carried[1]
    return user.sites


def _site_names(db: Session, active_only: bool) -> list[SiteName]:
    names = kept(db, _NAMES_MEMO) if active_only else None
    if names is not None:
        return names
    return [SiteName(*row) for row in plain_rows(db, _SITE_NAMES[active_only])]


def sites_for(db: Session, user, *, active_only: bool = True, names_only: bool = False) -> list:
    """The sites this user serves (every site for network roles), by name. ``names_only``: their ids, codes and
    names alone (``SiteName``, or the sites themselves when read already), for a menu or a table's headings:
    building every column of every site was most of a manager's header."""
    if needs_sites(user):  # their own sites: ids, codes and names as read with the user, else every column
        return [s for s in (own_sites(user) if names_only else user.sites) if s.active or not active_only]
    if names_only:
        return _site_names(db, active_only)
    return list(db.scalars(_SITES[active_only]))
