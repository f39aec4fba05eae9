"""Background jobs live in the database: any process follows and downloads them, a dead worker's job reads
"interrupted" and is relaunched, only its owner sees it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fixtures_documents import make_many
from sqlalchemy import select, update

from conftest import csrf_token, login
from refurb import create_app
from refurb.accounts.models import User
from refurb.clock import utcnow
from refurb.documents import jobs
from refurb.documents.models import Job


def _user(db, name):
    return db.scalar(select(User).where(User.username == name))


def test_api_inventory_above_the_threshold_is_a_job_followed_and_downloaded(app, client, db, api_token):
    make_many(db, 30, "EPN-A")
    db.commit()
    app.config["REFURB_JOB_THRESHOLD"] = 10
    headers = api_token("manager")
    r = client.get("/api/v1/sites/EPN-A/inventory.pdf", headers=headers)
    assert r.status_code == 202
    body = r.get_json()
    assert body["status_url"] == f"/api/v1/jobs/{body['job']}"
    job = jobs.wait(app.extensions["refurb.db"], body["job"], timeout=60)
    assert job.state == "done", job.message
    status = client.get(body["status_url"], headers=headers).get_json()
    assert status["state"] == "done" and status["progress"] == 100
    result = client.get(status["result_url"], headers=headers)
    assert result.status_code == 200 and result.mimetype == "application/pdf" and result.data.startswith(b"%PDF")
    # another user, even a network manager, does not see it
    other = api_token("admin")
    assert client.get(body["status_url"], headers=other).status_code == 404
    assert client.get(status["result_url"], headers=other).status_code == 404
    # below the threshold: the PDF at once
    app.config["REFURB_JOB_THRESHOLD"] = 10_000
    assert client.get("/api/v1/sites/EPN-A/inventory.pdf", headers=headers).status_code == 200


def test_a_second_process_follows_and_serves_the_job(app, client, db, login_as, database_url):
    """Another server process (its own engine and workers) reads the job's state and its file."""
    make_many(db, 30, "EPN-A")
    db.commit()
    app.config["REFURB_JOB_THRESHOLD"] = 10
    login_as("manager")
    url = client.get("/documents/inventory.pdf?site=EPN-A").headers["Location"]
    jobs.wait(app.extensions["refurb.db"], url.rsplit("/", 1)[-1], timeout=60)
    other_app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": app.config["SECRET_KEY"],
                            "PUBLIC_URL": app.config["PUBLIC_URL"]})
    try:
        other = other_app.test_client()
        assert login(other, "manager").status_code == 302
        assert "Télécharger" in other.get(url).get_data(as_text=True)
        assert other.get(url + "/file").data.startswith(b"%PDF")
    finally:
        other_app.extensions["refurb.db"].dispose()


