"""The functional areas of Refurb. Each is a package ``refurb.<area>`` that may have:

- ``models.py``  — its tables (imported for Alembic and the tests),
- ``api.py``     — its /api/v1 routes, declared on the shared API blueprint,
- ``init_app(app)`` in its ``__init__.py`` — blueprints, menu entries, scan resolvers, demo steps.
"""

from __future__ import annotations

import importlib
import importlib.util

AREAS = ("inventory", "refurbishment", "loans", "documents", "public", "certificates", "reports")


def _import_if_present(module: str):
    if importlib.util.find_spec(module) is None:
        return None
    return importlib.import_module(module)


def import_all(submodule: str) -> list:
    """Import ``refurb.<area>.<submodule>`` for each area that has it."""
    found = []
    for area in AREAS:
        if importlib.util.find_spec(f"refurb.{area}") is None:
            continue
        module = _import_if_present(f"refurb.{area}.{submodule}")
        if module is not None:
            found.append(module)
    return found


def init_all(app) -> None:
    for area in AREAS:
        package = _import_if_present(f"refurb.{area}")
        if package is not None and hasattr(package, "init_app"):
            package.init_app(app)
