"""Fixtures for running as a real deployment does: a PostgreSQL cluster of the test's own (to stop and start
it), `refurb serve` processes on free ports, an app on a database file of its own."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster (STACK.md's recipe), run as the postgres user when we are root."""
    bin: Path
    dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://app@127.0.0.1:{self.port}/refurb"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-k {self.dir} -h 127.0.0.1 -p {self.port} -c fsync=off -c synchronous_commit=off "
                  "-c full_page_writes=off -c max_connections=100", "start")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture
def own_postgres():
    """A PostgreSQL cluster for this test alone (it may be stopped and started), with a database ``refurb``
    at the schema's head. Skipped where PostgreSQL's programs are not installed."""
    from refurb import migrate

    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL n'est pas installé (initdb introuvable)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("runuser introuvable : impossible de lancer PostgreSQL sous l'utilisateur postgres")
    work = Path(tempfile.mkdtemp(prefix="refurb-pg-"))
    if os.geteuid() == 0:
        shutil.chown(work, "postgres", "postgres")
    work.chmod(0o700)
    port = int(os.environ.get("REFURB_OWN_PG_PORT") or free_port())
    cluster = Cluster(bin_dir, work, port)
    cluster._run(str(bin_dir / "initdb"), "-D", str(work / "data"), "-U", "app", "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-sync")
    cluster.start()
    try:
        cluster._run(str(bin_dir / "createdb"), "-h", str(work), "-p", str(port), "-U", "app", "refurb")
        migrate.upgrade(cluster.url)
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped by the test
        shutil.rmtree(work, ignore_errors=True)


class Server:
    """One `refurb serve` process (waitress) on a free port; its output goes to a log file."""

    def __init__(self, database_url: str, secret: str, workdir: Path, name: str, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}.log"
        self.env = {**os.environ, "REFURB_DATABASE_URL": database_url, "REFURB_SECRET_KEY": secret,
                    "FLASK_APP": "refurb", **(env or {})}
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        return self.launch().wait_ready()

    def launch(self) -> "Server":
        """Start the process without waiting for it to answer (servers started together start faster)."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from refurb.cli import main; main()", "serve", "--port", str(self.port)],
                env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self) -> "Server":
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"refurb serve stopped: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"refurb serve did not answer: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
