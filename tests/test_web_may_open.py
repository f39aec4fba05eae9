"""Who may open a page is said once, by its route (``roles_required``): the header's menus and the links of
the pages ask the route (``may_open``), so a link never leads to a refusal and a page open to a role is
never hidden from it."""

from __future__ import annotations

import pytest

from refurb.accounts.roles import ROLES
from refurb.web.layout import NAV, may_open, menus_for, route_roles


def test_the_menus_offer_only_pages_the_route_lets_the_role_open(app):
    with app.test_request_context():
        assert all(e in app.view_functions for e, _label, _roles in NAV)
        for role in ROLES:
            menus, loose = menus_for(role)
            offered = [e for _m, items in menus for e, _ in items] + [e for e, _ in loose]
            assert all(may_open(e, role) for e in offered), role
        assert route_roles("loans.retention_setting") == {"admin"}
        assert not may_open("loans.retention_setting", "gestionnaire") and may_open("sites.list_sites", "admin")


@pytest.mark.parametrize(("user", "rules_link", "retention", "new_site"), [
    ("admin", True, True, True), ("manager", True, False, False), ("desk", True, False, None)])
def test_links_follow_the_routes(login_as, user, rules_link, retention, new_site):
    client = login_as(user)
    loans_page = client.get("/prets/").get_data(as_text=True)
    assert ('href="/prets/regles"' in loans_page) is rules_link
    rules = client.get("/prets/regles")
    assert rules.status_code == 200  # the reception desk reads the rules (only managers change them)
    assert ('id="retention"' in rules.get_data(as_text=True)) is retention
    sites = client.get("/sites/")
    if new_site is None:
        assert sites.status_code == 403
    else:
        assert ('href="/sites/new"' in sites.get_data(as_text=True)) is new_site
