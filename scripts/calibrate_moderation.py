"""Check the `moderation` thresholds on ordinary photos: the calibration half of the label
evaluation set (none shows nudity) sets them, the test half and tests/data only report.

For each top-level moderation label it prints the best NudeNet score of its classes on the
calibration photos, next to a face or other body part (context) and alone, and the lowest
threshold, on a 0.05 grid, that clears the best score by a margin of 0.05 (never below the
defaults measured on scikit-image, analyzers/moderation.py). Then it lists every photo flagged
with the thresholds in the code.

    python scripts/calibrate_moderation.py [--photos /work/label-eval-photos]
"""

from __future__ import annotations

import argparse
import json
import math
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
MARGIN = 0.05
MAX_PIXELS = 80_000_000


def _detect(path: Path) -> tuple[Detection, ...] | None:
    try:
        image = decode_image(path, MAX_PIXELS).image
    except Exception as exc:  # noqa: BLE001 - a broken sample file is reported, not fatal
        print(f"  skipped {path.name}: {exc}")
        return None
    return nudenet_detector.detect(image)


def _best_scores(found: dict[str, tuple[Detection, ...]]) -> dict[tuple[str, bool], float]:
    best: dict[tuple[str, bool], float] = {}
    for dets in found.values():
        for det in dets:
            if det.label not in TAXONOMY:
                continue
            context = any(o.label != det.label and o.score >= CONTEXT_SCORE for o in dets)
            key = (TAXONOMY[det.label][1], context)
            best[key] = max(best.get(key, 0.0), det.score)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=Path, default=Path("/work/label-eval-photos"))
    args = ap.parse_args()
    manifest = json.loads((ROOT / "benchmarks/label_eval/manifest.json").read_text("utf-8"))
    groups: dict[str, list[Path]] = {"calibration": [], "test": []}
    for p in manifest["photos"]:
        groups[p["split"]].append(args.photos / p["id"])
    groups["tests/data"] = sorted(
        f for f in (ROOT / "tests/data").glob("*/*") if f.suffix.lower() != ".md"
    )
    found = {
        name: {str(p): d for p in paths if (d := _detect(p)) is not None}
        for name, paths in groups.items()
    }
    best = _best_scores(found["calibration"])
    print(f"{len(found['calibration'])} calibration photos without nudity: best scores")
    for top in TOP_LEVEL:
        for context, default in ((True, MIN_SCORE), (False, ALONE_SCORE)):
            score = best.get((top, context), 0.0)
            needed = max(default, math.ceil((score + MARGIN) * 20 - 1e-9) / 20)
            where = "with context" if context else "alone"
            code = SUGGESTIVE_SCORE if context and top == SUGGESTIVE else default
            print(f"  {top:20s} {where:12s} best {score:.3f} -> threshold {needed:.2f}"
                  f" (code: {code:.2f})")  # fmt: skip
    for name, dets in found.items():
        flagged = {p: flag(d) for p, d in dets.items() if flag(d)}
        print(f"{name}: {len(flagged)} of {len(dets)} photos flagged with the code's thresholds")
        for p, fl in flagged.items():
            print(f"  {Path(p).name}: {[(d.label, round(d.score, 3)) for d in fl]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
