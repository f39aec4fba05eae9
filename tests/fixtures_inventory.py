"""Inventory fixtures: devices made through the services, at a given site and state."""

from __future__ import annotations

import pytest

from factories import new_device


@pytest.fixture
def make_device(app):
    """``make_device(site="EPN-A", category="laptop", state=None, **fields) -> asset tag``.

    A committed ``factories.new_device`` (arranging data: the rules of other areas, such as erasure guards,
    are not run)."""
    def _make(site: str = "EPN-A", category: str = "laptop", state: str | None = None,
              username: str = "admin", **fields) -> str:
        with app.extensions["refurb.db"].session(write=True) as db:
            device = new_device(db, site=site, category=category, state=state, user=username, **fields)
            db.commit()
            return device.asset_tag
    return _make
