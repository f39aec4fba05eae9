"""Stock per site: counts by category × state, network totals, minimum levels, shortages, scoping."""

from __future__ import annotations

import json
from html import unescape
from html.parser import HTMLParser

from conftest import csrf_token
from factories import new_device
from sqlalchemy import select

from refurb.accounts.models import User
from refurb.inventory import services
from refurb.inventory.models import StockMinimum
from refurb.sites.models import Site

# --- helpers shared with the transfer tests -------------------------------------------------

def user(db, username: str) -> User:
    return db.scalar(select(User).where(User.username == username))


def site(db, code: str) -> Site:
    return db.scalar(select(Site).where(Site.code == code))


def make_device(db, site_code: str = "EPN-A", category: str = "laptop", state: str = "received", *,
                brand: str = "Dell", model: str = "Latitude 5490", serial: str | None = None):
    """``factories.new_device``, in ``state``."""
    return new_device(db, site=site_code, category=category, state=state, brand=brand, model=model,
                      serial_number=serial)


class _Tables(HTMLParser):
    """Tables of a page by the aria-label of their wrapper: rows of (class, [cell texts])."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[tuple[str, list[str]]]] = {}
        self._label = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("role") == "region":
            self._label = attrs.get("aria-label")
            self.tables[self._label] = []
        elif tag == "tr" and self._label is not None:
            self._row = (attrs.get("class") or "", [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row[1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._label].append(self._row)
            self._row = None
        elif tag == "table":
            self._label = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[tuple[str, list[str]]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def row(table, first_cell_start: str) -> tuple[str, list[str]]:
    for cls, cells in table:
        if cells and cells[0].startswith(first_cell_start):
            return cls, cells
    raise AssertionError(f"no row starting with {first_cell_start!r} in {table}")


def arrange_stock(db):
    """EPN-A: 2 laptops in the loan pool, 1 ready, 1 tablet received, 1 sold (gone);
    EPN-B: 3 laptops in the loan pool; BUS: one router on loan."""
    for state in ("loan_pool", "loan_pool", "ready", "sold"):
        make_device(db, "EPN-A", "laptop", state)
    make_device(db, "EPN-A", "tablet", "received", brand="Samsung", model="Tab A")
    for _ in range(3):
        make_device(db, "EPN-B", "laptop", "loan_pool")
    make_device(db, "BUS", "router", "on_loan", brand="Huawei", model="E5576")
    db.commit()


# The columns of a site table: Catégorie, 7 states (Reçu … Perdu ou volé), Total[, Minimum]
COLS = ["Reçus", "En diagnostic", "En réparation", "Reconditionnés", "Parc de prêt", "En prêt", "Perdus ou volés"]


def _cells(cells):
    return dict(zip(["cat", *COLS, "total"], cells))


# --- the page --------------------------------------------------------------------------------

def test_manager_sees_network_totals_and_every_site(db, login_as):
    arrange_stock(db)
    client = login_as("manager")
    response = client.get("/stock")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Stock du réseau" in html
    t = tables(html)
    totals = _cells(row(t["Totaux du réseau par catégorie et par état"], "Ordinateurs portables")[1])
    assert totals["Parc de prêt"] == "5" and totals["Reconditionnés"] == "1" and totals["total"] == "6"
    router = _cells(row(t["Totaux du réseau par catégorie et par état"], "Routeurs 4G")[1])
    assert router["En prêt"] == "1"
    # the sites, one row each by state (a site's categories are on its own page, linked)
    a = _cells(row(t["Stock par site et par état"], "EPN A")[1])
    assert a["Parc de prêt"] == "2" and a["Reconditionnés"] == "1" and a["total"] == "4"  # the sold one is gone
    b = _cells(row(t["Stock par site et par état"], "EPN B")[1])
    assert b["Parc de prêt"] == "3"
    assert 'href="/stock/EPN-A"' in html
    assert "Stock de EPN A" not in t
    # the overview: sites × categories, loan pool and ready
    overview = t["Parc de prêt et appareils reconditionnés par site et par catégorie"]
    cls, cells = row(overview, "EPN A")
    assert cells[1:3] == ["2", "1"]  # laptops: loan pool, ready
    assert 'class="num zero"' in html  # zero cells are shown, quietly


def test_full_site_table_shows_every_category_with_quiet_zeros(db, login_as):
    arrange_stock(db)
    html = login_as("tech").get("/stock/EPN-A").get_data(as_text=True)
    table = tables(html)["Stock de EPN A par catégorie et par état"]
    categories = [cells[0] for _cls, cells in table[1:-1]]
    assert categories[0] == "Ordinateurs portables" and len(categories) == 9
    cls, cells = row(table, "Imprimantes")
    assert cells[1:9] == ["0"] * 8
    assert row(table, "Total")[1][-2] == "4"  # 3 laptops + 1 tablet


def test_technician_sees_only_their_sites(db, login_as):
    arrange_stock(db)
    client = login_as("tech")
    html = client.get("/stock").get_data(as_text=True)
    assert "Stock de vos sites" in html and "EPN A" in html
    assert "EPN B" not in html and "Totaux du réseau" not in html
    assert client.get("/stock/EPN-A").status_code == 200
    response = client.get("/stock/EPN-B")
    assert response.status_code == 403
    assert "site que vous ne servez pas" in response.get_data(as_text=True)
    assert client.get("/stock/NULLE-PART").status_code == 404


def test_reception_sees_their_two_sites(db, login_as):
    arrange_stock(db)
    html = login_as("desk").get("/stock").get_data(as_text=True)
    t = tables(html)
    assert "Stock de EPN A" in t and "Stock de Bus numérique" in t and "Stock de EPN B" not in t
    assert _cells(row(t["Stock de Bus numérique"], "Routeurs 4G")[1])["En prêt"] == "1"


def test_manager_home_is_the_stock_and_staff_have_the_menu(client, login_as):
    manager = login_as("manager")
    response = manager.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/stock")
    assert 'href="/stock"' in manager.get("/stock").get_data(as_text=True)
    manager.post("/logout", data={"csrf_token": csrf_token(manager, "/stock")})
    tech = login_as("tech")
    assert not tech.get("/").headers.get("Location", "").endswith("/stock")
    assert '>Stock par site</a>' in tech.get("/stock").get_data(as_text=True)  # in the header's Stock menu


def test_kiosk_has_no_stock(client, login_as):
    kiosk = login_as("kiosk")
    assert kiosk.get("/stock").status_code == 403
    assert kiosk.get("/stock/EPN-A").status_code == 403


# --- minimum levels and shortages -------------------------------------------------------------

def _set(client, code="EPN-A", htmx=False, **data):
    headers = {"HX-Request": "true"} if htmx else {}
    token = csrf_token(client, f"/stock/{code}")
    return client.post(f"/stock/{code}/minimums", data={"csrf_token": token, **data}, headers=headers)


def test_manager_sets_a_minimum_inline_and_sees_the_shortage(db, login_as):
    arrange_stock(db)
    client = login_as("manager")
    response = _set(client, htmx=True, category="laptop", state="loan_pool", minimum="3")
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {"refurb:tone": {"kind": "ok"}}
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="stock-site-EPN-A"')  # the partial, swapped in place
    assert "Minimum enregistré pour EPN A : au moins 3 ordinateurs portables (parc de prêt)." in html
    cls, cells = row(tables(html)["Stock de EPN A par catégorie et par état"], "Ordinateurs portables")
    assert cls == "shortage"
    assert cells[0] == "Ordinateurs portables"
    assert cells[-2] == "Parc de prêt ≥ 3 · manque 1 (2 disponibles)"  # words, not colour alone
    db.rollback()
    assert db.get(StockMinimum, (site(db, "EPN-A").id, "laptop", "loan_pool")).minimum == 3

    # The network page lists the shortage, marked in the table and in the overview cell.
    page = client.get("/stock").get_data(as_text=True)
    t = tables(page)
    cls, cells = row(t["Manques par rapport aux minimums"], "EPN A")
    assert cls == "shortage"
    assert cells == ["EPN A", "Ordinateurs portables", "Parc de prêt", "3", "2", "Manque 1"]
    assert '<td class="num shortage">⚠ 2 <small>min. 3</small></td>' in page
    # the site's row heading (SiteStock.heading) says it too, in the overview and in the table of sites
    assert page.count('<th scope="row"><a href="/stock/EPN-A">EPN A</a><br><small>⚠ 1 manque</small></th>') == 2


def test_minimum_without_javascript_redirects_and_zero_removes_the_shortage(db, login_as):
    arrange_stock(db)
    client = login_as("admin")
    response = _set(client, category="laptop", state="ready", minimum="2")
    assert response.status_code == 303 and response.headers["Location"].endswith("/stock/EPN-A")
    html = client.get("/stock/EPN-A").get_data(as_text=True)
    assert "au moins 2 ordinateurs portables (reconditionnés)" in html
    assert row(tables(html)["Stock de EPN A par catégorie et par état"], "Ordinateurs portables")[0] == "shortage"
    assert _set(client, category="laptop", state="ready", minimum="0").status_code == 303
    html = client.get("/stock/EPN-A").get_data(as_text=True)
    assert row(tables(html)["Stock de EPN A par catégorie et par état"], "Ordinateurs portables")[0] == ""
    page = unescape(client.get("/stock").get_data(as_text=True))
    assert "Aucun minimum n'est fixé." in page and "minimum non atteint" not in page  # a minimum of 0 is none


def test_minimum_met_is_not_a_shortage(db, login_as):
    arrange_stock(db)
    client = login_as("manager")
    _set(client, code="EPN-B", category="laptop", state="loan_pool", minimum="3")
    html = client.get("/stock").get_data(as_text=True)
    assert "Aucun manque : tous les minimums sont atteints." in html
    # the overview's cell of EPN-B's laptops in the loan pool: its 3 devices and the minimum they meet
    assert '<td class="num">3 <small>(min. 3)</small></td>' in html


def test_technician_and_reception_cannot_set_minimums(db, login_as):
    for username in ("tech", "desk"):
        client = login_as(username)
        response = _set(client, category="laptop", state="loan_pool", minimum="2")
        assert response.status_code == 403
        client.post("/logout", data={"csrf_token": csrf_token(client, "/stock")})
    db.rollback()
    assert db.scalars(select(StockMinimum)).all() == []


def test_set_minimum_service_refuses_a_technician(db):
    import pytest

    from refurb.errors import Forbidden
    with pytest.raises(Forbidden, match="gestionnaires"):
        services.set_minimum(db, user(db, "tech"), site(db, "EPN-A"), "laptop", "loan_pool", 2)


def test_minimum_bad_input(db, login_as):
    client = login_as("manager")
    cases = [
        (dict(category="laptop", state="loan_pool", minimum="-1"), "minimum", "Le minimum doit être au moins 0."),
        (dict(category="laptop", state="loan_pool", minimum="beaucoup"), "minimum", "Le minimum doit être un nombre entier."),
        (dict(category="laptop", state="loan_pool", minimum="100000"), "minimum", "Le minimum doit être au plus 10000."),
        (dict(category="laptop", state="loan_pool", minimum=""), "minimum", "Le minimum est obligatoire."),
        (dict(category="fusee", state="loan_pool", minimum="2"), "category", "La catégorie : « fusee »"),
        (dict(category="laptop", state="sold", minimum="2"), "state", "L'état compté : « sold »"),
        (dict(category="<script>x</script>", state="loan_pool", minimum="2"), "category", "« <script>x</scri"),
    ]
    for data, name, message in cases:
        response = _set(client, **data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, data
        assert message in unescape(html), (data, html[:3000])
        assert f'id="e-{name}"' in html and 'aria-invalid="true"' in html  # the error is tied to its field
        assert "<script>x</script>" not in html
        hx = _set(client, htmx=True, **data)
        assert hx.status_code == 422  # htmx swaps it too (htmx-config): the form comes back with its errors
        assert json.loads(hx.headers["HX-Trigger"]) == {"refurb:tone": {"kind": "error"}}
        assert message in unescape(hx.get_data(as_text=True))
        assert "<script>x</script>" not in hx.get_data(as_text=True)
    assert _set(client, code="NULLE-PART", category="laptop", state="loan_pool", minimum="2").status_code == 404
    db.rollback()
    assert db.scalars(select(StockMinimum)).all() == []


def test_names_are_escaped(db, login_as):
    db.add(Site(code="EPN-X", name="<script>alert(1)</script>", kind="epn"))
    db.commit()
    make_device(db, "EPN-X", "laptop", "loan_pool")
    db.commit()
    html = login_as("manager").get("/stock").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_deactivated_site_with_stock_still_shows(db, login_as):
    make_device(db, "EPN-B", "desktop", "ready")
    site(db, "EPN-B").active = False
    db.commit()
    html = login_as("manager").get("/stock").get_data(as_text=True)
    cells = _cells(row(tables(html)["Stock par site et par état"], "EPN B")[1])
    assert cells["cat"].endswith("(site désactivé)") and cells["Reconditionnés"] == "1"


def test_links_to_documents_lead_somewhere(app, login_as):
    """The manager's home links to the documents (inventories) only when that area is there."""
    import re
    client = login_as("manager")
    for page in ("/stock", "/stock/EPN-A"):
        html = client.get(page).get_data(as_text=True)
        main = html.split('<main', 1)[1]
        for href in re.findall(r'href="(/[^"]*)"', main):
            href = unescape(href)
            if href.startswith("/d/"):
                continue
            assert client.get(href).status_code == 200, (page, href)
    html = client.get("/stock").get_data(as_text=True)
    assert ("Documents à imprimer" in html) == ("documents.index" in app.view_functions)
