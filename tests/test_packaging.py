"""The wheel ships what an installed Refurb needs: every module, the top-level migrations/ folder as
refurb.migrations, templates and static files; installed from it (not from the sources), the
schema migrates."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.not_dated  # builds and installs the package: no date is read

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, cwd=tmp_path_factory.mktemp("build"))
    (built,) = out.glob("refurb-*.whl")
    return built


def _source_files() -> set[str]:
    names = {f"refurb/{p.relative_to(ROOT / 'refurb').as_posix()}" for p in (ROOT / "refurb").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    names |= {f"refurb/migrations/{p.relative_to(ROOT / 'migrations').as_posix()}"
              for p in (ROOT / "migrations").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    return names


def test_declared_packages_are_the_source_tree():
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "refurb").rglob("__init__.py")}
    found |= {"refurb.migrations", "refurb.migrations.versions"}
    assert declared == found, "pyproject.toml [tool.setuptools] packages must list every package"


def test_wheel_holds_every_file(wheel):
    with zipfile.ZipFile(wheel) as zf:
        shipped = {n for n in zf.namelist() if n.startswith("refurb/")}
    missing = _source_files() - shipped
    assert not missing, sorted(missing)[:20]
    assert "refurb/migrations/versions/0001_foundation.py" in shipped
    assert "refurb/templates/base.html" in shipped


def test_installed_wheel_migrates_a_new_database(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    code = ("import refurb, refurb.migrate as m; "
            f"assert refurb.__file__.startswith({str(target)!r}), refurb.__file__; "
            f"m.upgrade({url!r}); print(m.current_revision({url!r}) == m.head_revision({url!r}))")
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "True"
