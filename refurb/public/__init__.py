"""Public pages (no login, no personal data, no asset tags): places, loan availability, the bus's next stops,
open data in the national "lieux de médiation numérique" schema; the managers' screen for the bus's tour."""


def init_app(app) -> None:
    from ..accounts.roles import NETWORK_ROLES
    from ..web.layout import add_nav
    from .bus_views import bp as bus_bp
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(bus_bp)
    add_nav("bus.stops", "Arrêts du bus", NETWORK_ROLES)