def test_a_job_whose_worker_died_reads_interrupted_and_is_relaunched(app, client, db, login_as):
    make_many(db, 12, "EPN-A")
    manager = _user(db, "manager")
    site_id = manager.sites[0].id
    db.add(Job(id="dead-worker-job", kind="inventory", label="Inventaire", user_id=manager.id, site_id=site_id,
               params={"site": "EPN-A", "at": None}, state="running", progress=40, message="Page 4 / 10…",
               worker="machine-b:4242:1", heartbeat_at=utcnow() - timedelta(minutes=10), filename="inv.pdf",
               mimetype="application/pdf"))
    db.commit()
    login_as("manager")
    html = client.get("/documents/jobs/dead-worker-job", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Interrompu" in html and "Relancer" in html and "hx-trigger" not in html
    token = csrf_token(client, "/documents/jobs/dead-worker-job")
    r = client.post("/documents/jobs/dead-worker-job/relancer", data={"csrf_token": token})
    assert r.status_code == 303
    job = jobs.wait(app.extensions["refurb.db"], "dead-worker-job", timeout=60)
    assert job.state == "done" and job.attempts == 1, job.message
    # a finished job is not relaunched
    again = client.post("/documents/jobs/dead-worker-job/relancer", data={"csrf_token": token})
    assert again.status_code == 422 and "Terminé" in again.get_data(as_text=True)


def test_stale_jobs_are_written_interrupted(app, db):
    manager = _user(db, "manager")
    db.add(Job(id="stale-job", kind="inventory", label="Inventaire", user_id=manager.id, params={},
               state="running", worker="x", heartbeat_at=utcnow() - jobs.STALE_AFTER - timedelta(seconds=1)))
    db.add(Job(id="alive-job", kind="inventory", label="Inventaire", user_id=manager.id, params={},
               state="running", worker="y", heartbeat_at=utcnow()))
    db.commit()
    assert jobs.mark_interrupted(db) == 1
    db.expire_all()
    assert db.get(Job, "stale-job").state == "interrupted" and db.get(Job, "alive-job").state == "running"


def test_one_worker_wins_a_job(app, db):
    manager = _user(db, "manager")
    jobs.start_job(db, manager, "inventory", {"site": "EPN-A"}, label="Inventaire")
    database = app.extensions["refurb.db"]
    first = jobs.claim(database, "worker-a")
    assert first is not None and jobs.claim(database, "worker-b") is None
    db.expire_all()
    assert db.get(Job, first).worker == "worker-a"


def test_a_result_fetched_after_it_expired_says_so(app, client, db, login_as):
    make_many(db, 12, "EPN-A")
    db.commit()
    app.config["REFURB_JOB_THRESHOLD"] = 5
    login_as("manager")
    url = client.get("/documents/inventory.pdf?site=EPN-A").headers["Location"]
    job = jobs.wait(app.extensions["refurb.db"], url.rsplit("/", 1)[-1], timeout=60)
    from refurb.storage import StoredFile
    db.execute(update(StoredFile).where(StoredFile.token == job.result_token)
               .values(created_at=utcnow() - timedelta(days=3), expires_at=utcnow() - timedelta(days=2)))
    db.commit()
    r = client.get(url + "/file")
    assert r.status_code == 404 and "gardé un jour" in r.get_data(as_text=True)


def test_a_job_of_a_site_no_longer_served_is_not_found(app, client, db, login_as):
    from refurb.sites.models import Site
    tech = _user(db, "tech")  # serves EPN-A only
    other_site = db.scalar(select(Site).where(Site.code == "EPN-B"))
    db.add(Job(id="other-site-job", kind="inventory", label="Inventaire", user_id=tech.id,
               site_id=other_site.id, params={}, state="done"))
    db.commit()
    login_as("tech")
    assert client.get("/documents/jobs/other-site-job").status_code == 404


def test_job_threshold_must_be_a_number(monkeypatch, tmp_path):
    monkeypatch.setenv("REFURB_JOB_THRESHOLD", "beaucoup")
    with pytest.raises(RuntimeError, match="REFURB_JOB_THRESHOLD doit être un nombre"):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "SECRET_KEY": "k" * 32})
    monkeypatch.setenv("REFURB_JOB_THRESHOLD", "2500")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "SECRET_KEY": "k" * 32})
    assert app.config["REFURB_JOB_THRESHOLD"] == 2500


def test_the_poller_of_another_process_takes_a_queued_job_and_marks_dead_ones(app, db):
    """`refurb serve` polls: a job queued by a process that died before running it is done by this one."""
    manager = _user(db, "manager")
    make_many(db, 12, "EPN-A")
    db.add(Job(id="dead-one", kind="inventory", label="Inventaire", user_id=manager.id, params={},
               state="running", worker="gone", heartbeat_at=utcnow() - timedelta(hours=1)))
    db.commit()
    queued = jobs.start_job(db, manager, "inventory", {"site": "EPN-A", "at": None}, label="Inventaire")
    runner = jobs.Runner(app.extensions["refurb.db"], context=app.app_context)
    runner.poll(interval=0.1)
    try:
        done = jobs.wait(app.extensions["refurb.db"], queued.id, timeout=60)
        assert done.state == "done", done.message
        for _ in range(100):
            db.rollback()
            if db.get(Job, "dead-one").state == "interrupted":
                break
            threading.Event().wait(0.05)
        assert db.get(Job, "dead-one").state == "interrupted"
    finally:
        runner.stop()
        assert runner.wait_idle(timeout=60)


