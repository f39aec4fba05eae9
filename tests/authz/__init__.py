"""The authorisation matrix: every registered route × every role × own site / other site.

Each area has a module here with ``CASES`` (endpoint → Case) and optionally ``arrange(db, ctx)``
that creates the objects its URLs name, at the own site (EPN-A) and the other site (EPN-B).
A route without a case makes the suite fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALL = frozenset({"admin", "gestionnaire", "technicien", "accueil", "borne"})
STAFF = ALL - {"borne"}
NETWORK = frozenset({"admin", "gestionnaire"})
PUBLIC = "public"


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # may use {own[...]}-style fields: formatted with ctx["own"] or ctx["other"] as ``o``
    allowed: frozenset[str] | str
    site_bound: bool = False  # non-network roles get 403 on the other site's object
    data: dict = field(default_factory=dict)
    json: dict | None = None
    ends_session: bool = False  # logout: "allowed" also ends on the login page
