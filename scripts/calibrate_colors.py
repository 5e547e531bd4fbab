"""Derive the `colors` analyzer's MIN_SHARE on the calibration half of benchmarks/label_eval.

benchmarks/label_eval/colors.json names, for calibration photos, the colours a person sees in
each (set by looking at the photo). This names every photo's pixels with the analyzer's palette,
then sweeps the share a colour needs to be reported and prints precision, recall and F1 (micro,
over photo-colour pairs) per threshold, the best one, and the misses at it.

    python scripts/calibrate_colors.py [--photos /work/label-eval-photos]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PIL import Image

from mediaquery.analyzers.colors import dominant_colors

EVAL = Path(__file__).resolve().parents[1] / "benchmarks" / "label_eval"


def _scores(
    shares: dict[str, dict[str, float]], truth: dict[str, list[str]], t: float
) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for pid, want in truth.items():
        got = {c for c, s in shares[pid].items() if s >= t}
        tp += len(got & set(want))
        fp += len(got - set(want))
        fn += len(set(want) - got)
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    return p, r, 2 * p * r / max(1e-9, p + r)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=Path, default=Path("/work/label-eval-photos"))
    args = ap.parse_args()
    splits = {
        p["id"]: p["split"]
        for p in json.loads((EVAL / "manifest.json").read_text(encoding="utf-8"))["photos"]
    }
    truth = json.loads((EVAL / "colors.json").read_text(encoding="utf-8"))["colors"]
    if any(splits.get(pid) != "calibration" for pid in truth):
        sys.exit("colors.json may only name calibration photos")
    shares = {}
    for pid in truth:
        with Image.open(args.photos / pid) as im:
            found = dominant_colors(im, min_share=0.0)
        shares[pid] = {str(c["name"]): float(str(c["share"])) for c in found}
    best = max(range(1, 41), key=lambda t: (_scores(shares, truth, t)[2], -t))
    print(f"{len(truth)} calibration photos, {sum(map(len, truth.values()))} colours named")
    print("share  precision  recall  F1")
    for t in range(2, 41, 2):
        p, r, f1 = _scores(shares, truth, t)
        print(f"{t:5d}  {100 * p:8.1f}  {100 * r:6.1f}  {100 * f1:5.1f}")
    p, r, f1 = _scores(shares, truth, best)
    print(f"best MIN_SHARE = {best}: precision {100 * p:.1f} %, recall {100 * r:.1f} %")
    for pid, want in truth.items():
        got = {c for c, s in shares[pid].items() if s >= best}
        if got != set(want):
            print(f"  {pid}: named {sorted(want)}, found {sorted(got)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
