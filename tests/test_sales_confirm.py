"""A price far above the suggested one (more than twice) is asked again before the sale is recorded; the sale
form says which caps apply to this device."""

import html

from conftest import csrf_token

from refurb.refurbishment.common import today


def _form(workshop, tag, **changes):
    data = {"price": "450,00", "buyer_name": "Lucie Moreau", "buyer_contact": "", "eligible": ["0"],
            "eligibility_reason": "", "payment_method": "card", "delivered_on": today().isoformat(),
            "expected_version": str(workshop.get(tag).version)}
    return data | changes


def test_a_price_more_than_twice_the_suggestion_asks_for_a_confirmation(client, db, login_as, workshop):
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag, grade="B")  # laptop grade B: 120,00 suggested
    login_as("desk")
    page = html.unescape(client.get(f"/d/{tag}").get_data(as_text=True))
    assert "Pas de plafond de prix : cet appareil ne vient pas d'un organisme public." in page
    assert "Au-delà de 240,00\u00a0€ (plus du double du prix conseillé), une confirmation est demandée." in page
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, f"/d/{tag}")}

    refused = client.post(f"/atelier/appareils/{tag}/vente", data=_form(workshop, tag), headers=headers)
    body = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and workshop.state(tag) == "ready"
    assert "450,00\u00a0€, c'est plus du double du prix conseillé (120,00\u00a0€)" in body
    assert 'name="price_confirmed"' in body and 'aria-describedby="sl-price-confirmed-err"' in body
    assert 'value="450,00"' in body  # what was typed stays

    done = client.post(f"/atelier/appareils/{tag}/vente", data=_form(workshop, tag, price_confirmed="1"),
                       headers=headers)
    assert done.status_code == 200 and workshop.state(tag) == "sold"


def test_a_price_up_to_twice_the_suggestion_needs_no_confirmation(client, db, api_token, workshop):
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag, grade="B")
    sale = {"price": "240.00", "buyer": {"name": "Karim"}, "payment_method": "cash"}
    assert client.post(f"/api/v1/devices/{tag}/sale", json=sale, headers=api_token("desk")).status_code == 201


def test_the_api_confirms_a_high_price_explicitly(client, db, api_token, workshop):
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag, grade="B")
    sale = {"price": "450.00", "buyer": {"name": "Karim"}, "payment_method": "cash"}
    refused = client.post(f"/api/v1/devices/{tag}/sale", json=sale, headers=api_token("desk"))
    assert refused.status_code == 422 and "plus du double" in refused.json["error"]["fields"]["price_confirmed"]
    done = client.post(f"/api/v1/devices/{tag}/sale", json=sale | {"price_confirmed": True},
                       headers=api_token("desk"))
    assert done.status_code == 201 and done.json["price"] == "450.00"


def test_the_sale_form_explains_the_caps_of_public_body_equipment(client, db, login_as, workshop):
    [tag] = workshop.donation(kind="public_body")
    workshop.ready(tag)
    login_as("desk")
    page = html.unescape(client.get(f"/d/{tag}").get_data(as_text=True))
    caps = page[page.index('id="sl-caps"'):]
    caps = caps[:caps.index("</div>")]
    assert "Donné par un organisme public : « prix solidaire » plafonné à <strong>180,00\u00a0€</strong>" in caps
    assert "le motif d'éligibilité est obligatoire" in caps
