"""Bad input on every route: junk query strings, forms and JSON bodies never give a server error."""

import itertools

import pytest
from conftest import login

from refurb.validation import MAX_ID

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
        by_tag = any(f"<{a}>" in rule.rule for a in rule.arguments)  # a device of each state, where it matters
        for tag in tags if by_tag else tags[:1]:
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


# --- ids beyond what an id column holds ---------------------------------------------------------

BEYOND_AN_ID = (MAX_ID + 1, 2**63, 2**64)  # MAX_ID: the largest INTEGER of PostgreSQL
ID_VALUES = (MAX_ID, MAX_ID + 1, 2**63 - 1, 2**63, 2**64, -1, 0, "9" * 30, "1e3", " 7 ", 1.5, True)
ID_KEYS = ("id", "site_id", "loan_id", "device_id", "donation_id", "donor_id", "borrower_id", "transfer_id",
           "stocktake_id", "reservation_id", "batch_id", "stop_id", "token_id", "user_id", "session_id",
           "erasure_id", "expected_version", "count", "start", "page", "per_page", "minimum")


def _int_url(rule, value) -> str:
    url = rule.rule
    for name, converter in rule._converters.items():
        url = url.replace(f"<int:{name}>", str(value)) if converter.__class__.__name__ == "IdConverter" \
            else url.replace(f"<{name}>", "admin")
    return url


def _int_rules(app):
    return [r for r in app.url_map.iter_rules()
            if any(c.__class__.__name__ == "IdConverter" for c in r._converters.values())]


def test_every_int_url_part_beyond_an_id_is_not_found(app, api_token):
    """Every route with an ``<int:…>`` part, HTML and API, GET and POST: 2**31, 2**63 and 2**64 answer 404
    (PostgreSQL's INTEGER ids end at 2**31 - 1, SQLite's driver overflows past 2**63 - 1); the largest id is
    looked up without a server error."""
    app.config["WTF_CSRF_ENABLED"] = False
    rules = _int_rules(app)
    assert len(rules) >= 30  # loans, donations, stock-takes, transfers, bus stops, tokens…
    fails = []
    for user in ("admin", "manager", "desk", "kiosk"):
        client = app.test_client()
        assert login(client, user).status_code == 302
        headers = api_token(user) if user != "kiosk" else {}  # (kiosks have no API token)
        for rule in rules:
            for method in sorted(rule.methods & {"GET", "POST"}):
                for value in BEYOND_AN_ID + (MAX_ID,):
                    url = _int_url(rule, value)
                    extra = {"headers": headers, "json": {}} if rule.rule.startswith("/api") else {}
                    r = client.open(url, method=method, **extra)
                    if r.status_code != 404 if value in BEYOND_AN_ID else r.status_code >= 500:
                        fails.append(f"{user} {method} {url} -> {r.status_code}")
    assert not fails, fails


@pytest.mark.parametrize("values", [ID_VALUES[:5], ID_VALUES[5:8], ID_VALUES[8:]],
                         ids=["large", "small-or-long", "not-an-integer"])  # three parts, run side by side
def test_ids_in_bodies_queries_and_forms_never_give_a_server_error(app, api_token, make_device, values):
    """Id-like fields given as huge, negative, fractional or boolean values, on every route."""
    app.config["WTF_CSRF_ENABLED"] = False
    tag = make_device(state="ready")
    client = app.test_client()
    assert login(client, "manager").status_code == 302
    headers = api_token("manager")
    fails = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "logout" in rule.rule:
            continue
        url = rule.rule
        for name, converter in rule._converters.items():
            url = url.replace(f"<int:{name}>", "1") if converter.__class__.__name__ == "IdConverter" \
                else url.replace(f"<{name}>", tag)
        for value in values:
            if "GET" in rule.methods:
                r = client.get(url, query_string={k: str(value) for k in ID_KEYS},
                               headers=headers if url.startswith("/api") else {})
                if r.status_code >= 500:
                    fails.append(f"{r.status_code} GET {url} {value!r}")
            if "POST" not in rule.methods:
                continue
            if url.startswith("/api"):
                r = client.post(url, json={k: value for k in ID_KEYS} | {"asset_tags": [tag], "to_site": "EPN-B"},
                                headers=headers)
            else:
                r = client.post(url, data={k: str(value) for k in ID_KEYS})
            if r.status_code >= 500:
                fails.append(f"{r.status_code} POST {url} {value!r}")
    assert not fails, fails


def test_lookups_by_id_take_any_value_and_answer_not_found(app, db):
    """The transfer and stock-take lookups parse ids with ``as_id``: a body or a script may hand them
    anything (a number past 64 bits, text, a float)."""
    from refurb.accounts.services import get_user
    from refurb.documents.stocktakes import get_stocktake
    from refurb.errors import NotFound
    from refurb.inventory.services import get_transfer

    admin = get_user(db, "admin")
    for value in (MAX_ID, MAX_ID + 1, 2**63, 2**64, -1, 0, "9" * 30, "abc", 1.5, None, True):
        for lookup in (get_transfer, get_stocktake):
            with pytest.raises(NotFound):
                lookup(db, admin, value)
