"""Long documents prepared in the background, with their state in the database so that any server process
(two machines on one PostgreSQL, or the process that took over after a restart) follows, downloads and
relaunches them.

Why a jobs table rather than a queue library: the embedded default (SQLite) must need no extra server
(Redis, RabbitMQ…), and the documents already live in the database. A worker claims the oldest queued row
with a conditional ``UPDATE … WHERE state = 'queued'`` (one winner even on SQLite, whose writers take the
database's write lock); on PostgreSQL the candidate row is first read ``FOR UPDATE SKIP LOCKED`` so that
workers of several processes never wait on each other. Each process runs its own workers (threads started
when a job is queued there, and ``refurb serve`` polls for jobs queued elsewhere).

While it works, a worker writes a heartbeat with the progress every second or so. A job still "running"
whose heartbeat is older than ``STALE_AFTER`` belonged to a process that died (``kill -9``, a power cut):
it reads "interrupted" and its owner may relaunch it; it is never left running forever. On SQLite a
heartbeat cannot be written while another writer holds the database's one write lock, which a long write
(a migration, a demo seeding, a script) may hold for minutes; so there, where every process sharing the
file runs on the same machine, a silent worker whose process is known to be alive (its host name and pid
are in its name: this process's running jobs, or another live pid of this machine) is not judged dead for
its silence alone, up to ``ALIVE_GRACE`` (a pid reused after a reboot cannot keep a job "running" longer).
PostgreSQL locks rows, not the database: there the heartbeat alone decides.

A job that writes in several transactions (a long import, see ``imports.py``) records each earlier batch's
rows in ``job_staged_rows``, in the batch's own transaction, after checking that the job is still its own
(``hold``: running, same worker; on PostgreSQL the job's row stays locked until the batch commits). Its
last transaction writes the last rows, clears that list and marks the job done: the import is committed.
Whoever ends the job otherwise (failed here, or interrupted by any process that finds it dead, or its
relaunch) withdraws the listed rows in the transaction that writes the end: nothing of an unfinished
import stays, and a worker judged dead that was not stops at its next batch without writing it.

The file a job makes is kept in ``stored_files`` for ``RESULT_KEEP``, the job row for ``JOB_KEEP``.

A job is seen only by the user who started it, and only while they still serve its site: anyone else gets
"not found", like an unknown id.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session, object_session

from .. import storage
from ..accounts.models import User
from ..accounts.scope import serves_site
from ..clock import today, utcnow
from ..db import use_case
from ..errors import Conflict, NotFound, RefurbError
from ..formatting import plural
from .models import Job, StagedRow

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(seconds=120)  # no heartbeat for this long: the worker's process is gone
ALIVE_GRACE = timedelta(minutes=30)  # SQLite: the longest a worker seen alive on this machine may stay silent
HEARTBEAT_SECONDS = 1.0
RESULT_KEEP = timedelta(days=1)
JOB_KEEP = timedelta(days=7)
RESULT_PURPOSE = "job_result"
NOT_FOUND = ("Ce travail n'existe pas ou plus (les travaux sont gardés une semaine) : relancez-le depuis la "
             "page Documents.")
EXPIRED = ("Le document préparé n'est plus disponible : il est gardé un jour après sa préparation. "
           "Relancez-le depuis la page Documents.")
INTERRUPTED = ("Interrompu : le serveur qui préparait ce travail s'est arrêté avant la fin ; rien n'a été "
               "enregistré. Relancez-le.")
INTERRUPTED_IMPORT = ("Import interrompu : le serveur qui le faisait s'est arrêté avant la fin ; rien n'a été "
                      "importé. Relancez-le.")
# Seen before any process has written the interruption (and withdrawn what the import had written).
INTERRUPTED_IMPORT_PENDING = ("Import interrompu : le serveur qui le faisait s'est arrêté avant la fin. Les lignes "
                              "qu'il avait déjà enregistrées sont retirées dès qu'un serveur le constate, ou quand "
                              "vous le relancez : rien n'en restera. Relancez-le.")
UNEXPECTED = ("Un problème inattendu a interrompu le travail ; rien n'a été enregistré. "
              "Réessayez, et prévenez l'administrateur si cela se reproduit.")


class JobLost(RefurbError):
    """The job is no longer this worker's (judged dead and interrupted, or relaunched elsewhere): what it was
    writing is rolled back, and it stops."""

    status = 409
    code = "job_lost"

    def __init__(self):
        super().__init__(INTERRUPTED)


@dataclass
class JobOutput:
    data: bytes | None = None  # the file, if the job makes one
    summary: str = ""  # French sentence shown when done
    link: str | None = None  # where to go next (e.g. the imported devices)


Progress = Callable[..., None]


@dataclass(frozen=True)
class Kind:
    """What a kind of job does: ``run(db, user, params, progress) -> JobOutput``. A ``writes`` job runs in a
    write session and is marked done in its own transaction (all or nothing); a reading job runs in a read
    session (on SQLite it does not hold the write lock while it renders) and its result is stored after.

    A writing job may commit earlier batches through ``progress.keep(db, row_ids)``; it then declares
    ``withdraw(db, job, row_ids) -> list[str]``, which removes those rows when the job does not end done and
    returns what it had to keep (rows changed by someone meanwhile), named for the user."""

    run: Callable[[Session, User, dict, Progress], JobOutput]
    writes: bool = False
    withdraw: Callable[[Session, Job, list[int]], list[str]] | None = None
    interrupted: str = INTERRUPTED  # what the user reads once the job has been written interrupted


KINDS: dict[str, Kind] = {}


def kind(name: str, *, writes: bool = False, withdraw=None, interrupted: str = INTERRUPTED):
    """Declare the function that does a kind of job (this area's kinds are at the bottom of this module)."""

    def register(fn):
        KINDS[name] = Kind(fn, writes, withdraw, interrupted)
        return fn

    return register


# --- is its worker alive? --------------------------------------------------------------------------

_HOST = socket.gethostname()[:30]
_RUNNING_HERE: set[tuple[str, str]] = set()  # (job id, worker) of the jobs this process's threads run now


def _worker_name() -> str:
    return f"{_HOST}:{os.getpid()}:{threading.get_ident() % 100000}"


def _process_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (never sends it anything: on Windows ``os.kill`` would
    end it, so the process is opened and its exit code read instead)."""
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.OpenProcess.restype = ctypes.c_void_p
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            alive = kernel32.GetExitCodeProcess(ctypes.c_void_p(handle), ctypes.byref(code))
            return bool(alive) and code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(ctypes.c_void_p(handle))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OSError:
        return False
    return True


def _worker_alive(job: Job) -> bool:
    """Whether the process working on ``job`` is known to be alive: this process, running it now; or another
    live process of this machine. False when it cannot be known (another machine, a name without a pid)."""
    host, _, rest = (job.worker or "").partition(":")
    pid = rest.partition(":")[0]
    if host != _HOST or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return (job.id, job.worker) in _RUNNING_HERE
    return _process_alive(int(pid))


def _on_sqlite(db: Session | None) -> bool:
    return db is not None and db.get_bind().dialect.name == "sqlite"


def is_stale(job: Job, now, *, sqlite: bool) -> bool:
    """Whether ``job`` is "running" for a worker that is gone (see the module's note)."""
    if job.state != "running":
        return False
    beat = job.heartbeat_at
    if beat is not None and beat >= now - STALE_AFTER:
        return False
    return not (sqlite and beat is not None and beat >= now - ALIVE_GRACE and _worker_alive(job))


# --- reading a job ---------------------------------------------------------------------------------

def effective_state(job: Job, now=None) -> str:
    """The job's state as people should see it: a running job whose worker is gone is interrupted."""
    if is_stale(job, now or utcnow(), sqlite=_on_sqlite(object_session(job))):
        return "interrupted"
    return job.state


def state_message(job: Job, state: str | None = None) -> str:
    """The sentence that goes with the job's state (``effective_state``) for its owner."""
    state = state or effective_state(job)
    if state == "interrupted" and job.state != "interrupted":  # judged dead, not yet written so
        kind_ = KINDS.get(job.kind)
        return INTERRUPTED_IMPORT_PENDING if kind_ is not None and kind_.withdraw is not None else INTERRUPTED
    return job.summary if state == "done" and job.summary else job.message


def percent(job: Job) -> int:
    return 100 if job.state == "done" else max(0, min(99, job.progress))


def get_job(db: Session, user, job_id: str) -> Job:
    """The job ``job_id`` if ``user`` started it and still serves its site; otherwise "not found"."""
    job = db.get(Job, job_id) if isinstance(job_id, str) and 0 < len(job_id) <= 32 else None
    if job is None or user is None or job.user_id != user.id or (job.site_id is not None
                                                                 and not serves_site(user, job.site_id)):
        raise NotFound(NOT_FOUND)
    return job


def job_result(db: Session, user, job_id: str) -> tuple[Job, bytes]:
    """The file a finished job made (its owner only), or a French message saying why it cannot be had."""
    job = get_job(db, user, job_id)
    state = effective_state(job)
    if state != "done":
        raise Conflict({"queued": "Le document n'est pas encore prêt : il attend son tour.",
                        "running": "Le document n'est pas encore prêt : sa préparation est en cours.",
                        "failed": f"La préparation a échoué : {job.message}",
                        "interrupted": INTERRUPTED}[state], code="job_not_done")
    if not job.result_token:
        raise NotFound("Ce travail ne produit pas de fichier à télécharger.")
    stored = storage.get(db, job.result_token, owner_id=job.user_id, purpose=RESULT_PURPOSE, message=EXPIRED)
    return job, stored.content


# --- starting, relaunching, ending -----------------------------------------------------------------

@use_case
def start_job(db: Session, user, kind_name: str, params: dict, *, label: str, site_id: int | None = None,
              filename: str = "", mimetype: str = "application/octet-stream",
              message: str = "En attente…") -> Job:
    """Queue a job for ``user`` (a worker of any process takes it). Jobs older than ``JOB_KEEP`` go."""
    if kind_name not in KINDS:
        raise ValueError(f"unknown job kind {kind_name!r}")
    now = utcnow()
    db.execute(delete(Job).where(Job.created_at < now - JOB_KEEP, Job.state != "running"))
    job = Job(id=secrets.token_urlsafe(16), kind=kind_name, label=label[:120], user_id=user.id, site_id=site_id,
              params=params, state="queued", progress=0, message=message[:500], summary="", filename=filename[:255],
              mimetype=mimetype, attempts=0, created_at=now)
    db.add(job)
    db.flush()
    return job


@use_case
def retry_job(db: Session, user, job_id: str) -> Job:
    """Queue again an interrupted job (its owner only); any other state is refused with the reason. A job
    judged dead but not yet written interrupted is written so first (what it had written is withdrawn)."""
    job = get_job(db, user, job_id)
    db.refresh(job, with_for_update=not _on_sqlite(db))
    state = effective_state(job)
    if state != "interrupted":
        raise Conflict("Seul un travail interrompu se relance : celui-ci est "
                       f"{STATE_LABELS[state].lower()}.", code="job_not_interrupted")
    if job.state == "running":
        _end(db, job, "interrupted", KINDS[job.kind].interrupted if job.kind in KINDS else INTERRUPTED)
    db.execute(update(Job).where(Job.id == job.id, Job.state == "interrupted").values(
        state="queued", worker=None, progress=0, message="En attente…", heartbeat_at=None, started_at=None,
        finished_at=None))
    db.refresh(job)
    return job


STATE_LABELS = {"queued": "En attente", "running": "En cours", "done": "Terminé", "failed": "Échoué",
                "interrupted": "Interrompu"}


def _stale_jobs(db: Session, now, *, lock: bool = False) -> list[Job]:
    """The running jobs whose worker is gone; ``lock``: their rows locked (PostgreSQL) for ending them."""
    sqlite = _on_sqlite(db)
    stmt = (select(Job).where(Job.state == "running", or_(Job.heartbeat_at.is_(None),
                                                           Job.heartbeat_at < now - STALE_AFTER))
            .order_by(Job.id).execution_options(populate_existing=True))
    if lock and not sqlite:
        stmt = stmt.with_for_update()  # a batch of the job in progress commits first; the row is read again
    return [job for job in db.scalars(stmt) if is_stale(job, now, sqlite=sqlite)]


@use_case
def mark_interrupted(db: Session, now=None) -> int:
    """Write "interrupted" on every running job whose worker is gone, withdrawing what the job had written in
    earlier batches; returns how many."""
    now = now or utcnow()
    return sum(_end(db, job, "interrupted", KINDS[job.kind].interrupted if job.kind in KINDS else INTERRUPTED)
               for job in _stale_jobs(db, now, lock=True))


def _end(db: Session, job: Job, state: str, message: str, *, worker: str | None = None) -> bool:
    """Move a running job to ``state`` ("failed" or "interrupted") with ``message``, and withdraw in the same
    transaction the rows its earlier batches wrote; only while it is still running (for ``worker`` if given).
    Returns whether this call ended it."""
    condition = [Job.id == job.id, Job.state == "running"]
    if worker is not None:
        condition.append(Job.worker == worker)
    values = {"state": state, "message": message[:500], "finished_at": utcnow()}
    if state == "interrupted":
        values["worker"] = None
    if db.execute(update(Job).where(*condition).values(**values)).rowcount != 1:
        return False
    kept = _withdraw_staged(db, job)
    if kept:
        shown = ", ".join(kept[:20]) + (f" et {plural(len(kept) - 20, 'autre')}" if len(kept) > 20 else "")
        used = plural(len(kept), "ligne déjà utilisée entre-temps, gardée", "lignes déjà utilisées entre-temps, gardées")
        note = (f" Sauf {used} : {shown} ; retirez-les du "
                "fichier avant de le relancer.")
        db.execute(update(Job).where(Job.id == job.id).values(message=(message + note)[:500]))
    return True


def _withdraw_staged(db: Session, job: Job) -> list[str]:
    row_ids = list(db.scalars(select(StagedRow.row_id).where(StagedRow.job_id == job.id).order_by(StagedRow.row_id)))
    if not row_ids:
        return []
    kind_ = KINDS.get(job.kind)
    if kind_ is None or kind_.withdraw is None:
        raise RuntimeError(f"job {job.id} of kind {job.kind!r} staged rows it cannot withdraw")
    kept = kind_.withdraw(db, job, row_ids)
    db.execute(delete(StagedRow).where(StagedRow.job_id == job.id))
    return kept


def hold(db: Session, job_id: str, worker: str) -> None:
    """In the caller's transaction: check that the job is still this worker's and running, and write its
    heartbeat (on PostgreSQL its row stays locked until the transaction ends, so that no other process ends
    the job meanwhile). Raises ``JobLost`` otherwise: the caller rolls back."""
    held = db.execute(update(Job).where(Job.id == job_id, Job.worker == worker, Job.state == "running")
                      .values(heartbeat_at=utcnow())).rowcount
    if held != 1:
        raise JobLost()


# --- workers ---------------------------------------------------------------------------------------

def claim(database, worker: str) -> str | None:
    """Take the oldest queued job for ``worker``; None when there is none. One winner per job, whatever the
    number of processes (see the module's note)."""
    for _attempt in range(5):
        with database.session(write=True) as db:
            stmt = select(Job.id).where(Job.state == "queued").order_by(Job.created_at, Job.id).limit(1)
            if not database.is_sqlite:
                stmt = stmt.with_for_update(skip_locked=True)
            job_id = db.scalar(stmt)
            if job_id is None:
                return None
            now = utcnow()
            taken = db.execute(update(Job).where(Job.id == job_id, Job.state == "queued").values(
                state="running", worker=worker, started_at=now, heartbeat_at=now, attempts=Job.attempts + 1,
                progress=0)).rowcount
            db.commit()
            if taken == 1:
                return job_id
    return None


class _Heartbeat:
    """Writes the job's progress and heartbeat about every second from its own thread and session. On SQLite
    a write lock held by the job itself (an import) makes a beat wait, then be skipped: the next one tries
    again. A job no longer running (interrupted meanwhile) is not brought back.

    It is what a job's function gets as ``progress``: called with (done, total, message), and ``keep(db,
    row_ids)`` for a job that commits earlier batches (see the module's note)."""

    def __init__(self, database, job_id: str, worker: str):
        self.database, self.job_id, self.worker = database, job_id, worker
        self.progress, self.message = 0, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"refurb-heartbeat-{job_id}", daemon=True)
        self._thread.start()

    def update(self, done: int, total: int, message: str | None = None) -> None:
        self.progress = int(100 * done / total) if total else 0
        if message:
            self.message = message[:500]

    __call__ = update

    def keep(self, db: Session, row_ids: list[int]) -> None:
        """In a batch's transaction, before its commit: the job is still ours, and these rows are staged."""
        hold(db, self.job_id, self.worker)
        if row_ids:
            db.execute(insert(StagedRow), [{"job_id": self.job_id, "row_id": row_id} for row_id in row_ids])

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            self.beat()

    def beat(self) -> None:
        values = {"heartbeat_at": utcnow(), "progress": max(0, min(99, self.progress))}
        if self.message:
            values["message"] = self.message
        try:
            with self.database.session(write=True) as db:
                db.execute(update(Job).where(Job.id == self.job_id, Job.worker == self.worker,
                                             Job.state == "running").values(**values))
                db.commit()
        except Exception:  # noqa: BLE001 - a busy or unreachable database: the next beat tries again
            log.debug("heartbeat of job %s skipped", self.job_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@use_case
def _run_writing(db: Session, job: Job, user: User, kind_: Kind, beat: _Heartbeat, worker: str) -> None:
    output = kind_.run(db, user, dict(job.params), beat)
    _store_output(db, job, output, worker)


def _store_output(db: Session, job: Job, output: JobOutput, worker: str) -> None:
    """The job's end, in one transaction: its file, "done", and its staged rows committed (the list cleared).
    ``JobLost`` if the job is no longer this worker's: all of it rolled back."""
    hold(db, job.id, worker)
    token = None
    if output.data is not None:
        token = storage.put(db, purpose=RESULT_PURPOSE, owner_id=job.user_id, content=output.data,
                            filename=job.filename, keep=RESULT_KEEP).token
    db.execute(delete(StagedRow).where(StagedRow.job_id == job.id))
    db.execute(update(Job).where(Job.id == job.id, Job.worker == worker).values(
        finished_at=utcnow(), state="done", progress=100, message="Terminé.", summary=output.summary[:500],
        link=output.link, result_token=token))


def run_job(database, job_id: str, worker: str) -> None:
    """Do a claimed job and write how it ended (done, or failed with the French reason)."""
    _RUNNING_HERE.add((job_id, worker))
    beat = _Heartbeat(database, job_id, worker)
    try:
        with database.session() as reader:
            job = reader.get(Job, job_id)
            kind_ = KINDS[job.kind]
        try:
            if kind_.writes:
                with database.session(write=True) as db:
                    _run_writing(db, job, db.get(User, job.user_id), kind_, beat, worker)
            else:
                with database.session() as reader:
                    output = kind_.run(reader, reader.get(User, job.user_id), dict(job.params), beat)
                with database.session(write=True) as db:
                    _store_output(db, job, output, worker)
                    db.commit()
        except JobLost:
            log.warning("Background job %s was ended by another process; its work here is dropped", job_id)
        except RefurbError as err:
            _fail(database, job, worker, err.message)
        except Exception:  # noqa: BLE001 - reported to the user, logged for the administrator
            log.exception("Background job %s failed", job_id)
            _fail(database, job, worker, UNEXPECTED)
    finally:
        beat.stop()
        _RUNNING_HERE.discard((job_id, worker))


def _fail(database, job: Job, worker: str, message: str) -> None:
    with database.session(write=True) as db:
        _end(db, job, "failed", message, worker=worker)
        db.commit()


def _pending(database) -> tuple[bool, bool]:
    """Whether some running job's worker is gone, and whether some job waits (reads only)."""
    with database.session() as db:
        stale = bool(_stale_jobs(db, utcnow()))
        queued = db.scalar(select(Job.id).where(Job.state == "queued").limit(1))
    return stale, queued is not None


class Runner:
    """The workers of one server process: ``kick()`` after queueing a job starts up to ``threads`` threads
    that take queued jobs until none is left; ``poll(interval)`` (``refurb serve``) also takes jobs queued
    by other processes and writes "interrupted" on those whose process died."""

    def __init__(self, database, *, threads: int = 2, context: Callable[[], object] | None = None):
        self.database = database
        self.threads = threads
        self.context = context or nullcontext
        self._lock = threading.Lock()
        self._active = 0
        self._poller: threading.Thread | None = None
        self._stopped = threading.Event()

    def kick(self) -> None:
        with self._lock:
            if self._active >= self.threads:
                return
            self._active += 1
        threading.Thread(target=self._drain, name="refurb-jobs", daemon=True).start()

    def _drain(self) -> None:
        worker = _worker_name()
        try:
            with self.context():
                while (job_id := claim(self.database, worker)) is not None:
                    run_job(self.database, job_id, worker)
        except Exception:  # noqa: BLE001 - the database is unreachable: the poller or the next kick retries
            log.warning("Background jobs: worker stopped", exc_info=True)
        finally:
            with self._lock:
                self._active -= 1

    def poll(self, interval: float = 5.0) -> None:
        """Start (once) the thread that looks for work every ``interval`` seconds."""
        if self._poller is not None:
            return

        def loop() -> None:
            while not self._stopped.is_set():
                try:
                    stale, queued = _pending(self.database)
                    if stale:  # a write only when there is something to write (SQLite's lock is shared)
                        with self.database.session(write=True) as db:
                            mark_interrupted(db)
                    if queued:
                        self.kick()
                except Exception:  # noqa: BLE001 - an outage: try again at the next tick
                    log.warning("Background jobs: poll failed", exc_info=True)
                self._stopped.wait(interval)

        self._poller = threading.Thread(target=loop, name="refurb-jobs-poll", daemon=True)
        self._poller.start()

    def stop(self) -> None:
        """Stop polling (the workers finish the job in hand)."""
        self._stopped.set()
        if self._poller is not None:
            self._poller.join(timeout=10)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no worker of this process runs (each ends when no queued job is left); False when one
        still runs after ``timeout`` seconds. Between two test cases: a worker still draining the first would
        take the jobs that the next one queues for another process."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._active == 0:
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)


def wait(database, job_id: str, timeout: float = 30.0) -> Job:
    """Block until the job has ended (tests and the CLI); returns its row."""
    end = utcnow() + timedelta(seconds=timeout)
    event = threading.Event()
    while True:
        with database.session() as db:
            job = db.get(Job, job_id)
            if job is None or job.state in ("done", "failed", "interrupted") or utcnow() > end:
                return job
        event.wait(0.05)


# --- this area's kinds of job ----------------------------------------------------------------------

@kind("inventory")
def _inventory(db: Session, user: User, params: dict, progress: Progress) -> JobOutput:
    from .inventory import build_inventory, render_inventory_pdf

    progress(0, 1, "Lecture de l'historique des appareils…")
    inv = build_inventory(db, user, params.get("site") or None, params.get("at") or None)
    progress(0, 1, f"Mise en page de {inv.total} appareils…")
    data = render_inventory_pdf(inv, progress=lambda done, total: progress(done, total, f"Page {done} / {total}…"))
    return JobOutput(data=data, summary=f"Inventaire prêt : {inv.total} appareils.")


def _withdraw_import(db: Session, job: Job, row_ids: list[int]) -> list[str]:
    from .importers import IMPORTERS

    return IMPORTERS[job.params["importer"]].withdraw(db, row_ids)


@kind("import", writes=True, withdraw=_withdraw_import, interrupted=INTERRUPTED_IMPORT)
def _import(db: Session, user: User, params: dict, progress: _Heartbeat) -> JobOutput:
    """An import, written in short batches kept through ``progress`` (see the module's note and imports.py)."""
    from .importers import get_importer
    from .imports import import_table, pending_upload

    importer = get_importer(params["importer"], user)
    meta, table = pending_upload(db, user, params["importer"], params["token"])
    mapping = {int(k): v for k, v in params["mapping"].items()}
    progress(0, len(table.rows), "Vérification des lignes…")
    count = import_table(db, user, importer, table, mapping, params.get("options") or {}, pending=params["token"],
                         progress=progress, staging=progress)
    return JobOutput(summary=f"{count} {importer.label.lower()} importés depuis « {meta['filename']} ».",
                     link=params.get("link"))


# --- starting this area's jobs ---------------------------------------------------------------------

def start_inventory_job(runner: Runner, user, site_code: str | None, at: str | None) -> Job:
    """Queue the inventory of a site (or of the network) as a job and wake a worker. It opens its own write
    session: the request that asks (a GET) reads through a read session."""
    from .inventory import parse_inventory_date, resolve_scope

    day = parse_inventory_date(at)  # a bad date is refused before any background work
    with runner.database.session(write=True) as db:
        site = resolve_scope(db, user, site_code)
        name = f"inventaire-{site.code if site else 'reseau'}-{(day or today()).isoformat()}.pdf"
        job = start_job(db, user, "inventory", {"site": site.code if site else None,
                                                "at": day.isoformat() if day else None},
                        label="Inventaire", site_id=site.id if site else None, filename=name,
                        mimetype="application/pdf", message="En attente…")
    runner.kick()
    return job
