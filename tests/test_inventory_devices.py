"""Device pages: the public finder's page, the staff page and its in-place actions, creation
(one, "like this", batch), the scan box."""

from __future__ import annotations

from conftest import csrf_token, login
from sqlalchemy import func, select

from refurb.inventory.models import Device, DeviceEvent

HTMX = {"HX-Request": "true"}


def _device(db, tag) -> Device:
    db.rollback()  # a fresh read: see what the requests committed
    return db.scalars(select(Device).where(Device.asset_tag == tag)).one()


def _count(db) -> int:
    db.rollback()
    return db.scalar(select(func.count(Device.id)))


def _events(db, tag) -> list[DeviceEvent]:
    device = _device(db, tag)
    return list(db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device.id).order_by(DeviceEvent.id)))


# --- device page -------------------------------------------------------------------------------

def test_anonymous_finder_sees_only_whom_and_where(client, make_device):
    tag = make_device(brand="Lenovo", model="ThinkPad T480", serial_number="SECRET123", notes="Note interne")
    page = client.get(f"/d/{tag}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Réseau numérique du Chinonais" in html  # whom it belongs to
    assert "EPN A" in html and "1 rue A" in html and "02 47 00 00 01" in html  # where to bring it back
    for private in ("SECRET123", "ThinkPad", "Lenovo", "Note interne", "Historique", "Reçu"):
        assert private not in html


def test_kiosk_sees_the_public_page_too(client, login_as, make_device):
    tag = make_device(serial_number="SECRET123")
    login_as("kiosk")
    html = client.get(f"/d/{tag}").get_data(as_text=True)
    assert "EPN A" in html and "SECRET123" not in html


def test_staff_page_shows_tag_state_sheet_timeline_and_actions(client, login_as, make_device):
    tag = make_device(brand="Dell", model="Latitude 5490", serial_number="ABC123",
                      specs={"cpu": "Intel Core i5", "ram_gb": "8"})
    login_as("tech")
    html = client.get(f"/d/{tag}").get_data(as_text=True)
    assert f'<span class="tag-big">{tag}</span>' in html
    assert 'badge badge--received">Reçu' in html
    assert "EPN A" in html and "Dell" in html and "Latitude 5490" in html and "ABC123" in html
    assert "Processeur" in html and "Intel Core i5" in html and "Mémoire vive (Go)" in html
    assert "Enregistré" in html  # the creation event in the timeline
    # one action area: the workshop's panel, with the inventory's own move (a loss) in its dangerous group;
    # recording the diagnosis starts it, so no separate "Commencer le diagnostic" button
    assert 'value="lost"' in html and "Déclarer perdu ou volé" in html
    assert 'id="refurb-panel"' in html and "Enregistrer le diagnostic" in html
    assert 'value="diagnosing"' not in html and "Commencer le diagnostic" not in html
    assert 'name="expected_version" value="1"' in html
    assert "Imprimer l&#39;étiquette" in html or "Imprimer l'étiquette" in html


def test_other_site_staff_get_403_in_french(app, client, login_as, make_device):
    tag = make_device(site="EPN-B")
    login_as("tech")
    response = client.get(f"/d/{tag}")
    assert response.status_code == 403
    assert "Vous n&#39;avez pas accès à l&#39;appareil" in response.get_data(as_text=True)
    manager = app.test_client()
    assert login(manager, "manager").status_code == 302
    assert manager.get(f"/d/{tag}").status_code == 200  # network role: every site


def test_unknown_tag_is_a_french_404(client, login_as):
    login_as("tech")
    response = client.get("/d/RF-999999")
    assert response.status_code == 404 and "Aucun appareil ne porte l&#39;étiquette" in response.get_data(as_text=True)
    assert client.get("/d/" + "X" * 300).status_code == 404


def test_htmx_transition_updates_the_page_in_place(client, db, login_as, make_device):
    tag = make_device()
    login_as("tech")
    token = csrf_token(client, f"/d/{tag}")
    response = client.post(f"/d/{tag}/transition", data={"to": "lost", "expected_version": "1",
                                                         "note": "Pas revenu de la tournée"},
                           headers=HTMX | {"X-CSRFToken": token})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="device-main"')  # the partial only
    assert 'badge--lost">Perdu ou volé' in html and "Pas revenu de la tournée" in html
    assert "Déclarer retrouvé" in html  # the next move: found again
    assert '"refurb:tone"' in response.headers["HX-Trigger"]
    events = _events(db, tag)
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("created", None, "received"), ("transition", "received", "lost")]
    assert events[-1].user.username == "tech" and events[-1].site.code == "EPN-A"


