"""Printed addresses (label QR codes, certificate verification links) never come from an untrusted
``Host:`` header: REFURB_PUBLIC_URL when set, else the request's host only when it is trusted."""

from __future__ import annotations

import pytest
from conftest import PUBLIC_URL
from fixtures_certificates import decode_codes
from sqlalchemy import func, select

from refurb.certificates.models import Certificate
from refurb.config import host_list, trust_host
from refurb.web.urls import UntrustedHost, public_base_url

EVIL = {"Host": "evil.example"}


def test_labels_are_refused_from_an_untrusted_host_without_public_url(app, client, login_as, make_device):
    app.config["PUBLIC_URL"] = ""
    tag = make_device()
    login_as("tech")
    # the browser reached the server under another name (DNS rebinding, a misconfigured proxy…)
    client.set_cookie("session", client.get_cookie("session").value, domain="evil.example")
    response = client.get(f"/labels.pdf?tag={tag}", headers=EVIL)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "REFURB_PUBLIC_URL" in page and "« evil.example »" in page
    assert b"evil.example" not in client.get(f"/labels.pdf?tag={tag}").data  # from localhost: printed


def test_the_api_refuses_too_and_issues_nothing(app, client, api_token, donation_setup, db):
    app.config["PUBLIC_URL"] = ""
    s = donation_setup.make()
    headers = api_token("manager") | EVIL
    for url in (f"/api/v1/labels.pdf?tag={s['erased']}", f"/api/v1/donations/{s['donation']}/erasure-certificate.pdf"):
        response = client.get(url, headers=headers)
        assert response.status_code == 400, url
        assert response.json["error"]["code"] == "untrusted_host"
        assert "REFURB_PUBLIC_URL" in response.json["error"]["message"]
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Certificate)) == 0


def test_a_trusted_host_is_printed_when_public_url_is_unset(app, client, api_token, donation_setup, db, tmp_path):
    app.config["PUBLIC_URL"] = ""
    trust_host(app, "refurb.lan")
    s = donation_setup.make()
    response = client.get(f"/api/v1/donations/{s['donation']}/erasure-certificate.pdf",
                          headers=api_token("manager") | {"Host": "refurb.lan:8000"})
    assert response.status_code == 200
    [qr] = [c[2] for c in decode_codes(response.data, tmp_path) if c[1] == "qr"]
    assert qr.startswith("http://refurb.lan:8000/verify/")


def test_public_url_wins_over_any_host(app, client, api_token, donation_setup, tmp_path):
    s = donation_setup.make()
    response = client.get(f"/api/v1/donations/{s['donation']}/erasure-certificate.pdf",
                          headers=api_token("manager") | EVIL)
    assert response.status_code == 200
    [qr] = [c[2] for c in decode_codes(response.data, tmp_path) if c[1] == "qr"]
    assert qr.startswith(f"{PUBLIC_URL}/verify/")


@pytest.mark.parametrize("host, trusted", [
    ("localhost", True), ("localhost:5000", True), ("127.0.0.1:8000", True), ("[::1]:5000", True),
    ("evil.example", False), ("localhost.evil.example", False), ("127.0.0.1.nip.io", False), ("", False),
])
def test_which_hosts_are_trusted_by_default(app, host, trusted):
    app.config["PUBLIC_URL"] = ""
    with app.test_request_context("/", headers={"Host": host}):
        if trusted:
            assert public_base_url() == f"http://{host}/"
        else:
            with pytest.raises(UntrustedHost, match="REFURB_PUBLIC_URL"):
                public_base_url()


def test_trusted_hosts_come_from_the_environment_and_feed_flask(tmp_path, monkeypatch):
    from flask import Flask

    from refurb import config

    monkeypatch.setenv("REFURB_TRUSTED_HOSTS", " Refurb.LAN:8000 , 192.168.1.20,")
    bare = Flask("refurb-config-test", instance_path=str(tmp_path))
    config.configure(bare, {"SECRET_KEY": "x", "PUBLIC_URL": "https://refurb.example.org/"})
    assert bare.config["URL_TRUSTED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]", "refurb.lan", "192.168.1.20"]
    assert bare.config["TRUSTED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]", "refurb.lan", "192.168.1.20",
                                            "refurb.example.org"]
    monkeypatch.delenv("REFURB_TRUSTED_HOSTS")
    config.configure(bare, {"SECRET_KEY": "x"})
    assert bare.config["TRUSTED_HOSTS"] is None  # unset: every host is answered, none printed


def test_with_trusted_hosts_set_other_hosts_get_a_plain_400(app, client):
    app.config["TRUSTED_HOSTS"] = ["localhost", "refurb.lan"]
    assert client.get("/login", headers={"Host": "refurb.lan"}).status_code == 200
    response = client.get("/login", headers=EVIL)
    assert response.status_code == 400 and "Adresse inconnue" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"


def test_host_list():
    assert host_list("a.example, B.example:80,[::1]:5000, ::1, 0.0.0.0, ,a.example") == \
        ["a.example", "b.example", "[::1]"]


def test_serve_trusts_the_host_it_listens_on(app, monkeypatch):
    import waitress

    served = {}
    monkeypatch.setattr(waitress, "serve", lambda wsgi, **kw: served.update(kw))
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-stable-secret-of-the-network-0123456789")  # served on the network
    app.config["PUBLIC_URL"] = ""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["serve", "--host", "refurb-atelier", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served["host"] == "refurb-atelier" and "refurb-atelier" in app.config["URL_TRUSTED_HOSTS"]
    assert "REFURB_PUBLIC_URL n'est pas définie" in result.output
    result = runner.invoke(args=["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert "0.0.0.0" not in app.config["URL_TRUSTED_HOSTS"]  # listening everywhere names no host
    with app.test_request_context("/", headers={"Host": "refurb-atelier:8123"}):
        assert public_base_url() == "http://refurb-atelier:8123/"
