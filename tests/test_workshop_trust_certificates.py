"""No certificate certifies nothing; in the pages a certificate is issued only by pressing "Émettre le
certificat" (a POST with its CSRF token), offered only when it can say something; the API's GET …pdf
routes still issue on first request (same reference while the data are unchanged); /verify/<reference>
says what a certificate covers only to a reader who gives its verification code. For every kind:
erasure (donation, device), donation receipt, device (refurbishment / sale) certificate."""

from __future__ import annotations

import pytest
from conftest import csrf_token
from fixtures_certificates import issue, pdf_text
from sqlalchemy import func, select

from refurb.certificates.models import Certificate


def _count(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Certificate))


def _donation_id(client, tag, headers) -> int:
    return client.get(f"/api/v1/devices/{tag}/refurbishment", headers=headers).json["donation_id"]


def test_nothing_erased_no_erasure_certificate_anywhere(client, db, login_as, workshop, api_token):
    laptop, screen = workshop.donation(kind="company", devices=[{"category": "laptop"}, {"category": "screen"}])
    headers = api_token("tech")
    donation = _donation_id(client, laptop, headers)
    login_as("tech")
    page = client.get(f"/certificats/dons/{donation}").get_data(as_text=True)
    assert "Émettre le certificat d'effacement" not in page
    assert "Pas encore de certificat d'effacement" in page and "n&#39;attesterait rien" in page
    assert "Émettre le certificat : attestation de don" in page  # the receipt says what was received
    r = issue(client, f"/certificats/dons/{donation}/effacement")
    assert r.status_code == 409
    assert "Aucun appareil du don DON-00001 n&#39;a encore été effacé" in r.get_data(as_text=True)
    api = client.get(f"/api/v1/donations/{donation}/erasure-certificate.pdf", headers=headers)
    assert api.status_code == 409 and api.json["error"]["code"] == "nothing_to_certify"
    assert "Enregistrez un effacement réussi" in api.json["error"]["message"]
    # A device only just received: no certificate offered on its page, and none issued.
    device_page = client.get(f"/d/{laptop}").get_data(as_text=True)
    assert f"/certificats/appareils/{laptop}/effacement" not in device_page
    assert f"/certificats/appareils/{laptop}/certificat" not in device_page
    assert "Pas encore de certificat" in device_page
    assert issue(client, f"/certificats/appareils/{laptop}/effacement").status_code == 409
    assert issue(client, f"/certificats/appareils/{laptop}/certificat").status_code == 409
    # A device without storage has no erasure to certify.
    r = issue(client, f"/certificats/appareils/{screen}/effacement")
    assert r.status_code == 409 and "pas de support de données" in r.get_data(as_text=True)
    assert _count(db) == 0
    # Once one device is erased, the certificate can say something (the other stays "pending").
    workshop.erase(laptop)
    assert "Émettre le certificat d'effacement" in client.get(f"/certificats/dons/{donation}").get_data(as_text=True)
    assert f"/certificats/appareils/{laptop}/effacement" in client.get(f"/d/{laptop}").get_data(as_text=True)
    r = issue(client, f"/certificats/dons/{donation}/effacement")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert _count(db) == 1


def test_a_donation_of_screens_only_has_no_erasure_certificate(client, login_as, workshop, api_token):
    [screen] = workshop.donation(kind="company", devices=[{"category": "screen"}])
    donation = _donation_id(client, screen, api_token("tech"))
    login_as("tech")
    r = issue(client, f"/certificats/dons/{donation}/effacement")
    assert r.status_code == 409
    assert "Aucun appareil du don DON-00001 n&#39;a de support de données" in r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/certificats/dons/{d}/effacement", "/certificats/dons/{d}/attestation",
                                  "/certificats/appareils/{t}/effacement", "/certificats/appareils/{t}/certificat"])
def test_opening_a_link_never_issues(client, db, login_as, workshop, api_token, path):
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag)  # erased and done: every certificate could be issued
    url = path.format(d=_donation_id(client, tag, api_token("tech")), t=tag)
    login_as("tech")
    r = client.get(url)
    assert r.status_code == 405 and "POST" in r.headers["Allow"]
    assert client.get(url + ".pdf").status_code == 404  # the old opening links are gone
    assert client.post(url).status_code == 400  # no CSRF token: refused
    assert _count(db) == 0
    r = client.post(url, data={"csrf_token": csrf_token(client, "/certificats/")})
    assert r.status_code == 303 and "/certificats/" in r.headers["Location"]
    assert _count(db) == 1
    again = client.post(url, data={"csrf_token": csrf_token(client, "/certificats/")})
    assert again.headers["Location"] == r.headers["Location"] and _count(db) == 1


def test_api_pdf_routes_issue_on_first_request_and_keep_the_reference(client, db, workshop, api_token):
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag)
    headers = api_token("tech")
    donation = _donation_id(client, tag, headers)
    for url in (f"/api/v1/donations/{donation}/erasure-certificate.pdf", f"/api/v1/donations/{donation}/receipt.pdf",
                f"/api/v1/devices/{tag}/certificate.pdf"):
        first = client.get(url, headers=headers)
        second = client.get(url, headers=headers)
        assert first.status_code == second.status_code == 200, url
        assert first.headers["X-Certificate-Reference"] == second.headers["X-Certificate-Reference"]
    assert _count(db) == 3


def test_verify_shows_what_a_certificate_covers_only_with_its_code(client, db, login_as, workshop, api_token):
    [tag] = workshop.donation(kind="company", devices=[{"category": "laptop", "brand": "Dell",
                                                        "model": "Latitude 7490", "serial_number": "HOST-SECRET-1"}])
    workshop.ready(tag)
    headers = api_token("tech")
    donation = _donation_id(client, tag, headers)
    for url in (f"/api/v1/donations/{donation}/erasure-certificate.pdf", f"/api/v1/donations/{donation}/receipt.pdf",
                f"/api/v1/devices/{tag}/certificate.pdf"):
        assert client.get(url, headers=headers).status_code == 200
    db.rollback()
    certificates = db.scalars(select(Certificate)).all()
    assert {c.kind for c in certificates} == {"erasure", "receipt", "device"}
    for cert in certificates:
        bare = client.get(f"/verify/{cert.reference}")
        assert bare.status_code == 200
        page = bare.get_data(as_text=True)
        assert f"Un certificat porte bien la référence {cert.reference}" in page
        for secret in (tag, "HOST-SECRET-1", "Latitude", "DON-00001", "Certificat authentique",
                       "Ce que le certificat atteste", cert.code):
            assert secret not in page, (cert.kind, secret)
        wrong = client.get(f"/verify/{cert.reference}?code=0000-0000-0000-0000").get_data(as_text=True)
        assert "ne correspond pas" in wrong and tag not in wrong and "HOST-SECRET-1" not in wrong
        right = client.get(f"/verify/{cert.reference}?code={cert.code}").get_data(as_text=True)
        assert "Certificat authentique" in right and tag in right and "HOST-SECRET-1" in right
    unknown = client.get("/verify/EFF-2026-ZZZZZZZZ")
    assert unknown.status_code == 404


def test_the_issued_pdf_is_the_certificate(client, db, login_as, workshop, api_token):
    [tag] = workshop.donation(kind="company")
    workshop.ready(tag)
    donation = _donation_id(client, tag, api_token("tech"))
    login_as("tech")
    r = issue(client, f"/certificats/dons/{donation}/attestation")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    db.rollback()
    cert = db.scalar(select(Certificate))
    assert cert.kind == "receipt" and cert.reference in pdf_text(r.data)
