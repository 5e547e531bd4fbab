"""The `objects` analyzer: COCO-80 object instances (a YOLO export) as labels with boxes.

COCO's classes become labels of the same taxonomy the `labels` analyzer uses
(``data/coco_labels.json``): dog → "Dog" with parents Canine, Mammal, Animal, person →
"Person" (alias Human), so a label query sees one vocabulary whichever analyzer found it.
One label per class carries a box per instance, its confidence the best instance's; each
parent is a label too (no boxes), as sure as its surest child, so `label=animal` finds dogs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

from PIL import Image

from mediaquery.analyzers.base import Analyzer
from mediaquery.analyzers.taxonomy import load_taxonomy
from mediaquery.domain import Box, Findings, LabelFinding
from mediaquery.models.catalogue import require
from mediaquery.runtime.yolo import INPUT_SIZE, Detection, YoloDetector

MODEL = "yolov8n-coco"
DATA_FILE = "coco_labels.json"


@dataclass(frozen=True, slots=True)
class Entry:
    """How one label is written: its parents (nearest first), aliases and category."""

    name: str
    parents: tuple[str, ...]
    aliases: tuple[str, ...]
    category: str


def _data() -> bytes:
    return (files("mediaquery.analyzers") / "data" / DATA_FILE).read_bytes()


@cache
def coco_labels() -> tuple[tuple[Entry, ...], dict[str, Entry]]:
    """The 80 class labels in output order, and every label (classes and parents) by name."""
    taxonomy = load_taxonomy()

    def entry(name: str, extra: Mapping[str, Any], category: str) -> Entry:
        i = taxonomy.index.get(name)
        aliases = tuple(str(a) for a in extra.get("aliases", ()))
        if i is not None:
            own = tuple(a for a in aliases if a not in taxonomy.aliases[i])
            return Entry(
                name, taxonomy.parents[i], taxonomy.aliases[i] + own, taxonomy.categories[i]
            )
        parents = tuple(str(p) for p in extra.get("parents", ()))
        return Entry(name, parents, aliases, str(extra.get("category") or category))

    classes = []
    known: dict[str, Entry] = {}
    for row in json.loads(_data())["classes"]:
        found = entry(str(row["label"]), row, "Object")
        classes.append(found)
        known[found.name] = found
        for parent in found.parents:
            known.setdefault(parent, entry(parent, {}, found.category))
    return tuple(classes), known


class ObjectsAnalyzer(Analyzer):
    """People, animals, vehicles, food and household objects, with a box per instance."""

    name: ClassVar[str] = "objects"
    version: ClassVar[str] = f"yolov8n-coco.1+map.{hashlib.sha256(_data()).hexdigest()[:8]}"
    requires: ClassVar[tuple[str, ...]] = (MODEL,)
    per_shot: ClassVar[bool] = True
    min_side: ClassVar[int | None] = INPUT_SIZE

    def _load(self) -> None:
        path = require(self.model_dir, MODEL)  # Analyzer.load checked; it may be gone since
        self.classes, self.known = coco_labels()
        self.detector = _detector(path.resolve(), len(self.classes), self.threads)

    def _unload(self) -> None:
        del self.detector
        _detector.cache_clear()

    def _analyze(self, image: Image.Image) -> Findings:
        found = [d for d in self.detector.detect(image) if _area(d) > 0]
        return Findings(
            analyzer=self.name,
            version=self.version,
            labels=self.labels(found, image.size),
            extra={"objects": len(found)},
        )

    def labels(self, found: list[Detection], size: tuple[int, int]) -> list[LabelFinding]:
        """One label per class with its instances' boxes, then the parents (no boxes)."""
        by_label: dict[str, list[Detection]] = {}
        for det in found:
            by_label.setdefault(self.classes[det.class_id].name, []).append(det)
        score: dict[str, float] = {}
        for name, dets in by_label.items():
            best = max(d.score for d in dets)
            for label in (name, *self.known[name].parents):  # a parent: its surest child
                score[label] = max(score.get(label, 0.0), best)
        out = []
        for name, conf in score.items():
            entry = self.known[name]
            dets = sorted(by_label.get(name, ()), key=lambda d: (d.box[0], d.box[1]))
            boxes = tuple(_box(d, *size) for d in dets)
            out.append(
                LabelFinding(
                    name, round(100 * conf, 2), entry.parents, entry.aliases, entry.category, boxes
                )
            )
        # Most confident first; on a tie the more specific label (more parents) first.
        out.sort(key=lambda lab: (-lab.confidence, -len(lab.parents), lab.name))
        return out


@cache
def _detector(path: Path, num_classes: int, threads: int) -> YoloDetector:
    # One session per process and model file, shared by every analyzer instance.
    return YoloDetector(path, num_classes, threads)


def _area(det: Detection) -> float:
    x0, y0, x1, y1 = det.box
    return max(0.0, x1 - x0) * max(0.0, y1 - y0)


def _box(det: Detection, w: int, h: int) -> Box:
    x0, y0, x1, y1 = det.box
    return Box(left=x0 / w, top=y0 / h, width=(x1 - x0) / w, height=(y1 - y0) / h)
