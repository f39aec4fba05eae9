"""Inventory fixtures: devices made through the services, at a given site and state."""

from __future__ import annotations

import pytest

from refurb.accounts.services import get_user
from refurb.inventory import services


@pytest.fixture
def make_device(app):
    """``make_device(site="EPN-A", category="laptop", state=None, **fields) -> asset tag``.

    The device is created through ``create_device``; ``state`` is then set directly with its
    history event (arranging data: the rules of other areas, such as erasure guards, are not run)."""
    def _make(site: str = "EPN-A", category: str = "laptop", state: str | None = None,
              username: str = "admin", **fields) -> str:
        with app.extensions["refurb.db"].session(write=True) as db:
            user = get_user(db, username)
            spec = services.parse_device_input(db, user, {"category": category, "site": site, **fields})
            device = services.create_device(db, user, spec, allow_known_serial=True)
            if state and state != device.state:
                services.record_event(db, device, user, "transition", from_state=device.state, to_state=state)
                device.state = state
            db.commit()
            return device.asset_tag
    return _make
