"""Faster hands for the manager and the desk's back office: minimum stock levels set in place in the stock
table, the stock-take's one message, opening hours read in French and checked before a site is saved, a
borrower found by name for a reservation."""

import html
import re

import pytest
from conftest import csrf_token
from sqlalchemy import select

from refurb.inventory.models import StockMinimum
from refurb.sites.hours import hours_problem
from refurb.sites.models import Site


def T(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --- minimum stock levels, in place ------------------------------------------------------------

def test_a_manager_sets_a_minimum_in_the_row_of_the_stock_table(db, login_as, lk):
    lk.device("EPN-A", "laptop")
    client = login_as("manager")
    page = T(client.get("/stock/EPN-A"))
    row = page[page.index("<th scope=\"row\">Ordinateurs portables</th>"):]
    row = row[:row.index("</tr>")]
    assert row.count('action="/stock/EPN-A/minimums"') == 2  # loan pool and ready, in the row itself
    assert 'name="category" value="laptop"' in row and 'name="state" value="loan_pool"' in row
    assert '<label for="min-laptop-loan_pool">Parc de prêt ≥</label>' in row
    r = client.post("/stock/EPN-A/minimums", headers={"HX-Request": "true"},
                    data={"csrf_token": csrf_token(client, "/stock/EPN-A"), "category": "laptop",
                          "state": "loan_pool", "minimum": "4"})
    body = T(r)
    assert r.status_code == 200 and "Parc de prêt ≥ 4 · manque 3 (1 disponible)" in body
    assert re.search(r'id="min-laptop-loan_pool"[^>]*value="4"', body)  # the field shows what is saved
    db.rollback()
    site_id = db.scalar(select(Site.id).where(Site.code == "EPN-A"))
    assert db.get(StockMinimum, (site_id, "laptop", "loan_pool")).minimum == 4


def test_a_technician_reads_the_minimums_without_forms(login_as, lk):
    lk.device("EPN-A", "laptop")
    page = T(login_as("tech").get("/stock/EPN-A"))
    assert "/minimums" not in page and "Fixer le minimum" not in page


# --- the stock-take -------------------------------------------------------------------------------

def test_the_stock_take_shows_one_message_at_a_time_with_its_buttons_by_the_field(login_as, lk):
    device = lk.device("EPN-A", "laptop")
    client = login_as("tech")
    token = csrf_token(client, "/stocktakes/")
    st_url = client.post("/stocktakes/", data={"site": "EPN-A", "csrf_token": token}).headers["Location"]
    page = T(client.get(st_url))
    row = page[page.index('<div class="scan-row">'):]
    row = row[:row.index("</div>")]
    assert 'id="stocktake-code"' in row and ">Caméra</button>" in row and ">Compter</button>" in row
    r = client.post(st_url + "/scan", data={"code": device.asset_tag},
                    headers={"HX-Request": "true", "X-CSRFToken": token})
    body = T(r)
    assert '<div id="flash" aria-live="polite" hx-swap-oob="true"></div>' in body  # the previous message goes
    assert body.count('class="flash') == 1


# --- opening hours --------------------------------------------------------------------------------

@pytest.mark.parametrize("hours, problem", [
    ("", None),
    ("Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00", None),
    ("Mo,Tu,Th 09:00-12:00; PH off", None),
    ("Lu-Ve 9h-12h", "« Lu-Ve 9h-12h » n'est pas lisible"),
    ("Mo-Fr 09:00-12:00; Sa 9-12", "« Sa 9-12 » n'est pas lisible"),
    ("Mo 09:00-25:00", "« 09:00-25:00 » : une heure va de 00:00 à 24:00"),
    ("Mo 14:00-09:00", "« 14:00-09:00 » : l'heure de fermeture doit suivre l'heure d'ouverture"),
])
def test_hours_problem(hours, problem):
    found = hours_problem(hours)
    assert (found is None) if problem is None else (found or "").startswith(problem), found


def _site_form(client, code, **changes):
    page = client.get(f"/sites/{code}/edit").get_data(as_text=True)
    data = {}
    for tag in re.findall(r"<input [^>]*>", page):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' not in tag:
            data[name.group(1)] = html.unescape(value.group(1)) if value else ""
        elif name and "checked" in tag:
            data[name.group(1)] = "on"
    kinds = page[page.index('id="f-kind"'):]
    data["kind"] = re.search(r'<option value="([^"]+)" selected', kinds[:kinds.index("</select>")]).group(1)
    return data | changes


def test_the_site_form_reads_the_hours_in_french_and_refuses_unreadable_ones(db, login_as):
    client = login_as("admin")
    r = client.post("/sites/EPN-A/edit", data=_site_form(client, "EPN-A", opening_hours="Lu-Ve 9h-12h"))
    body = T(r)
    assert r.status_code == 422 and "Horaires : « Lu-Ve 9h-12h » n'est pas lisible" in body
    assert 'aria-invalid="true" aria-describedby="e-opening_hours"' in body

    # Read before saving: the preview button (without JavaScript) and the reading asked as one types.
    r = client.post("/sites/EPN-A/edit", data=_site_form(client, "EPN-A", opening_hours="Tu-Fr 09:30-12:00; Sa 10:00-12:00",
                                                         preview="1"))
    assert r.status_code == 200 and "Du mardi au vendredi : 9 h 30 – 12 h" in T(r) and "Samedi : 10 h – 12 h" in T(r)
    db.rollback()
    assert db.scalar(select(Site.opening_hours).where(Site.code == "EPN-A")) != "Tu-Fr 09:30-12:00; Sa 10:00-12:00"
    reading = T(client.get("/sites/horaires?opening_hours=Mo-Fr%2009:00-12:00"))
    assert 'id="hours-reading"' in reading and "Du lundi au vendredi : 9 h – 12 h" in reading
    assert "Pas encore lisible" in T(client.get("/sites/horaires?opening_hours=Lundi"))

    r = client.post("/sites/EPN-A/edit", data=_site_form(client, "EPN-A", opening_hours="Tu-Fr 09:30-12:00"))
    assert r.status_code == 303, re.findall(r'field-error">([^<]+)', T(r))
    listing = T(client.get("/sites/"))
    assert "<td>Du mardi au vendredi : 9 h 30 – 12 h</td>" in listing  # as the public pages say it


def test_the_bus_may_describe_its_tour_in_words(db, login_as):
    client = login_as("admin")
    r = client.post("/sites/BUS/edit", data=_site_form(client, "BUS", kind="unite_mobile",
                                                       opening_hours="Tournée : voir les prochains arrêts"))
    assert r.status_code == 303, T(r)[:2000]


# --- a reservation for a borrower found by name ---------------------------------------------------------

def test_a_reservation_finds_the_borrower_by_name_among_those_the_desk_reaches(login_as, lk):
    mine = lk.borrower("EPN-A", first_name="Paulette", last_name="Réservoir")
    lk.borrower("EPN-B", first_name="Pauline", last_name="Réservoir")  # another site's: not for this desk
    client = login_as("desk")
    page = T(client.get("/prets/reservations?usager=reservoir"))
    assert "1 usager trouvé pour « reservoir »" in page
    assert f'href="/prets/reservations?card={mine.card_number}#new-res"' in page and "Pauline" not in page
    form = T(client.get(f"/prets/reservations?card={mine.card_number}"))
    assert re.search(rf'name="borrower_card"[^>]*value="{mine.card_number}"', form)
    assert "Aucun usager trouvé pour « Inconnue »" in T(client.get("/prets/reservations?usager=Inconnue"))
