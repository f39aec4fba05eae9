"""Inventories: today and at a past date (rebuilt from the history), PDF / CSV / XLSX, pages and API."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from conftest import login
from fixtures_documents import make_device, make_many, pdf_pages, pdf_text

from refurb.clock import end_of_day_utc
from refurb.clock import today as today_paris


def _arrange_history(db, days_ago):
    """A small history over 30 days, at EPN-A and EPN-B.

    RF-000001 laptop: EPN-A, ready 20 days ago                                     → A (ready) all along
    RF-000002 tablet: EPN-A, loan pool 20 days ago, transferred to EPN-B 10 days ago → A then B
    RF-000003 laptop: EPN-A, sold 5 days ago                                        → A until 5 days ago
    RF-000004 screen: EPN-B, transferred to EPN-A 3 days ago, lost yesterday        → B, then A, then gone
    RF-000005 laptop: created at EPN-A 2 days ago                                   → only since 2 days
    RF-000006 router: EPN-B, recycled 25 days ago                                   → never in the lists below
    """
    make_device(db, "RF-000001", "EPN-A", serial="PF1ABC01", grade="A", created=days_ago(30),
                history=[("state", days_ago(25), "diagnosing"), ("state", days_ago(20), "ready")])
    make_device(db, "RF-000002", "EPN-A", category="tablet", brand="Samsung", model="Galaxy Tab A8",
                serial="R9TAB002", grade="B", created=days_ago(30),
                history=[("state", days_ago(25), "diagnosing"), ("state", days_ago(22), "ready"),
                         ("state", days_ago(20), "loan_pool"), ("transfer", days_ago(10), "EPN-B")])
    make_device(db, "RF-000003", "EPN-A", serial="PF1ABC03", created=days_ago(30),
                history=[("state", days_ago(25), "diagnosing"), ("state", days_ago(20), "ready"),
                         ("state", days_ago(5), "sold")])
    make_device(db, "RF-000004", "EPN-B", category="screen", brand="Iiyama", model="ProLite 24",
                serial="SCR004", created=days_ago(30),
                history=[("transfer", days_ago(3), "EPN-A"), ("state", days_ago(1), "lost")])
    make_device(db, "RF-000005", "EPN-A", serial="PF1ABC05", created=days_ago(2))
    make_device(db, "RF-000006", "EPN-B", category="router", serial="RT006", created=days_ago(30),
                history=[("state", days_ago(25), "recycled")])
    db.commit()


def _tags(text: str) -> set[str]:
    return set(re.findall(r"RF-\d{6}", text))


def test_site_inventory_today_pdf(app, client, db, login_as, days_ago):
    _arrange_history(db, days_ago)
    login_as("manager")
    response = client.get("/documents/inventory.pdf?site=EPN-A")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert _tags(text) == {"RF-000001", "RF-000005"}  # sold, lost and transferred away are not here
    assert "PF1ABC01" in text and "PF1ABC05" in text
    # header: network, site, date, who printed it; page numbers; signature block
    assert "Réseau numérique du Chinonais" in text
    assert "Inventaire" in text and "EPN A" in text
    assert f"Au {today_paris().strftime('%d/%m/%Y')} (état actuel)" in text
    assert "par Manager" in text
    assert re.search(r"Page 1 / 1", text)
    assert "Signature" in text and "Le responsable du site" in text
    # groups by category and state, with totals
    assert "Ordinateurs portables · Prêt à la vente — 1 appareil" in text
    assert "Ordinateurs portables · Reçu — 1 appareil" in text
    assert "Total général" in text and "2 appareils" in text
    # rows read as rows: tag, model, serial, grade
    assert re.search(r"RF-000001 Lenovo ThinkPad T480 PF1ABC01 A", text)


def test_inventory_at_past_date_matches_history(app, client, db, login_as, days_ago):
    _arrange_history(db, days_ago)
    login_as("manager")

    def tags_at(site, n_days):
        day = (days_ago(n_days)).date().isoformat()
        response = client.get(f"/documents/inventory.pdf?site={site}&at={day}")
        assert response.status_code == 200, response.data[:300]
        text = pdf_text(response.data)
        assert "reconstitué depuis l'historique" in text
        return _tags(text)

    # 15 days ago: 1 ready, 2 in the loan pool, 3 ready at A; 4 received at B
    assert tags_at("EPN-A", 15) == {"RF-000001", "RF-000002", "RF-000003"}
    assert tags_at("EPN-B", 15) == {"RF-000004"}
    # 4 days ago: 2 moved to B, 3 sold; 4 still at B
    assert tags_at("EPN-A", 4) == {"RF-000001"}
    assert tags_at("EPN-B", 4) == {"RF-000002", "RF-000004"}
    # 2 days ago: 4 moved to A (3 days ago), 5 exists (created that morning)
    assert tags_at("EPN-A", 2) == {"RF-000001", "RF-000004", "RF-000005"}
    # 40 days ago: nothing existed yet
    assert tags_at("EPN-A", 40) == set()

    # the state at that date, not today's: RF-000002 was in the loan pool at A
    day = days_ago(15).date().isoformat()
    text = pdf_text(client.get(f"/documents/inventory.pdf?site=EPN-A&at={day}").data)
    assert "Tablettes · Parc de prêt — 1 appareil" in text
    assert "Ordinateurs portables · Prêt à la vente — 2 appareils" in text
    assert f"Au {days_ago(15).strftime('%d/%m/%Y')}" in text


def test_grade_at_a_past_date_comes_from_grading_events(app, client, db, login_as, days_ago):
    from refurb.inventory.models import DeviceEvent

    device = make_device(db, "RF-000050", "EPN-A", serial="GR50", grade="A", created=days_ago(30),
                         history=[("state", days_ago(25), "diagnosing"), ("state", days_ago(20), "ready")])
    for n, grade in ((22, "C"), (5, "A")):
        db.add(DeviceEvent(device_id=device.id, at=days_ago(n), user_id=None, site_id=device.site_id,
                           action="grading", note=f"Grade {grade}", data={"grade": grade}))
    db.commit()
    login_as("manager")

    def row(n):
        day = days_ago(n).date().isoformat()
        text = pdf_text(client.get(f"/documents/inventory.pdf?site=EPN-A&at={day}").data)
        return re.search(r"RF-000050 Lenovo ThinkPad T480 GR50 ?([ABC]?)", text).group(1)

    assert row(24) == ""  # not graded yet
    assert row(10) == "C"
    assert row(3) == "A"


def test_history_rebuild_of_today_equals_current_state(app, db, days_ago):
    """Rebuilding "yesterday + today's events" from the history gives today's table."""
    from fixtures_documents import user_by_name

    from refurb.documents import inventory
    from refurb.inventory.services import transfer_devices
    from refurb.refurbishment.services import move

    _arrange_history(db, days_ago)
    actor = user_by_name(db, "admin")
    with app.app_context():
        from sqlalchemy import select

        from refurb.inventory.models import Device
        device = db.scalar(select(Device).where(Device.asset_tag == "RF-000005"))
        move(db, actor, device, "diagnosing")
        transfer_devices(db, actor, "EPN-B", ["RF-000001"])
        db.commit()
        current = inventory._current_rows(db, None)
        rebuilt = inventory._history_rows(db, None, end_of_day_utc(today_paris()))
        assert sorted(map(tuple, current)) == sorted(map(tuple, rebuilt))


