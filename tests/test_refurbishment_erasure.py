"""Data erasure records: per medium, NIST category, dates, and the tool's report file
(PDF or log, judged by content, size-limited, kept with its SHA-256)."""

import base64
import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import csrf_token
from fixtures_refurbishment import erasure_payload
from sqlalchemy import select

from refurb.db import utcnow
from refurb.formatting import local
from refurb.refurbishment.models import Erasure, ErasureMedium

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LOG = ("[2026/11/20 10:02:11] nwipe: notice: Invoked with --method=zero --verify=last\n"
       "[2026/11/20 11:02:40] nwipe: info: Blanked device /dev/sda\n"
       "[2026/11/20 11:02:41] nwipe: notice: Verified that /dev/sda is empty — Succès\n").encode()


def _report(name, content):
    return {"filename": name, "content_base64": base64.b64encode(content).decode()}


@pytest.fixture
def laptop(workshop):
    [tag] = workshop.donation(kind="company")
    return tag


def test_erasure_recorded_with_media_and_history(client, db, api_token, workshop, laptop):
    payload = erasure_payload(media=[{"serial": "wd-1", "model": "WDC", "size_gb": 500},
                                     {"serial": "S2", "model": "Samsung 860", "size_gb": 256, "kind": "ssd"}])
    response = client.post(f"/api/v1/devices/{laptop}/erasures", json=payload, headers=api_token("tech"))
    assert response.status_code == 201, response.json
    body = response.json
    assert [m["serial"] for m in body["media"]] == ["WD-1", "S2"]
    assert body["erasure_complete"] is True and body["operator"] == "Tech" and body["report"] is None
    erasure = db.scalars(select(Erasure)).one()
    assert erasure.nist_category == "clear" and erasure.passes == 1 and erasure.verified
    assert "erasure" in workshop.events(laptop)
    listed = client.get(f"/api/v1/devices/{laptop}/erasures", headers=api_token("tech")).json["items"]
    assert listed[0]["id"] == body["id"]


@pytest.mark.parametrize("overrides, field, message", [
    ({"media": [{"model": "WDC", "size_gb": 500}]}, "media.0.serial",
     "Support 1 : Le numéro de série du support est obligatoire."),
    ({"media": []}, "media", "Indiquez au moins un support de stockage (numéro de série, modèle, taille)."),
    ({"started_at": (utcnow() + timedelta(days=1)).isoformat()}, "started_at", "Le début ne peut pas être dans le futur."),
    ({"ended_at": (utcnow() + timedelta(hours=2)).isoformat()}, "ended_at", "La fin ne peut pas être dans le futur."),
    ({"started_at": (utcnow() - timedelta(hours=1)).isoformat(), "ended_at": (utcnow() - timedelta(hours=3)).isoformat()},
     "ended_at", "La fin ne peut pas précéder le début."),
    ({"started_at": "hier"}, "started_at", "Le début : date et heure attendues (ex. 2026-11-28T14:05)."),
    ({"nist_category": "destroy"}, "nist_category",
     "La catégorie « Destroy » va avec la destruction physique, et seulement avec elle."),
    ({"result": "ok"}, "result", "Le résultat : « ok » n'est pas une valeur possible (passed, failed)."),
    ({"passes": 150}, "passes", "Le nombre de passes doit être au plus 99."),
])
def test_erasure_bad_input(client, db, api_token, laptop, overrides, field, message):
    response = client.post(f"/api/v1/devices/{laptop}/erasures", json=erasure_payload(**overrides),
                           headers=api_token("tech"))
    assert response.status_code == 422
    assert response.json["error"]["fields"][field] == message
    db.rollback()
    assert db.scalars(select(Erasure)).all() == [] and db.scalars(select(ErasureMedium)).all() == []


def test_naive_times_are_paris_time(client, db, api_token, laptop):
    start = local(utcnow() - timedelta(hours=3)).replace(tzinfo=None, microsecond=0)
    payload = erasure_payload(started_at=start.isoformat(), ended_at=(start + timedelta(hours=1)).isoformat())
    assert client.post(f"/api/v1/devices/{laptop}/erasures", json=payload, headers=api_token("tech")).status_code == 201
    erasure = db.scalars(select(Erasure)).one()
    assert local(erasure.started_at).replace(tzinfo=None) == start


