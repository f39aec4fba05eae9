"""After a login or a site switch, only a path of Refurb is followed: never another site, whatever
characters a browser would ignore or turn around (tabs, newlines, backslashes)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from conftest import PASSWORD, csrf_token

from refurb.web.urls import safe_next

OUTSIDE = [
    "/%09/evil.example",  # the report's proof: a tab between the slashes
    "/%0a/evil.example", "/%0d%0a/evil.example", "%09//evil.example", "/%00/evil.example", "/%7f/evil.example",
    "/%5cevil.example", "/%5c/evil.example", "%5c%5cevil.example", "/%09%5cevil.example",
    "//evil.example", "///evil.example", "https://evil.example/", "http:evil.example", "javascript:alert(1)",
    "evil.example", "", "/api/v1/me",
]


def _stays_here(location: str) -> bool:
    """A path of this site, which no browser can read as another host."""
    return (location.startswith("/") and not location.startswith("//") and not urlsplit(location).netloc
            and not re.search(r"[\x00-\x1f\x7f\\]", location))


@pytest.mark.parametrize("target", OUTSIDE)
def test_login_never_sends_elsewhere(client, target):
    token = csrf_token(client, "/login")
    response = client.post(f"/login?next={target}", data={"username": "tech", "password": PASSWORD,
                                                            "csrf_token": token})
    assert response.status_code == 302
    assert _stays_here(response.headers["Location"]), response.headers["Location"]


def test_the_reported_redirect_goes_home(client):
    token = csrf_token(client, "/login")
    response = client.post("/login?next=/%09/evil.example", data={"username": "tech", "password": PASSWORD,
                                                                  "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_login_follows_a_path_of_the_application(client):
    token = csrf_token(client, "/login")
    response = client.post("/login?next=/devices%3Fstate%3Dready%26q%3Dx", data={
        "username": "tech", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/devices?state=ready&q=x"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\\evil.example", "\n//evil.example", "https://evil.example"])
def test_the_site_switcher_never_sends_elsewhere(client, login_as, target):
    login_as("desk")  # serves two sites: the header offers the switcher
    token = csrf_token(client, "/password")
    response = client.post("/site", data={"site_id": "1", "next": target, "csrf_token": token})
    assert response.status_code == 303 and _stays_here(response.headers["Location"])
    response = client.post("/site", data={"site_id": "1", "next": "/prets/", "csrf_token": token})
    assert response.headers["Location"] == "/prets/"


def test_safe_next_cleans_what_browsers_ignore(app):
    with app.test_request_context():
        assert safe_next("/prets/\t?x=1") == "/prets/?x=1"
        assert safe_next("/\t/evil.example") == "/"
        assert safe_next("/\\/evil.example") == "/"
        assert safe_next("/\\evil.example") == "/evil.example"  # a path here, no longer read as //evil
        assert safe_next(None, "/login") == "/login"
        assert safe_next(["/prets/"]) == "/"
