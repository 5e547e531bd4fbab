"""Derive the labels analyzer's evidence floor from the evaluation's calibration half.

Writes ``src/mediaquery/analyzers/data/label_calibration.json`` from the calibration half
of the label evaluation set (never the test half), in two steps::

    # 1. raw ImageNet probabilities of each calibration photo (the served model and decode)
    python scripts/calibrate_labels.py probs --manifest M --photos DIR --out /tmp/probs.json
    # 2. fit, print the reliability table, write the data file
    python scripts/calibrate_labels.py fit --manifest M --probs /tmp/probs.json

The manifest lists each photo's file, split and ground-truth words (see ``read_manifest``).
A word is "returned" for a photo when a label whose name or alias the word means
(``mediaquery.index.words``, as the API matches) reaches the default list threshold (25).

What is fitted: ``evidence_floor``, the least probability a class needs to count toward a
category (Animal, Outdoors, ...), chosen from a grid for the best harmonic mean of macro
recall and macro precision over the words (the benchmark's macro rules). Per-label
confidence scales (a threshold per label for 90 % precision) were tried and dropped: in
repeated two-fold splits of the calibration half they lowered both figures on the held-out
fold (too few photos per word to place a threshold).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "src/mediaquery/analyzers/data/label_calibration.json"
DEFAULT_MIN = 25.0  # labels.default_min_confidence
FLOORS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12)
# Words the people and text analyzers answer: not the classifier's to fit.
OTHER_ANALYZERS = frozenset({"person", "people", "face", "text"})


@dataclass(frozen=True)
class Photo:
    key: str
    file: str
    split: str
    words: frozenset[str]
    maybe: frozenset[str] = frozenset()  # arguable words: not scored for this photo


def _words(value: Any) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(str(w).strip().casefold() for w in items if str(w).strip())


def read_manifest(path: Path) -> list[Photo]:
    """The evaluation set's manifest.json ({"photos": [{"id", "split", "words", "maybe"}]}),
    a JSON list of such rows, or CSV/TSV rows with the same columns (words ","-separated)."""
    if path.suffix == ".json":
        raw = json.loads(path.read_text(encoding="utf-8"))
        rows: list[dict[str, Any]] = raw["photos"] if isinstance(raw, dict) else raw
    else:
        dialect = "excel-tab" if path.suffix == ".tsv" else "excel"
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh, dialect=dialect))
    photos = []
    for row in rows:
        key = str(row["id"])
        maybe = _words(row.get("maybe") or ())
        photos.append(Photo(key, key, str(row["split"]), _words(row["words"]), maybe))
    return photos


def calibration_half(photos: Iterable[Photo]) -> list[Photo]:
    chosen = [p for p in photos if p.split.startswith("cal")]
    if not chosen:
        raise SystemExit("the manifest marks no photo as calibration split")
    return chosen


def cmd_probs(args: argparse.Namespace) -> int:
    from mediaquery.analyzers.imagenet import LabelsAnalyzer
    from mediaquery.decode import decode_image
    from mediaquery.runtime.efficientnet import RESIZE_SHORTER

    analyzer = LabelsAnalyzer(args.models, threads=2)
    out: dict[str, list[float]] = {}
    for photo in calibration_half(read_manifest(args.manifest)):
        decoded = decode_image(args.photos / photo.file, 10**9, RESIZE_SHORTER)
        probs, _ = analyzer.classify(decoded.image)
        out[photo.key] = [round(float(x), 7) for x in probs]
    args.out.write_text(json.dumps(out), encoding="utf-8")
    print(f"wrote {args.out} ({len(out)} photos)", file=sys.stderr)
    return 0


class Scorer:
    """Label confidences of every photo under given calibration parameters."""

    def __init__(self, probs: np.ndarray) -> None:
        from mediaquery.analyzers.taxonomy import DATA_FILE, Taxonomy

        raw = json.loads((OUT.parent / DATA_FILE).read_text(encoding="utf-8"))
        self.raw = raw
        self.probs = probs
        self.base = Taxonomy.from_dict(raw)
        self.tax = self.base

    def confidences(self, calibration: dict[str, Any]) -> np.ndarray:
        from mediaquery.analyzers.taxonomy import Taxonomy

        tax = Taxonomy.from_dict(self.raw, calibration)
        w = self.probs[:, tax.member_class]
        w = np.where(w >= tax.member_floor, w, 0.0)
        sums = np.zeros((len(self.probs), len(tax.labels)))
        np.add.at(sums.T, tax.member_label, w.T)
        return np.minimum(100.0 * sums, 100.0)


def word_labels(words: Iterable[str], scorer: Scorer) -> dict[str, list[int]]:
    """Each word's labels: those whose name or alias the word means, as the API matches."""
    from mediaquery.index.words import candidates, normalise

    tax = scorer.tax
    terms: dict[str, set[int]] = {}
    for j, label in enumerate(tax.labels):
        for term in (label, *tax.aliases[j]):
            terms.setdefault(normalise(term), set()).add(j)
    found = {}
    for word in sorted(words):
        js = sorted({j for c in candidates(word) for j in terms.get(c, ())})
        if js:
            found[word] = js
    return found


