"""The demonstration data gains borrowers, open loans (some overdue), returns and reservations."""

from sqlalchemy import func, select

from refurb.clock import today
from refurb.demo import seed_demo_data
from refurb.inventory.models import Device, DeviceEvent
from refurb.inventory.workflow import TRANSITIONS
from refurb.loans.models import Borrower, Kit, Loan, Reservation


def _seed(app, *, only_inventory_and_loans: bool = False):
    """The whole demo, or only the inventory and loans steps (independent of the other areas)."""
    with app.extensions["refurb.db"].session(write=True) as s:
        if only_inventory_and_loans:
            from refurb import demo
            from refurb.accounts.models import User
            from refurb.inventory.demo import seed_inventory
            from refurb.loans.demo import seed_loans
            sites = demo._seed_sites(s)
            demo._seed_users(s)
            ctx = {"sites": sites, "users": {u.username: u for u in s.scalars(select(User))},
                   "synthetic_devices": 0, "echo": lambda *_: None}
            seed_inventory(s, ctx)
            seed_loans(s, ctx)
        else:
            seed_demo_data(s)
        s.commit()


def test_demo_loans(app, db):
    _seed(app)
    borrowers = db.scalars(select(Borrower)).all()
    assert len(borrowers) >= 6 and {"resident", "partner", "staff"} <= {b.kind for b in borrowers}
    loans = db.scalars(select(Loan)).all()
    open_loans = [l for l in loans if l.returned_at is None]
    assert len(open_loans) >= 4
    assert any(l.due_on < today() for l in open_loans), "some loans are overdue"
    assert any(l.returned_at and l.return_condition == "damaged" for l in loans)
    assert any(l.returned_at and l.return_condition == "complete" for l in loans)
    assert db.scalar(select(func.count()).select_from(Reservation)) >= 1
    assert db.scalar(select(func.count()).select_from(Kit)) == 1
    for loan in open_loans:
        assert db.get(Device, loan.device_id).state == "on_loan"
        assert loan.start_on <= today()
    for device_id in {l.device_id for l in loans}:
        # the history of a lent device reads in order and ends where the device is
        device = db.get(Device, device_id)
        events = db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device_id)
                            .order_by(DeviceEvent.at, DeviceEvent.id)).all()
        assert events[-1].at == device.updated_at
        state = "received"
        for e in events[1:]:
            if e.to_state:
                assert e.from_state == state and e.to_state in TRANSITIONS[state], (device.asset_tag, e.action)
                state = e.to_state
        assert state == device.state
    # running it twice adds nothing twice
    counts = (len(borrowers), len(loans))
    _seed(app)
    db.rollback()
    db.expire_all()
    assert (db.scalar(select(func.count()).select_from(Borrower)),
            db.scalar(select(func.count()).select_from(Loan))) == counts


def test_demo_pages_render(app, client, db):
    from conftest import login
    _seed(app, only_inventory_and_loans=True)
    assert login(client, "admin").status_code == 302
    for path in ("/prets/comptoir", "/prets/", "/prets/retards", "/usagers/", "/prets/reservations", "/prets/kits",
                 "/prets/regles", "/prets/bornes"):
        response = client.get(path)
        assert response.status_code == 200, path
    loan = db.scalars(select(Loan)).first()
    assert client.get(f"/prets/{loan.id}").status_code == 200
    assert client.get(f"/d/{loan.device.asset_tag}").status_code == 200
