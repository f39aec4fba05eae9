"""The bus numérique offline: the desk keeps working without a connection (a service worker, a queue in the
browser), the queue is applied once on the server through the same use cases, and what the world changed
meanwhile is kept "À régulariser"."""

from __future__ import annotations


def init_app(app) -> None:
    from ..accounts.roles import STAFF_ROLES
    from ..web.layout import add_nav
    from . import api  # noqa: F401  (its /api/v1 routes, on the shared blueprint)
    from .views import bp

    app.register_blueprint(bp)
    add_nav("offline.conflicts", "À régulariser", STAFF_ROLES)
