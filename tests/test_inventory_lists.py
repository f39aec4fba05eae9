"""The device list: search-as-you-type, filters, sorting, pagination, HTMX partials, CSV export,
and text with HTML or formulas shown harmless everywhere."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import csrf_token

HTMX = {"HX-Request": "true", "HX-Target": "devices-results"}
NASTY = '<script>alert("x")</script>'


@pytest.fixture
def stock(make_device):
    return {
        "thinkpad": make_device(brand="Lenovo", model="ThinkPad T480", serial_number="PF1ABC"),
        "latitude": make_device(brand="Dell", model="Latitude 5490", serial_number="DL-778", state="ready"),
        "tablet": make_device(category="tablet", brand="Samsung", model="Galaxy Tab A8", state="loan_pool"),
        "other": make_device(site="EPN-B", brand="Lenovo", model="ThinkPad X270", serial_number="PF9XYZ"),
        "bus": make_device(site="BUS", category="router", brand="Huawei", model="E5576"),
    }


def _tags(html: str, stock: dict) -> set[str]:
    return {name for name, tag in stock.items() if f">{tag}</a>" in html}


def test_list_is_limited_to_my_sites(client, login_as, stock):
    login_as("tech")  # EPN-A only
    html = client.get("/devices").get_data(as_text=True)
    assert _tags(html, stock) == {"thinkpad", "latitude", "tablet"}
    assert "3 appareils" in html


def test_network_roles_see_every_site_and_filter_by_site(app, client, login_as, stock):
    login_as("manager")
    assert _tags(client.get("/devices").get_data(as_text=True), stock) == set(stock)
    assert _tags(client.get("/devices?site=EPN-B").get_data(as_text=True), stock) == {"other"}
    assert _tags(client.get("/devices?site=epn-b").get_data(as_text=True), stock) == {"other"}
    response = client.get("/devices?site=NOWHERE")
    assert response.status_code == 422 and "Site inconnu" in response.get_data(as_text=True)


@pytest.mark.parametrize("query, expected", [
    ("q=thinkpad", {"thinkpad", "other"}),  # model, any case
    ("q=lenovo", {"thinkpad", "other"}),  # brand
    ("q=pf", {"thinkpad", "other"}),  # serial number prefix
    ("q=dl-7", {"latitude"}),
    ("q=RF-00000", {"thinkpad", "latitude", "tablet", "other", "bus"}),  # tag prefix
    ("q=1", {"thinkpad"}),  # a bare number is a tag number
    ("q=%25", set()),  # LIKE wildcards are taken literally
    ("q=_", set()),
    ("state=ready", {"latitude"}),
    ("category=tablet", {"tablet"}),
    ("category=laptop&state=received", {"thinkpad", "other"}),
])
def test_search_and_filters(client, login_as, stock, query, expected):
    login_as("admin")
    assert _tags(client.get(f"/devices?{query}").get_data(as_text=True), stock) == expected


def test_exact_tag_search(client, login_as, stock):
    login_as("admin")
    html = client.get(f"/devices?q={stock['tablet'].lower()}").get_data(as_text=True)
    assert _tags(html, stock) == {"tablet"}


def test_bad_filters_are_refused_in_french(client, login_as):
    login_as("tech")
    for query, message in (("state=broken", "État inconnu"), ("category=rocket", "Catégorie inconnue")):
        response = client.get(f"/devices?{query}")
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    # nonsense paging and sorting fall back to the defaults
    assert client.get("/devices?page=abc&per_page=-3&sort=drop").status_code == 200


def test_htmx_partial_sorting_and_pagination(client, login_as, make_device):
    tags = [make_device(model=f"Modèle {i:02d}") for i in range(5)]
    login_as("tech")
    partial = client.get("/devices?per_page=2", headers=HTMX)
    html = partial.get_data(as_text=True)
    assert "<html" not in html and "<table" in html  # the results only
    assert f">{tags[4]}</a>" in html and f">{tags[3]}</a>" in html and f">{tags[2]}</a>" not in html  # newest first
    assert "Page 1 sur 3" in html
    assert 'href="/devices?page=2&amp;per_page=2"' in html and 'hx-push-url="true"' in html
    page3 = client.get("/devices?per_page=2&page=3", headers=HTMX).get_data(as_text=True)
    assert f">{tags[0]}</a>" in page3 and "Précédente" in page3 and "Suivante" not in page3
    ascending = client.get("/devices?sort=tag&per_page=2", headers=HTMX).get_data(as_text=True)
    assert f">{tags[0]}</a>" in ascending and 'aria-sort="ascending"' in ascending
    # a history restore (back button with an empty cache) gets the full page
    full = client.get("/devices?per_page=2", headers=HTMX | {"HX-History-Restore-Request": "true"})
    assert "<html" in full.get_data(as_text=True)


def test_filter_chips_remove_one_filter(client, login_as, stock):
    login_as("tech")
    html = client.get("/devices?state=ready&category=laptop").get_data(as_text=True)
    assert "État : Prêt à la vente ✕" in html
    assert 'href="/devices?category=laptop"' in html  # the chip's link drops "state"


def test_csv_export_of_the_filtered_list(client, login_as, stock):
    login_as("tech")
    response = client.get("/devices.csv?category=laptop")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["Étiquette", "Catégorie", "Marque", "Modèle"]
    assert {r[0] for r in rows[1:]} == {stock["thinkpad"], stock["latitude"]}
    assert any(r[2] == "Dell" and r[6] == "Prêt à la vente" and r[5] == "EPN A" for r in rows[1:])


def test_csv_export_of_a_search(client, login_as, stock):
    """A searched list exported: read in chunks (a server-side cursor on PostgreSQL), planned for its words."""
    login_as("tech")
    response = client.get("/devices.csv?q=thinkpad")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == [stock["thinkpad"]]


def test_csv_neutralises_formulas_and_keeps_text(client, login_as, make_device):
    tag = make_device(brand="=HYPERLINK(\"http://evil\")", model="+33 6", serial_number="@SUM(A1)",
                      notes="-2+3", condition=NASTY)
    login_as("tech")
    rows = list(csv.reader(io.StringIO(client.get("/devices.csv").get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    row = next(r for r in rows if r[0] == tag)
    assert row[2] == "'=HYPERLINK(\"http://evil\")" and row[3] == "'+33 6" and row[4] == "'@SUM(A1)"
    assert row[11] == "'-2+3" and row[10] == NASTY  # plain text in a CSV: nothing to escape


def test_html_in_every_field_is_shown_escaped(client, login_as, make_device):
    tag = make_device(brand=NASTY, model=NASTY, serial_number="<b>SN</b>", notes=NASTY, condition=NASTY,
                      specs={"cpu": NASTY, "os": NASTY})
    login_as("tech")
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    for url in (f"/d/{tag}", "/devices", f"/devices?q={tag}", f"/labels?tag={tag}", f"/devices/new?like={tag}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url
        assert escaped in html, url
    token = csrf_token(client, f"/d/{tag}")
    response = client.post(f"/d/{tag}/transition", data={"to": "lost", "note": NASTY},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert "<script>alert" not in response.get_data(as_text=True) and escaped in response.get_data(as_text=True)
    public = client.application.test_client().get(f"/d/{tag}").get_data(as_text=True)
    assert "<script>alert" not in public


def test_search_words_across_brand_and_model(client, login_as, stock):
    login_as("admin")
    assert _tags(client.get("/devices?q=lenovo+x270").get_data(as_text=True), stock) == {"other"}
    assert _tags(client.get("/devices?q=GALAXY+samsung").get_data(as_text=True), stock) == {"tablet"}
    # digits: a serial prefix when one matches, otherwise the model
    assert _tags(client.get("/devices?q=5490").get_data(as_text=True), stock) == {"latitude"}
    assert _tags(client.get("/devices?q=pf9").get_data(as_text=True), stock) == {"other"}


def test_a_long_text_search_says_more_than_and_pages_on_to_its_end(client, login_as, make_device, monkeypatch):
    """A text search counts a few matches past its page (it reads rows): the first page says "plus de", and every
    later page still offers the next one while matches remain, up to the last."""
    from refurb.inventory import services
    monkeypatch.setattr(services, "SEARCH_COUNT_CAP", 4)
    tags = [make_device(model=f"OptiPlex {i:02d}") for i in range(10)]
    login_as("tech")

    def page(n):
        return client.get(f"/devices?q=optiplex&per_page=2&page={n}", headers=HTMX).get_data(as_text=True)

    first = page(1)
    assert "Plus de 4 appareils" in first and "Page 1 sur 3 ou plus" in first and "Suivante" in first
    third = page(3)
    assert "Plus de 8 appareils" in third and "Suivante" in third  # counted further: no dead end at the cap
    last = page(5)
    assert "10 appareils" in last and "ou plus" not in last and "Suivante" not in last
    assert f">{tags[0]}</a>" in last and f">{tags[1]}</a>" in last


def test_the_list_read_by_its_built_statements_equals_the_general_query(app, db):
    """The device list without words is read by statements built once per shape, its total from the stock
    tallies: for each shape, sort, page and user, the same page as the general query (the API's, an export's)
    and the same total as counting the devices."""
    from fixtures_documents import make_many

    from refurb.accounts.services import get_user
    from refurb.errors import Invalid
    from refurb.inventory import services

    make_many(db, 60, "EPN-A", state="loan_pool", category="laptop", start=1)
    make_many(db, 7, "EPN-A", state="ready", category="tablet", start=100)
    make_many(db, 55, "EPN-B", state="loan_pool", category="laptop", start=200)
    make_many(db, 3, "BUS", state="loan_pool", category="router", start=300)
    db.commit()
    shapes = [{}, {"state": "loan_pool"}, {"category": "laptop"}, {"state": "loan_pool", "category": "laptop"},
              {"site": "EPN-B"}, {"site": "EPN-A", "state": "ready"}, {"site": "BUS", "category": "router"},
              {"sort": "tag"}, {"sort": "-state", "page": "2"}, {"state": "loan_pool", "page": "2"},
              {"per_page": "20", "page": "3"}]
    for username in ("admin", "tech", "desk"):
        user = get_user(db, username)
        for args in shapes:
            f = services.parse_filter(args)
            rows, total = services.list_devices(db, user, f, rows=True)
            devices, _total = services.list_devices(db, user, f)
            assert [r.asset_tag for r in rows] == [d.asset_tag for d in devices], (username, args)
            assert total == services.count_devices(db, services.device_query(db, user, f)), (username, args)
    tech = get_user(db, "tech")  # EPN-A only: another site's filter shows nothing of it
    assert services.list_devices(db, tech, services.parse_filter({"site": "EPN-B"}), rows=True) == ([], 0)
    assert services.list_devices(db, get_user(db, "admin"), services.parse_filter({}), rows=True)[1] == 125
    with pytest.raises(Invalid):
        services.list_devices(db, tech, services.parse_filter({"site": "NOPE"}), rows=True)


def test_a_line_of_the_list_prints_each_column_of_its_device(client, db, login_as, make_device):
    """The list's lines (``views.devices._list_rows``): the choice box, the link to the page, the category, brand
    and model, serial, site, state badge and the last change in Paris time."""
    from refurb.formatting import datetime_fr
    from refurb.inventory.models import Device

    tag = make_device(category="tablet", brand="Samsung", model="Galaxy Tab A8", serial_number="R5-1", state="ready")
    updated = db.query(Device).filter_by(asset_tag=tag).one().updated_at
    login_as("tech")
    html = client.get(f"/devices?q={tag}", headers=HTMX).get_data(as_text=True)
    line = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].strip()
    assert line == (
        f'<tr>\n<td><input type="checkbox" name="tag" value="{tag}" aria-label="Choisir {tag}"></td>\n'
        f'<td class="nowrap"><a href="/d/{tag}">{tag}</a></td>\n<td>Tablette</td>\n<td>Samsung Galaxy Tab A8</td>\n'
        f'<td>R5-1</td>\n<td>EPN A</td>\n<td><span class="badge badge--ready">Prêt à la vente</span></td>\n'
        f'<td class="nowrap">{datetime_fr(updated)}</td>\n</tr>')
