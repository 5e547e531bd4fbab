"""Scene words an ImageNet classifier has no class for, read off its image embedding.

ImageNet-1k names objects; "outdoors", "sky", "tree" or "building" are no class of it, yet
the classifier's pooled 1280-d features carry them: averaged over the photo, and at their
peak (max-pooled: "a tree somewhere" fires in one corner of the map).
``data/label_heads.json`` (fitted by ``scripts/fit_label_heads.py`` on the label
evaluation's calibration half only) holds one small logistic-regression head per word:
weights over those features and a few image statistics (how green, how dark, how much smooth
blue or grey at the top), and a slope that maps its score to a confidence, so that the
head's threshold for 85 % cross-validated precision sits at the default minimum confidence
(25). A head replaces the taxonomy's label of that name, adds to it (the stronger wins) or
gates it (the taxonomy's label stays only where the head does not rule it out), whichever
scored best in cross-validation. A head may name labels it yields to ("unless"): its label is
not added where one of them is at the default minimum (Person's head on the embedding, which
the people analyzer's detectors miss on side views and crowds, is muted where the photo is an
Animal's: a swan family scored as high as people do). Costs one small matrix product per batch.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from mediaquery.analyzers.taxonomy import Taxonomy
from mediaquery.domain import LabelFinding

HEADS_FILE = "label_heads.json"
# Names of image_stats' columns, in order (the heads file records the ones it was fitted on).
STAT_NAMES = (
    "brightness",
    "dark",
    "saturation",
    "green",
    "top_blue",
    "top_smooth",
    "top_bright_grey",
    "white",
    "warm",
    "top_cloud",
)
DEFAULT_MIN = 25.0
# The cloud statistic's resolution and band of neighbour differences, chosen on the label
# evaluation's calibration half by scripts/calibrate_cloud_texture.py.
CLOUD_SCALE = 2
CLOUD_BAND = (0.015, 0.12)
# Model outputs a heads file written before it recorded its inputs was fitted on.
DEFAULT_INPUTS = ("features",)
# How each model output is reshaped before a head reads it: as is ("none"), or square-rooted
# and scaled to unit length per image ("sqrt-l2", which tames the few channels that fire
# strongly on any photo; out of fold it raised the heads' mean average precision).
TRANSFORMS = ("none", "sqrt-l2")


def image_stats(pixels: np.ndarray) -> np.ndarray:
    """Colour statistics of preprocessed images ([N,3,H,W], (x - 127) / 128) -> [N, 10]."""
    rgb = np.clip(pixels * 128.0 + 127.0, 0.0, 255.0) / 255.0
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    value = rgb.max(axis=1)
    spread = value - rgb.min(axis=1)
    sat = np.where(value > 0, spread / np.maximum(value, 1e-6), 0.0)
    height = rgb.shape[2]
    top = slice(0, height // 3)
    tr, tg, tb, tv, ts = r[:, top], g[:, top], b[:, top], value[:, top], sat[:, top]
    # Sky is smooth: little difference between neighbouring pixels of the top third.
    grad = np.abs(np.diff(rgb[:, :, top], axis=3)).mean(axis=1)
    blue = (tb > tr + 0.04) & (tb >= tg) & (tv > 0.35)
    grey = (ts < 0.15) & (tv > 0.6)
    stats = [
        value.mean(axis=(1, 2)),
        (value < 0.2).mean(axis=(1, 2)),
        sat.mean(axis=(1, 2)),
        ((2 * g - r - b) > 0.1).mean(axis=(1, 2)),
        blue.mean(axis=(1, 2)),
        (grad < 0.02).mean(axis=(1, 2)),
        grey.mean(axis=(1, 2)),
        ((value > 0.8) & (sat < 0.12)).mean(axis=(1, 2)),
        ((r > g) & (g > b) & (sat > 0.3)).mean(axis=(1, 2)),
        soft_sky_texture(rgb[:, :, top]),
    ]
    return np.stack(stats, axis=1).astype(np.float32)


def soft_sky_texture(
    rgb: np.ndarray, scale: int = CLOUD_SCALE, band: tuple[float, float] = CLOUD_BAND
) -> np.ndarray:
    """Share of sky-coloured pixels (blue, or pale and grey) of ``rgb`` ([N,3,H,W], 0-1) whose
    neighbours differ by ``band`` at 1/``scale`` resolution: cloud edges and texture, where
    a clear or hazy sky is smoother and buildings or leaves are rougher."""
    n, c, h, w = rgb.shape
    x = rgb[:, :, : h // scale * scale, : w // scale * scale]
    x = x.reshape(n, c, h // scale, scale, w // scale, scale).mean(axis=(3, 5))
    value = x.max(axis=1)
    sat = (value - x.min(axis=1)) / np.maximum(value, 1e-6)
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    sky = ((b > r + 0.04) & (b >= g) & (value > 0.35)) | ((sat < 0.25) & (value > 0.45))
    grad = np.zeros_like(value)
    grad[:, :, 1:] = np.abs(np.diff(x, axis=3)).mean(axis=1)
    grad[:, 1:, :] += np.abs(np.diff(x, axis=2)).mean(axis=1)
    return (sky & (grad >= band[0]) & (grad < band[1])).mean(axis=(1, 2))


def head_inputs(
    outputs: Mapping[str, np.ndarray],
    inputs: tuple[str, ...],
    stats: np.ndarray,
    transform: str = "none",
) -> np.ndarray:
    """What a head reads: the named model outputs (each ``transform``-ed) and the image
    statistics, side by side."""
    blocks = [np.asarray(outputs[name], dtype=np.float64) for name in inputs]
    if transform == "sqrt-l2":
        blocks = [np.sqrt(np.maximum(b, 0.0)) for b in blocks]
        blocks = [b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-6) for b in blocks]
    return np.concatenate([*blocks, stats], axis=1).astype(np.float32)


@dataclass(frozen=True)
class Heads:
    """Every head's label name, mode, weights ([D, K]), bias, confidence slope and threshold,
    over the model outputs ``inputs`` (in order) and the image statistics."""

    inputs: tuple[str, ...]
    transform: str
    names: tuple[str, ...]
    # "replace" the taxonomy's label, the "max" of both, or "gate": the taxonomy's label
    # stays only where the head reaches its threshold (the head adds no label of its own)
    modes: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    slope: np.ndarray
    threshold: np.ndarray
    # per head, labels at or above DEFAULT_MIN (after the other heads) that mute its own label
    unless: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Heads:
        """Build from the shape ``scripts/fit_label_heads.py`` writes."""
        if tuple(data["stats"]) != STAT_NAMES:
            raise ValueError("label heads were fitted on other image statistics")
        transform = data.get("transform", "none")
        if transform not in TRANSFORMS:
            raise ValueError(f"unknown transform of the label heads' inputs: {transform}")
        if tuple(data.get("views", ("centre",))) != ("centre",):
            # fit_label_heads.py features --views: the analyzer sees the centre crop only
            raise ValueError("label heads were fitted on other views than the centre crop")
        heads = data["heads"]
        weights = [np.frombuffer(base64.b64decode(h["weights"]), dtype="<f4") for h in heads]
        return cls(
            inputs=tuple(data.get("inputs", DEFAULT_INPUTS)),
            transform=transform,
            names=tuple(h["label"] for h in heads),
            modes=tuple(h["mode"] for h in heads),
            weights=np.stack(weights, axis=1) if heads else np.zeros((0, 0), np.float32),
            bias=np.array([h["bias"] for h in heads], dtype=np.float32),
            slope=np.array([h["slope"] for h in heads], dtype=np.float32),
            threshold=np.array([h["threshold"] for h in heads], dtype=np.float32),
            unless=tuple(tuple(h.get("unless", ())) for h in heads),
        )

    def confidences(self, outputs: Mapping[str, np.ndarray], stats: np.ndarray) -> np.ndarray:
        """[N, K] confidences (0-100) from the model's ``outputs`` by name and the image
        statistics: DEFAULT_MIN exactly at each head's threshold."""
        if not self.names:
            return np.zeros((len(stats), 0), np.float32)
        x = head_inputs(outputs, self.inputs, stats, self.transform)
        score = x @ self.weights + self.bias
        logit = self.slope * (score - self.threshold) + np.log(DEFAULT_MIN / (100 - DEFAULT_MIN))
        return (100.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))).astype(np.float32)


