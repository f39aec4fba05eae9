"""The layout holds: each area has one door (its services and models), and the web never reaches past it.

import-linter (run by CI: `lint-imports`, contracts in pyproject.toml) checks the layers and that the
domain never imports the web layer; this test checks the doors, which import-linter cannot express
without listing every internal module by hand.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "refurb"
AREAS = ("sites", "accounts", "inventory", "refurbishment", "loans", "documents", "certificates", "reports",
         "public")
# Modules of constants (names, labels, tables) that anyone may read: they hold no rule to bypass.
CONSTANTS = {"inventory.categories", "inventory.workflow", "refurbishment.catalog", "sites.hours",
             "accounts.roles", "accounts.scope"}
DOORS = {"services", "models"}
# The few internal modules that a named other part may use, each for one reason:
EXCEPTIONS = {
    # the owners of a device's moves (inventory/workflow.py OWNER) apply them
    "inventory.lifecycle": ("refurb.refurbishment.", "refurb.loans."),
    # the device page's panels and history labels: a registry the higher areas add to at init_app
    "inventory.panels": ("refurb.refurbishment", "refurb.loans", "refurb.certificates"),
    # the documents area lists the other areas' exports and importers explicitly
    "loans.exports": ("refurb.documents.",), "refurbishment.exports": ("refurb.documents.",),
    "loans.imports": ("refurb.documents.",),
}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    """Absolute names of the refurb modules that a file imports (relative imports resolved)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists()
                          or (PACKAGE.parent / candidate.replace(".", "/")).is_dir() else base)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith("refurb.")}


def _area_of(module: str) -> tuple[str, str] | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] in AREAS:
        return parts[1], parts[2]
    return None


def _is_web(module: str) -> bool:
    parts = module.split(".")
    return parts[1] in ("web", "api", "admin") or (len(parts) > 2 and parts[2].startswith(("views", "api")))


def test_other_areas_and_the_web_use_only_an_areas_door():
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = _module_name(path)
        mine = _area_of(me)
        for target in sorted(_imports(path)):
            where = _area_of(target)
            if where is None:
                continue
            area, module = where
            same_area = (mine is not None and mine[0] == area) or me == f"refurb.{area}"  # or its init_app
            if same_area and not _is_web(me):
                continue  # inside an area, its modules use each other freely
            if same_area and _is_web(target):
                continue  # an area's pages and API share their web helpers; init_app imports them
            if module in DOORS or f"{area}.{module}" in CONSTANTS:
                continue
            if me.startswith(EXCEPTIONS.get(f"{area}.{module}", ())):
                continue
            if module == "demo" and (me == "refurb.demo" or me.endswith(".demo")):
                continue  # the demonstration data: refurb/demo.py calls each area's seed step
            problems.append(f"{me} imports {target}: use refurb.{area}.services (the area's door)")
    assert problems == []