def test_network_inventory_lists_every_site_with_site_column(app, client, db, login_as, days_ago):
    _arrange_history(db, days_ago)
    login_as("manager")
    text = pdf_text(client.get("/documents/inventory.pdf?site=*").data)
    assert "Tout le réseau" in text
    assert _tags(text) == {"RF-000001", "RF-000002", "RF-000005"}
    assert re.search(r"RF-000002 Samsung Galaxy Tab A8 R9TAB002 B EPN-B", text)
    assert "Le responsable du réseau" in text


def test_future_date_and_bad_date_are_refused(app, client, db, login_as):
    login_as("manager")
    tomorrow = (today_paris() + timedelta(days=1)).isoformat()
    response = client.get(f"/documents/inventory.pdf?site=EPN-A&at={tomorrow}")
    assert response.status_code == 422
    assert "futur" in response.get_data(as_text=True)
    response = client.get("/documents/inventory.pdf?site=EPN-A&at=31/12/2025")
    assert response.status_code == 422
    assert "AAAA-MM-JJ" in response.get_data(as_text=True)


def test_site_scope(app, client, db, login_as):
    login_as("tech")
    assert client.get("/documents/inventory.pdf?site=EPN-A").status_code == 200
    response = client.get("/documents/inventory.pdf?site=EPN-B")
    assert response.status_code == 403
    assert "EPN B" in response.get_data(as_text=True)
    response = client.get("/documents/inventory.pdf?site=*")
    assert response.status_code == 403
    assert "réservé aux gestionnaires" in response.get_data(as_text=True)
    assert client.get("/documents/inventory.pdf?site=NOPE").status_code == 404


