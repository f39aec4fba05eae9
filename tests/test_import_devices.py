"""Importing devices from the spreadsheets sites keep: column mapping preview, line-numbered errors,
all-or-nothing, Windows-1252 CSV, XLSX with formulas, size limit, progress for large files."""

from __future__ import annotations

import io
import re

import pytest
from conftest import csrf_token
from fixtures_documents import commit_import, make_device, upload_import
from sqlalchemy import func, select

from refurb.inventory.models import Device, DeviceEvent

HEADER = "Catégorie;Marque;Modèle;N° de série;Ancien n° d'inventaire;RAM;Remarques"
ROWS = [
    "Portable;Lenovo;ThinkPad T480;PF1AAA01;INV-001;8 Go;Clavier azerty",
    "Tablette;Samsung;Galaxy Tab A8;R9T0002;INV-002;;",
    "Écran;Iiyama;ProLite 24;SCR0003;INV-003;;Pied abîmé",
]


def _count(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Device))


def _upload(client, content: bytes, filename: str, site: str = "EPN-A"):
    return upload_import(client, "devices", content, filename, site)


_commit = commit_import


def test_import_csv_utf8_with_preview_and_commit(app, client, db, login_as):
    login_as("tech")
    content = ("\ufeff" + "\n".join([HEADER] + ROWS) + "\n").encode("utf-8")
    r = _upload(client, content, "parc.csv")
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    preview = r.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "3 lignes de données" in html and "UTF-8" in html
    # columns understood from their French titles (accents and case ignored)
    for index, key in ((0, "category"), (1, "brand"), (2, "model"), (3, "serial_number"), (4, "old_reference"),
                       (5, "ram_gb"), (6, "notes")):
        assert re.search(rf'name="map_{index}".*?<option value="{key}" selected', html, re.S), key
    assert "Les 3 lignes sont correctes" in html
    assert _count(db) == 0  # the preview writes nothing
    r = _commit(client, preview)
    assert r.status_code == 303
    assert _count(db) == 3
    laptop = db.scalar(select(Device).where(Device.serial_number == "PF1AAA01"))
    assert laptop.category == "laptop" and laptop.site.code == "EPN-A" and laptop.state == "received"
    assert laptop.specs == {"ram_gb": 8}
    assert "Ancienne référence : INV-001" in laptop.notes and "Clavier azerty" in laptop.notes
    event = db.scalar(select(DeviceEvent).where(DeviceEvent.device_id == laptop.id))
    assert event.action == "created" and "parc.csv" in event.note
    assert db.scalar(select(Device).where(Device.serial_number == "SCR0003")).category == "screen"
    # the uploaded file is gone once imported
    assert client.get(preview).status_code == 404


def test_import_windows_1252_csv(app, client, db, login_as):
    login_as("tech")
    content = ("\r\n".join([HEADER] + ROWS) + "\r\n").encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    r = _upload(client, content, "parc-excel.csv")
    preview = r.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "Windows-1252" in html and "Écran" in html and "abîmé" in html
    assert _commit(client, preview).status_code == 303
    assert db.scalar(select(Device.notes).where(Device.serial_number == "SCR0003")).endswith("Pied abîmé")


def test_import_xlsx_and_formulas_never_run(app, client, db, login_as):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Type", "Marque", "Modèle", "Numéro de série", "Site"])
    ws.append(["PC portable", "Dell", "Latitude 5490", "DL5490A", "EPN-A"])
    ws.append(["Smartphone", "Fairphone", "4", 123456789, "EPN A"])  # a number cell, a site by name
    ws.append(["Tablette", "=1+1", "Tab", "FORMULA1", "EPN-A"])
    ws.append([None, None, None, None, None])
    ws.append(["Total", None, None, "=COUNTA(D2:D4)", None])
    buf = io.BytesIO()
    wb.save(buf)
    login_as("tech")
    r = _upload(client, buf.getvalue(), "parc.xlsx", site="")
    preview = r.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "XLSX" in html
    assert "Ligne 4 : la cellule B4 contient une formule" in html
    assert "Ligne 6 : la cellule D6 contient une formule" in html
    r = _commit(client, preview)
    assert r.status_code == 422  # all or nothing
    assert "rien n&#39;a été importé" in r.get_data(as_text=True).lower()
    assert _count(db) == 0
    # without the formula lines it goes through
    ws.delete_rows(4, 3)
    buf = io.BytesIO()
    wb.save(buf)
    preview = _upload(client, buf.getvalue(), "parc.xlsx", site="").headers["Location"]
    assert _commit(client, preview).status_code == 303
    assert _count(db) == 2
    phone = db.scalar(select(Device).where(Device.category == "smartphone"))
    assert phone.serial_number == "123456789" and phone.site.code == "EPN-A"


