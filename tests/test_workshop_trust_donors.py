"""Donors are seen through the sites where they gave (or were registered): a technician or a reception
user of one site never reads nor edits the phone and address of a private donor of another site, in the
donor page, the donors list and search, the donations list, the donation form's choice of donors or the
API; network roles see every donor. A technician still picks an organisation of the network for a
donation at their site (name, kind and town only), and then sees it."""

from __future__ import annotations

import re
from datetime import timedelta

from conftest import csrf_token, login
from sqlalchemy import select

from refurb.accounts.models import User
from refurb.clock import today
from refurb.refurbishment.models import Donation, Donor
from refurb.sites.models import Site

PRIVATE_PHONE = "06 11 22 33 44"
PRIVATE_ADDRESS = "12 rue des Tilleuls"
COMPANY_PHONE = "02 47 98 76 54"


def _donations(workshop):
    """A private person who gave at EPN-B only, a company that gave at EPN-B only, a person who gave at both."""
    day = (today() - timedelta(days=3)).isoformat()
    with workshop.session() as db:
        from refurb.accounts.services import get_user
        from refurb.refurbishment import services as refurb

        admin = get_user(db, "admin")
        private, _ = refurb.create_donation(db, admin, {
            "donor": {"kind": "individual", "name": "Jeanne Dupont", "phone": PRIVATE_PHONE,
                      "address": PRIVATE_ADDRESS, "postal_code": "37140", "city": "Bourgueil"},
            "site": "EPN-B", "received_on": day, "devices": [{"category": "laptop"}]})
        company, _ = refurb.create_donation(db, admin, {
            "donor": {"kind": "company", "name": "Transports Martin", "siret": "73282932000074",
                      "phone": COMPANY_PHONE, "contact_name": "Paul Martin", "city": "Bourgueil"},
            "site": "EPN-B", "received_on": day, "devices": [{"category": "laptop"}]})
        both, _ = refurb.create_donation(db, admin, {
            "donor": {"kind": "individual", "name": "Marc Durand", "phone": "06 99 88 77 66"},
            "site": "EPN-B", "received_on": day, "devices": [{"category": "screen"}]})
        refurb.create_donation(db, admin, {"donor": {"id": both.donor_id}, "site": "EPN-A", "received_on": day,
                                           "devices": [{"category": "screen"}]})
        db.commit()
        return private.donor_id, company.donor_id, both.donor_id


def test_a_site_user_cannot_read_or_edit_a_private_donor_of_another_site(client, db, login_as, workshop):
    private, _company, both = _donations(workshop)
    for username in ("tech", "desk"):  # technician of EPN-A; reception of EPN-A and the bus
        login_as(username)
        page = client.get(f"/atelier/donateurs/{private}")
        assert page.status_code == 403, username
        body = page.get_data(as_text=True)
        assert PRIVATE_PHONE not in body and PRIVATE_ADDRESS not in body
        assert "site que vous ne servez pas" in body or "sites que vous ne" in body
        token = csrf_token(client, "/atelier/donateurs")
        edit = client.post(f"/atelier/donateurs/{private}", data={
            "csrf_token": token, "kind": "individual", "name": "Changé", "phone": "0600000000"})
        assert edit.status_code == 403
        assert client.get(f"/atelier/dons?donor={private}").status_code == 403
        listing = client.get("/atelier/donateurs").get_data(as_text=True)
        assert "Jeanne Dupont" not in listing and PRIVATE_PHONE not in listing
        search = client.get("/atelier/donateurs?q=dupont", headers={"HX-Request": "true",
                                                                    "HX-Target": "donor-results"})
        assert "Jeanne Dupont" not in search.get_data(as_text=True)
        # A donor who also gave here is seen here, with its record.
        assert client.get(f"/atelier/donateurs/{both}").status_code == 200
        assert "Marc Durand" in listing
        client.post("/logout", data={"csrf_token": token})
    db.rollback()
    assert db.get(Donor, private).name == "Jeanne Dupont" and db.get(Donor, private).phone == PRIVATE_PHONE


def test_network_roles_see_every_donor(client, login_as, workshop):
    private, company, _both = _donations(workshop)
    login_as("manager")
    page = client.get(f"/atelier/donateurs/{private}")
    assert page.status_code == 200 and PRIVATE_PHONE in page.get_data(as_text=True)
    listing = client.get("/atelier/donateurs").get_data(as_text=True)
    assert "Jeanne Dupont" in listing and "Transports Martin" in listing


