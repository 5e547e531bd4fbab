"""Compare ways of choosing the label heads, held out, on the label evaluation's calibration half.

``fit_label_heads.py`` chooses, per word, a penalty, a threshold (TARGETS), a mode (MODES, by
F-score with MODE_BETA) and whether a head ships at all (MIN_POSITIVES, MIN_HEAD_PRECISION,
GATE_KEEP). This script scores other settings of those choices the way ``fit --held-out``
scores the shipped ones: the whole choice made on one half of the calibration photos and
scored on the other (HALVINGS random halvings, both ways), macro over the words, plus the
share of all answers that are right. Only the choice changes between variants, not the fits,
so each fit is computed once and reused (the first variant costs a ``fit --held-out``; the
others seconds).

    python scripts/compare_head_choices.py --manifest benchmarks/label_eval/manifest.json \\
        --features /tmp/heads-features.npz [--words sky,tree]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import fit_label_heads as fit  # noqa: E402  (sets the BLAS threads before numpy works)
from calibrate_labels import OTHER_ANALYZERS  # noqa: E402

# Module settings of fit_label_heads each variant changes (in lower case: the options of its
# ``choose``); the first is what ships.
VARIANTS: dict[str, dict[str, Any]] = {
    "as shipped": {},
    "F1 modes": {"MODE_BETA": 1.0},
    "F0.25 modes": {"MODE_BETA": 0.25},
    "8+ positives": {"MIN_POSITIVES": 8},
    "15+ positives": {"MIN_POSITIVES": 15},
    "heads at 90 %+": {"MIN_HEAD_PRECISION": 0.9},
    "targets 92, 95 %": {"TARGETS": (0.92, 0.95)},
    "target 85 %": {"TARGETS": (0.85,)},
    "no replace": {"modes": ("taxonomy", "max", "gate")},
    "no gate": {"modes": ("taxonomy", "replace", "max")},
    "gate keeps 90 %": {"GATE_KEEP": 0.9},
    "8+ positives, targets 92, 95 %": {"MIN_POSITIVES": 8, "TARGETS": (0.92, 0.95)},
}


def memoised(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """``fn(x, y, penalty, ...)`` computed once per distinct inputs."""
    seen: dict[tuple[str, str, float], np.ndarray] = {}

    def wrapped(x: np.ndarray, y: np.ndarray, penalty: float, *rest: Any) -> np.ndarray:
        key = (hashlib.sha1(x.tobytes()).hexdigest(), hashlib.sha1(y.tobytes()).hexdigest(),
               penalty)  # fmt: skip
        if key not in seen:
            seen[key] = fn(x, y, penalty, *rest)
        return seen[key]

    return wrapped


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", type=Path, required=True)
    ap.add_argument("--features", type=Path, required=True, help="fit_label_heads.py features")
    ap.add_argument("--words", help="comma-separated words (default: every word with a head)")
    args = ap.parse_args(argv)

    fit.out_of_fold = memoised(fit.out_of_fold)  # type: ignore[assignment]
    fit.fit_logistic = memoised(fit.fit_logistic)  # type: ignore[assignment]
    cal = fit.load_calibration(args.manifest, args.features, fit.INPUTS, fit.TRANSFORM)
    photos, raw, keep, n_stats, hits, vocabulary = cal[:6]
    words = sorted(set(vocabulary) - OTHER_ANALYZERS)
    if args.words:
        words = [w for w in words if w in set(args.words.split(","))]
    problems = []
    for word in words:
        care = np.array([word not in p.maybe for p in photos])
        y = np.array([word in p.words for p in photos])[care].astype(float)
        label = fit.label_name(word)
        if y.sum() < 3 or label is None:  # the shipped MIN_POSITIVES: the same words each time
            continue
        without = fit.Design(raw[care][:, keep], n_stats - len(fit.OPTIONAL_STATS), fit.STAT_WEIGHT)
        xs = {"all": fit.Design(raw[care], n_stats, fit.STAT_WEIGHT)(raw[care]),
              "without": without(raw[care][:, keep])}  # fmt: skip
        problems.append((word, xs, y, hits(word)[care], hits(word, label)[care]))
    print(f"{len(photos)} calibration photos, {len(problems)} words; held out "
          f"({fit.HALVINGS}x2 halvings): macro recall, precision, all answers right")  # fmt: skip
    shipped = {name: getattr(fit, name) for v in VARIANTS.values() for name in v if name.isupper()}
    for variant, settings in VARIANTS.items():
        for name, value in {**shipped, **settings}.items():
            if name.isupper():
                setattr(fit, name, value)
        options = {name: value for name, value in settings.items() if not name.isupper()}
        per_word, pooled = [], np.zeros(2)
        for _word, xs, y, tax, other in problems:
            tp, ret, pos = fit.held_out(xs, y, tax, other, **options)
            per_word.append((tp / pos, tp / ret if ret else 0.0))
            pooled += (tp, ret)
        r, p = np.array(per_word).T
        precision = p[r > 0].mean() if (r > 0).any() else 0.0
        print(f"{variant:<32} {100 * r.mean():5.1f} %  {100 * precision:5.1f} %  "
              f"{100 * pooled[0] / max(pooled[1], 1):5.1f} %", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
