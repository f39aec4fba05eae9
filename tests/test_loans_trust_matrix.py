"""The loans area's authorisation variants (tests/authz/loans.py, VARIANTS): the same routes as the matrix,
with a body or a parameter that once changed the decision — a "site" in a return body, a card number typed
instead of scanned, a loan or kit named by id at the desk, a reservation made for someone else's borrower.

For every role: the network roles may; a desk of the own site (and every other role) is refused and
nothing changes; the desk never sees the contact of a borrower whose record it does not hold."""

from __future__ import annotations

import html

import pytest
from authz import NETWORK
from authz import loans as cases
from conftest import login
from sqlalchemy import func, select
from test_authz_matrix import ROLES, _bearer, _context

from refurb.inventory.models import Device
from refurb.loans.models import Borrower, Loan, Reservation


def _fill(value, ctx):
    if isinstance(value, str):
        return value.format(own=ctx["own"], other=ctx["other"])
    if isinstance(value, list):
        return [_fill(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ctx) for k, v in value.items()}
    return value


def _other_site_state(db, ctx) -> tuple:
    db.rollback()
    db.expire_all()
    loan = db.get(Loan, ctx["other"]["loan"])
    borrower = db.get(Borrower, ctx["other"]["borrower_id"])
    kit_loans_open = db.scalar(select(func.count()).select_from(Loan).where(Loan.kit_id.is_not(None),
                                                                            Loan.returned_at.is_(None)))
    return (loan.returned_at, loan.renewals, loan.due_on, loan.device.state, loan.device.site_id,
            borrower.anonymised_at, kit_loans_open,
            db.scalar(select(func.count()).select_from(Reservation)), db.scalar(select(func.count()).select_from(Device)))


@pytest.mark.parametrize("role", list(ROLES))
def test_loans_variants(app, client, db, role):
    app.config["WTF_CSRF_ENABLED"] = False
    ctx = _context(db)
    assert login(client, ROLES[role]).status_code == 302
    bearer = _bearer(db, ROLES[role])
    before = _other_site_state(db, ctx)
    failures = []
    for name, v in cases.VARIANTS.items():
        path = _fill(v.path, ctx)
        headers = dict(bearer) if path.startswith("/api/") else {"HX-Request": "true"}
        if v.json is not None:
            r = client.open(path, method=v.method, json=_fill(v.json, ctx), headers=headers)
        else:
            r = client.open(path, method=v.method, data=_fill(v.data, ctx), headers=headers)
        body = html.unescape(r.get_data(as_text=True))
        allowed = role in v.allowed
        if r.status_code >= 500:
            failures.append(f"{name}: {r.status_code}")
        elif allowed and r.status_code in (401, 403):
            failures.append(f"{name}: allowed for {role}, got {r.status_code}")
        elif not allowed and r.status_code != 403 and not (v.refusal and v.refusal in body):
            failures.append(f"{name}: expected a refusal for {role}, got {r.status_code} {body[:200]!r}")
        if role not in NETWORK:
            shown = [word for word in v.hidden if word in body]
            if shown:
                failures.append(f"{name}: shows {shown} to {role}")
    assert not failures, "\n".join(failures)
    if role not in NETWORK:
        assert _other_site_state(db, ctx) == before, "a refused request changed the other site's data"