def test_donation_form_offers_organisations_without_contact_data_and_never_other_sites_private_donors(
        client, db, login_as, workshop, api_token):
    private, company, both = _donations(workshop)
    login_as("tech")
    form = client.get("/atelier/dons/nouveau").get_data(as_text=True)
    choices = re.search(r'<select[^>]*name="donor_id".*?</select>', form, re.S).group(0)
    assert "Transports Martin" in choices and f'<option value="{company}"' in choices
    assert COMPANY_PHONE not in form and "Paul Martin" not in form
    assert "Jeanne Dupont" not in form and f'<option value="{private}"' not in choices
    assert "Marc Durand" in choices  # gave here too
    # Picking the company records the donation at EPN-A; the company then gave here: its record opens.
    assert client.get(f"/atelier/donateurs/{company}").status_code == 403
    token = csrf_token(client, "/atelier/dons/nouveau")
    done = client.post("/atelier/dons/nouveau", data={
        "csrf_token": token, "donor_id": str(company), "site": "EPN-A", "received_on": today().isoformat(),
        "erasure_certificate_required": "1", "line_category": ["laptop"], "line_brand": [""], "line_model": [""],
        "line_serial_number": [""], "line_quantity": ["1"], "line_has_storage": [""]})
    assert done.status_code == 303, done.get_data(as_text=True)[:2000]
    assert client.get(f"/atelier/donateurs/{company}").status_code == 200
    # A private donor of another site cannot be picked by its id (form or API): nothing is recorded.
    refused = client.post("/atelier/dons/nouveau", data={
        "csrf_token": token, "donor_id": str(private), "site": "EPN-A", "received_on": today().isoformat(),
        "line_category": ["laptop"], "line_quantity": ["1"]})
    assert refused.status_code == 422 and "parmi ceux que vous pouvez choisir" in refused.get_data(as_text=True)
    response = client.post("/api/v1/donations", json={
        "donor": {"id": private}, "site": "EPN-A", "received_on": today().isoformat(),
        "devices": [{"category": "laptop"}]}, headers=api_token("tech"))
    assert response.status_code == 422
    assert "parmi ceux que vous pouvez choisir" in response.json["error"]["fields"]["donor.id"]
    db.rollback()
    assert db.scalar(select(Donation).where(Donation.donor_id == private, Donation.site_id == _site(db, "EPN-A"))) \
        is None


def test_a_donor_registered_at_a_site_is_seen_there_before_any_donation(app, client, db, login_as, password_hash):
    login_as("tech")
    token = csrf_token(client, "/atelier/donateurs/nouveau")
    r = client.post("/atelier/donateurs/nouveau", data={"csrf_token": token, "kind": "individual",
                                                       "name": "Lucie Moreau", "phone": "06 10 20 30 40"})
    assert r.status_code == 303
    page = client.get(r.headers["Location"])
    assert page.status_code == 200 and "06 10 20 30 40" in page.get_data(as_text=True)
    db.rollback()
    donor = db.scalar(select(Donor).where(Donor.name == "Lucie Moreau"))
    assert donor.site_id == _site(db, "EPN-A")
    # A technician of EPN-B does not see it.
    db.add(User(username="tech-b", full_name="Tech B", role="technicien", password_hash=password_hash,
                sites=[db.get(Site, _site(db, "EPN-B"))], home_site=db.get(Site, _site(db, "EPN-B"))))
    db.commit()
    other = app.test_client()
    assert login(other, "tech-b").status_code == 302
    assert other.get(f"/atelier/donateurs/{donor.id}").status_code == 403
    assert "Lucie Moreau" not in other.get("/atelier/donateurs").get_data(as_text=True)


def test_a_siret_taken_by_a_private_donor_elsewhere_is_not_named(client, db, login_as, workshop):
    with workshop.session() as s:
        from refurb.accounts.services import get_user
        from refurb.refurbishment import services as refurb

        refurb.create_donation(s, get_user(s, "admin"), {
            "donor": {"kind": "individual", "name": "Jean Artisan", "siret": "73282932000074"},
            "site": "EPN-B", "received_on": today().isoformat(), "devices": [{"category": "screen"}]})
        s.commit()
    login_as("tech")
    token = csrf_token(client, "/atelier/donateurs/nouveau")
    r = client.post("/atelier/donateurs/nouveau", data={"csrf_token": token, "kind": "company",
                                                       "name": "Autre", "siret": "73282932000074"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422, body  # the form re-rendered with the refusal
    assert "autre site" in body and "Jean Artisan" not in body


def _site(db, code: str) -> int:
    return db.scalar(select(Site.id).where(Site.code == code))
