"""Sale at a social price (caps for public-body equipment, eligible buyers, two decimals,
legal guarantee), donation to a beneficiary, and the network's prices."""

import re
from datetime import date

import pytest
from conftest import csrf_token
from sqlalchemy import select

from refurb.refurbishment.common import add_months, today
from refurb.refurbishment.models import Gift, Sale


def _sale(**overrides):
    data = {"price": "120.00", "buyer": {"name": "Karim Benali", "phone": "06 12 34 56 78"}, "eligible": True,
            "eligibility_reason": "minima_sociaux", "payment_method": "cash"}
    data.update(overrides)
    return data


def test_add_months():
    assert add_months(date(2026, 11, 28), 24) == date(2028, 11, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_sale_records_warranty_and_leaves_stock(client, db, api_token, workshop):
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag, grade="A")
    response = client.post(f"/api/v1/devices/{tag}/sale", json=_sale(), headers=api_token("desk"))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["price"] == "120.00" and body["payment_method"] == "cash"
    assert body["warranty_months"] == 24
    assert body["warranty_until"] == add_months(today(), 24).isoformat()
    assert body["suggested_price"] == "150.00"  # laptop grade A in the default price list
    assert body["sold_as_refurbished"] is True and body["price_capped"] is False
    assert body["buyer"] == {"name": "Karim Benali", "contact": "06 12 34 56 78"}
    assert workshop.state(tag) == "sold"
    assert workshop.events(tag)[-1] == "sale"
    again = client.post(f"/api/v1/devices/{tag}/sale", json=_sale(), headers=api_token("desk"))
    assert again.status_code == 409


def test_sale_refused_when_not_ready(client, db, api_token, workshop):
    [tag] = workshop.donation(kind="company")
    workshop.diagnose(tag)
    response = client.post(f"/api/v1/devices/{tag}/sale", json=_sale(), headers=api_token("desk"))
    assert response.status_code == 409
    assert "seul un appareil « Prêt à la vente » peut être vendu" in response.json["error"]["message"]
    db.rollback()
    assert db.scalars(select(Sale)).all() == []


@pytest.mark.parametrize("price", ["120.505", "douze", "12O,00", "-5.00", 120.5, "1e3", ""])
def test_bad_prices(client, db, api_token, workshop, price):
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag)
    response = client.post(f"/api/v1/devices/{tag}/sale", json=_sale(price=price), headers=api_token("desk"))
    assert response.status_code == 422
    message = response.json["error"]["fields"]["price"]
    assert message in ("Le prix : montant en euros attendu, deux décimales au plus (ex. 120,00).",
                       "Le prix ne peut pas être négatif.", "Le prix est obligatoire.")
    db.rollback()
    assert db.scalars(select(Sale)).all() == []
    assert workshop.state(tag) == "ready"


def test_public_body_caps_and_eligibility(client, db, api_token, workshop):
    headers = api_token("desk")
    laptop, desktop, printer = workshop.donation(kind="public_body", devices=[
        {"category": "laptop"}, {"category": "desktop"},
        {"category": "printer", "specs": {"printer_type": "Multifonction"}}])
    for tag in (laptop, desktop, printer):
        workshop.ready(tag)
    above = client.post(f"/api/v1/devices/{laptop}/sale", json=_sale(price="180.01"), headers=headers)
    assert above.status_code == 422
    assert above.json["error"]["fields"]["price"] == ("Prix au-dessus du plafond « prix solidaire » : 180,00\xa0€ "
                                                      "au plus pour « Ordinateur portable » donné par un organisme public.")
    not_eligible = client.post(f"/api/v1/devices/{laptop}/sale", json=_sale(eligible=False, eligibility_reason=None),
                               headers=headers)
    assert not_eligible.status_code == 422
    assert "l'acheteur doit être éligible" in not_eligible.json["error"]["fields"]["eligible"]
    unknown_reason = client.post(f"/api/v1/devices/{laptop}/sale", json=_sale(eligibility_reason="riche"),
                                 headers=headers)
    assert unknown_reason.status_code == 422
    assert "Motif d'éligibilité inconnu" in unknown_reason.json["error"]["fields"]["eligibility_reason"]
    db.rollback()
    assert db.scalars(select(Sale)).all() == []
    ok = client.post(f"/api/v1/devices/{laptop}/sale", json=_sale(price="180.00"), headers=headers)
    assert ok.status_code == 201
    assert ok.json["price_capped"] is True and ok.json["price_cap"] == "180.00"
    assert client.post(f"/api/v1/devices/{desktop}/sale", json=_sale(price="150.01"),
                       headers=headers).status_code == 422
    assert client.post(f"/api/v1/devices/{printer}/sale", json=_sale(price="170.00"),
                       headers=headers).status_code == 201  # a multifunction printer: 170 €


