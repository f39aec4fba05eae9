"""An erasure reported passed without the read-back of the medium is "non vérifié": not a failure, but no proof
of erasure either. The workshop panel, its records, the step, the queue, the API and the refusals say so, as the
erasure certificate does ("NON VÉRIFIÉ"), and the release rules still hold the device back."""

from __future__ import annotations

import re
from html import unescape

import pytest

SERIAL = "WD-UNVERIFIED-1"


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def _panel(text: str) -> str:
    return text[text.index("Atelier Étape"):]


@pytest.fixture
def unverified(workshop):
    [tag] = workshop.donation(kind="company")
    workshop.diagnose(tag)
    workshop.grade(tag)
    workshop.erase(tag, verified=False, media=[{"serial": SERIAL}])
    return tag


def test_the_panel_says_not_verified_not_failed(login_as, unverified):
    panel = _panel(_text(login_as("tech").get(f"/d/{unverified}")))
    assert f"Effacement des données : non vérifié ({SERIAL}) : effacement sans relecture du support" in panel
    assert "Étape : Effacement non vérifié : à refaire avec vérification, ou support à détruire" in panel
    checklist = panel[:panel.index("Grade :")]
    assert "échoué" not in checklist.lower() and "Réussi" not in panel[panel.index("Effacements des données"):]
    assert "Non vérifié (sans relecture : pas une preuve)" in panel  # the record itself, not "Réussi"
    assert "effacement des données non validé" in panel  # not "reconditionné" either


def test_the_api_and_the_queue_name_it_and_the_release_is_still_refused(client, api_token, login_as, unverified):
    headers = api_token("tech")
    status = client.get(f"/api/v1/devices/{unverified}/refurbishment", headers=headers).json
    assert status["step"] == "erase_unverified" and "non vérifié" in status["step_label"]
    assert status["erasure"] == {"state": "unverified", "ok": False, "failed_media": [], "erased_media": [],
                                 "unverified_media": [SERIAL], "media_destroyed": False}
    refused = client.post(f"/api/v1/devices/{unverified}/transition", json={"to": "ready"}, headers=headers)
    assert refused.status_code == 409
    message = refused.json["error"]["message"]
    assert message.startswith(f"Effacement des données non vérifié (support {SERIAL})") and "échoué" not in message
    queue = _text(login_as("tech").get("/atelier/"))
    assert "Effacement non vérifié : à refaire avec vérification" in queue


def test_a_verified_erasure_then_lifts_it_and_a_failed_one_is_still_failed(client, api_token, workshop, unverified):
    headers = api_token("tech")
    workshop.erase(unverified, media=[{"serial": SERIAL}])  # redone with the read-back
    status = client.get(f"/api/v1/devices/{unverified}/refurbishment", headers=headers).json
    assert status["erasure"]["state"] == "passed" and status["erasure"]["unverified_media"] == []
    [other] = workshop.donation(kind="company")
    workshop.diagnose(other)
    workshop.erase(other, result="failed", media=[{"serial": "BAD-1"}])
    status = client.get(f"/api/v1/devices/{other}/refurbishment", headers=headers).json
    assert status["step"] == "erase_failed" and status["erasure"]["failed_media"] == ["BAD-1"]


def test_a_device_sent_to_recycling_with_an_unverified_erasure_is_told_why(client, api_token, workshop):
    [tag] = workshop.donation(kind="company")
    workshop.diagnose(tag, verdict="recycle")
    workshop.erase(tag, verified=False, media=[{"serial": SERIAL}])
    r = client.post(f"/api/v1/devices/{tag}/transition", json={"to": "recycled"}, headers=api_token("tech"))
    assert r.status_code == 409
    assert f"n'a pas été vérifié (support {SERIAL}" in r.json["error"]["message"]