@cache
def load_heads() -> Heads:
    """The shipped heads (parsed once per process)."""
    text = resources.files("mediaquery.analyzers").joinpath("data", HEADS_FILE)
    return Heads.from_dict(json.loads(text.read_text(encoding="utf-8")))


def apply_heads(
    labels: list[LabelFinding], conf: np.ndarray, heads: Heads, taxonomy: Taxonomy, floor: float
) -> list[LabelFinding]:
    """The taxonomy's labels of one image with its head confidences merged in."""
    by_name = {lab.name: lab for lab in labels}
    unless = heads.unless or ((),) * len(heads.names)
    rows = list(zip(heads.names, heads.modes, conf.tolist(), unless, strict=True))
    # Heads that yield to other labels go last, when those labels are settled.
    for name, mode, c, blockers in sorted(rows, key=lambda row: bool(row[3])):
        old = by_name.pop(name, None)
        if mode == "gate":
            if old is not None and c >= DEFAULT_MIN:
                by_name[name] = old
            continue
        if mode == "max" and old is not None and old.confidence >= c:
            by_name[name] = old
            continue
        muted = any(b in by_name and by_name[b].confidence >= DEFAULT_MIN for b in blockers)
        if c < floor or muted:
            if old is not None and mode == "max":
                by_name[name] = old
            continue
        j = taxonomy.index.get(name)
        by_name[name] = LabelFinding(
            name=name,
            confidence=float(c),
            parents=taxonomy.parents[j] if j is not None else (),
            aliases=taxonomy.aliases[j] if j is not None else (),
            category=taxonomy.categories[j] if j is not None else "Place",
        )
    return sorted(by_name.values(), key=lambda lab: -lab.confidence)
