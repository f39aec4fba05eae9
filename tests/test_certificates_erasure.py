"""Data-erasure certificates: every field such a certificate carries (NIST SP 800-88, nwipe's report,
DeviceHub's certificate), devices not erased never shown as erased, one device, a unique reference and a
verification code, the QR code and the public page /verify."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import csrf_token
from fixtures_certificates import decode_codes, issue, pdf_text
from sqlalchemy import delete, select, update

from refurb.certificates.models import Certificate
from refurb.clock import today
from refurb.db import utcnow
from refurb.formatting import date_fr, datetime_fr

REF = re.compile(r"EFF-\d{4}-[0-9A-Z]{8}")
CODE = re.compile(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}")


def _line(text: str, tag: str) -> str:
    """The first line of the extracted text that starts with this asset tag (the summary table)."""
    return next(line for line in text.splitlines() if line.startswith(tag))


def test_donation_certificate_states_every_field(client, db, login_as, donation_setup):
    s = donation_setup.make()
    login_as("manager")
    r = issue(client, f"/certificats/dons/{s['donation']}/effacement")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    # Organisation that erased, customer (donor), date.
    assert "Certificat d'effacement des données" in text
    assert "Réseau numérique du Chinonais" in text and "EPN A" in text and "1 rue A, 37500 Chinon" in text
    assert "Transports Martin (Entreprise)" in text and "73282932000074" in text
    assert f"DON-00001, reçu le {date_fr(today())}" in text
    # Per device: host make/model/serial and asset tag; per disk: model, serial, size; method, category,
    # tool and version, passes, verification, result, start/end; operator.
    for tag, title, serial in ((s["erased"], "Dell Latitude 5490", "CN-0DELL-5490A"),
                               (s["failed"], "Lenovo ThinkPad T480", "PF-1T480B"),
                               (s["pending"], "HP ProDesk 600", "CZC-600C"),
                               (s["screen"], "Iiyama ProLite 22", "IIY-22D")):
        line = _line(text, tag)
        assert title in line and serial in line, line
    assert "EFFACÉ" in _line(text, s["erased"])
    assert "ÉCHEC — non effacé" in _line(text, s["failed"])
    pending = _line(text, s["pending"])
    assert "EN ATTENTE" in pending and "EFFACÉ" not in pending
    assert "Sans support de données" in _line(text, s["screen"])
    assert "4 appareils : 1 effacé," in " ".join(text.split()) and "1 en attente" in text and "1 en échec" in text
    assert "ne sont PAS effacés" in text
    db.rollback()
    from refurb.refurbishment.models import Erasure
    erasures = {e.result: e for e in db.scalars(select(Erasure))}
    ok = erasures["passed"]
    detail = [line for line in text.splitlines() if "S3Z9NB0K123456" in line][0]
    assert "PM871" in text  # the medium's model, wrapped in its column, never cut
    for expected in ("Samsung", "256 Go", "Réécriture", "Clear", "nwipe 0.36", " 1 ", "Relecture", "Réussi",
                     "Réemploi", datetime_fr(ok.ended_at), "Admin"):
        assert expected in detail, (expected, detail)
    failed = [line for line in text.splitlines() if "WD-WX41A9999999" in line][0]
    assert "Échoué" in failed and "500 Go" in failed
    pending_detail = [line for line in text.splitlines() if line.startswith(s["pending"])][1]
    assert "aucun" in pending_detail and "EN" in pending_detail and "EN ATTENTE" in " ".join(text.split())
    # Operator name and signature, reference and verification code.
    assert "L'opérateur : Admin" in text and "Signature" in text
    cert = db.scalar(select(Certificate))
    assert REF.fullmatch(cert.reference) and CODE.fullmatch(cert.code)
    assert f"Référence : {cert.reference}" in text and f"Code de vérification : {cert.code}" in text
    assert f"Réf. {cert.reference}" in text  # in the footer of every page
    assert cert.kind == "erasure" and cert.subject == f"donation:{s['donation']}"
    assert cert.issued_by_name == "Manager" and len(cert.content_sha256) == 64


def test_qr_code_opens_the_verification_page(client, db, login_as, donation_setup, tmp_path):
    s = donation_setup.make()
    login_as("manager")
    r = issue(client, f"/certificats/dons/{s['donation']}/effacement")
    db.rollback()
    cert = db.scalar(select(Certificate))
    codes = [c for c in decode_codes(r.data, tmp_path) if c[1] == "qr"]
    assert [c[2] for c in codes] == [f"https://refurb.example.org/verify/{cert.reference}?code={cert.code}"]
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/certificats/")}).status_code == 302
    page = client.get(codes[0][2].replace("https://refurb.example.org", ""))
    assert page.status_code == 200
    assert "Certificat authentique" in page.get_data(as_text=True)


def test_printing_again_gives_the_same_reference_until_the_records_change(client, db, login_as, donation_setup,
                                                                           workshop):
    s = donation_setup.make()
    login_as("manager")
    url = f"/certificats/dons/{s['donation']}/effacement"
    first = pdf_text(issue(client, url).data)
    second = pdf_text(issue(client, url).data)
    db.rollback()
    [old] = db.scalars(select(Certificate)).all()
    assert old.reference in first and old.reference in second
    workshop.erase(s["pending"], media=[{"serial": "Z1D2E3F4", "model": "Seagate ST500", "size_gb": 500}])
    third = pdf_text(issue(client, url).data)
    db.rollback()
    new = db.scalar(select(Certificate).where(Certificate.id != old.id))
    assert new.reference != old.reference and new.reference in third
    assert "EFFACÉ" in _line(third, s["pending"]) and "Z1D2E3F4" in third
    # The first certificate still verifies (what it stated at its date), and says the records changed.
    page = client.get(f"/verify/{old.reference}?code={old.code}").get_data(as_text=True)
    assert "Certificat authentique" in page and "ont changé depuis" in page and new.reference in page
    assert "EN ATTENTE" in page
    page = client.get(f"/verify/{new.reference}?code={new.code}").get_data(as_text=True)
    assert "ont changé depuis" not in page and "disent toujours la même chose" in page


def test_verify_page_confirms_without_personal_data(client, db, login_as, donation_setup):
    s = donation_setup.make(kind="individual")
    login_as("manager")
    issue(client, f"/certificats/dons/{s['donation']}/effacement")
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/certificats/")}).status_code == 302
    db.rollback()
    cert = db.scalar(select(Certificate))
    r = client.get(f"/verify/{cert.reference}?code={cert.code.lower()}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "Certificat authentique" in page and cert.code in page
    assert "Réseau numérique du Chinonais" in page and cert.issued_at.strftime("%d/%m/%Y") in page
    for tag in s["tags"]:
        assert tag in page
    for expected in ("Dell Latitude 5490", "CN-0DELL-5490A", "S3Z9NB0K123456", "Réécriture", "Clear", "Réussi",
                     "Échoué", "EN ATTENTE"):
        assert expected in page, expected
    assert "Jeanne Dupont" not in page  # the donor, a private person
    assert "Admin" not in page  # the operator
    assert r.headers["Cache-Control"] == "no-store"


def test_verify_rejects_wrong_code_unknown_reference_and_tampering(client, db, login_as, donation_setup):
    s = donation_setup.make()
    login_as("manager")
    issue(client, f"/certificats/dons/{s['donation']}/effacement")
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/certificats/")}).status_code == 302
    db.rollback()
    cert = db.scalar(select(Certificate))
    wrong = client.get(f"/verify/{cert.reference}?code=0000-0000-0000-0000").get_data(as_text=True)
    assert "ne correspond pas" in wrong and "Certificat authentique" not in wrong
    # An unknown reference (one character changed, or made up): a clear French 404.
    altered = cert.reference[:-1] + ("A" if cert.reference[-1] != "A" else "B")
    for ref in (altered, "EFF-2026-ZZZZZZZZ", "n'importe-quoi", "<script>"):
        r = client.get(f"/verify/{ref}")
        assert r.status_code == 404
        body = r.get_data(as_text=True)
        assert "Aucun certificat ne porte la référence" in body and "<script>" not in body
    # The form sends to the page (lower case, spaces and O/0 confusions tolerated).
    typed = cert.reference.lower().replace("0", "o")
    r = client.get(f"/verify?reference={typed}&code={cert.code}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/verify/{cert.reference}?code={cert.code}")
    assert client.get("/verify").status_code == 200
    # The stored copy altered in the database (a device added): its code no longer matches.
    content = dict(cert.content)
    content["summary"] = {**content["summary"], "erased": 4}
    cert.content = content
    db.commit()
    page = client.get(f"/verify/{cert.reference}?code={cert.code}").get_data(as_text=True)
    assert "n'est pas valide" in page and "Certificat authentique" not in page


def test_one_device_certificate_and_destroyed_media(client, db, login_as, workshop):
    [tag] = workshop.donation(kind="association", devices=[{"category": "laptop", "brand": "Asus",
                                                            "model": "X540", "serial_number": "ASX540-1"}])
    login_as("tech")
    refused = issue(client, f"/certificats/appareils/{tag}/effacement")  # nothing erased yet: nothing to certify
    assert refused.status_code == 409 and "n&#39;attesterait rien" in refused.get_data(as_text=True)
    workshop.erase(tag, method="destruction", nist_category="destroy", passes=0, tool="Broyeur",
                   tool_version="", media=[{"serial": "HDD-DESTROYED-1", "model": "Toshiba MQ01", "size_gb": 320}])
    text = pdf_text(issue(client, f"/certificats/appareils/{tag}/effacement").data)
    assert f"Appareil {tag}" in text and "SUPPORT DÉTRUIT" in _line(text, tag)
    detail = [line for line in text.splitlines() if "HDD-DESTROYED-1" in line][0]
    assert "Destruction" in detail and "Destroy" in detail and "320 Go" in detail and " s.o. " in detail
    assert "Les Amis du Numérique (Association)" in text


def test_site_scope_and_unknown(client, db, login_as, donation_setup, api_token):
    s = donation_setup.make(site="EPN-B")
    login_as("tech")  # EPN-A only
    assert issue(client, f"/certificats/dons/{s['donation']}/effacement").status_code == 403
    assert issue(client, f"/certificats/appareils/{s['erased']}/effacement").status_code == 403
    r = issue(client, "/certificats/dons/99999/effacement")
    assert r.status_code == 404 and "Aucun don n° 99999" in r.get_data(as_text=True)
    db.rollback()
    assert db.scalars(select(Certificate)).all() == []
    headers = api_token("desk")
    r = client.get(f"/api/v1/donations/{s['donation']}/erasure-certificate.pdf", headers=headers)
    assert r.status_code == 403 and "site que vous ne servez pas" in r.json["error"]["message"]
    assert client.get("/api/v1/donations/99999/erasure-certificate.pdf", headers=headers).status_code == 404


def test_api_erasure_certificate(client, db, donation_setup, api_token):
    s = donation_setup.make()
    r = client.get(f"/api/v1/donations/{s['donation']}/erasure-certificate.pdf", headers=api_token("tech"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    ref = r.headers["X-Certificate-Reference"]
    assert REF.fullmatch(ref) and CODE.fullmatch(r.headers["X-Certificate-Code"])
    text = pdf_text(r.data)
    assert ref in text and all(tag in text for tag in s["tags"])
    assert "EN ATTENTE" in _line(text, s["pending"])


def test_code_is_signed_with_a_key_kept_in_the_database(app, db, donation_setup, client, login_as):
    """The code is an HMAC with the certificate's own signing key: a change of the session secret key does not
    touch it; a rotation signs the next certificates with a new key and the old ones stay verifiable."""
    s = donation_setup.make()
    login_as("manager")
    issue(client, f"/certificats/dons/{s['donation']}/effacement")
    db.rollback()
    cert = db.scalar(select(Certificate))
    from refurb.certificates import issuing, services
    from refurb.certificates.models import SigningKey

    key = db.get(SigningKey, cert.key_id)
    envelope = (cert.reference, cert.kind, cert.subject, cert.issued_at, cert.content_sha256)
    assert issuing.verification_code(key.secret.encode(), *envelope) == cert.code
    assert issuing.verification_code(b"another-key", *envelope) != cert.code
    try:
        issuing.use_key("a-new-session-secret")  # the administrator changed REFURB_SECRET_KEY
        assert services.verify(db, cert.reference, cert.code).ok
    finally:
        issuing.use_key(app.config["SECRET_KEY"])
    new_key = services.rotate_signing_key(db)
    assert new_key.id != key.id
    from refurb.accounts.models import User
    receipt = services.issue_receipt(db, db.scalar(select(User).where(User.username == "manager")), s["donation"])
    assert receipt.key_id == new_key.id
    db.rollback()
    for c in (cert, receipt):
        result = services.verify(db, c.reference, c.code)
        assert result.intact and result.disclosed
    assert cert.issued_at <= utcnow() + timedelta(seconds=1)


def test_a_certificate_whose_key_row_was_altered_shows_as_altered(app, db, donation_setup, client, login_as):
    s = donation_setup.make()
    login_as("manager")
    issue(client, f"/certificats/dons/{s['donation']}/effacement")
    db.rollback()
    cert = db.scalar(select(Certificate))
    from refurb.certificates import services
    from refurb.certificates.models import SigningKey

    db.execute(update(SigningKey).where(SigningKey.id == cert.key_id).values(secret="forged-" + "0" * 40))
    db.commit()
    assert not services.verify(db, cert.reference, cert.code).intact


def test_certificates_signed_with_the_secret_key_stay_verifiable(app, db, donation_setup, client, login_as):
    """Issued before signing keys were in the database: the first key made adopts the secret key, kept in the
    database, so a later change of REFURB_SECRET_KEY does not make them look altered."""
    s = donation_setup.make()
    login_as("manager")
    issue(client, f"/certificats/dons/{s['donation']}/effacement")
    db.rollback()
    from refurb.certificates import issuing, services
    from refurb.certificates.models import SigningKey

    cert = db.scalar(select(Certificate))
    legacy_code = issuing.verification_code(app.config["SECRET_KEY"].encode(), cert.reference, cert.kind,
                                            cert.subject, cert.issued_at, cert.content_sha256)
    db.execute(update(Certificate).where(Certificate.id == cert.id).values(key_id=None, code=legacy_code))
    db.execute(delete(SigningKey))
    db.commit()
    assert services.verify(db, cert.reference, legacy_code).ok  # the secret key handed over at start
    services.ensure_signing_key(db)
    db.rollback()
    db.expire_all()
    adopted = db.get(Certificate, cert.id).key_id
    assert adopted is not None and db.get(SigningKey, adopted).retired_at is not None
    try:
        issuing.use_key("a-new-session-secret")
        assert services.verify(db, cert.reference, legacy_code).ok
    finally:
        issuing.use_key(app.config["SECRET_KEY"])


def test_no_empty_key(app):
    from refurb.certificates import issuing

    with pytest.raises(RuntimeError):
        issuing.verification_code(b"", "EFF-2026-0000ABCD", "erasure", "donation:1", utcnow(), "0" * 64)
    with pytest.raises(ValueError):
        issuing.use_key("")
