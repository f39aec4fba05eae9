"""Links are remembered once built (``refurb.web.urls.App``): a remembered link is the one Flask builds."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask, request, url_for
from werkzeug.routing import BuildError


def _value(converter: str):
    return 7 if converter in ("IdConverter", "IntegerConverter") else "RF-000007"


def test_every_link_is_the_one_flask_builds(app):
    """For every route: built, then remembered, then under another root path, then with its own query."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    assert len(rules) > 100
    for root in ("http://localhost/", "http://localhost/refurb/"):
        with app.test_request_context("/", base_url=root):
            for rule in rules:
                values = {name: _value(type(conv).__name__) for name, conv in rule._converters.items()}
                expected = Flask.url_for(app, rule.endpoint, **values)
                assert url_for(rule.endpoint, **values) == expected == url_for(rule.endpoint, **values)
                assert url_for(rule.endpoint, **values, page=2) == Flask.url_for(app, rule.endpoint, **values, page=2)
    with app.test_request_context("/", base_url="http://localhost/refurb/"):
        assert url_for("inventory.device_list") == "/refurb/devices"
    with app.test_request_context("/"):
        assert url_for("inventory.device_list") == "/devices"


def test_links_keep_what_sets_them_apart(app):
    with app.test_request_context("/"):
        # a value's type: True and 1 are equal keys in Python, not the same link
        assert url_for("inventory.device_list", page=1) == "/devices?page=1"
        assert url_for("inventory.device_list", page=True) == "/devices?page=True"
        # a list of values (not rememberable) is built each time
        assert url_for("inventory.device_list", state=["ready", "loan_pool"]) == "/devices?state=ready&state=loan_pool"
        # an anchor, a scheme, a whole address: built each time
        assert url_for("inventory.device_list", _anchor="results") == "/devices#results"
        assert url_for("inventory.device_list", _external=True) == "http://localhost/devices"
    with app.test_request_context("/d/RF-000001"):  # a blueprint's own endpoint, named from it
        assert request.blueprint == "inventory"
        assert url_for(".device_page", asset_tag="RF-000002") == "/d/RF-000002"
    with app.test_request_context("/"):  # not the same endpoint from another blueprint
        assert request.blueprint != "inventory"
        with pytest.raises(BuildError):
            url_for(".device_page", asset_tag="RF-000002")



def test_a_static_file_link_carries_its_version_and_is_kept_a_year(app, client):
    css = app.static_folder + "/css/refurb.css"
    version = hashlib.sha256(open(css, "rb").read()).hexdigest()[:12]
    with app.test_request_context("/"):
        link = url_for("static", filename="css/refurb.css")
        assert link == f"/static/css/refurb.css?v={version}"
        assert url_for("static", filename="nothing/here.css") == "/static/nothing/here.css"  # no file, no version
    page = client.get("/login").get_data(as_text=True)
    assert f'href="{link}"' in page
    kept = client.get(link)
    assert kept.status_code == 200 and kept.headers["Cache-Control"] == "public, max-age=31536000"
    # asked without its version (a file named inside another): checked each time, as before
    assert client.get("/static/css/refurb.css").headers["Cache-Control"] == "no-cache"
    # a version asked of anything but a static file changes nothing (a file a view sends keeps its own rule)
    with app.test_request_context("/static/css/refurb.css?v=1"):
        assert app.get_send_file_max_age("css/refurb.css") == 31536000
    with app.test_request_context("/devices?v=1"):
        assert app.get_send_file_max_age("css/refurb.css") is None


def test_the_desk_service_worker_keeps_the_files_the_pages_name(app, client, login_as):
    """The offline desk answers from the files the service worker kept: the very links the pages name."""
    worker = client.get("/comptoir-sw.js").get_data(as_text=True)
    login_as("desk")
    page = client.get("/prets/comptoir").get_data(as_text=True)
    for name in ("vendor/pico.min.css", "css/refurb.css", "vendor/htmx.min.js", "js/refurb.js"):
        with app.test_request_context("/"):
            link = url_for("static", filename=name)
        assert "?v=" in link and link in worker and link in page, name


def test_no_versions_in_debug_mode(app):
    app.debug = True
    try:
        with app.test_request_context("/"):
            assert url_for("static", filename="css/refurb.css") == "/static/css/refurb.css"
    finally:
        app.debug = False
