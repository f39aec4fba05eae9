"""Public pages (no login) and the managers' screen for the bus's tour."""

from sqlalchemy import select

from . import NETWORK, PUBLIC, Case


def arrange(db, ctx):
    from datetime import timedelta

    from refurb.clock import today
    from refurb.public.models import BusStop
    from refurb.sites.models import Site

    bus = db.scalar(select(Site).where(Site.code == "BUS"))
    for which, commune in (("own", "Huismes"), ("other", "Lerné")):
        stop = BusStop(site_id=bus.id, day=today() + timedelta(days=3), start_time="09:30", end_time="12:00",
                       commune=commune, place="Place de la Mairie", postal_code="37420", note="")
        db.add(stop)
        db.flush()
        ctx[which]["bus_stop"] = stop.id


CASES = {
    "public.places": Case("GET", "/lieux", PUBLIC),
    "public.open_data_json": Case("GET", "/open-data/lieux-mediation-numerique.json", PUBLIC),
    "public.open_data_csv": Case("GET", "/open-data/lieux-mediation-numerique.csv", PUBLIC),
    "bus.stops": Case("GET", "/bus/arrets", NETWORK),
    "bus.edit_stop": Case("GET", "/bus/arrets/{o[bus_stop]}", NETWORK),
    "bus.delete_stop": Case("POST", "/bus/arrets/{o[bus_stop]}/delete", NETWORK),
}