# --- liveness on SQLite: a heartbeat held back by another writer does not make a live job "interrupted" ------

RELEASE = threading.Event()


@jobs.kind("test_wait_for_release")
def _wait_for_release(db, user, params, progress):
    """A job that works until the test releases it."""
    assert RELEASE.wait(60)
    return jobs.JobOutput(summary="Fini.")


def _sqlite_only(app):
    if not app.extensions["refurb.db"].is_sqlite:
        pytest.skip("PostgreSQL locks rows, not the database: there the heartbeat alone decides")


def _reload(db, job_id: str) -> Job:
    db.rollback()
    db.expire_all()  # rows this session made are read again, not taken from its identity map
    return db.get(Job, job_id)


def test_a_live_job_whose_heartbeat_another_writer_holds_back_is_not_judged_dead(app, db, database_url):
    """SQLite has one write lock: while another writer (a migration, a script) holds it past STALE_AFTER, the
    heartbeat cannot be written; the job's process is alive, so the job still reads "running"."""
    import sqlite3

    import time_machine

    _sqlite_only(app)
    database = app.extensions["refurb.db"]
    RELEASE.clear()
    job_id = jobs.start_job(db, _user(db, "manager"), "test_wait_for_release", {}, label="Essai").id
    app.extensions["refurb.jobs"].kick()
    for _ in range(600):
        if _reload(db, job_id).state == "running":
            break
        threading.Event().wait(0.05)
    other_writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=5, isolation_level=None)
    try:
        other_writer.execute("BEGIN IMMEDIATE")  # held for "three minutes":
        with time_machine.travel(utcnow() + jobs.STALE_AFTER + timedelta(seconds=60), tick=True):
            row = _reload(db, job_id)
            assert row.state == "running" and row.heartbeat_at < utcnow() - jobs.STALE_AFTER  # no heartbeat written
            assert jobs.effective_state(row) == "running"
            other_writer.execute("ROLLBACK")
            with database.session(write=True) as poller:  # what another process's poller does
                assert jobs.mark_interrupted(poller, now=utcnow() + timedelta(minutes=5)) == 0
    finally:
        other_writer.close()
        RELEASE.set()
    assert jobs.wait(database, job_id, timeout=60).state == "done"
    # a row that names this process but that no thread of it runs (its thread died) is interrupted
    db.rollback()
    db.add(Job(id="orphan-here", kind="inventory", label="Inventaire", user_id=_user(db, "manager").id, params={},
               state="running", worker=f"{jobs._worker_name()[:-1]}9", heartbeat_at=utcnow() - timedelta(minutes=5)))
    db.commit()
    assert jobs.effective_state(_reload(db, "orphan-here")) == "interrupted"


def test_a_silent_worker_of_a_live_process_on_this_machine_stays_running_until_that_process_is_gone(app, db):
    import subprocess
    import sys

    _sqlite_only(app)
    database = app.extensions["refurb.db"]
    manager = _user(db, "manager")
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        silent = utcnow() - timedelta(minutes=10)
        for job_id, worker, beat in (("alive-elsewhere", f"{jobs._HOST}:{process.pid}:1", silent),
                                     ("other-machine", f"machine-b:{process.pid}:1", silent),
                                     ("silent-too-long", f"{jobs._HOST}:{process.pid}:2",
                                      utcnow() - jobs.ALIVE_GRACE - timedelta(minutes=1))):
            db.add(Job(id=job_id, kind="inventory", label="Inventaire", user_id=manager.id, params={},
                       state="running", worker=worker, heartbeat_at=beat))
        db.commit()
        assert jobs.effective_state(_reload(db, "alive-elsewhere")) == "running"
        with database.session(write=True) as poller:
            assert jobs.mark_interrupted(poller) == 2
        assert [_reload(db, i).state for i in ("alive-elsewhere", "other-machine", "silent-too-long")] == \
            ["running", "interrupted", "interrupted"]
    finally:
        process.kill()
        process.wait()
    assert jobs.effective_state(_reload(db, "alive-elsewhere")) == "interrupted"
    with database.session(write=True) as poller:
        assert jobs.mark_interrupted(poller) == 1
