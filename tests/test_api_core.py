from datetime import timedelta

from refurb.accounts import services
from refurb.accounts.models import ApiToken
from refurb.db import utcnow


def test_me_and_sites(client, api_token):
    headers = api_token("tech")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json == {"username": "tech", "full_name": "Tech", "role": "technicien", "sites": ["EPN-A"],
                       "home_site": "EPN-A"}
    sites = client.get("/api/v1/sites", headers=headers).json["items"]
    assert [s["code"] for s in sites] == ["EPN-A"]
    manager_sites = client.get("/api/v1/sites", headers=api_token("manager")).json["items"]
    assert {s["code"] for s in manager_sites} == {"EPN-A", "EPN-B", "BUS"}


def test_missing_bad_revoked_expired_tokens(app, client, db, api_token):
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer rfb_inconnu"}, {"Authorization": "Bearer pas-un-jeton"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    headers = api_token("tech")
    token = db.query(ApiToken).one()
    services.revoke_token(db, None, token.id)
    db.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and "révoqué" in response.json["error"]["message"]
    headers = api_token("desk")
    token = db.query(ApiToken).filter(ApiToken.revoked_at.is_(None)).one()
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and "expiré" in response.json["error"]["message"]


def test_cookie_session_does_not_open_the_api(client, login_as):
    login_as("admin")
    assert client.get("/api/v1/me").status_code == 401


def test_kiosk_gets_no_token(db):
    kiosk = services.get_user(db, "kiosk")
    try:
        services.create_token(db, kiosk)
    except services.Forbidden as err:
        assert "borne" in err.message
    else:
        raise AssertionError("a kiosk token was issued")


def test_kiosk_token_made_before_role_change_is_refused(client, db, api_token):
    headers = api_token("desk")
    user = services.get_user(db, "desk")
    user.role = "borne"
    db.commit()
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_token_last_use_is_recorded(client, db, api_token):
    headers = api_token("tech")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.rollback()
    assert db.query(ApiToken).one().last_used_at is not None


def test_unknown_api_route_is_json_404(client, api_token):
    response = client.get("/api/v1/nothing-here", headers=api_token("tech"))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"
