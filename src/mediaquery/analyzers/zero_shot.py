"""Zero-shot labels from CLIP embeddings over a curated vocabulary (``data/scenes.json``).

Each label has prompts; each group has templates and background prompts. A class embedding
is the mean of the L2-normalised text embeddings of every prompt in every template of its
group (CLIP's prompt ensembling), normalised again. An image's classes compete by softmax of
LOGIT_SCALE x cosine only within their group ("night" does not compete with "beach"), and the
background classes (full sentences, used without templates) take the probability when
nothing in the group fits. A label's probability is the sum over the classes under it (itself
and, for a parent, its children), so "Outdoors" is as likely as any outdoor scene. Its
confidence is that probability above chance, (p - k/n) / (1 - k/n) for k of the group's n
classes: a parent of half the classes would otherwise get 50 from an image that says nothing.
A label is kept from its own threshold up.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np

from mediaquery.domain import LabelFinding
from mediaquery.runtime.clip import LOGIT_SCALE, normalise

DATA_FILE = "scenes.json"
BACKGROUND = ""  # the label of background classes: never emitted

Encoder = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    category: str
    parents: tuple[str, ...]
    aliases: tuple[str, ...]
    threshold: float


@dataclass(frozen=True, slots=True)
class Class:
    """One thing the image is compared with: a label or one background prompt of a group."""

    label: str  # BACKGROUND for background classes
    group: str
    prompts: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Classes (in embedding order), labels (leaves and parents) and who counts for whom."""

    classes: tuple[Class, ...]
    labels: tuple[Label, ...]
    members: np.ndarray  # bool [labels, classes]: the class's probability counts for the label
    groups: tuple[np.ndarray, ...]  # class indices of each group
    digest: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Vocabulary:
        """Build from the JSON shape of ``data/scenes.json``."""
        groups: Mapping[str, Mapping[str, Any]] = data["groups"]
        nodes: Mapping[str, Mapping[str, Any]] = data.get("nodes", {})
        classes: list[Class] = []
        leaves: dict[str, Label] = {}
        for entry in data["labels"]:
            group = groups[entry["group"]]
            name = str(entry["name"])
            if name in leaves:
                raise ValueError(f"label {name!r} is listed twice")
            prompts = _prompts(entry["prompts"], group["templates"])
            classes.append(Class(name, str(entry["group"]), prompts))
            leaves[name] = Label(
                name,
                str(entry.get("category") or group["category"]),
                _chain(entry.get("parents", ()), nodes),
                tuple(entry.get("aliases", ())),
                float(entry["threshold"]),
            )
        for key, group in groups.items():
            for phrase in group.get("background", ()):
                classes.append(Class(BACKGROUND, key, (str(phrase),)))  # a full sentence
        labels = list(leaves.values())
        parent_threshold = float(data["parent_threshold"])
        for leaf in list(labels):
            for parent in leaf.parents:
                if parent not in leaves:  # a parent's own parents come from "nodes"
                    chain = _chain([parent], nodes)[1:]
                    leaves[parent] = Label(parent, leaf.category, chain, (), parent_threshold)
                    labels.append(leaves[parent])
        index = {lab.name: i for i, lab in enumerate(labels)}
        members = np.zeros((len(labels), len(classes)), dtype=bool)
        for c, klass in enumerate(classes):
            if klass.label != BACKGROUND:
                for name in (klass.label, *leaves[klass.label].parents):
                    members[index[name], c] = True
        keys = list(groups)
        grouped = tuple(
            np.flatnonzero([k.group == key for k in classes]).astype(np.intp) for key in keys
        )
        blob = json.dumps(data, sort_keys=True).encode()
        return cls(
            tuple(classes), tuple(labels), members, grouped, hashlib.sha256(blob).hexdigest()[:8]
        )

    def prompts(self) -> list[str]:
        """Every prompt, class after class (the order `class_embeddings` expects)."""
        return [p for klass in self.classes for p in klass.prompts]


def _prompts(phrases: Sequence[str], templates: Sequence[str]) -> tuple[str, ...]:
    return tuple(t.format(p) for p in phrases for t in templates)


def _chain(parents: Sequence[str], nodes: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    """Parents and, recursively, the parents the vocabulary gives them; nearest first."""
    out: list[str] = []
    todo = list(parents)
    while todo:
        name = str(todo.pop(0))
        if name not in out:
            out.append(name)
            todo.extend(nodes.get(name, {}).get("parents", ()))
    return tuple(out)


@cache
def load_vocabulary() -> Vocabulary:
    """The shipped vocabulary (parsed once per process)."""
    text = (files("mediaquery.analyzers") / "data" / DATA_FILE).read_text(encoding="utf-8")
    return Vocabulary.from_dict(json.loads(text))


def class_embeddings(vocabulary: Vocabulary, encode: Encoder) -> np.ndarray:
    """float32 [classes, D]: each class's prompt ensemble, averaged and L2-normalised."""
    texts = vocabulary.prompts()
    vectors = normalise(encode(texts))
    out = []
    start = 0
    for klass in vocabulary.classes:
        out.append(vectors[start : start + len(klass.prompts)].mean(axis=0))
        start += len(klass.prompts)
    return normalise(np.stack(out))


def probabilities(vocabulary: Vocabulary, classes: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Per-class probability for one normalised image embedding (softmax within each group)."""
    logits = LOGIT_SCALE * (classes @ np.asarray(image, dtype=np.float32))
    probs = np.zeros(len(vocabulary.classes), dtype=np.float64)
    for idx in vocabulary.groups:
        z = logits[idx].astype(np.float64)
        e = np.exp(z - z.max())
        probs[idx] = e / e.sum()
    return probs


def labels_for(vocabulary: Vocabulary, probs: np.ndarray) -> list[LabelFinding]:
    """The labels whose confidence (0-100) reaches their threshold, most confident first."""
    conf = np.zeros(len(vocabulary.labels))
    for idx in vocabulary.groups:
        members = vocabulary.members[:, idx].astype(np.float64)
        # Above chance: a parent of half a group's classes gets half by a shrug (uniform
        # probabilities); only what the image adds to that counts.
        chance = members.sum(axis=1) / len(idx)
        lift = (members @ probs[idx] - chance) / np.maximum(1.0 - chance, 1e-9)
        conf = np.maximum(conf, np.where(chance < 1.0, lift, 0.0))
    conf = np.clip(100.0 * conf, 0.0, 100.0)  # float rounding can pass 1 by a hair
    found = [
        (float(conf[i]), -len(lab.parents), i)
        for i, lab in enumerate(vocabulary.labels)
        if conf[i] >= lab.threshold
    ]
    found.sort(key=lambda item: (-item[0], item[1], item[2]))  # ties: the specific label first
    return [
        LabelFinding(
            name=vocabulary.labels[i].name,
            confidence=round(c, 2),
            parents=vocabulary.labels[i].parents,
            aliases=vocabulary.labels[i].aliases,
            category=vocabulary.labels[i].category,
        )
        for c, _, i in found
    ]