def test_stale_page_is_refused_and_nothing_changes(client, db, login_as, make_device):
    tag = make_device()
    login_as("tech")
    token = csrf_token(client, f"/d/{tag}")
    first = client.post(f"/d/{tag}/transition", data={"to": "lost", "expected_version": "1"},
                        headers=HTMX | {"X-CSRFToken": token})
    assert first.status_code == 200
    stale = client.post(f"/d/{tag}/transition", data={"to": "received", "expected_version": "1"},
                        headers=HTMX | {"X-CSRFToken": token})
    assert stale.status_code == 409
    assert stale.headers["HX-Retarget"] == "#flash"
    assert "a changé entre-temps" in stale.get_data(as_text=True)
    assert _device(db, tag).state == "lost" and len(_events(db, tag)) == 2
    unreadable = client.post(f"/d/{tag}/transition", data={"to": "received", "expected_version": "deux"},
                             headers=HTMX | {"X-CSRFToken": token})
    assert unreadable.status_code == 422 and "rechargez la page" in unreadable.get_data(as_text=True)


def test_transition_not_allowed_owned_elsewhere_and_loans_only(client, db, login_as, make_device):
    login_as("tech")
    tag = make_device()
    token = csrf_token(client, f"/d/{tag}")
    response = client.post(f"/d/{tag}/transition", data={"to": "sold"}, headers=HTMX | {"X-CSRFToken": token})
    assert response.status_code == 409 and "Passage impossible" in response.get_data(as_text=True)
    # a workshop move is the workshop panel's: the inventory's door says where
    response = client.post(f"/d/{tag}/transition", data={"to": "diagnosing"}, headers=HTMX | {"X-CSRFToken": token})
    assert response.status_code == 409 and "panneau Atelier" in response.get_data(as_text=True)
    pool = make_device(state="loan_pool")
    response = client.post(f"/d/{pool}/transition", data={"to": "on_loan"}, headers=HTMX | {"X-CSRFToken": token})
    assert response.status_code == 409 and "accueil" in response.get_data(as_text=True)
    response = client.post(f"/d/{tag}/transition", data={"to": "nimporte"}, headers=HTMX | {"X-CSRFToken": token})
    assert response.status_code == 409 and "État inconnu" in response.get_data(as_text=True)
    assert _device(db, tag).state == "received" and _device(db, pool).state == "loan_pool"
    # the loan moves are not offered as buttons
    assert 'value="on_loan"' not in client.get(f"/d/{pool}").get_data(as_text=True)


