"""How far can the labels analyzer's heads go on their embedding? An upper bound, on the
label evaluation's calibration half only.

For each word the heads are fitted for (``fit_label_heads.py``: at least MIN_POSITIVES
positives, a taxonomy label to set), out-of-fold head scores are computed with k-fold
cross-validation (each photo scored by a head that never saw it), and then everything that
a real choice would have to guess is chosen with hindsight, on the very scores it is judged
by: the penalty with the best average precision, and the threshold that gives the most
recall at or above PRECISION, for the head alone or joined to the taxonomy's label ("max"),
or the taxonomy's label alone where that is better. Macro recall over the words is then a
ceiling: no threshold, mode or penalty choice on these inputs can do better on photos like
these, and a real choice (made without seeing the scored photos) does worse.

The fold count sets how many photos each head is fitted on (2 folds: half the calibration
photos, 5: 80 %, 10: 90 %), so the rows show how the ceiling grows with more labelled
photos::

    python scripts/label_ceiling.py --manifest benchmarks/label_eval/manifest.json \
        --features /tmp/heads-features.npz
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import fit_label_heads as heads  # noqa: E402
from calibrate_labels import OTHER_ANALYZERS  # noqa: E402

PRECISION = 0.90
PENALTIES = (10.0, 30.0, 100.0, 300.0)
REPEATS = 2


def best_recall(score: np.ndarray, y: np.ndarray, base: np.ndarray) -> float:
    """The most recall any threshold on ``score`` gives at PRECISION or more, pooled over
    the repeats (rows), with ``base`` (the taxonomy's answers, or none) always answering."""
    s, t = score.ravel(), np.tile(y, score.shape[0]).astype(bool)
    b = np.tile(base, score.shape[0])
    order = np.argsort(-s)
    hit = ~b[order]  # photos the threshold adds, best first
    tp = (b & t).sum() + np.cumsum(t[order] & hit)
    ret = b.sum() + np.cumsum(hit)
    ok = tp / np.maximum(ret, 1) >= PRECISION
    ok &= np.isfinite(s[order])
    best = tp[ok].max() if ok.any() else 0
    if b.any() and (b & t).sum() >= PRECISION * b.sum():
        best = max(best, (b & t).sum())
    return float(best / t.sum())


def main(argv: list[str] | None = None) -> int:
    global PRECISION
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--folds", default="2,5,10", help="fold counts, one column each")
    parser.add_argument("--precision", type=float, default=PRECISION)
    parser.add_argument("--inputs", default=",".join(heads.INPUTS), help="model outputs read")
    args = parser.parse_args(argv)
    PRECISION = args.precision

    cal = heads.load_calibration(
        args.manifest, args.features, tuple(args.inputs.split(",")), heads.TRANSFORM
    )
    photos, raw, keep, n_stats, hits, vocabulary = cal[:6]
    folds = [int(f) for f in args.folds.split(",")]
    words = sorted(set(vocabulary) - OTHER_ANALYZERS | set(heads.JOINED_HEADS))
    print(f"{len(photos)} calibration photos; most recall at >= {100 * PRECISION:.0f} % precision,")
    print("every choice made with hindsight on the out-of-fold scores it is judged by")
    print(
        f"{'word':<13}{'pos':>4}  {'taxonomy':>8}" + "".join(f"{f'{f} folds':>10}" for f in folds)
    )
    table: list[list[float]] = []
    for word in words:
        care = np.array([word not in p.maybe for p in photos])
        y = np.array([word in p.words for p in photos])[care].astype(float)
        if y.sum() < heads.MIN_POSITIVES or heads.label_name(word) is None:
            continue
        x = heads.Design(
            raw[care][:, keep], n_stats - len(heads.OPTIONAL_STATS), heads.STAT_WEIGHT
        )(raw[care][:, keep])
        tax = hits(word)[care]
        none = np.zeros_like(tax)
        pos = y.astype(bool)
        alone = (tax & pos).sum() / pos.sum() if (tax & pos).sum() >= PRECISION * tax.sum() else 0.0
        row = [float(alone)]
        for f in folds:
            scores = {pen: heads.out_of_fold(x, y, pen, f, REPEATS) for pen in PENALTIES}
            pen = max(PENALTIES, key=lambda q: heads.average_precision(scores[q].mean(0), y))
            gated = np.where(tax, scores[pen], -np.inf)  # the head only vets the taxonomy
            tries = [(scores[pen], tax), (scores[pen], none), (gated, none)]
            row.append(max(row[0], *(best_recall(s, y, b) for s, b in tries)))
        table.append(row)
        print(
            f"{word:<13}{int(y.sum()):4d}  " + "".join(f"{100 * r:8.0f}  " for r in row), flush=True
        )
    mean = np.array(table).mean(axis=0)
    print(f"macro recall over {len(table)} words at >= {100 * PRECISION:.0f} % precision: "
          f"taxonomy {100 * mean[0]:.1f} %, "
          + ", ".join(f"{f} folds {100 * m:.1f} %"
                      for f, m in zip(folds, mean[1:], strict=True)))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
