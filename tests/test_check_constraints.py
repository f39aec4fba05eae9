"""CHECK constraints written from Python constants (states, categories, roles…) cannot drift unseen:
the lists the database enforces are exactly the lists the models declare (SQLite and PostgreSQL).

Alembic's autogenerate (tests/test_migrations.py) does not compare CHECK constraints: a constant
changed without a migration would otherwise go unnoticed until the database refused a row."""

from __future__ import annotations

import re

from sqlalchemy import CheckConstraint, create_engine, text

from refurb.models import metadata

LITERAL = re.compile(r"'((?:[^']|'')*)'")


def _literals(sql: str) -> set[str]:
    return {m.replace("''", "'") for m in LITERAL.findall(sql)}


def _declared() -> dict[str, set[str]]:
    found = {}
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint) and constraint.name:
                name = str(constraint.name)
                found[name] = _literals(str(constraint.sqltext))
    return found


def _in_database(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                rows = conn.execute(text("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                         "WHERE contype = 'c'")).all()
                return {name: _literals(sql) for name, sql in rows}
            found = {}
            for (sql,) in conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL")):
                for name, body in _sqlite_checks(sql):
                    found[name] = _literals(body)
            return found
    finally:
        engine.dispose()


def _sqlite_checks(sql: str):
    """(name, expression) of each named CHECK in a CREATE TABLE statement (balanced parentheses)."""
    for match in re.finditer(r'CONSTRAINT\s+"?(\w+)"?\s+CHECK\s*\(', sql):
        depth, start = 1, match.end()
        i = start
        while depth and i < len(sql):
            if sql[i] == "'":
                i = sql.index("'", i + 1)
                while sql.startswith("''", i):
                    i = sql.index("'", i + 2)
            elif sql[i] == "(":
                depth += 1
            elif sql[i] == ")":
                depth -= 1
            i += 1
        yield match.group(1), sql[start:i - 1]


def test_database_checks_hold_the_lists_the_models_declare(database_url):
    declared, actual = _declared(), _in_database(database_url)
    missing = sorted(set(declared) - set(actual))
    assert missing == [], f"CHECK constraints declared by the models but not in the database: {missing}"
    # Lists of text values are what Python constants feed (PostgreSQL also quotes negative numbers).
    drifted = {name: (sorted(declared[name] - actual[name]), sorted(actual[name] - declared[name]))
               for name in declared if declared[name] and declared[name] != actual[name]}
    assert drifted == {}, "a constant changed without a migration: (only in Python, only in the database)"


def test_the_comparison_sees_a_drift():
    sql = 'CREATE TABLE t (x VARCHAR, CONSTRAINT ck_t_x CHECK (x IN (\'a\', \'b\', \'l\'\'été\')))'
    assert dict(_sqlite_checks(sql)) == {"ck_t_x": "x IN ('a', 'b', 'l''été')"}
    assert _literals("x IN ('a', 'b', 'l''été')") == {"a", "b", "l'été"}
