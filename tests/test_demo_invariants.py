"""The demonstration data, synthetic devices included, hold the invariants of real data: a device "on loan"
has its open loan, its state is its last event's, transfers and donations are whole."""

from __future__ import annotations

from sqlalchemy import func, select

from refurb import invariants
from refurb.demo import seed_demo_data
from refurb.inventory.models import Device
from refurb.loans.models import Loan


def _seed(app, devices: int = 0) -> None:
    with app.extensions["refurb.db"].session(write=True) as db:
        seed_demo_data(db, synthetic_devices=devices)
        db.commit()


def test_the_demo_with_synthetic_devices_holds_the_invariants(app, db):
    _seed(app, devices=400)
    assert invariants.problems(db) == []
    on_loan = db.scalar(select(func.count(Device.id)).where(Device.state == "on_loan"))
    open_loans = db.scalar(select(func.count(Loan.id)).where(Loan.returned_at.is_(None)))
    assert on_loan == open_loans > 40  # the synthetic devices are lent too, each with its loan
    assert db.scalar(select(func.count(Loan.id)).where(Loan.returned_at.is_not(None))) > on_loan  # and came back


def test_the_checker_sees_a_device_on_loan_without_its_loan(app, db):
    _seed(app)
    loan = db.scalars(select(Loan).where(Loan.returned_at.is_(None)).limit(1)).one()
    db.delete(loan)
    db.flush()
    found = invariants.problems(db)
    assert any("sans prêt ouvert" in p and loan.device.asset_tag in p for p in found), found
    db.rollback()
