"""Public pages (no login, no personal data, no asset tags): places, loan availability, the bus's next stops,
open data in the national "lieux de médiation numérique" schema; the managers' screen for the bus's tour."""


def init_app(app) -> None:
    from ..accounts.roles import ADMIN, MANAGER
    from ..web.layout import add_nav
    from .bus_views import bp as bus_bp
    from .views import bp

    app.register_blueprint(bp)
    app.register_blueprint(bus_bp)
    add_nav("bus.stops", "Arrêts du bus", (ADMIN, MANAGER))


DEMO_TOUR = [  # (days from today, start, end, commune, postal code, place)
    (1, "09:30", "12:00", "Cravant-les-Côteaux", "37500", "Place de l'Église"),
    (2, "14:00", "17:00", "Savigny-en-Véron", "37420", "Parking de la salle des fêtes"),
    (3, "09:30", "12:30", "Saint-Benoît-la-Forêt", "37500", "Place de la Mairie"),
    (7, "09:30", "12:00", "Huismes", "37420", "Place du Marché"),
    (8, "14:00", "17:30", "Rivière", "37500", "Devant l'école"),
    (10, "09:00", "12:00", "Lerné", "37500", "Place de la Mairie"),
]


def seed_bus_stops(db, ctx) -> None:
    """Demo data: the bus's next stops."""
    from datetime import timedelta

    from sqlalchemy import select

    from .models import BusStop
    from .services import today

    bus = ctx["sites"].get("BUS")
    if bus is None or db.scalar(select(BusStop.id).where(BusStop.site_id == bus.id).limit(1)) is not None:
        return
    start = today()
    for days, t0, t1, commune, postal, place in DEMO_TOUR:
        db.add(BusStop(site_id=bus.id, day=start + timedelta(days=days), start_time=t0, end_time=t1, commune=commune,
                       postal_code=postal, place=place, note=""))
    db.flush()
