"""The technician's day: diagnosis per category, repairs with parts, grading, the workshop
queue (the technician's home), the scan that opens a device, the panel's forms in place."""

import json

import pytest
from conftest import csrf_token
from fixtures_refurbishment import all_checks
from sqlalchemy import event, select

from refurb.accounts.services import get_user
from refurb.certificates import services as certificates
from refurb.inventory import services as inventory_services
from refurb.inventory.models import Device, DeviceEvent
from refurb.refurbishment.models import Diagnosis, Grading, Repair, RepairPart


def test_diagnosis_moves_the_device(client, db, api_token, workshop):
    headers = api_token("tech")
    ready, broken, dead = workshop.donation(kind="company", devices=[{"category": "laptop"}] * 3)
    response = client.post(f"/api/v1/devices/{ready}/diagnosis", json={
        "checks": all_checks("laptop", webcam="na"), "verdict": "ready", "battery_health": 87}, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["device"]["state"] == "diagnosing" and response.json["failed"] == []
    assert workshop.get(ready).specs["battery_health"] == 87
    response = client.post(f"/api/v1/devices/{broken}/diagnosis", json={
        "checks": all_checks("laptop", keyboard="fail"), "verdict": "repair"}, headers=headers)
    assert response.json["device"]["state"] == "repairing"
    assert workshop.events(broken)[-2:] == ["diagnosis_started", "diagnosis"]
    workshop.erase(dead)  # its data first: an unerased one waits (see test_workshop_trust_disposal.py)
    response = client.post(f"/api/v1/devices/{dead}/diagnosis", json={
        "checks": all_checks("laptop", power="fail"), "verdict": "parts"}, headers=headers)
    assert response.json["device"]["state"] == "parts"


@pytest.mark.parametrize("payload, field, message", [
    ({"checks": all_checks("laptop", screen=None), "verdict": "ready"}, "checks.screen",
     "Écran (pixels, rétroéclairage, charnières) : contrôle non renseigné (OK, en panne ou sans objet)."),
    ({"checks": {**all_checks("laptop"), "printing": "pass"}, "verdict": "ready"}, "checks.printing",
     "Contrôle « printing » inconnu pour cette catégorie"),
    ({"checks": all_checks("laptop", wifi="bof"), "verdict": "ready"}, "checks.wifi",
     "Wi-Fi : « bof » n'est pas un résultat (pass, fail, na)."),
    ({"checks": all_checks("laptop", wifi="fail"), "verdict": "ready"}, "verdict",
     "Des contrôles sont en panne (Wi-Fi) : choisissez « à réparer », « pour pièces » ou « à recycler »."),
    ({"checks": all_checks("laptop"), "verdict": "maybe"}, "verdict", "La conclusion : « maybe » n'est pas"),
    ({"checks": all_checks("laptop"), "verdict": "ready", "battery_health": 140}, "battery_health",
     "La santé de la batterie (%) doit être au plus 100."),
    ({"checks": "tout bon", "verdict": "ready"}, "checks", "Les contrôles doivent être donnés un par un"),
])
def test_diagnosis_bad_input(client, db, api_token, workshop, payload, field, message):
    [tag] = workshop.donation(kind="company")
    payload = {**payload, "checks": {k: v for k, v in payload["checks"].items() if v is not None}} \
        if isinstance(payload["checks"], dict) else payload
    response = client.post(f"/api/v1/devices/{tag}/diagnosis", json=payload, headers=api_token("tech"))
    assert response.status_code == 422
    assert response.json["error"]["fields"][field].startswith(message)
    db.rollback()
    assert db.scalars(select(Diagnosis)).all() == []
    assert workshop.state(tag) == "received"


def test_screen_checklist_and_no_battery(client, api_token, workshop):
    [tag] = workshop.donation(kind="company", devices=[{"category": "screen"}])
    headers = api_token("tech")
    bad = client.post(f"/api/v1/devices/{tag}/diagnosis", json={"checks": all_checks("screen"), "verdict": "ready",
                                                                "battery_health": 80}, headers=headers)
    assert bad.json["error"]["fields"]["battery_health"] == \
        "La santé de la batterie ne s'applique pas à cette catégorie d'appareil."
    ok = client.post(f"/api/v1/devices/{tag}/diagnosis", json={"checks": all_checks("screen"), "verdict": "ready"},
                     headers=headers)
    assert ok.status_code == 201 and set(ok.json["checks"]) == {"power", "display", "video_inputs"}


def test_repair_with_harvested_and_bought_parts(client, db, api_token, workshop):
    headers = api_token("tech")
    tag, donor, other = workshop.donation(kind="company", devices=[{"category": "laptop"}] * 3)
    workshop.diagnose(tag, verdict="repair", failed=("keyboard", "battery"))
    workshop.erase(donor)
    workshop.diagnose(donor, verdict="parts", failed=("power",))
    payload = {"problem": "Clavier HS, batterie usée", "action": "Clavier et batterie remplacés",
               "checks_fixed": ["keyboard", "battery"], "minutes": 45,
               "parts": [{"description": "Clavier AZERTY", "source": "harvested", "from_tag": donor},
                         {"description": "Batterie 48 Wh", "source": "bought", "cost": "39.90"}]}
    bad = client.post(f"/api/v1/devices/{tag}/repairs", json={**payload, "parts": [
        {"description": "Clavier", "source": "harvested", "from_tag": other},
        {"description": "Batterie", "source": "bought"},
        {"description": "Vis", "source": "bought", "cost": "0.123"}]}, headers=headers)
    assert bad.status_code == 422
    fields = bad.json["error"]["fields"]
    assert fields["parts.0.from_tag"].startswith(f"Pièce 1 : {other} n'est pas en « pièces détachées »")
    assert fields["parts.1.cost"] == "Pièce 2 : Coût est obligatoire."
    assert fields["parts.2.cost"].startswith("Pièce 3 : Coût : montant en euros attendu")
    db.rollback()
    assert db.scalars(select(Repair)).all() == []
    assert client.post(f"/api/v1/devices/{tag}/repairs", json={"problem": "x"}, headers=headers) \
        .json["error"]["fields"]["action"] == "L'intervention est obligatoire."
    response = client.post(f"/api/v1/devices/{tag}/repairs", json=payload, headers=headers)
    assert response.status_code == 201, response.json
    assert [p["cost"] for p in response.json["parts"]] == [None, "39.90"]
    assert response.json["parts"][0]["from_tag"] == donor
    assert workshop.events(donor)[-1] == "part_harvested"
    db.rollback()
    assert len(db.scalars(select(RepairPart)).all()) == 2
    status = client.get(f"/api/v1/devices/{tag}/refurbishment", headers=headers).json
    assert status["diagnosis"]["unresolved"] == [] and status["step"] == "erase"


def test_repair_needs_a_diagnosis_first(client, api_token, workshop):
    [tag] = workshop.donation(kind="company")
    response = client.post(f"/api/v1/devices/{tag}/repairs", json={"problem": "x", "action": "y"},
                           headers=api_token("tech"))
    assert response.status_code == 409
    assert "Faites d'abord le diagnostic." in response.json["error"]["message"]


def test_grading(client, db, api_token, workshop):
    headers = api_token("tech")
    laptop, phone = workshop.donation(kind="company", devices=[{"category": "laptop"}, {"category": "smartphone"}])
    workshop.diagnose(laptop, battery=77)
    workshop.diagnose(phone, battery=None)
    response = client.post(f"/api/v1/devices/{laptop}/grading", json={"grade": "A"}, headers=headers)
    assert response.status_code == 201
    assert response.json["battery_health"] == 77  # taken from the diagnosis
    assert workshop.get(laptop).grade == "A"
    missing = client.post(f"/api/v1/devices/{phone}/grading", json={"grade": "B"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json["error"]["fields"]["battery_health"].startswith("La santé de la batterie (%) est obligatoire")
    reserve = client.post(f"/api/v1/devices/{phone}/grading", json={"grade": "B", "battery_health": 81,
                                                                   "functional": "limited"}, headers=headers)
    assert reserve.json["error"]["fields"]["notes"].startswith("Précisez les réserves")
    bad = client.post(f"/api/v1/devices/{phone}/grading", json={"grade": "D", "battery_health": 81}, headers=headers)
    assert bad.json["error"]["fields"]["grade"].startswith("Le grade esthétique : « D »")
    db.rollback()
    assert len(db.scalars(select(Grading)).all()) == 1


def test_queue_is_the_technicians_home(client, login_as, workshop):
    new, erase, grade, ready, elsewhere = (
        workshop.donation(kind="company", devices=[{"category": "laptop"}] * 4) +
        workshop.donation(kind="company", site="EPN-B"))
    workshop.diagnose(erase)
    workshop.diagnose(grade)
    workshop.erase(grade)
    workshop.ready(ready)
    login_as("tech")
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/atelier/"
    html = client.get("/atelier/").get_data(as_text=True)
    assert "data-scan-autofocus" in html
    sections = {step: html.index(f'id="step-{step}"') for step in ("diagnose", "erase", "grade", "out")}
    positions = {tag: html.index(tag) for tag in (new, erase, grade, ready)}
    assert sections["diagnose"] < positions[new] < sections["erase"]
    assert sections["erase"] < positions[erase] < sections["grade"] < positions[grade] < sections["out"] < positions[ready]
    assert elsewhere not in html  # another site's device
    assert "Effacement des données à faire" in html and "À grader" in html


def test_workshop_scan_opens_the_device(client, login_as, workshop):
    [tag] = workshop.donation(kind="company", devices=[{"category": "laptop", "serial_number": "PF0ABC12"}])
    [other] = workshop.donation(kind="company", site="EPN-B")
    login_as("tech")
    assert client.get(f"/atelier/scan?code={tag.lower()}").headers["Location"] == f"/d/{tag}#refurb-panel"
    assert client.get("/atelier/scan?code=pf0abc12").headers["Location"] == f"/d/{tag}#refurb-panel"
    assert client.get(f"/atelier/scan?code=https://refurb.example.org/d/{tag}").headers["Location"].startswith(f"/d/{tag}")
    missing = client.get("/atelier/scan?code=RF-424242")
    assert missing.status_code == 404
    assert "Aucun appareil ne correspond au code « RF-424242 »" in missing.get_data(as_text=True)
    assert client.get(f"/atelier/scan?code={other}").status_code == 403
    # a plain 303 to the device's page (never 204 + HX-Redirect, an htmx request included)
    htmx = client.get(f"/atelier/scan?code={tag}", headers={"HX-Request": "true"})
    assert htmx.status_code == 303 and htmx.headers["Location"] == f"/d/{tag}#refurb-panel"


def test_panel_shows_the_next_step_and_posts_in_place(client, db, login_as, workshop):
    [tag] = workshop.donation(kind="public_body")
    login_as("tech")
    page = client.get(f"/d/{tag}").get_data(as_text=True)
    assert "À faire maintenant : diagnostic" in page
    assert "Prix solidaires" in page and "180,00" in page
    token = csrf_token(client, f"/d/{tag}")
    headers = {"HX-Request": "true", "X-CSRFToken": token, "HX-Current-URL": f"http://localhost/d/{tag}"}
    data = {f"check_{k}": v for k, v in all_checks("laptop").items()}
    data.update({"verdict": "ready", "battery_health": "83", "notes": "", "expected_version": "1"})
    incomplete = client.post(f"/atelier/appareils/{tag}/diagnostic", data={**data, "check_wifi": ""}, headers=headers)
    assert incomplete.status_code == 422
    html = incomplete.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="refurb-panel"')
    assert "Wi-Fi : contrôle non renseigné" in html and 'aria-invalid="true"' in html
    assert json.loads(incomplete.headers["HX-Trigger"]) == {"refurb:tone": {"kind": "error"}}
    done = client.post(f"/atelier/appareils/{tag}/diagnostic", data=data, headers=headers)
    # one round trip: the device page in place, its state, panel and timeline changed (never 204 + HX-Location)
    assert done.status_code == 200 and "HX-Location" not in done.headers
    assert done.headers["HX-Retarget"] == "#device-main" and done.headers["HX-Reswap"] == "outerHTML"
    assert "HX-Push-Url" not in done.headers  # posted from the device page itself
    page = done.get_data(as_text=True)
    assert page.lstrip().startswith('<div id="device-main"') and 'badge--diagnosing">En diagnostic' in page
    assert "Enregistré — Diagnostic enregistré : bon pour la suite (sans réparation)." in page
    assert "À faire maintenant : effacement des données" in page
    assert "Enregistré — Diagnostic" not in client.get(f"/d/{tag}").get_data(as_text=True)  # said once
    # the same form posted again from the old page: refused, nothing recorded twice
    stale = client.post(f"/atelier/appareils/{tag}/diagnostic", data=data, headers=headers)
    assert stale.status_code == 422 and "a changé entre-temps" in stale.get_data(as_text=True)
    db.rollback()
    assert len(db.scalars(select(Diagnosis)).all()) == 1
    # from the workshop's own page of the device, the answer is the device page: its address follows
    step_page = f"http://localhost/atelier/appareils/{tag}"
    version = str(db.scalars(select(Device.version).where(Device.asset_tag == tag)).one())
    moved = client.post(f"/atelier/appareils/{tag}/etape", data={"to": "repairing", "expected_version": version},
                        headers=headers | {"HX-Current-URL": step_page})
    assert moved.status_code == 200 and moved.headers["HX-Push-Url"] == f"/d/{tag}"
    assert 'badge--repairing">En réparation' in moved.get_data(as_text=True)


def test_panel_without_javascript(client, login_as, workshop):
    [tag] = workshop.donation(kind="company", devices=[{"category": "screen"}])
    workshop.diagnose(tag)
    login_as("tech")
    token = csrf_token(client, f"/d/{tag}")
    bad = client.post(f"/atelier/appareils/{tag}/grade", data={"csrf_token": token, "functional": "full"})
    assert bad.status_code == 422
    assert "Le grade esthétique est obligatoire." in bad.get_data(as_text=True)
    ok = client.post(f"/atelier/appareils/{tag}/grade", data={"csrf_token": token, "grade": "B", "functional": "full"})
    assert ok.status_code == 303 and ok.headers["Location"] == f"/d/{tag}#refurb-panel"
    move = client.post(f"/atelier/appareils/{tag}/etape", data={"csrf_token": token, "to": "ready"})
    assert move.status_code == 303
    assert workshop.state(tag) == "ready"
    page = client.get(f"/d/{tag}").get_data(as_text=True)
    assert "Appareil déclaré reconditionné." in page


def _page_statements(app, client, path: str) -> tuple[str, list[str]]:
    """A page, with the SQL statements its rendering sent."""
    statements: list[str] = []
    engine = app.extensions["refurb.db"].engine
    listener = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        html = client.get(path).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return html, statements


def _rows_of(statements: list[str], table: str, key: str = "id") -> int:
    """Statements loading whole rows of the table."""
    return sum(1 for s in statements if s.lstrip().startswith(f"SELECT {table}.{key}, "))


def test_the_device_page_reads_the_workshop_records_and_the_history_once(app, client, login_as, workshop):
    """The panels share what one rendering of the page read (inventory.PageReads): the workshop status gives
    the certificates panel its origin, erasures and destructions; the history gives the undo offer its last
    event. Each is read once, and the page still offers what they decide."""
    tag = workshop.donation()[0]  # an origin
    workshop.ready(tag)  # diagnosis, erasure, grade, ready: the admin's last move, undoable
    login_as("admin")
    html, statements = _page_statements(app, client, f"/d/{tag}")
    assert _rows_of(statements, "erasures") == 1 and _rows_of(statements, "device_origins", "device_id") == 1
    assert sum("device_events.action" in s for s in statements) == 1  # with the device (inventory.device_page)
    assert "Émettre le certificat d'effacement des données" in html  # the erasure, seen by the certificates panel
    assert "→ Prêt à la vente</strong>, le" in html  # the undo offer of the move to ready, from the history


def test_a_device_without_history_still_has_its_records_read(app, client, login_as, workshop):
    """The presence of records is read with the device and its history; a device without any event (none is made
    so, but a database can hold one) has an empty history and its panels still show its records. A view that
    renders the page after a change (the device alone) asks the history and the presence in one statement."""
    tag = workshop.ready(workshop.donation()[0])
    with workshop.session() as db:
        device_id = db.scalar(select(Device.id).where(Device.asset_tag == tag))
        db.execute(DeviceEvent.__table__.delete().where(DeviceEvent.device_id == device_id))
        db.commit()
    login_as("admin")
    html, statements = _page_statements(app, client, f"/d/{tag}")
    presence = [s for s in statements if "EXISTS" in s]
    assert len(presence) == 1 and "diagnoses" in presence[0] and "FROM devices" in presence[0]
    assert _rows_of(statements, "diagnoses") == 1 and _rows_of(statements, "loans") == 0
    assert "Diagnostic :</strong>" in html and '<ol class="timeline">\n      \n    </ol>' in html
    with app.test_request_context(f"/d/{tag}"), app.extensions["refurb.db"].session() as db:
        device = db.scalar(select(Device).where(Device.asset_tag == tag))
        reads = inventory_services.page_reads(db, device)  # no history: the presence is asked apart
        assert reads.known("history") == [] and not reads.asked
        inventory_services.panels_for(db, get_user(db, "admin"), device, reads)
        assert reads.has("diagnoses") and not reads.has("loans")


def test_the_device_page_reads_only_the_records_the_device_has(app, client, login_as, workshop):
    """One query asks which records each panel would show (workshop records, loans, certificates, hardware
    reports), with the device's history (one round trip): the rows of those the device has none of are not read,
    and a record added since shows on the next rendering."""
    tag = workshop.ready(workshop.donation()[0])
    login_as("admin")
    html, statements = _page_statements(app, client, f"/d/{tag}")
    presence = [s for s in statements if "EXISTS" in s]
    assert len(presence) == 1 and all(t in presence[0] for t in ("loans", "certificates", "hardware_reports",
                                                                  "diagnoses", "repairs", "media_destructions"))
    assert "device_events.action" in presence[0] and "FROM devices" in presence[0]  # the device and its history
    for table in ("loans", "certificates", "hardware_reports", "repairs", "media_destructions"):
        assert _rows_of(statements, table) == 0, table
    assert _rows_of(statements, "diagnoses") == 1 and _rows_of(statements, "gradings") == 1
    assert "Déjà émis" not in html
    references = []
    for issue in (certificates.issue_erasure_for_device, certificates.issue_device_certificate):  # each kind
        with workshop.session() as db:
            references.append(issue(db, get_user(db, "admin"), tag).reference)
            db.commit()
        html, statements = _page_statements(app, client, f"/d/{tag}")
        assert _rows_of(statements, "certificates") == 1
        assert "Déjà émis" in html and all(reference in html for reference in references)
