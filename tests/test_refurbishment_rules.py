"""The rules of issue 4 enforced on every transition, through POST /api/v1/devices/<tag>/transition
(the inventory's route, which calls the state machine and its guards)."""

from datetime import timedelta

from fixtures_refurbishment import erasure_payload
from sqlalchemy import select

from refurb.accounts.services import get_user
from refurb.db import utcnow
from refurb.inventory import services as inventory
from refurb.inventory.models import Device, DeviceEvent
from refurb.refurbishment import services as refurb
from refurb.refurbishment.models import Erasure


def _transition(client, headers, tag, to, **extra):
    return client.post(f"/api/v1/devices/{tag}/transition", json={"to": to, **extra}, headers=headers)


def _snapshot(db, tag):
    db.rollback()
    device = db.scalar(select(Device).where(Device.asset_tag == tag))
    events = db.scalar(select(DeviceEvent.id).where(DeviceEvent.device_id == device.id)
                       .order_by(DeviceEvent.id.desc()).limit(1))
    return device.state, device.version, events


def test_no_ready_without_erasure(client, db, api_token, workshop):
    headers = api_token("tech")
    [tag] = workshop.donation(kind="company")
    workshop.diagnose(tag)
    workshop.grade(tag)
    before = _snapshot(db, tag)
    response = _transition(client, headers, tag, "ready")
    assert response.status_code == 409
    message = response.json["error"]["message"]
    assert message.startswith("Effacement des données non enregistré — enregistrer l'effacement")
    assert _snapshot(db, tag) == before  # nothing changed
    for state in ("parts",):  # other exits stay open
        assert inventory.workflow.is_allowed("diagnosing", state)
    workshop.erase(tag)
    assert _transition(client, headers, tag, "ready").status_code == 200
    assert workshop.state(tag) == "ready"
    # loan pool needs it too, and has it now
    assert _transition(client, headers, tag, "loan_pool").status_code == 200


def test_failed_erasure_blocks_until_redone_or_destroyed(client, api_token, workshop):
    headers = api_token("tech")
    tag, other = workshop.donation(kind="individual", devices=[{"category": "laptop"}, {"category": "laptop"}])
    for t in (tag, other):
        workshop.diagnose(t)
        workshop.grade(t)
    workshop.erase(tag, result="failed", media=[{"serial": "BAD-DISK-1"}])
    response = _transition(client, headers, tag, "ready")
    assert response.status_code == 409
    assert "Effacement des données échoué (support BAD-DISK-1)" in response.json["error"]["message"]
    # an erasure of another medium does not lift the block on this one
    workshop.erase(tag, media=[{"serial": "OTHER-DISK"}])
    assert _transition(client, headers, tag, "ready").status_code == 409
    workshop.erase(tag, media=[{"serial": "BAD-DISK-1"}])  # redone: passes
    assert _transition(client, headers, tag, "ready").status_code == 200
    # the other device: the failed medium is destroyed instead
    workshop.erase(other, result="failed", media=[{"serial": "BAD-DISK-2"}])
    workshop.erase(other, media=[{"serial": "BAD-DISK-2"}], method="destruction", nist_category="destroy",
                   tool="Broyeur", passes=0)
    assert _transition(client, headers, other, "ready").status_code == 200


def test_device_without_storage_needs_no_erasure(client, api_token, workshop):
    [tag] = workshop.donation(kind="company", devices=[{"category": "screen"}])
    workshop.diagnose(tag)
    assert _transition(client, api_token("tech"), tag, "ready").status_code == 200


def test_sold_and_donated_only_through_their_forms(client, db, api_token, workshop):
    headers = api_token("manager")
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag)
    before = _snapshot(db, tag)
    response = _transition(client, headers, tag, "sold")
    assert response.status_code == 409
    assert "formulaire de vente" in response.json["error"]["message"]
    response = _transition(client, headers, tag, "donated")
    assert response.status_code == 409
    assert "Le don à un bénéficiaire s'enregistre avec son formulaire" in response.json["error"]["message"]
    assert _snapshot(db, tag) == before
    sale = client.post(f"/api/v1/devices/{tag}/sale", json={"price": "80.00", "buyer": {"name": "Karim"},
                                                           "payment_method": "cash"}, headers=headers)
    assert sale.status_code == 201
    assert workshop.state(tag) == "sold"


