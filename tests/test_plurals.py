"""French plurals from one helper (refurb.formatting.plural, the Jinja filters plural and plural_word): singular
below 2 (0, 1 and 1,5 take the singular), plural from 2, the participle agreeing with its noun; and the pages and
PDFs that print a count say "1 prêt" and "2 prêts", never "1 prêts" nor "2 prêt"."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from conftest import login
from factories import new_device
from fixtures_documents import pdf_text

from refurb.clock import utcnow
from refurb.formatting import plural, plural_word
from refurb.inventory.models import StockMinimum
from refurb.loans import services as loans


@pytest.mark.parametrize("n, expected", [
    (0, "0 prêt"), (1, "1 prêt"), (Decimal("1.5"), "1,5 prêt"), (1.99, "1,99 prêt"), (2, "2 prêts"),
    (-1, "-1 prêt"), (-3, "-3 prêts"), (1200, "1\u202f200 prêts")])
def test_singular_below_two_plural_from_two(n, expected):
    assert plural(n, "prêt") == expected


def test_the_plural_of_a_phrase_stops_at_its_complement_and_keeps_invariable_words():
    assert plural_word(2, "prix") == "prix" and plural_word(2, "choix") == "choix" and plural_word(2, "nez") == "nez"
    assert plural_word(2, "appareil collecté") == "appareils collectés"
    assert plural_word(2, "emprunteur différent") == "emprunteurs différents"
    assert plural_word(2, "minimum non atteint") == "minimums non atteints"
    assert plural_word(2, "ligne à corriger") == "lignes à corriger"
    assert plural_word(2, "jour de retard") == "jours de retard"
    assert plural_word(2, "rapport d'effacement") == "rapports d'effacement"
    assert plural_word(2, "appareil effacé ou aux supports détruits") == \
        "appareils effacés ou aux supports détruits"
    assert plural_word(2, "jour-prêt", "jours-prêt") == "jours-prêt"  # an irregular plural is given
    assert plural_word(1, "jour-prêt", "jours-prêt") == "jour-prêt"
    assert plural_word(None, "appareil") == "appareil"


def test_the_filters_are_registered(app):
    env = app.jinja_env
    assert env.from_string("{{ 1 | plural('lot') }}, {{ 6 | plural('don') }}").render() == "1 lot, 6 dons"
    assert env.from_string("{{ 2 | plural_word('appareil collecté') }}").render() == "appareils collectés"


def _text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", _html(response))).split())


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _lend(db, lk, site="EPN-A"):
    """A loan this month of a device registered long before (not counted as collected this month)."""
    device = new_device(db, site=site, state="loan_pool", has_storage=False, created=utcnow() - timedelta(days=400))
    db.commit()
    loans.check_out(db, lk.user("admin"), lk.borrower(site), [device.asset_tag], site=lk.site(site))


def _report(client) -> tuple[str, str, str]:
    """The report of this month for the network: its HTML, its text, the text of its PDF."""
    html = _html(client.get("/rapports/activite?site=*"))
    pdf = " ".join(pdf_text(client.get("/rapports/activite.pdf?site=*").data).split())
    return html, " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()), pdf


def test_the_activity_report_page_and_pdf_agree_with_their_counts(db, lk, login_as):
    client = login_as("manager")
    _lend(db, lk)
    html, page, pdf = _report(client)
    assert "<strong>1</strong> prêt</li>" in html and "<strong>0</strong> appareil collecté</li>" in html
    for text in (page, pdf):
        assert "1 prêt, 1 emprunteur différent, 1 jour-prêt" in text and "0 appareil, " in text
    assert "(0 lot)" in pdf

    _lend(db, lk)
    html, page, pdf = _report(client)
    assert "<strong>2</strong> prêts</li>" in html
    key_figures = page[page.index("Chiffres clés"):page.index("Collecte par type de donateur")]
    for text in (key_figures, pdf[:pdf.index("Collecte par type de donateur")]):
        assert "2 prêts, 2 emprunteurs différents, 2 jours-prêt" in text
        assert not re.search(r"\b[01] (prêts|emprunteurs|jours|lots|dons|appareils)\b", text), text
    assert "Entreprise : 0 appareil;" in html  # the charts' descriptions, read aloud


def test_the_loans_table_counts_one_loan_then_two(db, lk, login_as):
    client = login_as("desk")
    _lend(db, lk)
    assert "1 prêt." in _text(client.get("/prets/"))
    _lend(db, lk)
    text = _text(client.get("/prets/"))
    assert "2 prêts." in text and "1 prêts" not in text


def test_the_stock_page_counts_devices_and_shortages(app, db, lk, login_as):
    a, b = lk.site("EPN-A"), lk.site("EPN-B")
    lk.device("EPN-A")
    lk.device("EPN-B")
    lk.device("EPN-B")
    db.add(StockMinimum(site_id=a.id, category="laptop", state="loan_pool", minimum=3))
    db.commit()
    client = login_as("manager")
    text = _text(client.get("/stock"))
    assert "⚠ 1 minimum non atteint." in text and "⚠ 1 manque" in text
    assert "manque 2 (1 disponible)" in _text(client.get("/stock/EPN-A"))
    desk_client = app.test_client()
    login(desk_client, "desk")
    desk = _text(desk_client.get("/stock"))  # a desk's sites, each with its table
    assert "EPN A · 1 appareil " in desk and "Bus numérique · 0 appareil " in desk
    lk.device("EPN-A")
    db.add(StockMinimum(site_id=b.id, category="router", state="loan_pool", minimum=1))
    db.add(StockMinimum(site_id=b.id, category="laptop", state="loan_pool", minimum=4))
    db.commit()
    text = _text(client.get("/stock"))
    assert "⚠ 3 minimums non atteints." in text and "⚠ 2 manques" in text
    assert "manque 2 (2 disponibles)" in _text(client.get("/stock/EPN-B"))
    assert "EPN A · 2 appareils " in _text(desk_client.get("/stock"))


def test_the_workshop_queue_says_zero_in_the_singular(login_as):
    text = _text(login_as("tech").get("/atelier/"))
    assert "0 appareil à l'atelier" in text and "0 appareils" not in text
