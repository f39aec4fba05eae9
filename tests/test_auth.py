from conftest import PASSWORD, csrf_token, login
from sqlalchemy import func, select

from refurb.accounts.models import LoginAttempt, User


def test_login_then_logout(client):
    response = login(client, "tech")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/", follow_redirects=True).get_data(as_text=True)  # the technician's home: the workshop
    assert "Tech" in page and "Technicien" in page
    token = csrf_token(client, "/password")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")


def test_wrong_password_unknown_user_and_inactive_user(client, db):
    for username, password in (("tech", "mauvais"), ("personne", PASSWORD)):
        response = login(client, username, password)
        assert response.status_code == 401
        assert "Identifiant ou mot de passe incorrect." in response.get_data(as_text=True)
    user = db.scalar(select(User).where(User.username == "desk"))
    user.active = False
    db.commit()
    response = login(client, "desk")
    assert response.status_code == 403
    assert "désactivé" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still not logged in


def test_repeated_failures_are_throttled_even_with_the_right_password(client, db):
    for _ in range(5):
        assert login(client, "tech", "mauvais").status_code == 401
    response = login(client, "tech")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    failures = db.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.success.is_(False)))
    assert failures == 5
    # another account is not blocked by these failures
    assert login(client, "desk").status_code == 302


def test_open_redirect_is_refused_after_login(client):
    token = csrf_token(client, "/login")
    response = client.post("/login?next=//evil.example.com/x",
                           data={"username": "tech", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_login_form_keeps_next(client):
    response = client.get("/sites/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_htmx_call_without_session_gets_hx_redirect(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_password_change_ends_other_sessions(app, client, login_as):
    login_as("tech")
    other = app.test_client()
    assert login(other, "tech").status_code == 302
    token = csrf_token(client, "/password")
    bad = client.post("/password", data={"csrf_token": token, "current_password": "faux",
                                         "new_password": "nouveau-mot-de-passe", "confirm_password": "nouveau-mot-de-passe"})
    assert bad.status_code == 422 and "actuel est incorrect" in bad.get_data(as_text=True)
    short = client.post("/password", data={"csrf_token": token, "current_password": PASSWORD,
                                           "new_password": "court", "confirm_password": "court"})
    assert short.status_code == 422 and "10 caractères" in short.get_data(as_text=True)
    ok = client.post("/password", data={"csrf_token": token, "current_password": PASSWORD,
                                        "new_password": "nouveau-mot-de-passe", "confirm_password": "nouveau-mot-de-passe"})
    assert ok.status_code == 303
    assert client.get("/", follow_redirects=True).status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one is logged out
    assert login(other, "tech", "nouveau-mot-de-passe").status_code == 302


def test_overlong_username_is_handled(client):
    response = login(client, "x" * 5000, "y" * 5000)
    assert response.status_code == 401


def test_passwords_and_pins_are_kept_with_one_method_and_an_unknown_user_is_checked_all_the_same(db, lk):
    """One hashing home for staff passwords and kiosk PINs (the suite lowers its cost, see conftest.py);
    without a stored hash (an unknown user) a stand-in hash of the same method is checked: never a match."""
    from refurb.accounts import services as accounts
    from refurb.loans.borrowers import set_pin

    method = accounts.HASH_METHOD.split(":")[0] + ":"
    borrower = lk.borrower(pin=None)
    set_pin(db, lk.user("desk"), borrower, "2468")
    assert borrower.pin_hash.startswith(method) and "2468" not in borrower.pin_hash
    assert accounts.secret_matches(borrower.pin_hash, "2468")
    assert not accounts.secret_matches(borrower.pin_hash, "8642") and not accounts.secret_matches(borrower.pin_hash, None)
    assert not accounts.secret_matches(None, "") and not accounts.secret_matches(None, "2468")
    assert not accounts.secret_matches(borrower.pin_hash, 2468) and not accounts.secret_matches(borrower.pin_hash, [])
    user = accounts.create_user(db, {"username": "nouvelle", "full_name": "Nouvelle Personne", "role": "technicien",
                                     "password": "un-mot-de-passe-long", "sites": ["EPN-A"], "home_site": "EPN-A"})
    assert user.password_hash.startswith(method)
    assert accounts.secret_matches(user.password_hash, "un-mot-de-passe-long")
