"""Sessions end on the server: logout, idle time (shared PCs in public places), a new password, a
deactivated account. A copied or replayed cookie opens nothing afterwards."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from conftest import PASSWORD, csrf_token, login
from flask import Flask
from sqlalchemy import select

from refurb import config
from refurb.accounts.models import User, UserSession
from refurb.clock import utcnow


def _cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def _replay(app, value: str):
    """Another browser (or an attacker) sending a copied session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def _logged_in(client) -> bool:
    response = client.get("/password")  # any staff page: 200 when logged in, else the login page
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def _sessions(db, username: str) -> list[UserSession]:
    db.rollback()
    user = db.scalar(select(User).where(User.username == username))
    return list(db.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)))


def test_a_copied_cookie_works_while_the_session_is_open_and_not_after_logout(app, client, db, login_as):
    login_as("tech")
    value = _cookie(client)
    assert _logged_in(_replay(app, value))  # the replay itself works: the check below can fail
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert not _logged_in(_replay(app, value))
    [row] = _sessions(db, "tech")
    assert row.ended_at is not None and row.end_reason == "logout"


def test_the_cookie_carries_a_session_secret_stored_only_as_a_hash(app, client, db, login_as):
    login_as("tech")
    [row] = _sessions(db, "tech")
    carried = app.session_interface.get_signing_serializer(app).loads(_cookie(client))
    secret = carried["_user_id"]
    assert len(secret) >= 40 and secret != str(row.user_id)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()  # the secret itself is not stored