def test_line_numbered_errors_and_nothing_imported(app, client, db, login_as):
    make_device(db, "RF-000500", "EPN-A", serial="KNOWN01")
    db.commit()
    login_as("tech")
    lines = [HEADER,
             "Portable;Lenovo;T480;SER01;INV-1;;",
             "Grille-pain;Moulinex;X;SER02;INV-2;;",          # 3: unknown category
             "Portable;Lenovo;T480;SER01;INV-3;;",            # 4: serial twice in the file
             "Portable;Lenovo;T480;SER04;INV-1;;",            # 5: old tag twice
             "Portable;Lenovo;T480;KNOWN01;INV-5;;",          # 6: serial already known
             ";Lenovo;T480;SER06;INV-6;;",                    # 7: no category
             "Portable;Lenovo;T480;SER07;INV-7;beaucoup;",    # 8: RAM not a number
             "Portable;" + "x" * 100 + ";T480;SER08;INV-8;;",  # 9: brand too long
             "Portable;Lenovo;T480;SER09;INV-9;;"]
    preview = _upload(client, "\n".join(lines).encode(), "erreurs.csv").headers["Location"]
    r = client.get(preview)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Ligne 3 : Catégorie « Grille-pain » non reconnue" in html
    assert "Ligne 4 : numéro de série SER01 en double (déjà ligne 2)" in html
    assert "Ligne 5 : ancien numéro d&#39;inventaire INV-1 en double (déjà ligne 2)" in html
    assert "Ligne 6 : numéro de série KNOWN01 déjà enregistré (RF-000500)" in html
    assert "Ligne 7 : La catégorie est vide" in html
    assert "Ligne 8 : Mémoire vive (Go) : nombre entier attendu" in html
    assert "Ligne 9 : La marque est trop long" in html
    assert "7 lignes à corriger" in html
    assert "Importer 2" not in html  # no import button while errors remain
    r = _commit(client, preview)
    assert r.status_code == 422 and "7 lignes à corriger, rien n&#39;a été importé" in r.get_data(as_text=True)
    assert _count(db) == 1


def test_missing_columns_and_remapping(app, client, db, login_as):
    login_as("tech")
    content = "Marque;Modèle;Genre\nLenovo;T480;portable\nHP;ProBook;fixe\n".encode()
    preview = _upload(client, content, "sans-categorie.csv").headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "Colonne(s) obligatoire(s) manquante(s) :</strong> Catégorie" in html
    r = _commit(client, preview)
    assert r.status_code == 422 and "Catégorie" in r.get_data(as_text=True)
    assert _count(db) == 0
    # the user says the third column is the category
    token = csrf_token(client, preview)
    r = client.post(preview, data={"csrf_token": token, "step": "check", "map_0": "brand", "map_1": "model",
                                   "map_2": "category"})
    assert r.status_code == 200 and "Les 2 lignes sont correctes" in r.get_data(as_text=True)
    # the same field for two columns is refused
    r = client.post(preview, data={"csrf_token": token, "step": "check", "map_0": "brand", "map_1": "brand"})
    assert r.status_code == 422 and "choisi pour deux colonnes" in r.get_data(as_text=True)
    r = _commit(client, preview, {"map_0": "brand", "map_1": "model", "map_2": "category"})
    assert r.status_code == 303 and _count(db) == 2


def test_site_is_required_and_checked(app, client, db, login_as):
    login_as("tech")
    content = "Catégorie;Site\nportable;EPN-B\nportable;\n".encode()
    preview = _upload(client, content, "sites.csv", site="").headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert re.search(r"Ligne 2 : Vous n&#39;avez pas accès [^<]*EPN B", html)
    assert "Ligne 3 : Site non indiqué" in html


