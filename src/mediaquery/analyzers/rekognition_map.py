"""Rekognition's answers in our terms: labels joined to our taxonomy, faces, text lines and
moderation labels.

A label our taxonomy knows (by name or alias, any case) takes our canonical name, parents,
aliases and category, with Rekognition's own name and aliases kept as aliases: `label=Dog`
then finds Rekognition's Dog and the `labels` analyzer's alike, and `label=Mobile Phone`
finds what both call "Cell Phone". A label it does not know keeps Rekognition's parents (each
joined to the taxonomy where it can be). Every parent is also reported as a label of its own,
as Rekognition and the `labels` analyzer both do, so `label=<parent>` matches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from functools import cache
from typing import Any

from mediaquery.analyzers.taxonomy import load_taxonomy
from mediaquery.domain import Box, LabelFinding

MODERATION = "Moderation"  # the category the index keeps apart from labels
TEXT = "Text"
PERSON = "Person"


@cache
def _lookup() -> dict[str, int]:
    """casefolded name or alias → taxonomy label index; a label's own name wins over aliases."""
    taxonomy = load_taxonomy()
    found: dict[str, int] = {}
    for i, aliases in enumerate(taxonomy.aliases):
        for alias in aliases:
            found.setdefault(alias.casefold(), i)
    found.update({name.casefold(): i for i, name in enumerate(taxonomy.labels)})
    return found


def known(name: str) -> LabelFinding | None:
    """The taxonomy's entry for a name or alias (confidence 0), or None when it is unknown."""
    i = _lookup().get(name.casefold())
    if i is None:
        return None
    t = load_taxonomy()
    return LabelFinding(t.labels[i], 0.0, t.parents[i], t.aliases[i], t.categories[i])


def box(raw: Mapping[str, Any]) -> Box:
    """Rekognition's BoundingBox (already relative), clipped to the image where it spills over
    (faces at the edge)."""
    left, width = _span(float(raw.get("Left", 0.0)), float(raw.get("Width", 0.0)))
    top, height = _span(float(raw.get("Top", 0.0)), float(raw.get("Height", 0.0)))
    return Box(left=left, top=top, width=width, height=height)


def _span(start: float, size: float) -> tuple[float, float]:
    if 0.0 <= start and start + size <= 1.0:
        return start, max(size, 0.0)
    lo, hi = min(max(start, 0.0), 1.0), min(max(start + size, 0.0), 1.0)
    return lo, hi - lo


def _names(items: Iterable[Mapping[str, Any]] | None) -> list[str]:
    return [str(x["Name"]) for x in items or () if x.get("Name")]


def _unique(items: Iterable[str], exclude: str) -> tuple[str, ...]:
    seen = {exclude.casefold()}
    out = []
    for item in items:
        if item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return tuple(out)


def joined(
    name: str, parents: Sequence[str], aliases: Sequence[str], category: str
) -> LabelFinding:
    """One Rekognition label in our vocabulary (confidence 0; the caller sets it)."""
    ours = known(name) or next((k for a in aliases if (k := known(a))), None)
    if ours is not None:
        return LabelFinding(
            ours.name, 0.0, ours.parents,
            _unique([*ours.aliases, name, *aliases], exclude=ours.name), ours.category,
        )  # fmt: skip
    chain: list[str] = []
    for parent in parents:
        theirs = known(parent)
        chain.extend([theirs.name, *theirs.parents] if theirs else [parent])
    return LabelFinding(name, 0.0, _unique(chain, exclude=name), _unique(aliases, name), category)


def labels(raw: Sequence[Mapping[str, Any]]) -> list[LabelFinding]:
    """DetectLabels' `Labels` (images) as our labels, parents included, most confident first."""
    found: dict[str, LabelFinding] = {}
    for lab in raw:
        name = str(lab["Name"])
        categories = _names(lab.get("Categories"))
        base = joined(name, _names(lab.get("Parents")), _names(lab.get("Aliases")),
                      categories[0] if categories else "Object")  # fmt: skip
        boxes = tuple(box(i["BoundingBox"]) for i in lab.get("Instances") or ()
                      if i.get("BoundingBox"))  # fmt: skip
        _merge(found, base, float(lab.get("Confidence", 0.0)), boxes)
    for child in list(found.values()):  # parents Rekognition did not list as labels
        for i, parent in enumerate(child.parents):
            if parent.casefold() not in found:
                ours = known(parent) or LabelFinding(parent, 0.0, child.parents[i + 1 :])
                _merge(found, ours, child.confidence, ())
    return _ordered(found)


