"""The open-data exports validate against the official "standard-mediation-num" schema file vendored in the
package, checked by an independent validator (``frictionless validate --schema``); the app's own checker reads
its rules from that same file, agrees with the schema's published valid example, and the site list says which
places are published and whether their row is valid."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

from fixtures_documents import site_by_code

from refurb.sites import opendata
from refurb.sites.models import OPEN_DATA_SERVICES

EXAMPLE = Path(__file__).parent / "assets" / "lamednum-exemple-valide.csv"


def _frictionless(folder: Path, name: str, *extra: str) -> subprocess.CompletedProcess:
    """Run the validator in ``folder`` (it refuses absolute paths) against the vendored schema file."""
    shutil.copyfile(files("refurb.sites") / "schemas" / opendata.SCHEMA_FILE, folder / "schema.json")
    return subprocess.run([sys.executable, "-m", "frictionless", "validate", "--schema", "schema.json", name, *extra],
                          cwd=folder, capture_output=True, text=True, timeout=120, check=False)


def _publish(db):
    a, bus = site_by_code(db, "EPN-A"), site_by_code(db, "BUS")
    a.pivot, a.insee_code, a.latitude, a.longitude = "21370072700042", "37072", 47.1672, 0.2428
    a.services = ["Maîtrise des outils numériques du quotidien", "Accès internet et matériel informatique",
                  "Acquisition de matériel informatique à prix solidaire"]
    a.website, a.phone = "https://epn.example.fr", "02 47 00 00 01"
    bus.pivot, bus.address, bus.postal_code, bus.itinerant = "W372001234", "12 rue des Tanneurs", "37500", True
    db.commit()


def test_the_vendored_schema_is_the_official_version():
    assert opendata.SCHEMA_VERSION == "v1.0.2"
    assert opendata.schema()["name"] == "standard-mediation-num"
    assert opendata.FIELDS[:3] == ("id", "pivot", "nom") and len(opendata.FIELDS) == 32
    assert {"id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj"} <= set(opendata.REQUIRED)
    # the services the site form offers are the schema's values
    services_rule = next(f for f in opendata.schema()["fields"] if f["name"] == "services")["constraints"]["pattern"]
    for value in OPEN_DATA_SERVICES:
        assert opendata.problems({"services": value}) == [f"{n} manquant" for n in opendata.REQUIRED if n != "services"]
        assert value in services_rule


def test_the_checker_agrees_with_the_schema_example():
    """The schema's own valid example passes the app's checker; the same rows joined with ';' do not."""
    rows = list(csv.DictReader(EXAMPLE.open(encoding="utf-8")))
    assert rows
    for row in rows:
        row["pivot"] = "21370072700042"  # the example's SIRET is illustrative; our stricter Luhn check is tested apart
        assert opendata.problems(row) == []
        wrong = {k: v.replace("|", ";") for k, v in row.items()}
        found = opendata.problems(wrong)
        for name in ("services", "publics_specifiquement_adresses", "frais_a_charge", "modalites_acces",
                     "modalites_accompagnement", "dispositif_programmes_nationaux"):
            assert any(p.startswith(f"{name} :") and "« | »" in p for p in found), (name, found)


def test_csv_and_json_exports_validate_with_frictionless(app, client, db, tmp_path):
    _publish(db)
    csv_bytes = client.get("/open-data/lieux-mediation-numerique.csv").data
    rows = client.get("/open-data/lieux-mediation-numerique.json").json
    assert len(rows) == 2
    assert any("|" in row["services"] for row in rows)  # a list field really holds several values
    for row in rows:
        assert opendata.problems(row) == []
    (tmp_path / "lieux.csv").write_bytes(csv_bytes)
    (tmp_path / "lieux.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    for name, extra in (("lieux.csv", ()), ("lieux.json", ("--type", "table"))):
        done = _frictionless(tmp_path, name, *extra)
        assert done.returncode == 0 and "VALID" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]


def test_frictionless_rejects_rows_joined_with_semicolons(app, client, db, tmp_path):
    """The validator is not a rubber stamp: the old ';' separator fails the schema, in CSV and JSON alike."""
    _publish(db)
    rows = client.get("/open-data/lieux-mediation-numerique.json").json
    wrong = [row | {"services": row["services"].replace("|", ";")} for row in rows]
    (tmp_path / "wrong.json").write_text(json.dumps(wrong, ensure_ascii=False), encoding="utf-8")
    done = _frictionless(tmp_path, "wrong.json", "--type", "table")
    assert done.returncode != 0 and "constraint-error" in done.stdout
    assert all(any(p.startswith("services :") for p in opendata.problems(row)) for row in wrong)


def test_site_list_says_which_places_are_published_and_valid(app, client, db, login_as):
    _publish(db)
    login_as("manager")
    html = client.get("/sites/").get_data(as_text=True)
    assert "Données ouvertes (schéma v1.0.2)" in html
    assert html.count("Publié, conforme") == 2
    assert "non publié : SIRET/RNA" in html  # EPN-B has no identifier yet
