"""Demo data of the public pages: the bus's next stops."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import today
from .models import BusStop

DEMO_TOUR = [  # (days from today, start, end, commune, postal code, place)
    (1, "09:30", "12:00", "Cravant-les-Côteaux", "37500", "Place de l'Église"),
    (2, "14:00", "17:00", "Savigny-en-Véron", "37420", "Parking de la salle des fêtes"),
    (3, "09:30", "12:30", "Saint-Benoît-la-Forêt", "37500", "Place de la Mairie"),
    (7, "09:30", "12:00", "Huismes", "37420", "Place du Marché"),
    (8, "14:00", "17:30", "Rivière", "37500", "Devant l'école"),
    (10, "09:00", "12:00", "Lerné", "37500", "Place de la Mairie"),
]


def seed_bus_stops(db: Session, ctx) -> None:
    """The bus's next stops (once: a tour already there is kept)."""
    bus = ctx["sites"].get("BUS")
    if bus is None or db.scalar(select(BusStop.id).where(BusStop.site_id == bus.id).limit(1)) is not None:
        return
    start = today()
    for days, t0, t1, commune, postal, place in DEMO_TOUR:
        db.add(BusStop(site_id=bus.id, day=start + timedelta(days=days), start_time=t0, end_time=t1, commune=commune,
                       postal_code=postal, place=place, note=""))
    db.flush()