def test_reception_may_not_record_an_erasure(client, api_token, laptop):
    response = client.post(f"/api/v1/devices/{laptop}/erasures", json=erasure_payload(), headers=api_token("desk"))
    assert response.status_code == 403


def test_device_without_storage_has_nothing_to_erase(client, api_token, workshop):
    [screen] = workshop.donation(kind="company", devices=[{"category": "screen"}])
    response = client.post(f"/api/v1/devices/{screen}/erasures", json=erasure_payload(), headers=api_token("tech"))
    assert response.status_code == 409
    assert "sans stockage de données : rien à effacer" in response.json["error"]["message"]


def test_pdf_report_kept_with_its_hash_and_served(client, app, db, api_token, login_as, laptop):
    payload = erasure_payload(report=_report("nwipe_report_sda.pdf", PDF))
    response = client.post(f"/api/v1/devices/{laptop}/erasures", json=payload, headers=api_token("tech"))
    assert response.status_code == 201, response.json
    report = response.json["report"]
    assert report == {"filename": "nwipe_report_sda.pdf", "sha256": hashlib.sha256(PDF).hexdigest(),
                      "size": len(PDF), "kind": "pdf"}
    erasure = db.scalars(select(Erasure)).one()
    # kept in the database (any server process serves it, a backup holds it), not in a folder
    assert erasure.report_path is None and erasure.report_file_id is not None
    reports = Path(app.config["REFURB_REPORTS_DIR"])
    assert not reports.exists() or not any(p.is_file() for p in reports.rglob("*"))
    login_as("tech")
    download = client.get(f"/atelier/effacements/{erasure.id}/rapport")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    from sqlalchemy import update

    from refurb.storage import StoredFile
    db.rollback()
    db.execute(update(StoredFile).where(StoredFile.id == erasure.report_file_id).values(content=PDF + b"altered"))
    db.commit()
    tampered = client.get(f"/atelier/effacements/{erasure.id}/rapport")
    assert tampered.status_code == 409
    assert "empreinte SHA-256 différente" in tampered.get_data(as_text=True)


def test_reports_left_as_files_by_an_older_version_are_served_and_taken_in(client, app, db, api_token, login_as,
                                                                          laptop):
    from sqlalchemy import update

    response = client.post(f"/api/v1/devices/{laptop}/erasures", json=erasure_payload(report=_report("old.log", LOG)),
                           headers=api_token("tech"))
    assert response.status_code == 201
    erasure = db.scalars(select(Erasure)).one()
    # as an older version left it: a file of the reports folder named by report_path
    folder = Path(app.config["REFURB_REPORTS_DIR"])
    (folder / "erasures" / "2025").mkdir(parents=True)
    (folder / "erasures" / "2025" / f"{erasure.id}-old.log").write_bytes(LOG)
    db.rollback()
    db.execute(update(Erasure).where(Erasure.id == erasure.id).values(
        report_path=f"erasures/2025/{erasure.id}-old.log", report_file_id=None))
    db.commit()
    login_as("tech")
    assert client.get(f"/atelier/effacements/{erasure.id}/rapport").data == LOG
    result = app.test_cli_runner().invoke(args=["import-report-files"])
    assert result.exit_code == 0 and "1 rapport" in result.output, result.output
    db.rollback()
    db.expire_all()
    moved = db.get(Erasure, erasure.id)
    assert moved.report_path is None and moved.report_file_id is not None
    (folder / "erasures" / "2025" / f"{erasure.id}-old.log").unlink()
    assert client.get(f"/atelier/effacements/{erasure.id}/rapport").data == LOG  # from the database now


def test_log_report_accepted(client, api_token, laptop):
    payload = erasure_payload(report=_report("nwipe.log", LOG))
    response = client.post(f"/api/v1/devices/{laptop}/erasures", json=payload, headers=api_token("tech"))
    assert response.status_code == 201
    assert response.json["report"]["kind"] == "log"


