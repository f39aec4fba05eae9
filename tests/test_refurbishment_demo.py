"""The demonstration data of the refurbishment channel, made through the services."""

from sqlalchemy import func, select

from refurb.demo import seed_demo_data
from refurb.inventory.models import Device
from refurb.refurbishment.models import (
    Diagnosis,
    Donation,
    Donor,
    Erasure,
    Gift,
    RecyclingBatch,
    Sale,
)


def _seed(app):
    with app.extensions["refurb.db"].session(write=True) as db:
        seed_demo_data(db)
        db.commit()


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_demo_donations_at_the_workshop(app, db):
    _seed(app)
    kinds = set(db.scalars(select(Donor.kind)))
    assert {"company", "public_body", "individual"} <= kinds
    donations = db.scalars(select(Donation)).all()
    assert len(donations) == 3 and {d.site.code for d in donations} == {"ATELIER"}
    assert _count(db, Sale) == 2 and _count(db, Gift) == 1 and _count(db, RecyclingBatch) == 1
    assert _count(db, Diagnosis) >= 8 and db.scalar(select(func.count()).where(Erasure.result == "failed")) == 1
    capped = db.scalars(select(Sale).where(Sale.price_capped.is_(True))).one()
    assert capped.eligible and capped.price <= capped.price_cap
    first = _count(db, Device)
    _seed(app)  # twice adds nothing
    db.rollback()
    assert _count(db, Device) == first and _count(db, Donation) == 3
