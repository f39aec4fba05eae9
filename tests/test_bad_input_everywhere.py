"""Bad input on every route: junk query strings, forms and JSON bodies never give a server error."""

import itertools

from conftest import login

JUNK = {k: v for k, v in zip(
    ["code", "q", "name", "site", "site_id", "to_site", "category", "count", "serials", "price", "reason", "condition",
     "minimum", "state", "loan_id", "card", "pin", "tag", "asset_tag", "note", "start_on", "end_on", "due_on",
     "weight_kg", "received_on", "grade", "layout", "start", "from", "to", "deposit_amount", "borrower_card",
     "expected_version", "days", "kind", "step", "file"],
    itertools.cycle(["<script>", "-1", "1e999", "x" * 3000, "2020-99-99", "", "abc", "%00"]))}

BAD_QUERY = ("?page=abc&per_page=-5&from=zz&to=2020-13-45&at=yesterday&site=%3Cx%3E&state=zz&category=zz&sort=zz"
             "&q=%27%22%3C&year=abc&annee=abc&code=" + "x" * 300)


def test_no_500_on_bad_query(app, client):
    assert login(client, "manager").status_code == 302
    fails = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        for suffix in ("", BAD_QUERY):
            response = client.get(rule.rule + suffix)
            if response.status_code >= 500:
                fails.append(f"{response.status_code} {rule.rule}{suffix[:20]}")
    assert not fails, fails


def test_no_500_on_junk_posts(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    fails = []
    for user in ("admin", "manager", "tech", "desk"):
        c = app.test_client()
        assert login(c, user).status_code == 302
        for rule in app.url_map.iter_rules():
            if "POST" not in rule.methods or rule.arguments or "logout" in rule.rule or rule.rule.startswith("/api"):
                continue
            for data in (JUNK, {}):
                r = c.post(rule.rule, data=data)
                if r.status_code >= 500:
                    fails.append(f"{user} {r.status_code} {rule.rule} {bool(data)}")
                r = c.post(rule.rule, data=data, headers={"HX-Request": "true"})
                if r.status_code >= 500:
                    fails.append(f"{user} htmx {r.status_code} {rule.rule} {bool(data)}")
    assert not fails, fails

def test_no_500_api_junk(app, client, api_token, make_device):
    fails = []
    tags = [make_device(state=st) for st in ("received", "ready", "loan_pool", "diagnosing")]
    h = api_token("manager")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api") or "POST" not in rule.methods:
            continue
        for tag in tags:
            url = rule.rule
            for a in rule.arguments:
                url = url.replace(f"<int:{a}>", "1").replace(f"<{a}>", tag)
            for body in ({"a": 1}, [], "null", dict(JUNK), {k: [1] for k in JUNK}, {k: {"x": 1} for k in JUNK}, {"media": [JUNK, 1, None], "devices": [JUNK, 3], "asset_tags": [None, 5, {}], "donor": JUNK, "buyer": JUNK, "deposit": JUNK, "checks": JUNK, "specs": JUNK} | {k: 10**30 for k in ("passes", "weight_kg", "price", "minimum", "battery_health")}):
                r = client.post(url, json=body, headers=h)
                if r.status_code >= 500:
                    fails.append(f"{r.status_code} {url} {str(body)[:30]}")
            r = client.post(url, data="{not json", headers=h | {"Content-Type": "application/json"})
            if r.status_code >= 500:
                fails.append(f"{r.status_code} {url} badjson")
    assert not fails, fails
