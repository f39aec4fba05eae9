"""The secret key: created once, atomically (two processes starting on an empty folder end with one key);
outside loopback, `refurb serve` refuses to start without a stable secret."""

from __future__ import annotations

import multiprocessing

from refurb import config


def _read(instance: str, queue) -> None:
    queue.put(config._secret_key(__import__("pathlib").Path(instance)))


def test_two_processes_on_an_empty_folder_end_with_one_key(tmp_path, monkeypatch):
    monkeypatch.delenv("REFURB_SECRET_KEY", raising=False)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_read, args=(str(tmp_path), queue)) for _ in range(4)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=60) for _ in workers]
    for w in workers:
        w.join()
    keys = {key for key, _source in results}
    assert len(keys) == 1 and (tmp_path / "secret_key").read_text().strip() in keys
    assert sorted(source for _key, source in results).count("new") == 1
    assert not [p for p in tmp_path.iterdir() if p.name != "secret_key"]  # no temporary file left


def test_serve_outside_loopback_needs_a_stable_secret(tmp_path, monkeypatch):
    from refurb import create_app

    monkeypatch.delenv("REFURB_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "k" * 32})
    app.instance_path = str(tmp_path)
    app.config["SECRET_KEY_SOURCE"] = "new"
    assert config.unstable_secret(app, "127.0.0.1") is None
    message = config.unstable_secret(app, "0.0.0.0")
    assert message and "clé secrète stable" in message and "REFURB_SECRET_KEY" in message
    result = app.test_cli_runner().invoke(args=["serve", "--host", "0.0.0.0", "--demo"])
    assert result.exit_code != 0 and "clé secrète stable" in result.output
    app.config["SECRET_KEY_SOURCE"] = "file"
    assert config.unstable_secret(app, "0.0.0.0") is None
    app.config.update(SECRET_KEY="court", SECRET_KEY_SOURCE="environment")
    assert "trop courte" in config.unstable_secret(app, "192.168.1.10")
    app.extensions["refurb.db"].dispose()
