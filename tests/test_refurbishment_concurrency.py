"""One device is sold once, whatever several desks do at the same second; the database
refuses a second sale of a device and a sale above the cap even without the service."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from refurb.inventory.models import Device
from refurb.refurbishment.models import Sale

N = 8


def test_concurrent_sales_one_wins(app, db, api_token, workshop):
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag)
    headers = api_token("desk")
    barrier = threading.Barrier(N)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def sell(i: int) -> None:
        client = app.test_client()  # one client (and one database session) per desk
        barrier.wait()
        response = client.post(f"/api/v1/devices/{tag}/sale", json={
            "price": "90.00", "buyer": {"name": f"Acheteur {i}"}, "payment_method": "cash"}, headers=headers)
        with lock:
            results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=sell, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (N - 1), results
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Sale)) == 1
    assert db.scalar(select(Device.state).where(Device.asset_tag == tag)) == "sold"


def _sale(device_id, site_id, **overrides):
    values = dict(device_id=device_id, site_id=site_id, delivered_on=date(2026, 11, 20), price=Decimal("100.00"),
                  buyer_name="X", payment_method="cash", warranty_months=24, warranty_until=date(2028, 11, 20))
    values.update(overrides)
    return Sale(**values)


@pytest.mark.parametrize("overrides", [
    {"price_capped": True, "eligible": False},
    {"price_capped": True, "eligible": True, "price_cap": Decimal("80.00")},
    {"price": Decimal("-1.00")},
    {"warranty_until": date(2026, 1, 1)},
])
def test_database_constraints_on_sales(db, workshop, overrides):
    [tag] = workshop.donation(kind="public_body")
    device = db.scalar(select(Device).where(Device.asset_tag == tag))
    db.add(_sale(device.id, device.site_id, **overrides))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_database_refuses_a_second_sale(db, workshop):
    [tag] = workshop.donation(kind="company")
    device = db.scalar(select(Device).where(Device.asset_tag == tag))
    db.add(_sale(device.id, device.site_id))
    db.flush()
    db.add(_sale(device.id, device.site_id))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()
