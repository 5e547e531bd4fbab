"""Measure a Person head on the labels analyzer's embedding, joined to the people analyzer's
Person, on the label evaluation's calibration half.

    # 1. the embeddings (as for the label heads)
    python scripts/fit_label_heads.py features --manifest M --photos DIR --out /tmp/f.npz
    # 2. the people analyzer's answers (kept in --cache) and the tables
    PYTHONPATH=src python scripts/calibrate_person_head.py --manifest M --photos DIR \\
        --features /tmp/f.npz --models MODELS [--cache /tmp/people.json]

MODELS should hold the pose detector (``mediapipe-pose-detection``), as a service with it
installed runs `people`. Person truth is the word "person"; photos where it is only "maybe"
are left out. The head is fitted as ``scripts/fit_label_heads.py`` fits the scene words
(same inputs, penalties and repeated k-fold), its threshold the lowest out-of-fold score whose
pooled precision reaches the target. It prints, for each target in TARGETS:
- Person before the head: from `people`, and from `people` or `labels` (its taxonomy's Person,
  without a Person head), as `label=person` finds it;
- out of fold: the head alone and joined to that (recall / precision), the photos the head
  adds and the photos without a person it adds Person to;
- the same with the head muted where the labels analyzer (the shipped heads) says Animal;
- held out: the whole choice (penalty, threshold) made on one half of the photos and scored
  on the other (HALVINGS random halvings, both ways), joined to `people` and `labels` there,
  and every photo without a person that then gets Person.
It also measures what the pose detector gains on tiles of the photo (option "tiles": the
whole photo plus a 2x2 grid of overlapping crops): the highest score on a photo without a
person, and how many missed person photos score above it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

import fit_label_heads as fit  # noqa: E402
from calibrate_labels import calibration_half, read_manifest  # noqa: E402

from mediaquery.analyzers.label_heads import DEFAULT_MIN, STAT_NAMES, head_inputs  # noqa: E402

WORD = "person"
TARGETS = (0.85, 0.90, 0.95)
TILE = 0.6  # each grid crop is this share of the photo's width and height


def people_answers(args: argparse.Namespace, keys: list[str]) -> dict[str, dict[str, float]]:
    """Per photo: `people`'s Person confidence (0 when none), the pose detector's best score
    on the whole photo and on the tiles, and the CPU ms of `people` and of the tiles."""
    from mediaquery.analyzers import people
    from mediaquery.decode import decode_image

    cache: dict[str, dict[str, float]] = {}
    if args.cache and args.cache.is_file():
        stored = json.loads(args.cache.read_text())
        if stored.get("version") == people.PeopleAnalyzer.version:
            cache = stored["photos"]
    todo = [k for k in keys if k not in cache]
    if todo:
        analyzer = people.PeopleAnalyzer(args.models, threads=1)
        analyzer.load()
        if analyzer.pose is None:
            raise SystemExit(f"install {people.POSE_MODEL} into {args.models} first")
        for key in todo:
            with open(args.photos / key, "rb") as f:
                image = decode_image(f, max_pixels=100_000_000).image
            start = time.process_time()
            found = analyzer.analyze(image)
            middle = time.process_time()
            w, h = image.size
            tw, th = round(w * TILE), round(h * TILE)
            grid = [(x, y, x + tw, y + th) for x in (0, w - tw) for y in (0, h - th)]
            tiles = [p.score for r in (None, *grid) for p in analyzer.pose.detect(image, 0.05, r)]
            cache[key] = {
                "person": max((lab.confidence for lab in found.labels if lab.name == "Person"),
                              default=0.0),
                "tiles": max(tiles, default=0.0),
                "ms": 1000 * (middle - start),
                "tiles_ms": 1000 * (time.process_time() - middle),
            }  # fmt: skip
            print(f"  {key}: Person {cache[key]['person']:.0f}", file=sys.stderr)
        if args.cache:
            version = people.PeopleAnalyzer.version
            args.cache.write_text(json.dumps({"version": version, "photos": cache}, indent=0))
    return cache


def labels_answers(data: np.lib.npyio.NpzFile, rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Whether the labels analyzer as shipped, without a Person head (the taxonomy and the
    other heads), says Animal, and Person (ImageNet's ballplayer, scuba diver...), at
    DEFAULT_MIN."""
    from mediaquery.analyzers import label_heads
    from mediaquery.analyzers.imagenet import ANALYZER_FLOOR
    from mediaquery.analyzers.taxonomy import labels_from_probs, load_taxonomy

    stored = json.loads((REPO / "src/mediaquery/analyzers/data" / label_heads.HEADS_FILE)
                        .read_text(encoding="utf-8"))  # fmt: skip
    stored["heads"] = [h for h in stored["heads"] if h["label"] != "Person"]
    heads, tax = label_heads.Heads.from_dict(stored), load_taxonomy()
    outputs = {name: data[name][rows] for name in heads.inputs}
    conf = heads.confidences(outputs, data["stats"][rows])
    out = []
    for probs, c in zip(data["probs"][rows], conf, strict=True):
        labels = label_heads.apply_heads(labels_from_probs(probs, tax, floor=ANALYZER_FLOOR), c,
                                         heads, tax, floor=ANALYZER_FLOOR)  # fmt: skip
        found = {lab.name for lab in labels if lab.confidence >= DEFAULT_MIN}
        out.append(("Animal" in found, "Person" in found))
    animal, person = np.array(out).T
    return animal, person


def rp(found: np.ndarray, y: np.ndarray) -> str:
    tp, ret, pos = int((found & y).sum()), int(found.sum()), int(y.sum())
    recall, precision = 100 * tp / max(pos, 1), 100 * tp / max(ret, 1)
    return f"{tp}/{pos} ({recall:.0f} %) / {tp}/{ret} ({precision:.0f} %)"