def merged(found: Iterable[LabelFinding]) -> list[LabelFinding]:
    """Labels from several calls, one per name: the surest, with every box."""
    by_name: dict[str, LabelFinding] = {}
    for lab in found:
        _merge(by_name, lab, lab.confidence, lab.boxes)
    return _ordered(by_name)


def _ordered(found: dict[str, LabelFinding]) -> list[LabelFinding]:
    return sorted(found.values(), key=lambda x: (-x.confidence, -len(x.parents), x.name))


def _merge(found: dict[str, LabelFinding], base: LabelFinding, conf: float,
           boxes: tuple[Box, ...]) -> None:  # fmt: skip
    key = base.name.casefold()
    old = found.get(key)
    if old is not None:  # two Rekognition names joined one of ours: keep the surer one
        conf, boxes = max(conf, old.confidence), old.boxes + boxes
        base = old
    found[key] = LabelFinding(base.name, round(min(conf, 100.0), 3), base.parents, base.aliases,
                              base.category, boxes)  # fmt: skip


def faces(details: Sequence[Mapping[str, Any]], min_confidence: float) -> list[LabelFinding]:
    """DetectFaces' `FaceDetails` as one "Face" label (parent Person) with a box per face, and
    its parent "Person"."""
    sure = [f for f in details if float(f.get("Confidence", 0.0)) >= min_confidence]
    if not sure:
        return []
    best = max(float(f["Confidence"]) for f in sure)
    boxes = tuple(box(f["BoundingBox"]) for f in sure if f.get("BoundingBox"))
    person = known(PERSON) or LabelFinding(PERSON, 0.0, category=PERSON)
    return [
        LabelFinding("Face", round(best, 3), (PERSON,), (), PERSON, boxes),
        LabelFinding(PERSON, round(best, 3), person.parents, person.aliases, person.category),
    ]


def text_lines(
    detections: Sequence[Mapping[str, Any]], min_confidence: float
) -> list[dict[str, Any]]:
    """DetectText's LINE detections (words are left out) as our text lines, in its order."""
    lines = []
    for d in detections:
        text = " ".join(str(d.get("DetectedText", "")).split())
        conf = float(d.get("Confidence", 0.0))
        if d.get("Type") != "LINE" or not text or conf < min_confidence:
            continue
        b = box((d.get("Geometry") or {}).get("BoundingBox") or {})
        lines.append({"text": text, "confidence": round(conf, 2), "box": asdict(b)})
    return lines


def text_label(lines: Sequence[Mapping[str, Any]]) -> list[LabelFinding]:
    """A "Text" label over every line, as the `text` analyzer reports it."""
    if not lines:
        return []
    boxes = tuple(Box(**line["box"]) for line in lines)
    best = max(float(line["confidence"]) for line in lines)
    return [LabelFinding("Text", best, category=TEXT, boxes=boxes)]


def moderation(raw: Sequence[Mapping[str, Any]]) -> list[LabelFinding]:
    """DetectModerationLabels' labels, each with its chain of parents (nearest first)."""
    parent_of = {str(m["Name"]): str(m.get("ParentName") or "") for m in raw if m.get("Name")}
    out = []
    for m in raw:
        name = str(m.get("Name") or "")
        if not name:
            continue
        chain: list[str] = []
        parent = str(m.get("ParentName") or "")
        while parent and parent not in chain and parent != name:
            chain.append(parent)
            parent = parent_of.get(parent, "")
        out.append(LabelFinding(name, round(float(m.get("Confidence", 0.0)), 3), tuple(chain),
                                category=MODERATION))  # fmt: skip
    return sorted(out, key=lambda x: -x.confidence)