@pytest.mark.parametrize("name, content, message", [
    ("rapport.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
     "Le rapport doit être le PDF ou le journal texte (.log, .txt) de l'outil d'effacement (nwipe, ShredOS…) : "
     "ce fichier n'est ni l'un ni l'autre."),
    ("rapport.log", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "n'est ni l'un ni l'autre"),
    ("rapport.exe", LOG, "n'est ni l'un ni l'autre"),
    ("rapport.txt", PDF, "Ce fichier est un PDF : son nom doit finir par .pdf."),
    ("rapport.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n", "Ce PDF est incomplet"),
    ("vide.pdf", b"", "Le rapport joint est vide."),
])
def test_report_checked_by_content(client, app, db, api_token, laptop, name, content, message):
    response = client.post(f"/api/v1/devices/{laptop}/erasures", json=erasure_payload(report=_report(name, content)),
                           headers=api_token("tech"))
    assert response.status_code == 422
    assert message in response.json["error"]["fields"]["report"]
    db.rollback()
    assert db.scalars(select(Erasure)).all() == []
    reports = Path(app.config["REFURB_REPORTS_DIR"])
    assert not reports.exists() or not any(p.is_file() for p in reports.rglob("*"))


def test_report_too_big(client, app, db, api_token, laptop):
    app.config["REFURB_MAX_REPORT_MB"] = 0.01  # 10 KB for the test (10 MB by default)
    big = b"%PDF-1.4\n" + b"0" * 20_000 + b"\n%%EOF\n"
    response = client.post(f"/api/v1/devices/{laptop}/erasures", json=erasure_payload(report=_report("gros.pdf", big)),
                           headers=api_token("tech"))
    assert response.status_code == 422
    assert response.json["error"]["fields"]["report"].startswith("Le rapport fait 0.0 Mo") or \
        "au plus" in response.json["error"]["fields"]["report"]
    db.rollback()
    assert db.scalars(select(Erasure)).all() == []


def test_erasure_form_with_upload_in_place(client, app, db, login_as, laptop):
    login_as("tech")
    token = csrf_token(client, f"/d/{laptop}")
    end = local(utcnow() - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    start = local(utcnow() - timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M")
    form = {"media_serial": ["WD-123", ""], "media_model": ["WDC", ""], "media_size": ["500", ""],
            "media_kind": ["hdd", ""], "method": "overwrite", "nist_category": "clear", "tool": "nwipe",
            "tool_version": "0.36", "passes": "1", "verified": ["0", "1"], "result": "passed",
            "started_at": start, "ended_at": end, "notes": "", "expected_version": "1",
            "report": (io.BytesIO(PDF), "nwipe.pdf")}
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    # a page read before the last change (the device is at version 1 since its creation)
    stale = client.post(f"/atelier/appareils/{laptop}/effacement", data={**form, "expected_version": "0",
                        "report": (io.BytesIO(PDF), "nwipe.pdf")}, headers=headers, content_type="multipart/form-data")
    assert stale.status_code == 422 and "a changé entre-temps" in stale.get_data(as_text=True)
    assert 'id="refurb-panel"' in stale.get_data(as_text=True)
    db.rollback()
    assert db.scalars(select(Erasure)).all() == []
    response = client.post(f"/atelier/appareils/{laptop}/effacement", data=form,
                           headers=headers, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    # one round trip: the device page in place (its state, panel and timeline changed)
    assert response.headers["HX-Retarget"] == "#device-main" and "HX-Location" not in response.headers
    assert response.get_data(as_text=True).lstrip().startswith('<div id="device-main"')
    assert "Enregistré — Effacement réussi enregistré." in response.get_data(as_text=True)
    db.rollback()
    erasure = db.scalars(select(Erasure)).one()
    assert erasure.verified and erasure.report_sha256 == hashlib.sha256(PDF).hexdigest()
    page = client.get(f"/d/{laptop}").get_data(as_text=True)
    assert "nwipe.pdf" in page
