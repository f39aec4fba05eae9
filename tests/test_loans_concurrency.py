"""Never two open loans for one device: 20 desks lend the same device at the same second."""

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from refurb.clock import today
from refurb.db import utcnow
from refurb.inventory.models import Device, DeviceEvent
from refurb.loans.models import Loan

N = 20


def test_twenty_concurrent_checkouts_one_wins(app, db, lk, api_headers):
    device = lk.device("EPN-A", "tablet")
    borrowers = [lk.borrower("EPN-A", commit=False) for _ in range(N)]
    db.commit()
    events = db.scalar(select(func.count()).select_from(DeviceEvent).where(DeviceEvent.device_id == device.id))
    headers = api_headers("desk")
    barrier = threading.Barrier(N)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def lend(card: str) -> None:
        client = app.test_client()  # one client (and one database session) per desk
        barrier.wait()
        response = client.post("/api/v1/loans", json={"asset_tag": device.asset_tag, "borrower_card": card},
                               headers=headers)
        with lock:
            results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=lend, args=(b.card_number,)) for b in borrowers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(status for status, _ in results)
    assert len(results) == N
    assert statuses == [201] + [409] * (N - 1), statuses
    for status, body in results:
        if status == 409:
            assert "déjà en prêt" in body["error"]["message"], body
    db.rollback()
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Loan)) == 1
    assert db.scalar(select(func.count()).select_from(DeviceEvent).where(DeviceEvent.device_id == device.id)) == events + 1
    assert db.get(Device, device.id).state == "on_loan"


def test_database_refuses_a_second_open_loan(app, db, lk):
    """The partial unique index alone, without the service: a second open loan is refused,
    a closed one is fine."""
    device = lk.device("EPN-A", "router")
    b1, b2 = lk.borrower("EPN-A"), lk.borrower("EPN-A")
    now = utcnow()

    def loan(borrower, returned=None):
        return Loan(device_id=device.id, borrower_id=borrower.id, site_id=device.site_id, category="router",
                    borrower_kind="resident", channel="desk", started_at=now, start_on=today(), due_on=today(),
                    renewals=0, rules_accepted_at=now, return_note="", returned_at=returned,
                    return_condition="complete" if returned else None)

    db.add(loan(b1, returned=now))
    db.add(loan(b1))
    db.commit()
    db.add(loan(b2))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Loan)) == 2
