"""Pending imports live in the database (refurb.storage), with their own stored times: a shifted clock, a
restored backup or another server process sees them exactly as the one that received them, and they
expire a day after they were sent by that stored time, not by a file's modification time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from conftest import login
from fixtures_documents import commit_import, upload_import, user_by_name
from sqlalchemy import func, select

from refurb import storage
from refurb.clock import utcnow
from refurb.errors import NotFound
from refurb.inventory.models import Device

CSV = "Catégorie;Marque;N° de série\nportable;Lenovo;STORE01\nfixe;HP;STORE02\n".encode()


def _pending(db) -> list[storage.StoredFile]:
    db.rollback()
    return list(db.scalars(select(storage.StoredFile)))


def _files_under(folder: Path) -> set[Path]:
    return set(folder.rglob("*")) if folder.exists() else set()


def test_a_pending_import_is_a_row_with_its_owner_and_times_and_no_file(app, client, db, login_as):
    instance = Path(app.instance_path)
    before = _files_under(instance)
    login_as("tech")
    response = upload_import(client, "devices", CSV, "parc.csv")
    assert response.status_code == 303
    (stored,) = _pending(db)
    assert stored.purpose == "import" and stored.owner_id == user_by_name(db, "tech").id
    assert stored.filename == "parc.csv" and stored.meta["key"] == "devices" and stored.meta["rows"] == 2
    assert stored.size == len(stored.content) and len(stored.sha256) == 64
    assert stored.expires_at - stored.created_at == timedelta(days=1)
    assert stored.token in response.headers["Location"]
    assert _files_under(instance) == before  # nothing written to the instance folder
    assert commit_import(client, response.headers["Location"]).status_code == 303
    assert _pending(db) == []  # gone with the import, in the same transaction


def test_another_server_process_with_its_own_folder_sees_the_upload(app, client, db, login_as, monkeypatch,
                                                                    tmp_path):
    login_as("tech")
    preview = upload_import(client, "devices", CSV, "parc.csv").headers["Location"]
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "another-machine"))
    assert client.get(preview).status_code == 200
    assert commit_import(client, preview).status_code == 303
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Device)) == 2


@pytest.mark.parametrize("shift", [timedelta(days=400), timedelta(days=-400)])
def test_a_clock_far_from_the_file_times_keeps_the_upload_usable(app, client, db, login_as, shift):
    """A server clock moved (or corrected) far from the disk's file times: the upload is judged by the time
    stored with it, so it works for its day."""
    with time_machine.travel(utcnow() + shift, tick=True):
        login_as("tech")
        preview = upload_import(client, "devices", CSV, "parc.csv").headers["Location"]
        assert "Les 2 lignes sont correctes" in client.get(preview).get_data(as_text=True)
        assert commit_import(client, preview).status_code == 303
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Device)) == 2


def test_an_upload_expires_a_day_after_it_was_sent_by_its_stored_time(app, client, db, login_as):
    sent = utcnow()
    with time_machine.travel(sent, tick=False):
        login_as("tech")
        preview = upload_import(client, "devices", CSV, "parc.csv").headers["Location"]
    with time_machine.travel(sent + timedelta(hours=23), tick=False):
        assert login(client, "tech").status_code == 302  # (an idle session would have ended meanwhile)
        assert client.get(preview).status_code == 200
    with time_machine.travel(sent + timedelta(hours=25), tick=False):
        assert login(client, "tech").status_code == 302
        response = client.get(preview)
        assert response.status_code == 404
        assert "gardés un jour" in response.get_data(as_text=True)
        # the next upload clears it away
        upload_import(client, "devices", CSV, "encore.csv")
    assert [s.filename for s in _pending(db)] == ["encore.csv"]


def test_an_upload_is_only_its_owners_and_only_for_its_importer(app, client, db, login_as):
    login_as("manager")
    preview = upload_import(client, "devices", CSV, "parc.csv").headers["Location"]
    other = app.test_client()
    assert login(other, "tech").status_code == 302
    assert other.get(preview).status_code == 404
    assert client.get(preview.replace("/imports/devices/", "/imports/borrowers/")).status_code == 404
    assert client.get(preview).status_code == 200


def test_storage_service(app, db):
    """put / get for owner and purpose / discard / purge by the stored expiry time."""
    tech = user_by_name(db, "tech")
    manager = user_by_name(db, "manager")
    now = utcnow()
    with time_machine.travel(now, tick=False):
        kept = storage.put(db, purpose="import", owner_id=tech.id, content=b"abc", filename="a.csv",
                           meta={"k": 1})
        short = storage.put(db, purpose="import", owner_id=tech.id, content=b"", keep=timedelta(minutes=5))
        report = storage.put(db, purpose="erasure_report", owner_id=None, content=b"log")
        evidence = storage.put(db, purpose="erasure_report", owner_id=None, content=b"pdf", keep=None)
        db.commit()
        assert storage.get(db, kept.token, owner_id=tech.id, purpose="import").content == b"abc"
        assert storage.get(db, report.token, owner_id=None, purpose="erasure_report").meta == {}
        for token, owner, purpose in ((kept.token, manager.id, "import"), (kept.token, tech.id, "erasure_report"),
                                      (kept.token, None, "import"), ("x" * 40, tech.id, "import"),
                                      ("../../etc/passwd", tech.id, "import"), (None, tech.id, "import")):
            with pytest.raises(NotFound):
                storage.get(db, token, owner_id=owner, purpose=purpose)
    with time_machine.travel(now + timedelta(minutes=6), tick=False):
        with pytest.raises(NotFound):
            storage.get(db, short.token, owner_id=tech.id, purpose="import")
        assert storage.purge_expired(db) == 1
        storage.discard(db, report.token)
        db.commit()
    with time_machine.travel(now + timedelta(days=3650), tick=False):
        assert storage.purge_expired(db) == 1  # ``kept``; the evidence stays
        db.commit()
        assert storage.get(db, evidence.token, owner_id=None, purpose="erasure_report").content == b"pdf"
    assert {s.token for s in _pending(db)} == {evidence.token}
    with pytest.raises(ValueError):
        storage.put(db, purpose="Import files", owner_id=None, content=b"")
    with pytest.raises(ValueError):
        storage.put(db, purpose="import", owner_id=None, content=b"", keep=timedelta(0))


def test_files_left_by_the_old_upload_folder_are_removed(app, monkeypatch, tmp_path):
    from refurb.documents import remove_old_upload_folder

    old = tmp_path / "imports"
    old.mkdir()
    (old / "abc.bin").write_bytes(b"Nom;Prenom\nDupont;Jeanne\n")
    (old / "abc.json").write_text("{}")
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    remove_old_upload_folder(app)
    assert not old.exists() and tmp_path.exists()
    remove_old_upload_folder(app)  # nothing there: nothing to do
