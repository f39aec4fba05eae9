"""Fixtures of the loans area: loan-pool devices (``factories.new_device``: the tests don't depend on the
refurbishment guards), borrowers, and a few helpers."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from factories import new_device
from sqlalchemy import select

from refurb.accounts.models import User
from refurb.accounts.services import hash_secret
from refurb.db import utcnow
from refurb.inventory.models import Device
from refurb.loans.models import Borrower
from refurb.sites.models import Site

_cards = itertools.count(10000001)


class LoansHelper:
    def __init__(self, db):
        self.db = db

    def site(self, code: str) -> Site:
        return self.db.scalar(select(Site).where(Site.code == code))

    def user(self, username: str) -> User:
        return self.db.scalar(select(User).where(User.username == username))

    def device(self, site: str = "EPN-A", category: str = "laptop", state: str = "loan_pool", *,
               brand: str = "Lenovo", model: str = "ThinkPad T480", commit: bool = True) -> Device:
        """A device put straight into the loan pool (no workshop steps), without storage so that
        no erasure guard applies (``factories.new_device``)."""
        device = new_device(self.db, site=site, category=category, state=state, brand=brand, model=model,
                            has_storage=False)
        if commit:
            self.db.commit()
        return device

    def borrower(self, site: str = "EPN-A", *, first_name: str = "Élodie", last_name: str | None = None,
                 phone: str | None = "0612345678", email: str | None = None, kind: str = "resident",
                 pin: str | None = None, consent: bool = True, blocked: str = "", organisation: str = "",
                 last_activity_days: int = 0, commit: bool = True) -> Borrower:
        n = next(_cards)
        now = utcnow()
        from refurb.loans.services import name_key
        last_name = last_name or f"Dupont{n}"
        b = Borrower(card_number=f"U{n:08d}", kind=kind, first_name=first_name, last_name=last_name,
                     organisation=organisation or ("Centre social" if kind == "partner" else ""),
                     phone=phone, email=email, name_key=name_key(last_name, first_name),
                     home_site=self.site(site), referring_partner="",
                     pin_hash=hash_secret(pin) if pin else None, pin_failures=0,
                     consent_at=now if consent else None, blocked=bool(blocked), block_reason=blocked,
                     created_at=now - timedelta(days=last_activity_days), updated_at=now,
                     last_activity_at=now - timedelta(days=last_activity_days))
        self.db.add(b)
        if commit:
            self.db.commit()
        return b


@pytest.fixture
def lk(db) -> LoansHelper:
    return LoansHelper(db)


@pytest.fixture
def api_headers(client, api_token):
    """A Bearer token already used once (its first-use bookkeeping done)."""
    def _headers(username: str = "desk") -> dict:
        headers = api_token(username)
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        return headers
    return _headers
