"""The page header, written once for each of what it shows (``web.layout.site_header``), then filled for each page
with the request's CSRF token and path."""

import re

from conftest import csrf_token, login
from markupsafe import escape
from sqlalchemy import select

from refurb.accounts.models import User
from refurb.settings import set_setting
from refurb.sites.models import Site


def _header(html: str) -> str:
    return html.split('<header class="site-header', 1)[1].split("</header>", 1)[0]


def _page(client, path: str = "/appareils/") -> tuple[str, str]:
    """The header of a page and the CSRF token the page's body carries (written apart from the header)."""
    html = client.get(path).get_data(as_text=True)
    return _header(html), re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def test_each_page_fills_the_written_header_with_its_own_token_and_path(app, login_as):
    first = login_as("desk")  # two sites: the header offers the site switch, which carries the page's path
    second = app.test_client()
    assert login(second, "desk").status_code == 302
    tokens = set()
    for client in (first, second):
        for path in ("/appareils/", "/appareils/?q=<b>&sort=tag"):  # the same page, another path
            header, token = _page(client, path)
            assert set(re.findall(r'name="csrf_token" value="([^"]+)"', header)) == {token}
            assert len(re.findall(r'name="csrf_token"', header)) == 3  # scan box, site switch, logout
            full_path = path if "?" in path else path + "?"
            assert f'name="next" value="{escape(full_path)}"' in header
            assert "<b>" not in header
            tokens.add(token)
    assert len(tokens) >= 2  # each session its own token, never the first page's


def test_the_header_shows_what_changed_at_the_next_page(app, client, db, login_as):
    login_as("desk")
    header, _token = _page(client)
    assert "Desk" in header and "Réseau numérique du Chinonais" in header
    desk = db.scalar(select(User).where(User.username == "desk"))
    desk.full_name = "Dominique <Accueil>"
    db.commit()
    header, _token = _page(client)
    assert "Dominique &lt;Accueil&gt;" in header and "Desk" not in header
    set_setting(db, "network_name", "Réseau de la vallée")
    db.commit()
    header, _token = _page(client)
    assert "Réseau de la vallée" in header and "Chinonais" not in header
    # the site chosen in the header: named in the user's menu and selected in the switch
    bus = db.scalar(select(Site).where(Site.code == "BUS"))
    answer = client.post("/site", data={"site_id": str(bus.id), "csrf_token": csrf_token(client, "/appareils/")})
    assert answer.status_code == 303
    header, _token = _page(client)
    assert f'<small class="user-menu__site">{escape(bus.name)}</small>' in header
    assert f'value="{bus.id}" selected' in header


def test_the_header_of_another_role_and_page_is_its_own(app, login_as):
    tech = login_as("tech")
    queue, _token = _page(tech, "/atelier/")  # the workshop queue has its own scan field
    devices, _token = _page(tech, "/appareils/")
    assert 'id="scan-box"' not in queue and 'id="scan-box"' in devices
    assert 'href="/sites/"' not in devices and "Tech" in devices
    manager = app.test_client()
    assert login(manager, "manager").status_code == 302
    header, _token = _page(manager, "/appareils/")  # the same page: the manager's menus and name
    assert 'href="/sites/"' in header and "Manager" in header and "Tech" not in header


def test_a_name_spelled_like_a_placeholder_is_shown_as_it_is(client, db, login_as):
    login_as("tech")
    tech = db.scalar(select(User).where(User.username == "tech"))
    tech.full_name = "x-refurb-csrf-x x-refurb-next-x"
    db.commit()
    header, token = _page(client)
    assert "x-refurb-csrf-x x-refurb-next-x" in header
    assert set(re.findall(r'name="csrf_token" value="([^"]+)"', header)) == {token}