def test_gift_to_an_association(client, db, api_token, workshop):
    [tag] = workshop.donation(kind="public_body")
    workshop.ready(tag)
    refused = client.post(f"/api/v1/devices/{tag}/gift", json={"recipient_kind": "association",
                                                               "recipient_name": "Secours populaire"},
                          headers=api_token("desk"))
    assert refused.status_code == 422
    assert "le bénéficiaire doit être éligible" in refused.json["error"]["fields"]["eligible"]
    ok = client.post(f"/api/v1/devices/{tag}/gift", json={"recipient_kind": "association",
                                                          "recipient_name": "Secours populaire",
                                                          "eligibility_reason": "association"},
                     headers=api_token("desk"))
    assert ok.status_code == 201
    assert workshop.state(tag) == "donated"
    db.rollback()
    assert db.scalars(select(Gift)).one().eligibility_reason.startswith("Association")


def test_prices_page_changes_caps_warranty_and_reasons(client, db, api_token, login_as, workshop):
    login_as("manager")
    page = client.get("/atelier/tarifs").get_data(as_text=True)
    assert 'value="180,00"' in page
    token = csrf_token(client, "/atelier/tarifs")
    form = dict(re.findall(r'name="((?:cap|price)_[a-z_A-C]+)"(?: type="text")? value="([^"]*)"', page))
    assert len(form) == 7 + 27
    form.update({"csrf_token": token, "warranty_months": "12", "producer_siret": "", "cap_laptop": "170,00"})
    too_short = client.post("/atelier/tarifs", data=form)
    assert too_short.status_code == 422
    assert "24 mois au minimum" in too_short.get_data(as_text=True)
    form["warranty_months"] = "36"
    assert client.post("/atelier/tarifs", data=form).status_code == 303
    reasons = client.post("/atelier/tarifs/motifs", data={
        "csrf_token": token, "reason_code": ["minima_sociaux", "rsa_jeune", ""],
        "reason_label": ["Minima sociaux", "Jeune en insertion", ""], "reason_active": ["0", "1"]})
    assert reasons.status_code == 303
    [tag] = workshop.donation(kind="public_body")
    workshop.ready(tag)
    headers = api_token("desk")
    assert client.post(f"/api/v1/devices/{tag}/sale", json=_sale(price="175.00"), headers=headers).status_code == 422
    response = client.post(f"/api/v1/devices/{tag}/sale", json=_sale(price="170.00", eligibility_reason="rsa_jeune"),
                           headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["warranty_until"] == add_months(today(), 36).isoformat()


def test_sale_form_in_place(client, db, login_as, workshop):
    [tag] = workshop.donation(kind="public_body")
    workshop.ready(tag)
    login_as("desk")
    page = client.get(f"/d/{tag}").get_data(as_text=True)
    assert "À faire maintenant : vente" in page and "Plafond « prix solidaire » : 180,00" in page
    token = csrf_token(client, f"/d/{tag}")
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    data = {"price": "199,00", "buyer_name": "Lucie Moreau", "buyer_contact": "", "eligible": ["0", "1"],
            "eligibility_reason": "qpv", "payment_method": "card", "delivered_on": today().isoformat(),
            "expected_version": str(workshop.get(tag).version)}
    refused = client.post(f"/atelier/appareils/{tag}/vente", data=data, headers=headers)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Prix au-dessus du plafond" in html and 'value="Lucie Moreau"' in html
    assert workshop.state(tag) == "ready"
    data["price"] = "150,00"
    done = client.post(f"/atelier/appareils/{tag}/vente", data=data, headers=headers)
    assert done.status_code == 200 and 'badge--sold">Vendu' in done.get_data(as_text=True)
    assert workshop.state(tag) == "sold"
    page = client.get(f"/d/{tag}").get_data(as_text=True)
    assert "Vente VTE-" in page and "garantie jusqu" in page
