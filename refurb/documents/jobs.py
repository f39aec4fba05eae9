"""Long document work in a background thread, with progress the page polls (HTMX) instead of freezing.

A job runs ``work(db, user, progress) -> JobOutput`` in its own database session; the file it makes is
written to the instance folder (``instance/documents/``) and downloaded once it is ready. Jobs live in this
process's memory (waitress serves from one process with threads): after a restart, an unfinished job is
simply gone and the page says so. Only the user who started a job sees it.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..accounts.models import User
from ..errors import NotFound, RefurbError

log = logging.getLogger(__name__)
KEEP_SECONDS = 24 * 3600


@dataclass
class JobOutput:
    data: bytes | None = None  # the file, if the job makes one
    summary: str = ""  # French sentence shown when done
    link: str | None = None  # where to go next (e.g. the imported devices)


@dataclass
class Job:
    id: str
    user_id: int
    label: str
    filename: str = ""
    mimetype: str = "application/octet-stream"
    status: str = "running"  # running | done | error
    done: int = 0
    total: int = 0
    message: str = ""
    summary: str = ""
    link: str | None = None
    path: Path | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


JOBS: dict[str, Job] = {}
_lock = threading.Lock()

Work = Callable[..., JobOutput]


def _folder(app) -> Path:
    folder = Path(app.instance_path) / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cleanup(now: float) -> None:
    with _lock:
        old = [j for j in JOBS.values() if j.finished and now - j.finished > KEEP_SECONDS]
        for job in old:
            JOBS.pop(job.id, None)
            if job.path is not None:
                job.path.unlink(missing_ok=True)


def start_job(app, user, label: str, work: Work, *, filename: str = "", mimetype: str = "application/octet-stream",
              message: str = "En préparation…") -> Job:
    """Run ``work`` in a thread of ``app`` (the web application: its database, its instance folder)."""
    _cleanup(time.time())
    job = Job(id=secrets.token_urlsafe(12), user_id=user.id, label=label, filename=filename, mimetype=mimetype,
              message=message)
    with _lock:
        JOBS[job.id] = job
    thread = threading.Thread(target=_run, args=(app, job, user.id, work), name=f"refurb-job-{job.id}",
                              daemon=True)
    thread.start()
    return job


def _run(app, job: Job, user_id: int, work: Work) -> None:
    def progress(done: int, total: int, message: str | None = None) -> None:
        job.done, job.total = done, total
        if message:
            job.message = message

    with app.app_context():
        db = app.extensions["refurb.db"].session(write=True)
        try:
            user = db.get(User, user_id)
            output = work(db, user, progress)
            if output.data is not None:
                path = _folder(app) / f"{job.id}.bin"
                path.write_bytes(output.data)
                job.path = path
            job.summary = output.summary
            job.link = output.link
            job.status = "done"
            job.message = "Terminé."
        except RefurbError as err:
            db.rollback()
            job.status = "error"
            job.message = err.message
        except Exception:  # noqa: BLE001 - reported to the user, logged for the admin
            db.rollback()
            log.exception("Background job %s failed", job.id)
            job.status = "error"
            job.message = ("Un problème inattendu a interrompu le travail ; rien n'a été enregistré. "
                           "Réessayez, et prévenez l'administrateur si cela se reproduit.")
        finally:
            db.close()
            job.finished = time.time()


def get_job(user, job_id: str) -> Job:
    job = JOBS.get(job_id or "")
    if job is None or job.user_id != user.id:
        raise NotFound("Ce travail n'existe pas ou plus (les documents préparés sont gardés un jour, "
                       "et perdus si le serveur redémarre) : relancez-le.")
    return job


def wait(job: Job, timeout: float = 30.0) -> Job:
    """Block until the job ends (tests and the CLI)."""
    end = time.time() + timeout
    while job.status == "running" and time.time() < end:
        time.sleep(0.05)
    return job
