"""Derive the `moderation` thresholds from ordinary images: the calibration half of the label
evaluation set and the wider ordinary set of benchmarks/label_eval/moderation_extra.json (every
image of the packages the set comes from, none with nudity or swimwear); the test half and
tests/data only report.

For each top-level moderation label it prints the best NudeNet score of its classes, next to a
face or other body part (context) and alone, and which image gave it. Each threshold is the
lowest one, on a 0.05 grid, that clears the best score it governs by a margin of 0.05, never
below the values first measured on scikit-image (FLOORS): MIN_SCORE (exposed parts with
context), SUGGESTIVE_SCORE (covered parts with context) and ALONE_SCORE (any part alone). Then
it lists every image flagged with the thresholds in the code.

    python benchmarks/label_eval/moderation_extra.py --out /tmp/moderation-extra
    python scripts/calibrate_moderation.py --extra /tmp/moderation-extra [--above 0.6] [--test]

``--above`` lists the ordinary-set images with any moderation score at least that high (the
ones to look at before trusting the set); ``--test`` also scores the test half, to report.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from mediaquery.analyzers import nudenet_detector
from mediaquery.analyzers.moderation import (
    ALONE_SCORE,
    CONTEXT_SCORE,
    MIN_SCORE,
    SUGGESTIVE,
    SUGGESTIVE_SCORE,
    TAXONOMY,
    TOP_LEVEL,
    flag,
)
from mediaquery.analyzers.nudenet_detector import Detection
from mediaquery.decode import decode_image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks/label_eval"))
import moderation_extra  # noqa: E402

MARGIN = 0.05
MAX_PIXELS = 80_000_000
# The thresholds before any calibration set (measured on scikit-image): never go below them.
FLOORS = {"MIN_SCORE": 0.65, "SUGGESTIVE_SCORE": 0.7, "ALONE_SCORE": 0.7}
CODE = {"MIN_SCORE": MIN_SCORE, "SUGGESTIVE_SCORE": SUGGESTIVE_SCORE, "ALONE_SCORE": ALONE_SCORE}


def _detect(path: Path) -> tuple[Detection, ...] | None:
    try:
        image = decode_image(path, MAX_PIXELS).image
    except Exception as exc:  # noqa: BLE001 - a broken sample file is reported, not fatal
        print(f"  skipped {path.name}: {exc}")
        return None
    return nudenet_detector.detect(image)


def _findings(dets: tuple[Detection, ...]) -> list[tuple[str, bool, Detection]]:
    """(top-level label, has context, detection) for each moderation-class detection."""
    out = []
    for det in dets:
        if det.label in TAXONOMY:
            context = any(o.label != det.label and o.score >= CONTEXT_SCORE for o in dets)
            out.append((TAXONOMY[det.label][1], context, det))
    return out


def _best(found: dict[str, tuple[Detection, ...]]) -> dict[tuple[str, bool], tuple[float, str]]:
    """(top-level label, context) -> (best score, "image: class")."""
    best: dict[tuple[str, bool], tuple[float, str]] = {}
    for path, dets in found.items():
        for top, context, det in _findings(dets):
            if det.score > best.get((top, context), (0.0, ""))[0]:
                best[(top, context)] = (det.score, f"{Path(path).name}: {det.label}")
    return best


def _threshold(score: float, floor: float) -> float:
    return max(floor, math.ceil((score + MARGIN) * 20 - 1e-9) / 20)


def derive(best: dict[tuple[str, bool], tuple[float, str]]) -> dict[str, float]:
    """The thresholds that clear every best score by the margin."""

    def top(keys: list[tuple[str, bool]]) -> float:
        return max((best.get(k, (0.0, ""))[0] for k in keys), default=0.0)

    exposed = [(t, True) for t in TOP_LEVEL if t != SUGGESTIVE]
    return {
        "MIN_SCORE": _threshold(top(exposed), FLOORS["MIN_SCORE"]),
        "SUGGESTIVE_SCORE": _threshold(top([(SUGGESTIVE, True)]), FLOORS["SUGGESTIVE_SCORE"]),
        "ALONE_SCORE": _threshold(top([(t, False) for t in TOP_LEVEL]), FLOORS["ALONE_SCORE"]),
    }


def _groups(args: argparse.Namespace) -> dict[str, list[Path]]:
    """The images of each set to score: calibration, ordinary, (test) and tests/data."""
    manifest = json.loads((ROOT / "benchmarks/label_eval/manifest.json").read_text("utf-8"))
    groups: dict[str, list[Path]] = {"calibration": [], "ordinary": []}
    if args.test:
        groups["test"] = []
    for p in manifest["photos"]:
        if p["split"] in groups:
            groups[p["split"]].append(args.photos / p["id"])
    if args.extra:
        images, excluded = moderation_extra.load()
        groups["ordinary"] = [
            args.extra / moderation_extra.file_name(i)
            for i in images
            if i["sha256"] not in excluded
        ]
        print(f"ordinary set: {len(groups['ordinary'])} images ({len(excluded)} excluded by hand)")
    groups["tests/data"] = sorted(
        f for f in (ROOT / "tests/data").glob("*/*") if f.suffix.lower() != ".md"
    )
    return groups


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=Path, default=Path("/work/label-eval-photos"))
    ap.add_argument("--extra", type=Path, help="the ordinary set, from moderation_extra.py --out")
    ap.add_argument("--above", type=float, help="list ordinary-set images scoring this high")
    ap.add_argument("--test", action="store_true", help="also report the test half")
    args = ap.parse_args()
    found = {
        name: {str(p): d for p in paths if (d := _detect(p)) is not None}
        for name, paths in _groups(args).items()
    }
    if args.above is not None:
        print(f"ordinary-set images with a moderation score of {args.above} or more:")
        for path, dets in found["ordinary"].items():
            hits = [(d.label, round(d.score, 3), c) for _, c, d in _findings(dets)]
            if any(s >= args.above for _, s, _ in hits):
                print(f"  {Path(path).name}: {[h for h in hits if h[1] >= 0.3]}")
    for sets in (["calibration"], ["calibration", "ordinary"]):
        pooled = {p: d for name in sets for p, d in found[name].items()}
        best = _best(pooled)
        print(f"{' + '.join(sets)}: {len(pooled)} images without nudity: best scores")
        for top in TOP_LEVEL:
            for context in (True, False):
                score, where = best.get((top, context), (0.0, "-"))
                kind = "with context" if context else "alone"
                print(f"  {top:20s} {kind:12s} {score:.3f}  ({where})")
        derived = derive(best)
        print("  thresholds: " + ", ".join(
            f"{k} {v:.2f} (code: {CODE[k]:.2f})" for k, v in derived.items()
        ))  # fmt: skip
    for name, dets in found.items():
        flagged = {p: flag(d) for p, d in dets.items() if flag(d)}
        print(f"{name}: {len(flagged)} of {len(dets)} images flagged with the code's thresholds")
        for p, fl in flagged.items():
            print(f"  {Path(p).name}: {[(d.label, round(d.score, 3)) for d in fl]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
