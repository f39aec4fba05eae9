"""Demonstration stock: realistic devices with history, minimum levels, and bulk synthetic devices."""

from __future__ import annotations

from collections import Counter as Tally

from sqlalchemy import func, select

from refurb import invariants
from refurb.accounts.services import get_user
from refurb.demo import seed_demo_data
from refurb.inventory import services
from refurb.refurbishment.demo import SCENARIOS
from refurb.inventory.models import Counter, Device, DeviceEvent
from refurb.inventory.workflow import TRANSITIONS


def _seed(app, devices: int = 0) -> None:
    with app.extensions["refurb.db"].session(write=True) as db:
        seed_demo_data(db, synthetic_devices=devices)
        db.commit()


def test_demo_stock_is_a_living_network(app, db):
    _seed(app)
    # the stock's demo devices come first (the donations add theirs after)
    devices = db.scalars(select(Device).order_by(Device.id).limit(len(SCENARIOS))).all()
    assert len(SCENARIOS) >= 30 and len(devices) == len(SCENARIOS)
    assert len({d.site_id for d in devices}) >= 6
    # whatever rules other areas add (erasure before "ready"…), every stage of the stock shows
    assert {"received", "diagnosing", "repairing", "loan_pool", "recycled", "parts"} <= {d.state for d in devices}
    events = db.scalars(select(DeviceEvent).where(DeviceEvent.device_id <= devices[-1].id)
                        .order_by(DeviceEvent.device_id, DeviceEvent.at, DeviceEvent.id)).all()
    by_device: dict[int, list[DeviceEvent]] = {}
    for e in events:
        by_device.setdefault(e.device_id, []).append(e)
    for device in devices:
        history = by_device[device.id]
        assert history[0].action == "created" and history[0].note  # the origin of the device
        assert history[-1].at == device.updated_at and history[0].at == device.created_at
        state = "received"
        for e in history[1:]:
            if e.to_state:  # transitions, and the loans' check-outs and returns
                assert e.from_state == state and e.to_state in TRANSITIONS[state]
                state = e.to_state
        assert state == device.state
    assert any(e.action == "transfer" for e in events)
    admin = get_user(db, "admin")
    short = services.shortages(db, admin)
    assert short and all(s.available < s.minimum for s in short)


def test_synthetic_devices_in_bulk(app, db):
    """Synthetic devices added to a seeded demo (a second seeding adds no demo device twice: see
    test_refurbishment_demo.py)."""
    _seed(app)
    before = db.scalar(select(func.count(Device.id)))
    _seed(app, devices=600)
    db.rollback()
    assert invariants.problems(db) == []  # the demo's invariants still hold with them
    devices = db.scalars(select(Device).order_by(Device.id)).all()
    assert len(devices) == before + 600
    synthetic = devices[before:]
    events = Tally(db.scalars(select(DeviceEvent.device_id).where(DeviceEvent.device_id >= synthetic[0].id)))
    assert 8 <= sum(events.values()) / 600 <= 12  # about ten events each
    assert all(events[d.id] == d.version for d in synthetic)
    assert len({d.state for d in synthetic}) >= 9 and len({d.site_id for d in synthetic}) >= 8
    tags = [d.asset_tag for d in devices]
    assert len(set(tags)) == len(tags)
    counter = db.get(Counter, "asset_tag").value
    assert counter == max(int(t.split("-")[1]) for t in tags)
    # the next device made by hand gets a fresh tag, and the API sees the new devices
    admin = get_user(db, "admin")
    spec = services.parse_device_input(db, admin, {"category": "laptop", "site": "EPN-A"})
    assert services.create_device(db, admin, spec).asset_tag == f"RF-{counter + 1:06d}"
    db.rollback()
    items, total = services.list_devices(db, admin, services.parse_filter({"state": "on_loan"}))
    assert total == sum(1 for d in synthetic if d.state == "on_loan") + sum(
        1 for d in devices[:before] if d.state == "on_loan")
