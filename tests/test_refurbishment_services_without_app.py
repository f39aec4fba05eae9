"""The workshop's rules hold through the services alone: no Flask app, no request, no app context; a
session of our own on the test database, as a script would use them. A script cannot sell, give,
release or dispose of a device whose data were not erased."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import _empty_all_tables
from flask import has_app_context
from sqlalchemy import select

from refurb.accounts.models import User
from refurb.clock import today
from refurb.db import Database, utcnow
from refurb.errors import Conflict
from refurb.inventory import services as inventory
from refurb.inventory.models import Device
from refurb.models import metadata  # noqa: F401  (every area's models mapped, as the app does)
from refurb.refurbishment import services as refurb
from refurb.sites.models import Site


@pytest.fixture
def database(database_url):
    database = Database(database_url)
    _empty_all_tables(database.engine)
    with database.session(write=True) as db:
        site = Site(code="EPN-A", name="EPN A", kind="epn", city="Chinon")
        db.add(site)
        db.add(User(username="tech", full_name="Tech", role="technicien", password_hash="x", sites=[site],
                    home_site=site))
        db.add(User(username="desk", full_name="Desk", role="accueil", password_hash="x", sites=[site],
                    home_site=site))
        db.commit()
    yield database
    _empty_all_tables(database.engine)
    database.dispose()


def _user(db, username: str) -> User:
    return db.scalar(select(User).where(User.username == username))


def _laptop(db) -> Device:
    """A donated laptop (it holds a disk), diagnosed without failure and graded."""
    tech = _user(db, "tech")
    _, (device,) = refurb.create_donation(db, tech, {
        "donor": {"kind": "public_body", "name": "Commune de Chinon"}, "site": "EPN-A",
        "received_on": today().isoformat(), "devices": [{"category": "laptop"}]})
    checks = {k: "pass" for k in refurb.category_checks("laptop")}
    refurb.record_diagnosis(db, tech, device, {"checks": checks, "verdict": "ready", "battery_health": 80})
    refurb.record_grading(db, tech, device, {"grade": "B"})
    return device


def _erase(db, device: Device) -> None:
    end = utcnow() - timedelta(hours=1)
    refurb.record_erasure(db, _user(db, "tech"), device, {
        "media": [{"serial": "WD-1", "model": "WDC WD5000", "size_gb": 500}], "method": "overwrite",
        "nist_category": "clear", "tool": "nwipe", "tool_version": "0.36", "passes": 1, "verified": True,
        "result": "passed", "started_at": (end - timedelta(hours=1)).isoformat(), "ended_at": end.isoformat()})


def test_no_release_and_no_disposal_without_erasure(database):
    assert not has_app_context()
    with database.session(write=True) as db:
        device = _laptop(db)
        tech = _user(db, "tech")
        for to_state in ("ready", "parts", "recycled"):
            with pytest.raises(Conflict) as refused:
                refurb.move(db, tech, device, to_state)
            assert "effac" in refused.value.message
        with pytest.raises(Conflict):
            refurb.ensure_erased_before_release(db, device)
        assert db.get(Device, device.id).state == "diagnosing"


def test_the_inventory_door_sends_workshop_moves_to_the_workshop(database):
    with database.session(write=True) as db:
        device = _laptop(db)
        with pytest.raises(Conflict) as refused:
            inventory.transition(db, _user(db, "tech"), device, "ready")
        assert "Atelier" in refused.value.message or "atelier" in refused.value.message
        assert device.state == "diagnosing"


def test_after_erasure_the_device_is_released_and_each_step_committed(database):
    with database.session(write=True) as db:
        device = _laptop(db)
        _erase(db, device)
        refurb.move(db, _user(db, "tech"), device, "ready")
        device_id = device.id
    with database.session() as other:  # another session sees the committed use case
        assert other.get(Device, device_id).state == "ready"


def test_a_failed_check_not_repaired_keeps_the_device_from_release(database):
    with database.session(write=True) as db:
        device = _laptop(db)
        tech = _user(db, "tech")
        checks = {k: "pass" for k in refurb.category_checks("laptop")}
        checks["keyboard"] = "fail"
        refurb.record_diagnosis(db, tech, device, {"checks": checks, "verdict": "repair", "battery_health": 80})
        _erase(db, device)
        with pytest.raises(Conflict) as refused:
            refurb.move(db, tech, device, "ready")
        assert "réparation" in refused.value.message
        actions = {a.key: a for a in refurb.available_actions(db, tech, device)}
        assert actions["ready"].refusal == refused.value.message  # the panel says the same rule
