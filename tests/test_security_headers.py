"""Security headers on every answer (pages, partials, API, static files, errors), a CSP that no
template breaks with an inline script, and the ``Allow`` header of a 405."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from conftest import csrf_token
from fixtures_refurbishment import erasure_payload
from sqlalchemy import select

from refurb.refurbishment.models import Erasure

TEMPLATES = Path(__file__).parent.parent / "refurb" / "templates"


def _policy(response) -> dict[str, list[str]]:
    value = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in value.split(";")) if d}


def _check(response):
    h = response.headers
    policy = _policy(response)
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("*" in source for sources in policy.values() for source in sources)
    assert "'unsafe-eval'" not in h["Content-Security-Policy"]
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"


def test_every_kind_of_answer_carries_the_headers(client, login_as, api_token):
    answers = {
        "login page": client.get("/login"),
        "redirect": client.get("/"),
        "static js": client.get("/static/js/refurb.js"),
        "vendored wasm": client.get("/static/vendor/zxing-wasm/zxing_reader.wasm"),
        "public page": client.get("/lieux"),
        "open data": client.get("/open-data/lieux-mediation-numerique.json"),
        "404 page": client.get("/nulle-part"),
        "api 401": client.get("/api/v1/me"),
        "api 200": client.get("/api/v1/me", headers=api_token("tech")),
        "api 404": client.get("/api/v1/nulle-part", headers=api_token("tech")),
        "health": client.get("/healthz"),
    }
    login_as("tech")
    answers["htmx partial"] = client.get("/devices?q=x", headers={"HX-Request": "true"})
    answers["htmx error"] = client.get("/devices/RF-999999", headers={"HX-Request": "true"})
    answers["403 page"] = client.get("/admin/users/")
    answers["csv"] = client.get("/devices.csv")
    for name, response in answers.items():
        try:
            _check(response)
        except (AssertionError, KeyError) as err:
            raise AssertionError(f"{name} ({response.status_code}): {err!r}") from None


def test_hsts_only_when_the_public_address_is_https(app, client):
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"
    app.config["PUBLIC_URL"] = "http://refurb.lan:5000"
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["PUBLIC_URL"] = ""
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_a_server_error_page_carries_the_headers(app, client, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, not raise into the test

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "web.healthz", broken)
    response = client.get("/healthz")
    assert response.status_code == 500 and "Erreur du serveur" in response.get_data(as_text=True)
    _check(response)


def test_the_erasure_report_download_keeps_its_sandbox(client, api_token, login_as, workshop, db):
    [tag] = workshop.donation(kind="company")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    report = {"filename": "nwipe.pdf", "content_base64": base64.b64encode(pdf).decode()}
    response = client.post(f"/api/v1/devices/{tag}/erasures", json=erasure_payload(report=report),
                           headers=api_token("tech"))
    assert response.status_code == 201, response.json
    erasure = db.scalars(select(Erasure)).one()
    login_as("tech")
    download = client.get(f"/atelier/effacements/{erasure.id}/rapport")
    assert download.status_code == 200
    assert download.headers["Content-Security-Policy"] == "sandbox"
    assert download.headers["X-Frame-Options"] == "DENY"


def test_405_answers_say_which_methods_are_allowed(client, login_as, api_token):
    page = client.delete("/login")
    assert page.status_code == 405 and "Action impossible" in page.get_data(as_text=True)
    assert set(page.headers["Allow"].split(", ")) >= {"GET", "POST"}
    api = client.put("/api/v1/me", headers=api_token("tech"))
    assert api.status_code == 405 and api.json["error"]["code"] == "method_not_allowed"
    assert "GET" in api.headers["Allow"].split(", ")
    login_as("tech")
    token = csrf_token(client, "/password")
    htmx = client.put("/password", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert htmx.status_code == 405 and "POST" in htmx.headers["Allow"] and htmx.headers["HX-Retarget"] == "#flash"


# --- templates: nothing the CSP would block ------------------------------------------------------

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on*= event handler"),
    (re.compile(r"\s(?:data-)?hx-on", re.I), "hx-on (needs eval)"),
    (re.compile(r"\s(?:data-)?hx-(?:vars|vals)\s*=\s*[\"']\s*(?:js|javascript):", re.I), "js: value (needs eval)"),
    (re.compile(r"\s(?:data-)?hx-trigger\s*=\s*\"[^\"]*\[", re.I), "trigger filter [...] (needs eval)"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_needs_inline_script(template):
    text = template.read_text()
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)  # Jinja comments explain the rule
    found = [f"{label}: {m.group(0).strip()[:60]}" for pattern, label in INLINE for m in pattern.finditer(text)]
    assert not found, f"{template.name}: move this behaviour to static/js/refurb.js (data-* hook): {found}"


def test_htmx_runs_without_eval():
    base = (TEMPLATES / "base.html").read_text()
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', base).group(1)
    assert '"allowEval":false' in config and '"allowScriptTags":false' in config
    assert '"includeIndicatorStyles":false' in config


def test_pages_are_not_kept_in_the_browser_cache_of_a_shared_pc(client, login_as):
    login_as("desk")
    assert client.get("/usagers/").headers["Cache-Control"] == "no-store"
    assert client.get("/usagers/?q=a", headers={"HX-Request": "true"}).headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/js/refurb.js").headers.get("Cache-Control", "")
    assert client.get("/lieux").headers["Cache-Control"] == "public, max-age=300"  # public pages say so