def scores(
    conf: np.ndarray, truth: np.ndarray, care: np.ndarray, words: dict[str, list[int]]
) -> dict[str, tuple[int, int, int]]:
    """Per word: (right photos returned, photos returned, photos showing it); `maybe` skipped."""
    out = {}
    for i, (word, js) in enumerate(words.items()):
        hit = (conf[:, js].max(axis=1) >= DEFAULT_MIN) & care[:, i]
        tp = int((hit & truth[:, i]).sum())
        out[word] = (tp, int(hit.sum()), int((truth[:, i] & care[:, i]).sum()))
    return out


def macro(result: dict[str, tuple[int, int, int]]) -> tuple[float, float, float]:
    """Macro recall over words with positives; precision over those that return something
    (the benchmark's rule); and their harmonic mean."""
    with_pos = [(tp, ret, pos) for tp, ret, pos in result.values() if pos]
    r = float(np.mean([tp / pos for tp, _, pos in with_pos]))
    p = float(np.mean([tp / ret for tp, ret, _ in with_pos if ret] or [0.0]))
    return r, p, 2 * r * p / (r + p) if r + p else 0.0


def reliability(
    conf: np.ndarray, truth: np.ndarray, care: np.ndarray, words: dict[str, list[int]]
) -> None:
    print("\nreliability (label at confidence, right share of photos), calibration half")
    edges = [(25, 40), (40, 60), (60, 80), (80, 101)]
    for lo, hi in edges:
        right = total = 0
        for i, js in enumerate(words.values()):
            best = conf[:, js].max(axis=1)
            sel = (best >= lo) & (best < hi) & care[:, i]
            total += int(sel.sum())
            right += int((sel & truth[:, i]).sum())
        share = f"{100 * right / total:5.1f} %" if total else "    -"
        print(f"  {lo:3d}-{min(hi, 100):3d}: {share} of {total}")


def cmd_fit(args: argparse.Namespace) -> int:
    photos = calibration_half(read_manifest(args.manifest))
    probs_by_key = json.loads(args.probs.read_text(encoding="utf-8"))
    photos = [p for p in photos if p.key in probs_by_key]
    probs = np.array([probs_by_key[p.key] for p in photos], dtype=np.float64)
    scorer = Scorer(probs)
    vocabulary = set().union(*(p.words for p in photos)) | set(args.word or ())
    words_file = args.manifest.parent / "words.json"  # the whole vocabulary, when present
    if words_file.is_file():
        vocabulary |= set(json.loads(words_file.read_text(encoding="utf-8")))
    words = word_labels(vocabulary - OTHER_ANALYZERS, scorer)
    truth = np.array([[w in p.words for w in words] for p in photos], dtype=bool)
    care = np.array([[w not in p.maybe for w in words] for p in photos], dtype=bool)
    print(f"{len(photos)} calibration photos, {len(words)} words the labels can answer")

    trials = []
    for floor in FLOORS:
        r, p, f1 = macro(scores(scorer.confidences({"evidence_floor": floor}), truth, care, words))
        trials.append((round(f1, 3), floor))
        print(f"  evidence floor {floor:.3f}: recall {r:.3f} precision {p:.3f} F1 {f1:.3f}")
    floor = max(trials)[1]  # the best F1; of equals, the higher floor
    calibration: dict[str, Any] = {"evidence_floor": floor}
    conf = scorer.confidences(calibration)
    result = scores(conf, truth, care, words)
    r, p, f1 = macro(result)
    print(f"\nchosen evidence floor {floor}")
    print(f"calibration half: recall {r:.3f} precision {p:.3f} F1 {f1:.3f}")
    for word, (tp, ret, pos) in result.items():
        print(f"  {word:16s} recall {tp}/{pos}  precision {tp}/{ret}")
    reliability(conf, truth, care, words)
    calibration["source"] = (
        f"scripts/calibrate_labels.py on {len(photos)} calibration-half photos of "
        f"{args.manifest.name}"
    )
    args.out.write_text(json.dumps(calibration, indent=1, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def add_photo_args(parser: argparse.ArgumentParser) -> None:
    """The options of a step that runs the model over the calibration photos."""
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--photos", type=Path, required=True, help="folder the files are in")
    parser.add_argument("--models", type=Path, default=Path("mediaquery-data/models"))
    parser.add_argument("--out", type=Path, required=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    add_photo_args(sub.add_parser("probs", help="raw class probabilities of the photos"))
    fit = sub.add_parser("fit", help="fit and write the calibration data file")
    fit.add_argument("--manifest", type=Path, required=True)
    fit.add_argument("--probs", type=Path, required=True)
    fit.add_argument("--word", action="append", help="also score this word (repeat)")
    fit.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    return cmd_probs(args) if args.command == "probs" else cmd_fit(args)


if __name__ == "__main__":
    raise SystemExit(main())
