"""The `refurb` command, through Click's runner and, for `serve`, as a real process."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from sqlalchemy import text

from refurb import create_app


def test_users_create_token_list_revoke(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "nadia", "--role", "technicien", "--site", "EPN-A",
                                 "--full-name", "Nadia Atelier", "--password-stdin"], input="un-long-mot-de-passe\n")
    assert result.exit_code == 0, result.output
    assert "Compte « nadia » créé" in result.output
    result = runner.invoke(args=["users", "token", "nadia", "--name", "tablette"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("rfb_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json["sites"] == ["EPN-A"]
    listing = runner.invoke(args=["users", "tokens", "nadia"]).output
    assert "actif" in listing and "tablette" in listing and secret not in listing
    token_id = listing.split()[1]
    assert runner.invoke(args=["users", "revoke-token", token_id]).exit_code == 0
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_users_create_bad_input(app):
    runner = app.test_cli_runner()
    cases = [
        (["users", "create", "tech", "--role", "technicien", "--site", "EPN-A", "--password-stdin"], "déjà pris"),
        (["users", "create", "zoe", "--role", "technicien", "--site", "NULLE-PART", "--password-stdin"], "Site inconnu"),
        (["users", "create", "zoe", "--role", "technicien", "--password-stdin"], "au moins un site"),
        (["users", "create", "Zoé Ä", "--role", "technicien", "--site", "EPN-A", "--password-stdin"], "format"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args, input="un-long-mot-de-passe\n")
        assert result.exit_code != 0 and message in result.output, result.output
    result = runner.invoke(args=["users", "create", "zoe", "--role", "technicien", "--site", "EPN-A",
                                 "--password-stdin"], input="court\n")
    assert result.exit_code != 0 and "10 caractères" in result.output
    result = runner.invoke(args=["users", "token", "kiosk"])
    assert result.exit_code != 0 and "borne" in result.output
    result = runner.invoke(args=["users", "token", "personne"])
    assert result.exit_code != 0 and "Aucun utilisateur" in result.output


def test_db_current_says_up_to_date(app):
    result = app.test_cli_runner().invoke(args=["db", "current"])
    assert result.exit_code == 0 and "(à jour)" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(os.environ.get("REFURB_TEST_DATABASE_URL") is not None, reason="runs on its own SQLite file")
def test_serve_demo_from_scratch_then_db_commands(tmp_path):
    """`refurb serve --demo` on a missing database creates it, loads the demo and serves it."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    env = os.environ | {"REFURB_DATABASE_URL": url, "REFURB_SECRET_KEY": "test"}
    refurb = [sys.executable, "-c", "from refurb.cli import main; main()"]
    port = _free_port()
    server = subprocess.Popen(refurb + ["serve", "--demo", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.time() < deadline, "the server did not start"
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
            assert "Connexion" in response.read().decode()
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert "Comptes de démonstration" in output and "gestionnaire" in output and "demo-refurb-2026" in output
    # the demo really holds the places of the seed document
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test"})
    with app.extensions["refurb.db"].session() as db:
        from refurb.sites.services import all_sites
        names = {s.name for s in all_sites(db)}
        # outside this suite (which lowers the cost, see conftest.py), passwords are kept as scrypt
        hashes = db.scalars(text("SELECT password_hash FROM users")).all()
    assert hashes and all(h.startswith("scrypt:") for h in hashes)
    assert {"EPN de Chinon", "EPN de Ports-sur-Vienne", "Médiathèque d'Avoine", "Centre social de Chinon",
            "France Services Bourgueil", "France Services Langeais", "France Services Château-la-Vallière",
            "Bus numérique"} <= names
    # the db commands (in this process: the installed wheel's own are run by test_packaging.py); `serve`
    # refuses a database behind the code (a process of its own: were it to serve, it would not stop)
    runner = app.test_cli_runner()
    try:
        assert "(à jour)" in runner.invoke(args=["db", "current"]).output
        down = runner.invoke(args=["db", "downgrade", "base"])
        assert down.exit_code == 0, down.output
        assert "aucune" in runner.invoke(args=["db", "current"]).output
        refused = subprocess.run(refurb + ["serve", "--port", str(port)], env=env, capture_output=True, text=True,
                                 timeout=120)
        assert refused.returncode != 0 and "refurb db upgrade" in refused.stderr
        up = runner.invoke(args=["db", "upgrade"])
        assert up.exit_code == 0, up.output
        assert "(à jour)" in runner.invoke(args=["db", "current"]).output
    finally:
        app.extensions["refurb.db"].dispose()


def test_seed_demo_command(app, db):
    """`refurb seed-demo` (in this process: the seeding's own cost is that of the services, tested apart)."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "Données de démonstration chargées" in result.output, result.output
    assert db.scalar(text("SELECT count(*) FROM devices")) > 30


def test_seed_demo_with_synthetic_devices(app):
    """`refurb seed-demo --devices N` (the benchmark's data): the synthetic devices in bulk, then, on PostgreSQL, the
    stock tallies that bulk load churned compacted outside any transaction (VACUUM cannot run in one)."""
    result = app.test_cli_runner().invoke(args=["seed-demo", "--devices", "40"])
    assert result.exit_code == 0 and "Données de démonstration chargées" in result.output, result.output
    with app.extensions["refurb.db"].engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM devices")) >= 70
        held = conn.scalar(text("SELECT sum(n) FROM stock_tallies WHERE state IN ('received', 'ready', 'loan_pool')"))
        assert held == conn.scalar(text("SELECT count(*) FROM devices WHERE state IN ('received', 'ready', 'loan_pool')"))
