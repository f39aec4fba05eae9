"""Activity and impact report for funders: collection, refurbishment, reuse, loans, recycling, and the
e-waste and CO2e avoided with a named, selectable set of factors (refurb.reports.figures)."""


def init_app(app) -> None:
    from ..accounts.roles import NETWORK_ROLES
    from ..web.layout import add_nav
    from . import api  # noqa: F401  (its /api/v1 routes, on the shared blueprint)
    from .views import bp

    app.register_blueprint(bp)
    add_nav("reports.activity", "Rapports", NETWORK_ROLES)
