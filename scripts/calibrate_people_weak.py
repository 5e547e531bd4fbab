"""Derive the people analyzer's far pass threshold on the label evaluation's calibration half,
and show what its other weak evidence (``people._paired``, ``people._further``) does there.

    python scripts/calibrate_people_weak.py --manifest benchmarks/label_eval/manifest.json \\
        --photos DIR

Per calibration photo ("person" / "people" from its words; photos where the word is only
"maybe" are left out of that word) it runs the far pass (``people.far_windows``) and the
analyzer. It prints:
- FAR_MARGIN: the highest far-pass margin of any window on a photo without a person (or
  TEXT_MARGIN, what HOG reaches on text, if higher), rounded up to the next tenth;
- how many photos without a person, and how many with one, have 1, 2, 3 separate windows at
  that margin (FAR_WINDOWS asks for more than one: a single window just above the highest
  margin without people is thin evidence);
- every NudeNet face (any score) with a body part of at least PART_SCORE within HEADS_TALL
  face heights, on photos without a person and on photos with one:
  the classes seen on the former are what DRESSED_PARTS leaves out;
- Person and People recall and precision of the analyzer as it is.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from calibrate_labels import calibration_half, read_manifest  # noqa: E402

from mediaquery.analyzers import nudenet_detector, people  # noqa: E402
from mediaquery.decode import decode_image  # noqa: E402

TEXT_MARGIN = 1.34  # HOG's margin on text at 480 px (scripts/calibrate_people.py)


def margin(found: people._Found) -> float:
    """The SVM margin back from a squashed score."""
    return float(-np.log(max(1.0 - found.score, 1e-12)))


def separate(windows: list[people._Found], least: float) -> int:
    """How many windows of at least ``least`` margin are separate instances."""
    kept: list[people._Found] = []
    for f in sorted(windows, key=lambda f: -f.score):
        if margin(f) >= least and people._is_new(f.box, kept):
            kept.append(f)
    return len(kept)


def face_part_pairs(path: Path) -> list[tuple[float, str, float]]:
    """NudeNet's faces and the body parts of at least PART_SCORE within HEADS_TALL face
    heights of each, on the photo at ``path``."""
    with open(path, "rb") as f:
        image = decode_image(f, max_pixels=100_000_000).image
    w, h = image.size
    dets = nudenet_detector.detect(image)
    out = []
    for face in (d for d in dets if d.label in people.FACE_CLASSES):
        box = people._pixels(face.box, w, h)
        for part in dets:
            if part.label in people.FACE_CLASSES or part.score < people.PART_SCORE:
                continue
            far = people._distance(box, people._pixels(part.box, w, h))
            if far <= people.HEADS_TALL * (box[3] - box[1]):
                out.append((round(face.score, 2), part.label, round(part.score, 2)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", type=Path, required=True)
    ap.add_argument("--photos", type=Path, required=True)
    ap.add_argument("--models", type=Path, default=Path("mediaquery-data/models"))
    args = ap.parse_args()
    analyzer = people.PeopleAnalyzer(args.models, threads=1)
    analyzer.load()
    rows = []
    for photo in calibration_half(read_manifest(args.manifest)):
        with open(args.photos / photo.file, "rb") as f:
            image = decode_image(f, max_pixels=100_000_000).image
        windows = people.far_windows(analyzer.far_hog, image)
        found = {lab.name for lab in analyzer.analyze(image).labels}
        rows.append((photo, windows, found))
        best = max((margin(f) for f in windows), default=0.0)
        print(f"far={best:4.2f} windows={len(windows)} found={sorted(found)} {photo.key}")

    negatives = [(w, p.key) for p, w, _ in rows if "person" not in p.words | p.maybe]
    worst = max(((max(map(margin, w), default=0.0), k) for w, k in negatives), default=(0, "-"))
    threshold = math.ceil(max(worst[0], TEXT_MARGIN) * 10) / 10
    print(f"\nhighest far-pass margin without a person: {worst[0]:.2f} ({worst[1]})")
    print(f"FAR_MARGIN = {threshold:.1f} (analyzer: {people.FAR_MARGIN})")
    with_people = [w for p, w, _ in rows if "person" in p.words]
    for k in (1, 2, 3):
        neg = sum(separate(w, threshold) >= k for w, _ in negatives)
        pos = sum(separate(w, threshold) >= k for w in with_people)
        print(f"{k} separate window(s) at {threshold:.1f}: {neg} without a person, "
              f"{pos} of {len(with_people)} with one")  # fmt: skip
    print("\nNudeNet faces with a body part within reach (face score, part, part score):")
    for photo, _, _ in rows:
        person = "person" in photo.words
        if "person" in photo.maybe:
            continue
        if pairs := face_part_pairs(args.photos / photo.file):
            print(f"  {'with' if person else 'without'} a person: {photo.key} {pairs}")
    for word, label in (("person", "Person"), ("people", "People")):
        scored = [(word in p.words, label in found) for p, _, found in rows if word not in p.maybe]
        tp = sum(y and s for y, s in scored)
        pos, ret = sum(y for y, _ in scored), sum(s for _, s in scored)
        print(f"{label}: recall {tp}/{pos}, precision {tp}/{ret} (people analyzer alone)")


if __name__ == "__main__":
    main()
