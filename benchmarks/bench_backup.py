"""Time ``refurb backup`` of a SQLite database while a desk keeps writing, and what the backup costs the desk.

    python benchmarks/bench_backup.py [--source benchmarks/.cache/refurb-100000.sqlite] [--seconds 5]

The source (by default the 100,000-device database ``benchmarks/run.py`` builds) is copied to a temporary
folder and brought up to date, so nothing of it changes. A writer thread records one small write
transaction after another (a history event, like a desk's check-out) and its latency is measured for a few
seconds without a backup, then during ``backup.backup``; the backup is restored into a fresh file and its
rows counted. Printed: backup and restore durations, file sizes, the desk's median and worst write latency
without and during the backup (ratio).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent


def desk(url: str, stop: threading.Event, latencies: list[float]) -> None:
    from refurb.db import Database
    database = Database(url)
    device, user = None, None
    with database.session() as db:
        device = db.scalar(text("SELECT id FROM devices ORDER BY id LIMIT 1"))
        user = db.scalar(text("SELECT id FROM users ORDER BY id LIMIT 1"))
    while not stop.is_set():
        started = time.perf_counter()
        with database.session(write=True) as db:
            db.execute(text("INSERT INTO device_events (device_id, at, user_id, site_id, action, from_state, "
                            "to_state, note, data) SELECT id, CURRENT_TIMESTAMP, :u, site_id, 'note', state, state, "
                            "'banc', '{}' FROM devices WHERE id = :d"), {"u": user, "d": device})
            db.commit()
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.005)
    database.dispose()


def measure(url: str, seconds: float, during=None) -> tuple[list[float], float | None]:
    stop, latencies = threading.Event(), []
    writer = threading.Thread(target=desk, args=(url, stop, latencies))
    writer.start()
    took = None
    try:
        if during is None:
            time.sleep(seconds)
        else:
            time.sleep(0.5)
            started = time.perf_counter()
            during()
            took = time.perf_counter() - started
    finally:
        stop.set()
        writer.join()
    return latencies, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(HERE / ".cache" / "refurb-100000.sqlite"))
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    from refurb import backup, migrate

    with tempfile.TemporaryDirectory() as tmp:
        live = Path(tmp) / "live.sqlite"
        shutil.copyfile(args.source, live)
        url = f"sqlite:///{live}"
        migrate.upgrade(url)
        engine = create_engine(url)
        with engine.connect() as conn:
            devices = conn.scalar(text("SELECT count(*) FROM devices"))
        engine.dispose()
        quiet, _ = measure(url, args.seconds)
        target = Path(tmp) / "sauvegarde.sqlite"
        busy, took = measure(url, args.seconds, lambda: backup.backup(url, target))
        started = time.perf_counter()
        restored_url = f"sqlite:///{Path(tmp) / 'restored.sqlite'}"
        backup.restore(restored_url, target)
        restore_took = time.perf_counter() - started
        engine = create_engine(restored_url)
        with engine.connect() as conn:
            restored = conn.scalar(text("SELECT count(*) FROM devices"))
        engine.dispose()
        print(f"database: {devices} devices, {live.stat().st_size / 1e6:.0f} MB")
        print(f"backup while the desk writes: {took:.2f} s, file {target.stat().st_size / 1e6:.0f} MB; "
              f"restore: {restore_took:.2f} s, {restored} devices")
        for name, values in (("without backup", quiet), ("during backup", busy)):
            print(f"desk write {name}: {len(values)} writes, median {statistics.median(values):.1f} ms, "
                  f"worst {max(values):.1f} ms")
        print(f"ratio of medians during/without: {statistics.median(busy) / statistics.median(quiet):.2f}")


if __name__ == "__main__":
    main()