def test_plain_form_transition_redirects_with_a_message(client, db, login_as, make_device):
    tag = make_device()
    login_as("tech")
    token = csrf_token(client, f"/d/{tag}")
    response = client.post(f"/d/{tag}/transition", data={"to": "lost", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/d/{tag}")
    assert "Perdu ou volé" in client.get(f"/d/{tag}").get_data(as_text=True)
    refused = client.post(f"/d/{tag}/transition", data={"to": "sold", "csrf_token": token}, follow_redirects=True)
    assert "Passage impossible" in refused.get_data(as_text=True)
    assert _device(db, tag).state == "lost"


def test_other_site_transition_is_forbidden(client, db, login_as, make_device):
    tag = make_device(site="EPN-B")
    login_as("tech")
    token = csrf_token(client, "/devices")
    response = client.post(f"/d/{tag}/transition", data={"to": "lost"}, headers=HTMX | {"X-CSRFToken": token})
    assert response.status_code == 403 and _device(db, tag).state == "received"


# --- creation ------------------------------------------------------------------------------------

def _form(**values) -> dict:
    return {"category": "laptop", "site": "EPN-A", "brand": "Lenovo", "model": "ThinkPad T480",
            "serial_number": "", "has_storage": ["0", "1"], "condition": "", "notes": "", "action": "save"} | values


def test_create_device_save_print_and_another(client, db, login_as):
    login_as("tech")
    token = csrf_token(client, "/devices/new")
    saved = client.post("/devices/new", data=_form(csrf_token=token, serial_number="pf-1a2b",
                                                   spec_cpu="Intel Core i5-8350U", spec_ram_gb="8"))
    assert saved.status_code == 303
    tag = saved.headers["Location"].rsplit("/", 1)[-1]
    device = _device(db, tag)
    assert device.asset_tag == tag and tag.startswith("RF-") and device.state == "received"
    assert device.serial_number == "PF-1A2B" and device.has_storage is True
    assert device.specs == {"cpu": "Intel Core i5-8350U", "ram_gb": 8}
    assert [e.action for e in _events(db, tag)] == ["created"]
    printed = client.post("/devices/new", data=_form(csrf_token=token, action="print"))
    assert printed.status_code == 303 and "/labels?tag=RF-" in printed.headers["Location"]
    another = client.post("/devices/new", data=_form(csrf_token=token, action="another", model="X270"))
    assert another.status_code == 303 and "/devices/new?like=RF-" in another.headers["Location"]
    prefilled = client.get(another.headers["Location"]).get_data(as_text=True)
    assert 'value="X270"' in prefilled and "autofocus" in prefilled
    db.rollback()
    tags = db.scalars(select(Device.asset_tag).order_by(Device.id)).all()
    assert len(set(tags)) == 3


def test_no_storage_checkbox_is_respected(client, db, login_as):
    login_as("tech")
    token = csrf_token(client, "/devices/new")
    response = client.post("/devices/new", data=_form(csrf_token=token, has_storage="0"))
    device = _device(db, response.headers["Location"].rsplit("/", 1)[-1])
    assert device.has_storage is False


def test_known_serial_is_flagged_then_confirmed(client, db, login_as, make_device):
    old = make_device(serial_number="SN-42")
    login_as("tech")
    token = csrf_token(client, "/devices/new")
    flagged = client.post("/devices/new", data=_form(csrf_token=token, serial_number="sn-42"))
    assert flagged.status_code == 422
    html = flagged.get_data(as_text=True)
    assert f"Le numéro de série SN-42 est déjà connu ({old})" in html and 'name="confirm_serial"' in html
    assert _count(db) == 1
    confirmed = client.post("/devices/new", data=_form(csrf_token=token, serial_number="sn-42", confirm_serial="1"))
    assert confirmed.status_code == 303 and _count(db) == 2


def test_bad_input_is_refused_with_field_messages(client, db, login_as):
    login_as("tech")
    token = csrf_token(client, "/devices/new")
    response = client.post("/devices/new", data=_form(csrf_token=token, brand="B" * 81, category="fusée",
                                                      notes="n" * 5001))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "La marque est trop long" in html and 'id="e-brand"' in html and "n&#39;est pas une valeur possible" in html
    bad_spec = client.post("/devices/new", data=_form(csrf_token=token, spec_ram_gb="huit", spec_battery_health="150"))
    assert bad_spec.status_code == 422 and 'id="e-spec_ram_gb"' in bad_spec.get_data(as_text=True)
    other_site = client.post("/devices/new", data=_form(csrf_token=token, site="EPN-B"))
    assert other_site.status_code == 403 and "Vous n&#39;avez pas accès" in other_site.get_data(as_text=True)
    assert _count(db) == 0


def test_fields_follow_the_category(client, login_as):
    login_as("tech")
    tablet = client.get("/devices/new/specs?category=tablet", headers=HTMX).get_data(as_text=True)
    assert "Santé de la batterie" in tablet and "Processeur" not in tablet and "checked" in tablet
    screen = client.get("/devices/new/specs?category=screen", headers=HTMX).get_data(as_text=True)
    assert "Définition" in screen and "checked" not in screen  # a screen holds no data by default
    assert client.get("/devices/new/specs?category=fusée").status_code == 422
    token = csrf_token(client, "/devices/new")
    refreshed = client.post("/devices/new", data=_form(csrf_token=token, category="printer", action="refresh"))
    assert refreshed.status_code == 200 and "Type d&#39;impression" in refreshed.get_data(as_text=True)


def test_batch_of_similar_devices_then_labels(client, db, login_as):
    login_as("tech")
    token = csrf_token(client, "/devices/batch")
    response = client.post("/devices/batch", data=_form(csrf_token=token, serials="S1\r\nS2\r\n\r\nS3\n",
                                                        spec_ram_gb="8"))
    assert response.status_code == 303
    location = response.headers["Location"]
    db.rollback()
    devices = db.scalars(select(Device).order_by(Device.id)).all()
    assert [d.serial_number for d in devices] == ["S1", "S2", "S3"]
    assert all(d.model == "ThinkPad T480" and d.specs == {"ram_gb": 8} for d in devices)
    assert location.count("tag=") == 3
    labels = client.get(location).get_data(as_text=True)
    assert all(d.asset_tag in labels for d in devices) and "Télécharger le PDF (3 étiquettes)" in labels
    counted = client.post("/devices/batch", data=_form(csrf_token=token, serials="", count="2"))
    assert counted.status_code == 303 and _count(db) == 5


def test_batch_bad_input_creates_nothing(client, db, login_as, make_device):
    make_device(serial_number="S9")
    login_as("tech")
    token = csrf_token(client, "/devices/batch")
    for data, message in ((dict(serials="A\nB\nA"), "scanné(s) deux fois"),
                          (dict(serials="", count="201"), "200 appareils au plus"),
                          (dict(serials="", count=""), "Indiquez le nombre"),
                          (dict(serials="", count="douze"), "nombre d&#39;appareils doit être un entier"),
                          (dict(serials="S8\nS9"), "est déjà connu")):
        response = client.post("/devices/batch", data=_form(csrf_token=token, **data))
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert _count(db) == 1


# --- scan box ------------------------------------------------------------------------------------

def test_scan_box_opens_a_device_by_tag_serial_or_qr_url(client, login_as, make_device):
    tag = make_device(serial_number="UNIQUE-1")
    make_device(serial_number="TWICE")
    make_device(serial_number="TWICE")
    login_as("tech")
    for code in (tag, tag.lower(), f" {tag} ", "unique-1", f"https://refurb.example.org/d/{tag}"):
        response = client.get("/scan", query_string={"code": code})
        assert response.status_code == 303 and response.headers["Location"] == f"/d/{tag}", code
    for code in ("TWICE", "RF-999999", "<script>", "x" * 300):
        response = client.get("/scan", query_string={"code": code})
        assert response.status_code == 404, code
        assert "<script>" not in response.get_data(as_text=True)


def test_finder_page_gives_opening_hours(client, db, make_device):
    from refurb.sites.models import Site
    site = db.scalars(select(Site).where(Site.code == "EPN-A")).one()
    site.opening_hours = "Tu-Fr 09:30-12:00; Sa 10:00-12:00"
    db.commit()
    html = client.get(f"/d/{make_device()}").get_data(as_text=True)
    assert "Horaires d'ouverture" in html and ("Samedi" in html or "Sa 10:00-12:00" in html)


def test_the_device_page_reads_in_one_statement_what_history_and_page_reads_read(app, db, make_device):
    """A scan's page reads the device, its history and which records its panels show in one statement
    (``services.device_page``, the history carried as JSON): the same rows as ``history``, in its order (newest
    first, the later id first at the same time), with their times, data, notes and authors (none: the system);
    the same records as ``page_reads``; and the same scope check as ``get_device``."""
    from datetime import timedelta

    import pytest

    from refurb.accounts.services import get_user
    from refurb.clock import utcnow
    from refurb.errors import Forbidden, NotFound
    from refurb.inventory import services

    tag = make_device(notes="Écran « fêlé »")
    other = make_device(site="EPN-B")
    device = _device(db, tag)
    same = utcnow().replace(microsecond=123456) + timedelta(minutes=1)
    admin = get_user(db, "admin")
    db.add_all([
        DeviceEvent(device_id=device.id, at=same, site_id=device.site_id, action="transfer", user_id=admin.id,
                    data={"from_site": "Bus « numérique »", "to_site": "EPN A", "n": 2}, note='a "quoted" note\n'),
        DeviceEvent(device_id=device.id, at=same, site_id=device.site_id, action="transition",
                    from_state="received", to_state="diagnosing", note="<i>écran</i> ; \\ 🙂"),
        DeviceEvent(device_id=device.id, at=same + timedelta(seconds=1), site_id=device.site_id, action="edit"),
    ])
    db.commit()
    tech = get_user(db, "tech")
    with app.test_request_context(f"/d/{tag}"):
        found, reads = services.device_page(db, tech, tag.lower())
        assert found.asset_tag == tag and found.site.code == "EPN-A"
        expected = [tuple(row) for row in services.history(db, found)]
        assert len(expected) == 4 and [tuple(row) for row in reads.known("history")] == expected
        assert [row.action for row in reads.known("history")[:3]] == ["edit", "transition", "transfer"]
        assert reads.known("history")[2].at == same and reads.known("history")[2].data["to_site"] == "EPN A"
        apart = services.page_reads(db, found)
        services.panels_for(db, tech, found, apart)
        assert reads.asked and all(reads.has(name) == apart.has(name)
                                   for name in ("loans", "diagnoses", "certificates", "hardware_reports"))
        with pytest.raises(Forbidden):
            services.device_page(db, tech, other)  # another site's device: as get_device
        with pytest.raises(NotFound):
            services.device_page(db, tech, "RF-999999")


def test_the_timeline_says_each_move_newest_first_and_escapes_what_people_wrote(client, db, login_as, make_device):
    """The history's lines (``views.devices._timeline``): what happened, the change of state or of site, where and
    who ("Système" for the machine), the note; a name or a note with markup prints as text."""
    from datetime import timedelta

    from refurb.clock import utcnow

    tag = make_device()
    device = _device(db, tag)
    later = utcnow() + timedelta(minutes=1)
    db.add_all([
        DeviceEvent(device_id=device.id, at=later, site_id=device.site_id, action="transfer",
                    data={"from_site": "<b>Bus</b>", "to_site": "EPN A"}, note=""),
        DeviceEvent(device_id=device.id, at=later + timedelta(minutes=1), site_id=device.site_id,
                    action="transition", from_state="received", to_state="diagnosing", note="<i>écran</i> fêlé"),
    ])
    db.commit()
    login_as("tech")
    html = client.get(f"/d/{tag}").get_data(as_text=True)
    lines = html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0].split("<li>")[1:]
    assert len(lines) == 3  # newest first: the move, the transfer, the registration
    assert "<strong>Changement d&#39;état</strong> : Reçu → En diagnostic" in lines[0]
    assert "<small>EPN A · Système</small>" in lines[0]
    assert "<blockquote>&lt;i&gt;écran&lt;/i&gt; fêlé</blockquote>" in lines[0]
    assert "<strong>Transfert</strong> : &lt;b&gt;Bus&lt;/b&gt; → EPN A" in lines[1]
    assert "<blockquote>" not in lines[1]
    assert "<strong>Enregistré</strong> : Reçu" in lines[2]
    assert f'<time datetime="{later.isoformat()}">' in lines[1]