def test_unrepaired_failures_block_ready_and_refurbished(client, app, api_token, workshop):
    headers = api_token("tech")
    [tag] = workshop.donation(kind="company")
    workshop.diagnose(tag, verdict="repair", failed=("keyboard", "battery"))
    assert workshop.state(tag) == "repairing"
    workshop.erase(tag)
    workshop.grade(tag)
    response = _transition(client, headers, tag, "ready")
    assert response.status_code == 409
    assert response.json["error"]["message"].startswith("Contrôles en échec non réparés (Clavier, Batterie (santé))")
    workshop.repair(tag, fixed=["keyboard"])
    with app.app_context(), workshop.session() as db:
        device = inventory.get_device(db, None, tag)
        assert refurb.is_refurbished(db, device) is False
        assert refurb.refurbished_gaps(db, device) == ["contrôles en échec non réparés : Batterie (santé)"]
    assert _transition(client, headers, tag, "ready").status_code == 409
    workshop.repair(tag, fixed=["battery"])
    assert _transition(client, headers, tag, "ready").status_code == 200
    with workshop.session() as db:
        assert refurb.is_refurbished(db, inventory.get_device(db, None, tag)) is True
    status = client.get(f"/api/v1/devices/{tag}/refurbishment", headers=headers).json
    assert status["refurbished"] is True and status["erasure"]["state"] == "passed"


def test_not_refurbished_without_diagnosis_or_erasure(workshop):
    [tag] = workshop.donation(kind="company")
    with workshop.session() as db:
        device = inventory.get_device(db, None, tag)
        assert refurb.refurbished_gaps(db, device) == ["aucun diagnostic enregistré",
                                                       "effacement des données non validé"]
    workshop.diagnose(tag)
    with workshop.session() as db:
        assert refurb.refurbished_gaps(db, inventory.get_device(db, None, tag)) == ["effacement des données non validé"]


def test_recycle_verdict_blocks_ready(client, api_token, workshop):
    [tag] = workshop.donation(kind="company", devices=[{"category": "screen"}])
    workshop.diagnose(tag, verdict="recycle")
    response = _transition(client, api_token("tech"), tag, "ready")
    assert response.status_code == 409
    assert "Le dernier diagnostic conclut « À recycler (DEEE) »" in response.json["error"]["message"]


def test_stale_page_refused(client, db, api_token, workshop):
    headers = api_token("tech")
    [tag] = workshop.donation(kind="company")
    read = client.get(f"/api/v1/devices/{tag}/refurbishment", headers=headers).json["version"]
    workshop.diagnose(tag)  # someone else records the diagnosis meanwhile
    before = _snapshot(db, tag)
    response = _transition(client, headers, tag, "parts", expected_version=read)
    assert response.status_code == 409
    assert "a changé entre-temps" in response.json["error"]["message"]
    response = client.post(f"/api/v1/devices/{tag}/erasures", json=erasure_payload(expected_version=read),
                           headers=headers)
    assert response.status_code == 409
    assert "a changé entre-temps" in response.json["error"]["message"]
    assert _snapshot(db, tag) == before
    assert db.scalars(select(Erasure)).all() == []


def test_erasure_before_a_loan_does_not_count(client, api_token, workshop):
    """A device back from a loan carries the borrower's data: it needs a new erasure to change hands."""
    headers = api_token("tech")
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag)
    assert _transition(client, headers, tag, "loan_pool").status_code == 200
    with workshop.session() as db:
        admin = get_user(db, "admin")
        device = inventory.get_device(db, admin, tag)
        inventory.transition(db, admin, device, "on_loan", via="loans")
        inventory.transition(db, admin, device, "loan_pool", via="loans")  # the return is the loans area's call
        db.commit()
    response = _transition(client, headers, tag, "ready")
    assert response.status_code == 409
    assert "Effacement des données non enregistré" in response.json["error"]["message"]
    now = utcnow()
    workshop.erase(tag, started_at=(now - timedelta(minutes=1)).isoformat(), ended_at=now.isoformat())
    assert _transition(client, headers, tag, "ready").status_code == 200
