"""The package's floors: a module imports only from its own floor or the floors below.

Data flows ingest → queue → analyzers → index → api/cli; `models/` (model files) sits below
`analyzers/`, which imports it, and the command line sits on top. Every import counts, also
one inside a function or under TYPE_CHECKING, because each is a dependency all the same."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mediaquery

PACKAGE = Path(mediaquery.__file__).parent

# lowest first; a name is a top-level module or package of mediaquery
FLOORS: tuple[frozenset[str], ...] = tuple(
    frozenset(floor.split())
    for floor in (
        "__init__ errors domain names digest logs mediatypes config",
        "decode metadata runtime storage thumbnail_image",
        "models",
        "analyzers index",
        "video context",
        "notify people thumbnails",
        "queue ingest",
        "api auth",
        "app web",
        "cli __main__",
    )
)
# pairs on one floor that must still not meet: analyzers never touch the index or storage
FORBIDDEN = {("analyzers", "index"), ("analyzers", "storage"), ("analyzers", "context")}


def floor_of(top: str) -> int:
    for level, names in enumerate(FLOORS):
        if top in names:
            return level
    raise AssertionError(f"mediaquery.{top} is on no floor: add it to FLOORS in {__file__}")


def imports(path: Path) -> set[str]:
    """The top-level mediaquery modules `path` imports (`mediaquery.x.y` → `x`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        else:
            continue
        found |= {m.split(".")[1] for m in modules if m.startswith("mediaquery.")}
    return found


def top_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_every_module_is_on_a_floor() -> None:
    for path in SOURCES:
        floor_of(top_of(path))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_runs_back_up(path: Path) -> None:
    top = top_of(path)
    upward = sorted(
        f"mediaquery.{name} (floor {floor_of(name)})"
        for name in imports(path) - {top}
        if floor_of(name) > floor_of(top) or (top, name) in FORBIDDEN
    )
    assert not upward, f"{path.relative_to(PACKAGE)} (floor {floor_of(top)}) imports {upward}"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from mediaquery.analyzers.registry import build\n")
    assert imports(module) == {"analyzers"}
    assert floor_of("analyzers") > floor_of("models")


def test_only_storage_names_a_storage_backend() -> None:
    """Callers ask the Storage protocol's capabilities; `storage/open.py` alone picks a class,
    so a new backend needs no edits outside `storage/`."""
    backends = {"mediaquery.storage.local", "mediaquery.storage.s3"}
    naming = []
    for path in SOURCES:
        if top_of(path) == "storage":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in backends:
                naming.append(f"{path.relative_to(PACKAGE)} imports {node.module}")
    assert not naming


def test_every_error_class_is_declared_in_errors_py() -> None:
    from mediaquery import errors

    hierarchy = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.MediaQueryError)
    }
    elsewhere = [
        f"{path.relative_to(PACKAGE)}: {node.name}"
        for path in SOURCES
        if path.name != "errors.py" or top_of(path) != "errors"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and any(isinstance(b, ast.Name) and b.id in hierarchy for b in node.bases)
    ]
    assert not elsewhere
