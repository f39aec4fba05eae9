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
def build(tmp_path_factory) -> tuple[Path, str]:
    """The wheel built from the sources, and what the build printed (``-v``: every pip shows the backend's output)."""
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(out), str(ROOT)],
                          check=True, capture_output=True, text=True, cwd=tmp_path_factory.mktemp("build"))
    (built,) = out.glob("refurb-*.whl")
    return built, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(build) -> Path:
    return build[0]


def _source_files() -> set[str]:
    names = {f"refurb/{p.relative_to(ROOT / 'refurb').as_posix()}" for p in (ROOT / "refurb").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    names |= {f"refurb/migrations/{p.relative_to(ROOT / 'migrations').as_posix()}"
              for p in (ROOT / "migrations").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    return names


def test_declared_packages_are_the_source_tree():
    """Every folder of refurb/ whose name could be imported: the modules' packages and the folders of data files
    (setuptools warns at every install for a data folder left out; ``zxing-wasm`` ships by its parent's globs)."""
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = [ROOT / "refurb", *(p for p in (ROOT / "refurb").rglob("*") if p.is_dir())]
    found = {".".join(p.relative_to(ROOT).parts) for p in folders
             if "__pycache__" not in p.parts and all(part.isidentifier() for part in p.relative_to(ROOT).parts)}
    found |= {"refurb.migrations", "refurb.migrations.versions"}
    assert declared == found, "pyproject.toml [tool.setuptools] packages must list every package and data folder"


def test_wheel_holds_every_file(wheel):
    with zipfile.ZipFile(wheel) as zf:
        shipped = {n for n in zf.namelist() if n.startswith("refurb/")}
    missing = _source_files() - shipped
    assert not missing, sorted(missing)[:20]
    assert "refurb/migrations/versions/0001_foundation.py" in shipped
    assert "refurb/templates/base.html" in shipped


def test_the_build_warns_of_nothing(build):
    """``pip install .`` (the README's first command) builds without a warning of setuptools (data folders left out
    of the packages, a deprecated setting…)."""
    for warning in ("absent from the `packages` configuration", "BuildBackendWarning", "SetuptoolsWarning",
                    "SetuptoolsDeprecationWarning"):
        assert warning not in build[1], warning


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
