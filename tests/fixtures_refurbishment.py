"""Refurbishment fixtures: devices brought to a given workshop step through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import new_device
from sqlalchemy import func, select

from refurb.accounts.services import get_user
from refurb.clock import today
from refurb.db import utcnow
from refurb.inventory import services as inventory
from refurb.inventory.models import Device, DeviceEvent
from refurb.refurbishment import services as refurb
from refurb.refurbishment.status import category_checks


def erasure_payload(**overrides) -> dict:
    """A valid erasure record for the API (an hour-long nwipe pass that ended an hour ago)."""
    end = utcnow() - timedelta(hours=1)
    data = {"media": [{"serial": "WD-WX41A1234567", "model": "WDC WD5000LPVX", "size_gb": 500}],
            "method": "overwrite", "nist_category": "clear", "tool": "nwipe", "tool_version": "0.36", "passes": 1,
            "verified": True, "result": "passed", "started_at": (end - timedelta(hours=1)).isoformat(),
            "ended_at": end.isoformat()}
    data.update(overrides)
    return data


def all_checks(category: str, value: str = "pass", **special) -> dict:
    return {k: special.get(k, value) for k in category_checks(category)}


class Workshop:
    """Arrange data through the services, one committed transaction per call."""

    def __init__(self, app):
        self.app = app

    def session(self):
        return self.app.extensions["refurb.db"].session(write=True)

    def device(self, category: str = "laptop", site: str = "EPN-A", **fields) -> str:
        with self.session() as db:
            device = new_device(db, site=site, category=category, **fields)
            db.commit()
            return device.asset_tag

    def donation(self, kind: str = "public_body", site: str = "EPN-A", devices=None, **extra) -> list[str]:
        donor = {"kind": kind, "name": {"public_body": "Commune de Chinon", "company": "Transports Martin",
                                        "association": "Les Amis du Numérique",
                                        "individual": "Jeanne Dupont"}[kind]}
        if kind == "company":
            donor["siret"] = "73282932000074"
        with self.session() as db:
            _donation, created = refurb.create_donation(db, get_user(db, "admin"), {
                "donor": donor, "site": site, "received_on": today().isoformat(),
                "devices": devices or [{"category": "laptop"}], **extra})
            db.commit()
            return [d.asset_tag for d in created]

    def _do(self, tag: str, fn, username: str = "admin"):
        with self.session() as db:
            user = get_user(db, username)
            device = inventory.get_device(db, user, tag)
            result = fn(db, user, device)
            db.commit()
            return result

    def diagnose(self, tag: str, verdict: str = "ready", failed=(), battery: int | None = 80):
        def run(db, user, device):
            checks = {k: ("fail" if k in failed else "pass") for k in category_checks(device.category)}
            data = {"checks": checks, "verdict": verdict}
            if battery is not None and device.category in ("laptop", "tablet", "smartphone"):
                data["battery_health"] = battery
            return refurb.record_diagnosis(db, user, device, data).id
        return self._do(tag, run)

    def erase(self, tag: str, **overrides):
        return self._do(tag, lambda db, user, device: refurb.record_erasure(
            db, user, device, erasure_payload(**overrides)).id)

    def repair(self, tag: str, fixed=(), **data):
        return self._do(tag, lambda db, user, device: refurb.record_repair(
            db, user, device, {"problem": "Panne", "action": "Réparé", "checks_fixed": list(fixed), **data}).id)

    def grade(self, tag: str, grade: str = "B", battery: int | None = None):
        data = {"grade": grade}
        if battery is not None:
            data["battery_health"] = battery
        return self._do(tag, lambda db, user, device: refurb.record_grading(db, user, device, data).id)

    def move(self, tag: str, to_state: str):
        return self._do(tag, lambda db, user, device: refurb.move(db, user, device, to_state) and None)

    def ready(self, tag: str, grade: str = "B") -> str:
        """Diagnosis, erasure (when the device holds storage), grade, then ready."""
        self.diagnose(tag)
        if self.get(tag).has_storage:
            self.erase(tag)
        self.grade(tag, grade)
        self.move(tag, "ready")
        return tag

    def get(self, tag: str) -> Device:
        with self.session() as db:
            device = db.scalar(select(Device).where(Device.asset_tag == tag))
            db.expunge(device)
            return device

    def state(self, tag: str) -> str:
        return self.get(tag).state

    def count(self, model) -> int:
        with self.session() as db:
            return db.scalar(select(func.count()).select_from(model))

    def events(self, tag: str) -> list[str]:
        with self.session() as db:
            device = db.scalar(select(Device).where(Device.asset_tag == tag))
            return list(db.scalars(select(DeviceEvent.action).where(DeviceEvent.device_id == device.id)
                                   .order_by(DeviceEvent.id)))


@pytest.fixture
def workshop(app, tmp_path):
    app.config["REFURB_REPORTS_DIR"] = str(tmp_path / "reports")
    return Workshop(app)
