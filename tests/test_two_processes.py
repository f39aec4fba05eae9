"""Two `refurb serve` processes on one PostgreSQL database with the same secret behave as one server: a session
opened on A works on B, login and PIN throttling count across both, twenty check-outs of one device split over
both make exactly one loan, a job started on A is followed and downloaded on B.

Runs in CI's PostgreSQL pass (REFURB_TEST_DATABASE_URL); on SQLite, two processes are not the deployment the
README offers for a network, and the test is skipped."""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from conftest import PASSWORD
from fixtures_operations import Server
from refurb.accounts import services as accounts
from refurb.loans.models import Loan

pytestmark = pytest.mark.skipif(
    not os.environ.get("REFURB_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="deux processus « refurb serve » sur une même base : PostgreSQL seulement "
           "(REFURB_TEST_DATABASE_URL, passe PostgreSQL de la CI)")

SECRET = "two-processes-secret"


def _token(session: requests.Session, url: str) -> str:
    html = session.get(url, timeout=30).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def _login(session: requests.Session, base: str, username: str, password: str = PASSWORD) -> requests.Response:
    token = _token(session, f"{base}/login")
    return session.post(f"{base}/login", data={"username": username, "password": password, "csrf_token": token},
                        allow_redirects=False, timeout=30)


@pytest.fixture(scope="module")
def servers(database_url, tmp_path_factory):
    """Servers A and B on the test database, started together once for this file: each test empties the
    database and puts the base network back (the ``app`` fixture), as a restored backup would under running
    servers, which keep nothing of their own between requests."""
    workdir = tmp_path_factory.mktemp("two-processes")
    # An inventory of more than one device is a job: one is started on A and followed on B.
    started = [Server(database_url, SECRET, workdir, name, {"REFURB_JOB_THRESHOLD": "1"}).launch()
               for name in ("a", "b")]
    try:
        yield tuple(server.wait_ready() for server in started)
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def pair(app, servers):
    """Servers A and B, the test database holding the base network only."""
    return servers


def test_a_session_opened_on_one_process_works_on_the_other(pair):
    a, b = pair
    browser = requests.Session()
    assert _login(browser, a.url, "manager").status_code == 302
    page = browser.get(f"{b.url}/", timeout=30)  # (the home page may send a role to its own page)
    assert page.status_code == 200 and "/login" not in page.url and page.url.startswith(b.url)
    # a form whose token was given by A is accepted by B (same secret: same CSRF signature)
    token = _token(browser, f"{a.url}/")
    out = browser.post(f"{b.url}/logout", data={"csrf_token": token}, allow_redirects=False, timeout=30)
    assert out.status_code in (302, 303)
    assert "/login" in browser.get(f"{a.url}/", timeout=30).url  # logged out on A too


def test_login_throttling_counts_the_attempts_made_on_both(pair):
    a, b = pair
    for attempt in range(accounts.MAX_FAILURES_PER_USER):
        server = (a, b)[attempt % 2]
        assert _login(requests.Session(), server.url, "tech", "mauvais").status_code in (401, 422)
    # the right password now waits, on either process
    for server in (a, b):
        assert _login(requests.Session(), server.url, "tech").status_code == 429


def test_pin_throttling_counts_the_attempts_made_on_both(pair, lk, db):
    from refurb.loans.kiosk import MAX_PIN_FAILURES_PER_CARD
    from refurb.accounts.models import User

    a, b = pair
    borrower = lk.borrower("EPN-A", pin="1357")
    kiosk_id = db.scalar(select(User.id).where(User.username == "kiosk"))
    db.commit()
    browser = requests.Session()
    assert _login(browser, a.url, "desk").status_code == 302
    opened = browser.post(f"{a.url}/prets/bornes/ouvrir", data={"csrf_token": _token(browser, f"{a.url}/prets/bornes"),
                                                                "kiosk_user": kiosk_id}, allow_redirects=False)
    assert opened.status_code == 303

    def kiosk(server, path, **data):
        return browser.post(f"{server.url}{path}", data={"csrf_token": _token(browser, f"{server.url}/borne"), **data},
                            allow_redirects=False, timeout=30)

    statuses = []
    for attempt in range(MAX_PIN_FAILURES_PER_CARD):
        server = (a, b)[attempt % 2]
        kiosk(server, "/borne/carte", code=borrower.card_number)
        statuses.append(kiosk(server, "/borne/pin", pin="0000").status_code)
    assert statuses[-1] == 429, statuses  # the third wrong PIN, wherever it was typed, blocks the card
    kiosk(a, "/borne/carte", code=borrower.card_number)
    assert kiosk(a, "/borne/pin", pin="1357").status_code == 429


def test_twenty_check_outs_of_one_device_over_both_processes_make_one_loan(pair, lk, db, api_token):
    a, b = pair
    device = lk.device("EPN-A")
    borrowers = [lk.borrower("EPN-A") for _ in range(20)]
    headers = api_token("desk")
    db.commit()

    def check_out(i: int) -> int:
        server = (a, b)[i % 2]
        return requests.post(f"{server.url}/api/v1/loans", headers=headers, timeout=60,
                             json={"asset_tag": device.asset_tag, "borrower_card": borrowers[i].card_number,
                                   "site": "EPN-A", "rules_accepted": True}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(check_out, range(20)))
    assert statuses.count(201) == 1, statuses
    assert all(s == 409 for s in statuses if s != 201), statuses
    db.rollback()
    assert db.scalar(select(func.count(Loan.id)).where(Loan.device_id == device.id)) == 1


def test_a_job_started_on_one_process_is_followed_and_downloaded_on_the_other(pair, lk, api_token):
    a, b = pair
    lk.device("EPN-A")
    lk.device("EPN-A")
    headers = api_token("manager")
    started = requests.get(f"{a.url}/api/v1/sites/EPN-A/inventory.pdf", headers=headers, timeout=60)
    assert started.status_code == 202, started.text[:300]
    status_url = started.json()["status_url"]
    deadline = time.monotonic() + 120
    while True:
        status = requests.get(f"{b.url}{status_url}", headers=headers, timeout=30)
        assert status.status_code == 200, status.text[:300]
        body = status.json()
        if body["state"] in ("done", "failed", "interrupted") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert body["state"] == "done", body
    result = requests.get(f"{b.url}{body['result_url']}", headers=headers, timeout=60)
    assert result.status_code == 200 and result.content.startswith(b"%PDF")
