"""The OpenAPI document and the registered /api/v1 routes name exactly the same operations."""

import re

from openapi_spec_validator import validate


def _routes(app):
    ops = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            ops.add((path, method.lower()))
    return ops


def test_document_is_valid_and_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate(response.json)


def test_document_matches_routes(app, client):
    doc = client.get("/api/v1/openapi.json").json
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    routes = _routes(app)
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "the OpenAPI document names routes that do not exist"
