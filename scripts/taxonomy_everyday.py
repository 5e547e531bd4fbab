"""Build the reviewed everyday labels (``data/everyday.tsv``) into the taxonomy.

WordNet's hypernyms give a daisy the parents Flower and Plant, but nothing says that a
seashore photo shows the Sea and a Beach, or that a ski is seen in Snow.  The TSV file
declares such everyday labels (with their own parents and aliases) and maps ImageNet
classes or whole categories to them; this module adds them to the generated taxonomy as
categories, so their confidence is the summed probability of the classes that show them.
Used by ``build_taxonomy.py`` (dev time only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EVERYDAY_TSV = REPO / "src/mediaquery/analyzers/data/everyday.tsv"


@dataclass
class Everyday:
    labels: dict[str, tuple[list[str], list[str], str]] = field(default_factory=dict)
    rules: list[tuple[set[str], list[str]]] = field(default_factory=list)


def _items(text: str) -> list[str]:
    return [] if text.strip() == "-" else [x.strip() for x in text.split(",") if x.strip()]


def read_everyday(path: Path = EVERYDAY_TSV) -> Everyday:
    found = Everyday()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if cols[0] == "label" and len(cols) == 6 and cols[5].strip():
            found.labels[cols[1]] = (_items(cols[2]), _items(cols[3]), cols[4])
        elif cols[0] == "map" and len(cols) == 4 and cols[3].strip():
            found.rules.append((set(_items(cols[1])), _items(cols[2])))
        else:
            raise SystemExit(f"{path}:{number}: expected a label or map line with a reason")
    return found


def dedupe(items: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    """Drop repeats and anything in exclude, both case-insensitively; keeps the first spelling."""
    seen = {x.casefold() for x in exclude}
    out = []
    for item in items:
        if item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return out


def _nearest_first(items: list[str], up: dict[str, list[str]]) -> list[str]:
    # Each label before everything above it, so category sums nest (stable otherwise).
    left, out = list(items), []
    while left:
        pick = next(x for x in left if not any(x in up[y] for y in left if y != x))
        out.append(pick)
        left.remove(pick)
    return out


def _check(everyday: Everyday, known: set[str], nodes: set[str]) -> None:
    for name, (parents, _, _) in everyday.labels.items():
        if missing := set(parents) - nodes:
            raise SystemExit(f"everyday label {name!r} has unknown parents {sorted(missing)}")
    for sources, targets in everyday.rules:
        if missing := (sources - known) | (set(targets) - nodes):
            raise SystemExit(f"everyday rule {sorted(sources)} names unknown {sorted(missing)}")


def apply_everyday(data: dict[str, Any], everyday: Everyday) -> None:
    """Add the everyday labels to ``data`` (classes and nodes) in place."""
    classes: list[dict[str, Any]] = data["classes"]
    nodes: dict[str, dict[str, Any]] = data["nodes"]
    for name, (_, aliases, category) in everyday.labels.items():
        node = nodes.setdefault(
            name, {"wnids": [], "aliases": [], "parents": [], "category": category}
        )
        node["aliases"] = dedupe([*node["aliases"], *aliases])
    known = {c["name"] for c in classes} | set(nodes)
    _check(everyday, known, set(nodes))

    up: dict[str, list[str]] = {}

    def ancestors(name: str, path: tuple[str, ...] = ()) -> list[str]:
        if name in path:
            raise SystemExit(f"everyday labels form a cycle: {' -> '.join((*path, name))}")
        if name not in up:
            direct = [*nodes[name]["parents"], *everyday.labels.get(name, ([], [], ""))[0]]
            chain = [x for p in direct for x in (p, *ancestors(p, (*path, name)))]
            up[name] = dedupe(chain, exclude=[name])
        return up[name]

    for name in sorted(nodes):
        ancestors(name)
    for name, node in nodes.items():
        node["parents"] = _nearest_first(up[name], up)
    for entry in classes:
        own = {entry["name"], *entry["parents"]}
        targets = [t for sources, ts in everyday.rules if sources & own for t in ts]
        reached = [*entry["parents"], *targets]
        if entry["name"] in nodes:
            reached += up[entry["name"]]
        chain = [x for p in reached for x in (p, *up[p])]
        entry["parents"] = _nearest_first(dedupe(chain, exclude=[entry["name"]]), up)
    # A word names one label: an alias that is now another label's name is dropped.
    names = {n.casefold() for n in known}
    for entry in [*classes, *nodes.values()]:
        entry["aliases"] = [a for a in entry["aliases"] if a.casefold() not in names]
