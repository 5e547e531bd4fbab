"""Only the index touches tables: no module outside `mediaquery.index` imports the schema or
builds SQL statements; the others call the index's functions (see the README's Architecture)."""

from __future__ import annotations

import ast
from pathlib import Path

import mediaquery

PACKAGE = Path(mediaquery.__file__).parent
# Handles and errors may pass through any layer; statements and the schema may not.
ALLOWED = {"sqlalchemy": {"Connection", "Engine"}, "sqlalchemy.exc": None}


def offenders(package: Path) -> list[str]:
    """`file:line what` for each import of tables or SQL outside the package's index/."""
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if rel.parts[0] == "index":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for what in _forbidden(node):
                found.append(f"{rel}:{node.lineno} {what}")
    return found


def _forbidden(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "sqlalchemy"]
    if not isinstance(node, ast.ImportFrom) or node.module is None:
        return []
    names = [a.name for a in node.names]
    if node.module == "mediaquery.index.tables" or (
        node.module == "mediaquery.index" and "tables" in names
    ):
        return [f"{node.module}: {', '.join(names)}"]
    if node.module.split(".")[0] != "sqlalchemy":
        return []
    allowed = ALLOWED.get(node.module, set())
    if allowed is None:
        return []
    return [f"{node.module}.{n}" for n in names if n not in allowed]


def test_only_the_index_imports_tables_and_sql() -> None:
    assert offenders(PACKAGE) == []


def test_the_check_finds_tables_and_statements(tmp_path: Path) -> None:
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "repo.py").write_text("from sqlalchemy import select\n")
    (tmp_path / "queue").mkdir()
    (tmp_path / "queue" / "jobs.py").write_text(
        "from sqlalchemy import Engine, update\n"
        "from sqlalchemy.exc import SQLAlchemyError\n"
        "from mediaquery.index.tables import jobs\n"
        "from mediaquery.index import tables\n"
        "import sqlalchemy.sql\n"
    )
    assert offenders(tmp_path) == [
        "queue/jobs.py:1 sqlalchemy.update",
        "queue/jobs.py:3 mediaquery.index.tables: jobs",
        "queue/jobs.py:4 mediaquery.index: tables",
        "queue/jobs.py:5 sqlalchemy.sql",
    ]