def choose(x: np.ndarray, y: np.ndarray, target: float) -> tuple[float, float, np.ndarray]:
    """Penalty (best out-of-fold average precision), threshold and the out-of-fold scores."""
    trials = []
    for penalty in fit.PENALTIES:
        oof = fit.out_of_fold(x, y, penalty)
        trials.append((np.mean([fit.average_precision(s, y) for s in oof]), penalty, oof))
    _, penalty, oof = max(trials, key=lambda t: t[0])
    return penalty, fit.pick_threshold(oof, y, target), oof


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", type=Path, required=True)
    ap.add_argument("--photos", type=Path, required=True)
    ap.add_argument("--features", type=Path, required=True)
    ap.add_argument("--models", type=Path, default=Path("mediaquery-data/models"))
    ap.add_argument("--cache", type=Path, help="JSON file keeping `people`'s answers")
    args = ap.parse_args()

    data = np.load(args.features)
    order = {str(k): i for i, k in enumerate(data["keys"])}
    photos = [p for p in calibration_half(read_manifest(args.manifest))
              if p.key in order and WORD not in p.maybe]  # fmt: skip
    rows = [order[p.key] for p in photos]
    keys = [p.key for p in photos]
    y = np.array([WORD in p.words for p in photos])
    yf = y.astype(float)
    raw = head_inputs({n: data[n][rows] for n in fit.INPUTS}, fit.INPUTS, data["stats"][rows],
                      fit.TRANSFORM).astype(np.float64)  # fmt: skip
    keep = np.ones(raw.shape[1], dtype=bool)  # as fit_label_heads' "without" inputs
    n_stats = len(STAT_NAMES)
    for name in fit.OPTIONAL_STATS:
        keep[raw.shape[1] - n_stats + STAT_NAMES.index(name)] = False
    raw = raw[:, keep]
    n_stats -= len(fit.OPTIONAL_STATS)
    x = fit.Design(raw, n_stats, fit.STAT_WEIGHT)(raw)

    answers = people_answers(args, [p.file for p in photos])
    by_people = np.array([answers[p.file]["person"] >= DEFAULT_MIN for p in photos])
    animal, by_labels = labels_answers(data, rows)
    said = by_people | by_labels  # Person before: `people`, or `labels` without the head
    print(f"{len(photos)} calibration photos, {int(y.sum())} with a person; recall / precision "
          f"of Person from people {rp(by_people, y)}, from people or labels (no head) "
          f"{rp(said, y)}")  # fmt: skip
    print("both miss: " + ", ".join(k for k, s, t in zip(keys, said, y, strict=True)
                                        if t and not s))  # fmt: skip

    for target in TARGETS:
        penalty, threshold, oof = choose(x, yf, target)
        head = oof >= threshold  # [repeats, photos]
        mean = oof.mean(axis=0)
        print(f"\n== target {target:.0%} out of fold: penalty {penalty:g}, threshold "
              f"{threshold:.3f}")  # fmt: skip
        for label, h in (("head", head), ("head unless Animal", head & ~animal)):
            votes = h.mean(axis=0) >= 0.5  # the photo's answer in most repeats
            print(f"  {label}: alone {rp(votes, y)}; with people and labels {rp(votes | said, y)}")
            print("    adds: " + ", ".join(f"{k} ({m:.2f}{'' if t else ', NO PERSON'})"
                  for k, m, v, s, t in zip(keys, mean, votes, said, y, strict=True)
                  if v and not s))  # fmt: skip
        # Held out: choose on one half, score the other.
        for guard in (False, True):
            tp = ret = pos = 0
            false: list[str] = []
            for rep in range(fit.HALVINGS):
                rng = np.random.default_rng(2000 + rep)
                half = np.zeros(len(y), dtype=bool)
                for cls in (0, 1):
                    idx = rng.permutation(np.flatnonzero(y == cls))
                    half[idx[: len(idx) // 2]] = True
                for on in (half, ~half):
                    held = ~on
                    pen, thr, _ = choose(x[on], yf[on], target)
                    score = x[held] @ fit.fit_logistic(x[on], yf[on], pen)
                    h = score >= thr
                    if guard:
                        h &= ~animal[held]
                    found = h | said[held]
                    tp += int((found & y[held]).sum())
                    ret += int(found.sum())
                    pos += int(y[held].sum())
                    false += [k for k, f, s, t in zip(np.array(keys)[held], h, said[held],
                              y[held], strict=True) if f and not s and not t]  # fmt: skip
            label = "head unless Animal" if guard else "head"
            print(f"  held out ({fit.HALVINGS}x2), {label} + people + labels: recall {tp}/{pos} "
                  f"({100 * tp / pos:.0f} %), precision {tp}/{ret} ({100 * tp / ret:.0f} %); "
                  f"new Person without a person: {', '.join(sorted(false)) or 'none'}")  # fmt: skip

    tiles = np.array([answers[p.file]["tiles"] for p in photos])
    worst = tiles[~y].max()
    print(f"\ntiles: highest pose score without a person {worst:.2f} "
          f"({keys[int(np.argmax(np.where(~y, tiles, -1)))]}); missed person photos above it: "
          f"{int((tiles[y & ~said] > worst).sum())} of {int((y & ~said).sum())}")  # fmt: skip
    ms = np.array([answers[p.file]["ms"] for p in photos])
    tiles_ms = np.array([answers[p.file]["tiles_ms"] for p in photos])
    print(f"CPU per photo at 1 thread: people {ms.mean():.0f} ms, pose on tiles "
          f"{tiles_ms.mean():.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