def test_bad_files(app, client, db, login_as):
    login_as("tech")
    r = _upload(client, b"", "vide.csv")
    assert r.status_code == 422 and "Le fichier est vide" in r.get_data(as_text=True)
    r = _upload(client, "Catégorie;Marque\n".encode(), "titres.csv")
    assert r.status_code == 422 and "aucune ligne de données" in r.get_data(as_text=True)
    r = _upload(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "ancien.xls")
    assert r.status_code == 422 and ".xls" in r.get_data(as_text=True)
    r = _upload(client, b"PK\x03\x04 not really a zip", "abime.xlsx")
    assert r.status_code == 422 and "ne peut pas être lu" in r.get_data(as_text=True)
    r = _upload(client, b"\x81\x8d\x8f\x90\x9d;x\n\x81;y\n", "binaire.csv")
    assert r.status_code == 422 and "encodage" in r.get_data(as_text=True).lower()
    assert _count(db) == 0


def test_fifty_megabyte_upload_is_refused_with_a_clear_message(app, client, db, login_as):
    login_as("tech")
    big = b"Cat\xc3\xa9gorie;Marque\n" + b"portable;Lenovo\n" * (51 * 1024 * 1024 // 16)
    r = _upload(client, big, "enorme.csv")
    assert r.status_code == 413
    text = r.get_data(as_text=True)
    assert "trop volumineux" in text and "50 Mo au plus" in text and "Rien n&#39;a été importé" in text
    assert _count(db) == 0


def test_large_import_runs_in_background_with_progress(app, client, db, login_as):
    from refurb.documents import jobs

    app.config["REFURB_IMPORT_SYNC_LIMIT"] = 20
    login_as("tech")
    lines = [HEADER] + [f"Portable;Dell;Latitude;SER{i:05d};INV-{i};;" for i in range(1, 61)]
    preview = _upload(client, "\n".join(lines).encode(), "gros.csv").headers["Location"]
    r = _commit(client, preview)
    assert r.status_code == 303 and "/documents/jobs/" in r.headers["Location"]
    job_id = r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    job = jobs.wait(app.extensions["refurb.db"], job_id, timeout=120)
    assert job.state == "done", job.message
    assert "60 appareils importés" in job.summary
    assert _count(db) == 60
    html = client.get(r.headers["Location"], headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Terminé" in html and "60 appareils importés" in html


def test_background_import_is_all_or_nothing(app, client, db, login_as):
    """A line that turns bad between the preview and the commit: nothing of the file is kept."""
    from refurb.documents import jobs

    app.config["REFURB_IMPORT_SYNC_LIMIT"] = 5
    login_as("tech")
    lines = [HEADER] + [f"Portable;Dell;Latitude;LATE{i:03d};INV-{i};;" for i in range(1, 21)]
    preview = _upload(client, "\n".join(lines).encode(), "course.csv").headers["Location"]
    assert "Les 20 lignes sont correctes" in client.get(preview).get_data(as_text=True)
    make_device(db, "RF-000900", "EPN-A", serial="LATE015")  # someone records it meanwhile
    db.commit()
    r = _commit(client, preview)
    job = jobs.wait(app.extensions["refurb.db"], r.headers["Location"].rstrip("/").rsplit("/", 1)[-1], timeout=120)
    assert job.state == "failed" and "ligne 16" in job.message and "LATE015" in job.message
    assert _count(db) == 1


def test_import_access(app, client, db, login_as):
    from conftest import login

    desk = app.test_client()
    assert login(desk, "desk").status_code == 302
    assert desk.get("/imports/devices").status_code == 403
    login_as("tech")
    assert client.get("/imports/unknown").status_code == 404
    assert client.get("/imports/devices/not-a-token").status_code == 404
    # someone else's upload is not reachable
    preview = _upload(client, "\n".join([HEADER] + ROWS).encode(), "a.csv").headers["Location"]
    other = app.test_client()
    assert login(other, "manager").status_code == 302
    assert other.get(preview).status_code == 404