def test_inventory_csv_and_xlsx(app, client, db, login_as, days_ago):
    from openpyxl import load_workbook

    _arrange_history(db, days_ago)
    make_device(db, "RF-000007", "EPN-A", brand="=HYPERLINK(\"http://x\")", model="@SUM(1)", serial="SN7",
                created=days_ago(1))
    db.commit()
    login_as("manager")
    response = client.get("/documents/inventory.csv?site=EPN-A")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "Site;Catégorie;État;Étiquette;Marque;Modèle;N° de série;Grade"
    assert any(line.startswith("EPN-A;Ordinateur portable;Prêt à la vente;RF-000001;Lenovo") for line in lines)
    # formula injection neutralised
    assert "'=HYPERLINK" in text and ";'@SUM(1);" in text
    response = client.get("/documents/inventory.xlsx?site=EPN-A")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][3] == "Étiquette"
    assert {r[3] for r in rows[1:]} == {"RF-000001", "RF-000005", "RF-000007"}
    cells = [c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("http://x")']
    assert cells and all(c.data_type == "s" for c in cells)  # text, never a formula


def test_inventory_form_page(app, client, db, login_as):
    login_as("manager")
    html = client.get("/documents/inventory").get_data(as_text=True)
    assert "Imprimer un inventaire" in html and "Tout le réseau" in html
    assert 'name="at"' in html and 'type="date"' in html


def test_large_inventory_is_prepared_in_the_background_with_progress(app, client, db, login_as):
    from refurb.documents import jobs

    make_many(db, 120, "EPN-A")
    db.commit()
    app.config["REFURB_JOB_THRESHOLD"] = 50
    login_as("manager")
    response = client.get("/documents/inventory.pdf?site=EPN-A")
    assert response.status_code == 302
    job_url = response.headers["Location"]
    assert "/documents/jobs/" in job_url
    page = client.get(job_url).get_data(as_text=True)
    assert "Inventaire" in page
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1]
    job = jobs.wait(app.extensions["refurb.db"], job_id, timeout=60)
    assert job.state == "done", job.message
    partial = client.get(job_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Terminé" in partial and "Télécharger" in partial
    data = client.get(job_url + "/file")
    assert data.status_code == 200 and data.mimetype == "application/pdf"
    text = pdf_text(data.data)
    assert "RF-000001" in text and "RF-000120" in text and "120 appareils" in text
    # someone else cannot see the job
    other = app.test_client()
    assert login(other, "admin").status_code == 302
    assert other.get(job_url).status_code == 404


def test_running_job_page_polls(app, client, db, login_as):
    """While running, the partial asks htmx to come back (progress bar)."""
    from sqlalchemy import select

    from refurb.accounts.models import User
    from refurb.clock import utcnow
    from refurb.documents.models import Job

    login_as("manager")
    user = db.scalar(select(User).where(User.username == "manager"))
    db.add(Job(id="test-running-job", kind="inventory", label="Inventaire", user_id=user.id, params={},
               state="running", progress=30, message="Page 3 / 10…", worker="ailleurs", heartbeat_at=utcnow()))
    db.commit()
    html = client.get("/documents/jobs/test-running-job", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="load delay:700ms"' in html and 'value="30"' in html and "Page 3 / 10" in html


# --- API ---------------------------------------------------------------------------------------------

def test_api_site_inventory(app, client, db, api_token, days_ago):
    _arrange_history(db, days_ago)
    headers = api_token("tech")
    response = client.get("/api/v1/sites/EPN-A/inventory.pdf", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert _tags(pdf_text(response.data)) == {"RF-000001", "RF-000005"}
    day = days_ago(15).date().isoformat()
    response = client.get(f"/api/v1/sites/EPN-A/inventory.pdf?at={day}", headers=headers)
    assert _tags(pdf_text(response.data)) == {"RF-000001", "RF-000002", "RF-000003"}
    tomorrow = (today_paris() + timedelta(days=1)).isoformat()
    response = client.get(f"/api/v1/sites/EPN-A/inventory.pdf?at={tomorrow}", headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid" and "futur" in response.json["error"]["message"]
    response = client.get("/api/v1/sites/EPN-B/inventory.pdf", headers=headers)
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/sites/XX/inventory.pdf", headers=headers).status_code == 404


def test_api_network_inventory(app, client, db, api_token, days_ago):
    _arrange_history(db, days_ago)
    response = client.get("/api/v1/inventory.pdf", headers=api_token("manager"))
    assert response.status_code == 200
    assert _tags(pdf_text(response.data)) == {"RF-000001", "RF-000002", "RF-000005"}
    assert client.get("/api/v1/inventory.pdf", headers=api_token("tech")).status_code == 403
    assert client.get("/api/v1/inventory.pdf", headers=api_token("desk")).status_code == 403
    assert client.get("/api/v1/inventory.pdf").status_code == 401


def test_long_inventory_pages_and_totals(app, db):
    """A long inventory splits over pages with page numbers and the right total.
    Its speed (10,000 devices) is measured by benchmarks/bench_documents.py, not asserted here."""
    from fixtures_documents import user_by_name

    from refurb.documents import inventory

    make_many(db, 2_000, "EPN-A")
    db.commit()
    actor = user_by_name(db, "manager")
    with app.app_context():
        inv = inventory.build_inventory(db, actor, "EPN-A")
        data = inventory.render_inventory_pdf(inv)
    pages = pdf_pages(data)
    assert len(pages) > 30
    assert f"Page {len(pages)} / {len(pages)}" in pages[-1]
    assert "RF-002000" in "".join(pages[-5:])
    assert "2 000 appareils" in pages[-1].replace("\u202f", " ").replace("\xa0", " ")
