"""Admin screens: users and sites, with bad input."""

import re

from conftest import csrf_token, login
from markupsafe import escape
from sqlalchemy import select

from refurb.accounts.models import User
from refurb.sites.models import Site


def _post(client, path, data):
    return client.post(path, data=data | {"csrf_token": csrf_token(client, path)})


def test_admin_creates_edits_and_deactivates_a_user(app, client, db, login_as):
    login_as("admin")
    response = _post(client, "/admin/users/new", {"username": "lea", "full_name": "Léa <b>Accueil</b>",
                                                  "role": "accueil", "sites": ["EPN-B", "BUS"],
                                                  "home_site": "EPN-B", "password": "un-long-mot-de-passe",
                                                  "active": "on"})
    assert response.status_code == 303
    page = client.get("/admin/users/").get_data(as_text=True)
    assert "Léa &lt;b&gt;Accueil&lt;/b&gt;" in page and "<b>Accueil</b>" not in page
    other = app.test_client()
    assert login(other, "lea", "un-long-mot-de-passe").status_code == 302
    response = _post(client, "/admin/users/lea", {"full_name": "Léa", "role": "accueil", "sites": ["EPN-B"],
                                                  "home_site": "EPN-B"})  # active unchecked
    assert response.status_code == 303
    db.rollback()
    lea = db.scalar(select(User).where(User.username == "lea"))
    assert not lea.active and [s.code for s in lea.sites] == ["EPN-B"]
    assert other.get("/").status_code == 302  # a deactivated user's session ends
    assert login(other, "lea", "un-long-mot-de-passe").status_code == 403


def test_user_form_bad_input_changes_nothing(client, db, login_as):
    login_as("admin")
    cases = [
        ({"username": "x" * 70, "role": "accueil", "sites": ["EPN-A"], "password": "un-long-mot-de-passe"}, "trop long"),
        ({"username": "tech", "role": "accueil", "sites": ["EPN-A"], "password": "un-long-mot-de-passe"}, "déjà pris"),
        ({"username": "neo", "role": "chef", "sites": ["EPN-A"], "password": "un-long-mot-de-passe"}, "pas une valeur possible"),
        ({"username": "neo", "role": "accueil", "sites": [], "password": "un-long-mot-de-passe"}, "au moins un site"),
        ({"username": "neo", "role": "accueil", "sites": ["EPN-Z"], "password": "un-long-mot-de-passe"}, "Site inconnu"),
        ({"username": "neo", "role": "borne", "sites": ["EPN-A", "EPN-B"], "password": "un-long-mot-de-passe"}, "un seul site"),
        ({"username": "neo", "role": "accueil", "sites": ["EPN-A"], "password": "court"}, "10 caractères"),
    ]
    for data, message in cases:
        response = _post(client, "/admin/users/new", data)
        assert response.status_code in (409, 422), data
        assert message in response.get_data(as_text=True), (data, message)
    db.rollback()
    assert db.scalar(select(User).where(User.username == "neo")) is None


def test_admin_cannot_demote_or_deactivate_self(client, login_as):
    login_as("admin")
    response = _post(client, "/admin/users/admin", {"role": "gestionnaire", "sites": ["EPN-A"], "active": "on"})
    assert response.status_code == 422
    assert "propre rôle" in response.get_data(as_text=True)


def test_sites_create_edit_and_bad_input(client, db, login_as):
    login_as("admin")
    response = _post(client, "/sites/new", {"code": "fs-chinon", "name": "France Services Chinon",
                                            "kind": "france_services", "postal_code": "37500", "city": "Chinon",
                                            "phone": "02 47 00 00 09", "active": "on"})
    assert response.status_code == 303
    db.rollback()
    site = db.scalar(select(Site).where(Site.code == "FS-CHINON"))
    assert site is not None and site.kind == "france_services"
    for data, message in (
        ({"code": "FS-CHINON", "name": "Doublon", "kind": "epn"}, "déjà utilisé"),
        ({"code": "mauvais code!", "name": "X", "kind": "epn"}, "format"),
        ({"code": "NEW", "name": "X", "kind": "château"}, "pas une valeur possible"),
        ({"code": "NEW", "name": "X" * 121, "kind": "epn"}, "trop long"),
        ({"code": "NEW", "name": "X", "kind": "epn", "postal_code": "3750"}, "5 chiffres"),
    ):
        response = _post(client, "/sites/new", data)
        assert response.status_code in (409, 422) and message in response.get_data(as_text=True), data
    assert db.scalar(select(Site).where(Site.code == "NEW")) is None
    response = _post(client, "/sites/FS-CHINON/edit", {"name": "France Services de Chinon", "kind": "france_services"})
    assert response.status_code == 303
    db.rollback()
    site = db.scalar(select(Site).where(Site.code == "FS-CHINON"))
    assert site.name == "France Services de Chinon" and not site.active
    assert client.get("/sites/INCONNU/edit").status_code == 404


def test_switching_site_only_among_ones_own(client, login_as, db):
    login_as("desk")
    bus = db.scalar(select(Site).where(Site.code == "BUS"))
    other = db.scalar(select(Site).where(Site.code == "EPN-B"))
    db.rollback()
    response = _post(client, "/site", {"site_id": str(other.id)})
    assert response.status_code == 303
    assert "ne fait pas partie des vôtres" in client.get("/password").get_data(as_text=True)
    response = _post(client, "/site", {"site_id": str(bus.id)})
    assert response.status_code == 303
    page = client.get("/password").get_data(as_text=True)
    assert f'value="{bus.id}" selected' in page


def test_a_managers_header_offers_every_active_site_and_names_the_chosen_one(client, login_as, db):
    """``layout.header_sites``: a network role's header reads the sites' ids and names alone, or the sites a view
    read already (the stock page): the same switch, the same chosen site, both ways."""
    sites = db.scalars(select(Site).order_by(Site.name)).all()
    active = [(s.id, s.name) for s in sites if s.active]
    chosen = active[-1]
    db.rollback()
    login_as("manager")
    assert _post(client, "/site", {"site_id": str(chosen[0])}).status_code == 303
    for path in ("/password", "/stock"):  # the header reads the sites itself, then those the view read
        page = client.get(path).get_data(as_text=True)
        switch = page.split('<select id="site-switch"', 1)[1].split("</select>", 1)[0]
        assert re.findall(r'<option value="(\d+)" (?:selected)?>([^<]*)</option>', switch) == \
            [(str(i), escape(n)) for i, n in active], path
        assert f'value="{chosen[0]}" selected' in switch, path
        assert f'<small class="user-menu__site">{escape(chosen[1])}</small>' in page, path


def test_french_dates_and_money():
    from datetime import datetime, timezone
    from decimal import Decimal

    from refurb.formatting import datetime_fr, money_fr
    assert datetime_fr(datetime(2026, 11, 28, 13, 5, tzinfo=timezone.utc)) == "28/11/2026 14:05"
    assert datetime_fr(datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)) == "01/07/2026 14:00"
    assert money_fr(Decimal("1234.5")).replace("\u202f", " ").replace("\xa0", " ") == "1 234,50 €"
