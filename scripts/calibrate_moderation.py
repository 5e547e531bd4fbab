"""Derive the `moderation` thresholds from ordinary images: the calibration half of the label
evaluation set and the wider ordinary set of benchmarks/label_eval/moderation_extra.json (every
image of the packages the set comes from, none with nudity or swimwear); the test half and
tests/data only report.

For each top-level moderation label it prints the best NudeNet score of its classes, next to a
face or other body part (context) and alone, and which image gave it. Each threshold is the
lowest one, on a 0.05 grid, that clears the best score it governs by a margin of 0.05, never
below the values first measured on scikit-image (FLOORS): MIN_SCORE (exposed parts with
context), SUGGESTIVE_SCORE (covered parts with context) and ALONE_SCORE (any part alone).

Then the skin guard of exposed parts that count alone (moderation.looks_like_skin): it prints the
skin-coloured share of real skin, NudeNet's face, armpit, belly, feet and male-chest boxes
scoring SKIN_REF_SCORE or more on the calibration photos that show people (words "person",
"face" or "people"), in colour (at least half the box coloured); MIN_SKIN is half the lowest of
them, on a 0.05 grid below, so that real skin clears it with a wide margin. It lists every
exposed part alone scoring MIN_SCORE or more on the ordinary images with its shares and whether
the guard keeps it. Last, it lists every image flagged with the code's thresholds and guard,
and counts those the code without the guard would flag.

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
from dataclasses import dataclass
from pathlib import Path

from mediaquery.analyzers import nudenet_detector
from mediaquery.analyzers.moderation import (
    ALONE_SCORE,
    CONTEXT_SCORE,
    MIN_SCORE,
    MIN_SKIN,
    SUGGESTIVE,
    SUGGESTIVE_SCORE,
    TAXONOMY,
    TOP_LEVEL,
    flag,
    has_context,
    is_covered,
    min_score,
    passes_skin_guard,
    skin_shares,
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
# Real skin for the guard: NudeNet classes that are bare skin but no moderation finding, on
# photos whose words say they show people, scoring at least this (faces this sure are faces).
SKIN_CLASSES = {
    "FACE_FEMALE", "FACE_MALE", "ARMPITS_EXPOSED", "BELLY_EXPOSED", "FEET_EXPOSED",
    "MALE_BREAST_EXPOSED",
}  # fmt: skip
SKIN_REF_SCORE = 0.4
PEOPLE_WORDS = {"person", "face", "people"}
REF_COLOURED = 0.5  # a box at least this much coloured is a colour picture of skin


@dataclass
class Scored:
    """One image's detections, the skin shares of the boxes the guard is derived on or
    applies to, and what the code flags with and without the guard."""

    dets: tuple[Detection, ...]
    shares: dict[int, tuple[float, float]]
    flagged: list[Detection]
    unguarded: list[Detection]


def _unguarded(dets: tuple[Detection, ...]) -> list[Detection]:
    """What the code flagged before the skin guard (its thresholds, no guard)."""
    return [
        d
        for d in dets
        if d.label in TAXONOMY
        and d.score >= min_score(d.label)
        and (has_context(d, dets) or d.score >= ALONE_SCORE)
    ]


def _detect(path: Path, people: bool) -> Scored | None:
    try:
        image = decode_image(path, MAX_PIXELS).image
    except Exception as exc:  # noqa: BLE001 - a broken sample file is reported, not fatal
        print(f"  skipped {path.name}: {exc}")
        return None
    dets = nudenet_detector.detect(image)
    shares = {
        i: skin_shares(image, d.box)
        for i, d in enumerate(dets)
        if (people and d.label in SKIN_CLASSES and d.score >= SKIN_REF_SCORE)
        or (_alone_exposed(d, dets) and d.score >= MIN_SCORE)
    }
    return Scored(dets, shares, flag(dets, image), _unguarded(dets))


def _alone_exposed(det: Detection, dets: tuple[Detection, ...]) -> bool:
    return det.label in TAXONOMY and not is_covered(det.label) and not has_context(det, dets)


def derive_min_skin(real: list[float]) -> float:
    """Half the lowest skin-coloured share of real skin, on a 0.05 grid below."""
    return math.floor(min(real) / 2 * 20 + 1e-9) / 20


def _skin_guard(found: dict[str, dict[str, Scored]], people: set[str]) -> None:
    real = []
    for path, sc in found["calibration"].items():
        if path in people:
            for i, (skin, coloured) in sc.shares.items():
                det = sc.dets[i]
                if det.label in SKIN_CLASSES and det.score >= SKIN_REF_SCORE:
                    real.append((skin, coloured, det, Path(path).name))
    real.sort(key=lambda r: r[0])
    print(
        f"skin guard: {len(real)} real skin boxes (classes {sorted(SKIN_CLASSES)}, score >= "
        f"{SKIN_REF_SCORE}) on the calibration photos with people; skin-coloured / coloured share:"
    )
    for skin, coloured, det, name in real:
        print(f"  {skin:.2f} / {coloured:.2f}  {det.label} {det.score:.2f}  {name}")
    colour = [skin for skin, coloured, _, _ in real if coloured >= REF_COLOURED]
    left_out = len(real) - len(colour)
    derived = derive_min_skin(colour)
    print(
        f"  in colour ({len(colour)}; {left_out} black-and-white left out, the guard passes them):"
        f" lowest {min(colour):.2f}, median {sorted(colour)[len(colour) // 2]:.2f};"
        f" MIN_SKIN {derived:.2f} (code: {MIN_SKIN:.2f})"
    )
    print(f"exposed parts alone scoring {MIN_SCORE} or more on ordinary images (the guard's job):")
    kept = removed = 0
    for name in ("calibration", "ordinary"):
        for path, sc in found[name].items():
            for i, (skin, coloured) in sc.shares.items():
                det = sc.dets[i]
                if _alone_exposed(det, sc.dets) and det.score >= MIN_SCORE:
                    passes = passes_skin_guard(skin, coloured)
                    kept, removed = kept + passes, removed + (not passes)
                    verdict = "kept" if passes else "removed"
                    print(
                        f"  {det.score:.3f} {det.label}: skin {skin:.2f}, coloured {coloured:.2f}"
                        f" -> {verdict}  ({name}: {Path(path).name})"
                    )
    print(f"  the guard keeps {kept} and removes {removed}")


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


def _groups(args: argparse.Namespace) -> tuple[dict[str, list[Path]], set[str]]:
    """The images of each set to score: calibration, ordinary, (test) and tests/data; and the
    calibration photos that show people."""
    manifest = json.loads((ROOT / "benchmarks/label_eval/manifest.json").read_text("utf-8"))
    groups: dict[str, list[Path]] = {"calibration": [], "ordinary": []}
    people = set()
    if args.test:
        groups["test"] = []
    for p in manifest["photos"]:
        if p["split"] in groups:
            groups[p["split"]].append(args.photos / p["id"])
        if p["split"] == "calibration" and PEOPLE_WORDS & set(p["words"]):
            people.add(str(args.photos / p["id"]))
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
    return groups, people


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=Path, default=Path("/work/label-eval-photos"))
    ap.add_argument("--extra", type=Path, help="the ordinary set, from moderation_extra.py --out")
    ap.add_argument("--above", type=float, help="list ordinary-set images scoring this high")
    ap.add_argument("--test", action="store_true", help="also report the test half")
    args = ap.parse_args()
    groups, people = _groups(args)
    scored = {
        name: {str(p): sc for p in paths if (sc := _detect(p, str(p) in people)) is not None}
        for name, paths in groups.items()
    }
    found = {name: {p: sc.dets for p, sc in group.items()} for name, group in scored.items()}
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
    _skin_guard(scored, people)
    for name, group in scored.items():
        flagged = {p: sc.flagged for p, sc in group.items() if sc.flagged}
        before = sum(1 for sc in group.values() if sc.unguarded)
        print(
            f"{name}: {len(flagged)} of {len(group)} images flagged with the code's thresholds"
            f" and skin guard ({before} without the guard)"
        )
        for p, fl in flagged.items():
            print(f"  {Path(p).name}: {[(d.label, round(d.score, 3)) for d in fl]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