def test_a_new_login_on_the_same_browser_ends_the_previous_session(app, client, db, login_as):
    login_as("tech")
    first = _cookie(client)
    token = csrf_token(client, "/password")  # someone else logs in on this shared PC
    response = client.post("/login", data={"username": "desk", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert not _logged_in(_replay(app, first))
    assert [r.end_reason for r in _sessions(db, "tech")] == ["logout"]


def test_an_idle_session_ends_after_the_configured_minutes(app, client, db, login_as):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        login_as("tech")
        clock.move_to(start + timedelta(minutes=29))
        assert _logged_in(client)  # activity before the limit keeps the session going…
        clock.move_to(start + timedelta(minutes=29 + 29))
        assert _logged_in(client)  # …from the last request, not from the login
        clock.move_to(start + timedelta(minutes=29 + 29 + 31))
        assert not _logged_in(client)
        [row] = _sessions(db, "tech")
        assert row.end_reason == "idle"
        # the same cookie stays refused afterwards, even within the limit of its last use
        assert not _logged_in(client)


def test_the_idle_limit_is_a_setting(app, client, db, login_as):
    app.config["IDLE_MINUTES"] = 10
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        login_as("tech")
        clock.move_to(start + timedelta(minutes=9))
        assert _logged_in(client)
        clock.move_to(start + timedelta(minutes=9 + 11))
        assert not _logged_in(client)


def test_an_htmx_call_after_the_idle_limit_is_sent_to_the_login_page_then_back_to_its_page(app, client, login_as):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        login_as("tech")
        clock.move_to(start + timedelta(minutes=31))
        response = client.get("/devices?q=RF", headers={"HX-Request": "true",
                                                        "HX-Current-URL": "http://localhost/devices?state=ready"})
        assert response.status_code == 401
        # back to the page, not to the partial htmx asked for
        assert response.headers["HX-Redirect"] == "/login?next=/devices?state%3Dready"
        token = csrf_token(client, "/login")
        again = client.post(response.headers["HX-Redirect"], data={"username": "tech", "password": PASSWORD,
                                                                   "csrf_token": token})
        assert again.headers["Location"] == "/devices?state=ready"


def test_a_kiosk_session_is_shorter_and_kept_alive_by_its_screen(app, client, db):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        assert login(client, "kiosk").status_code == 302
        for minute in (4, 8, 12):  # the kiosk screen asks /session/ping every minute
            clock.move_to(start + timedelta(minutes=minute))
            assert client.get("/session/ping").status_code == 204
        clock.move_to(start + timedelta(minutes=12 + 6))  # the browser was closed: 6 minutes later, over
        response = client.get("/session/ping")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert [r.end_reason for r in _sessions(db, "kiosk")] == ["idle"]


def test_the_kiosk_screen_asks_for_the_keep_alive_and_staff_pages_do_not(app, client, login_as):
    assert login(client, "kiosk").status_code == 302
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'data-keepalive-url="/session/ping"' in page
    staff = app.test_client()
    assert login(staff, "desk").status_code == 302
    assert "data-keepalive-url" not in staff.get("/", follow_redirects=True).get_data(as_text=True)


def test_idle_minutes_come_from_the_environment(tmp_path, monkeypatch):
    def configured() -> Flask:
        bare = Flask("refurb-config-test", instance_path=str(tmp_path))
        config.configure(bare, {"SECRET_KEY": "x"})
        return bare

    monkeypatch.delenv("REFURB_IDLE_MINUTES", raising=False)
    monkeypatch.delenv("REFURB_KIOSK_IDLE_MINUTES", raising=False)
    defaults = configured().config
    assert (defaults["IDLE_MINUTES"], defaults["KIOSK_IDLE_MINUTES"]) == (30, 5)
    monkeypatch.setenv("REFURB_IDLE_MINUTES", "15")
    monkeypatch.setenv("REFURB_KIOSK_IDLE_MINUTES", "2")
    chosen = configured().config
    assert (chosen["IDLE_MINUTES"], chosen["KIOSK_IDLE_MINUTES"]) == (15, 2)
    monkeypatch.setenv("REFURB_IDLE_MINUTES", "une demi-heure")
    with pytest.raises(RuntimeError, match="REFURB_IDLE_MINUTES doit être un nombre de minutes"):
        configured()


def test_a_new_password_ends_the_other_sessions_on_the_server(app, client, db, login_as):
    login_as("tech")
    other = app.test_client()
    assert login(other, "tech").status_code == 302
    copied = _cookie(other)
    token = csrf_token(client, "/password")
    response = client.post("/password", data={"csrf_token": token, "current_password": PASSWORD,
                                              "new_password": "nouveau-mot-de-passe",
                                              "confirm_password": "nouveau-mot-de-passe"})
    assert response.status_code == 303
    assert _logged_in(client)  # the session where the password was changed goes on
    assert not _logged_in(_replay(app, copied))
    assert [r.end_reason for r in _sessions(db, "tech")] == [None, "password"]


def test_an_admin_resetting_a_password_ends_that_users_sessions(app, client, db, login_as):
    desk = app.test_client()
    assert login(desk, "desk").status_code == 302
    login_as("admin")
    token = csrf_token(client, "/admin/users/desk")
    response = client.post("/admin/users/desk", data={
        "csrf_token": token, "full_name": "Desk", "role": "accueil", "sites": ["EPN-A", "BUS"],
        "home_site": "EPN-A", "active": "on", "password": "un-autre-mot-de-passe"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert not _logged_in(desk)
    assert _logged_in(client)  # the admin's own session is untouched


def test_deactivation_ends_every_session_and_revokes_every_token(app, client, db, login_as, api_token):
    desk = app.test_client()
    assert login(desk, "desk").status_code == 302
    headers = api_token("desk")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    login_as("admin")
    form = {"full_name": "Desk", "role": "accueil", "sites": ["EPN-A", "BUS"], "home_site": "EPN-A"}
    token = csrf_token(client, "/admin/users/desk")
    assert client.post("/admin/users/desk", data={"csrf_token": token, **form}).status_code == 303  # no "active"
    assert not _logged_in(desk)
    assert [r.end_reason for r in _sessions(db, "desk")] == ["deactivated"]
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthorized"
    # Reactivating the account does not bring the old token back: it was revoked.
    assert client.post("/admin/users/desk", data={"csrf_token": token, **form, "active": "on"}).status_code == 303
    again = client.get("/api/v1/me", headers=headers)
    assert again.status_code == 401 and "révoqué" in again.json["error"]["message"]
    assert login(desk, "desk").status_code == 302  # a new login works again


def test_a_session_made_before_the_sessions_table_is_refused(app, client):
    """Cookies of the old format (user id and nonce) name no server-side session."""
    with client.session_transaction() as session:
        session["_user_id"] = "1:n0"
        session["_fresh"] = True
    assert not _logged_in(client)


def test_old_session_rows_are_deleted_at_the_next_login(app, client, db, login_as):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        login_as("tech")
        client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
        clock.move_to(start + timedelta(days=31))
        login_as("tech")
    assert [r.end_reason for r in _sessions(db, "tech")] == [None]


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(client):
    from conftest import PUBLIC_URL
    assert PUBLIC_URL.startswith("https://")
    response = login(client, "tech")
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in flags and "secure" in flags and flags["samesite"].lower() == "samesite=lax"
    assert "expires" not in flags and "max-age" not in flags  # gone with the browser; the server ends it anyway


def test_the_session_cookie_is_not_secure_on_a_plain_http_install(tmp_path, monkeypatch):
    monkeypatch.delenv("REFURB_PUBLIC_URL", raising=False)
    bare = Flask("refurb-config-test", instance_path=str(tmp_path))
    config.configure(bare, {"SECRET_KEY": "x"})
    assert bare.config["SESSION_COOKIE_SECURE"] is False  # the browser would drop it over http://
    assert bare.config["SESSION_COOKIE_HTTPONLY"] is True and bare.config["SESSION_COOKIE_SAMESITE"] == "Lax"
