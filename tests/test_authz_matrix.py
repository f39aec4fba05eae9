"""Every registered route × every role × own site / other site (see tests/authz/)."""

from __future__ import annotations

import importlib
import pkgutil
import secrets

import authz
import pytest
from authz import NETWORK, PUBLIC, Case
from conftest import login

from refurb.accounts.models import ApiToken, User
from refurb.accounts.services import _token_hash

ROLES = {"admin": "admin", "gestionnaire": "manager", "technicien": "tech", "accueil": "desk", "borne": "kiosk"}


def _modules():
    return [importlib.import_module(f"authz.{m.name}") for m in pkgutil.iter_modules(authz.__path__)]


def _cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for module in _modules():
        overlap = set(cases) & set(module.CASES)
        assert not overlap, f"endpoints listed twice: {overlap}"
        cases |= module.CASES
    return cases


def _context(db) -> dict:
    ctx = {"own": {"site": "EPN-A"}, "other": {"site": "EPN-B"}}
    for module in _modules():
        if hasattr(module, "arrange"):
            module.arrange(db, ctx)
    db.commit()
    return ctx


def test_every_route_has_a_case(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    cases = _cases()
    assert endpoints - set(cases) == set(), "routes without an authorisation case in tests/authz/"
    assert set(cases) - endpoints == set(), "cases for routes that no longer exist"


def _bearer(db, username: str) -> dict:
    # Made directly: the service refuses kiosk tokens, and the API must refuse them too.
    user = db.query(User).filter_by(username=username).one()
    secret = "rfb_" + secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user.id, name="matrix", prefix=secret[:12], token_hash=_token_hash(secret)))
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


def _expectation(case: Case, role: str | None, which: str) -> str:
    if case.allowed == PUBLIC:
        return "allowed"
    if role is None:
        return "login"
    if role not in case.allowed:
        return "forbidden"
    if case.site_bound and which == "other" and role not in NETWORK:
        return "forbidden"
    return "allowed"


@pytest.mark.parametrize("role", [None, *ROLES])
def test_matrix(app, client, db, role):
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests; here only who may do what
    ctx = _context(db)
    headers = {}
    if role is not None:
        assert login(client, ROLES[role]).status_code == 302
        headers = _bearer(db, ROLES[role])
    failures = []
    for endpoint, case in sorted(_cases().items()):
        for which in ("own", "other"):
            path = case.path.format(o=ctx[which])
            is_api = path.startswith("/api/")
            request_headers = headers if is_api else {}
            if case.json is not None:
                response = client.open(path, method=case.method, json=case.json, headers=request_headers)
            else:
                response = client.open(path, method=case.method, data=case.data, headers=request_headers)
            status = response.status_code
            expected = _expectation(case, role, which)
            location = response.headers.get("Location", "")
            if expected == "allowed":
                ok = status not in (401, 403) and status < 500 and ("/login" not in location or case.ends_session)
            elif expected == "login":
                ok = (status == 401) if is_api else (status == 302 and "/login" in location)
            else:
                ok = status == 403
            if not ok:
                failures.append(f"{case.method} {path} [{endpoint}, {which}]: expected {expected}, got {status} {location}")
            if role is not None and case.ends_session:
                assert login(client, ROLES[role]).status_code == 302
    assert not failures, "\n".join(failures)
