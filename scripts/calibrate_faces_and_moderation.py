"""Derive the NudeNet face and moderation thresholds of `people` and `moderation`.

    python scripts/calibrate_faces_and_moderation.py --photos DIR

on the calibration photos of ``scripts/calibration_photos.py`` (none is a photo the tests
check), each seen seven ways (whole, mirrored, five crops). A photo "without people" has none
of the words person, people, face (nor as a maybe); a photo "with people" has person or face.
None of the photos shows nudity. It prints each table and the values it derives:

- ``people.FACE_ALONE``: the least multiple of 0.05 above every NudeNet face score on views
  without people (a face that sure needs no cascade to confirm it);
- how often the cascades confirm a face between FACE_CANDIDATE and FACE_ALONE, with people and
  without (the confirmation is what lets weaker faces count);
- ``people.HAAR_NEIGHBORS``: the fewest neighbours at which the full-image frontal cascade
  boxes nothing on whole or mirrored photos without people;
- ``moderation.MIN_SCORE`` and ``ALONE_SCORE``: the least multiple of 0.05 above the best
  moderation-class score next to another body part or face (context) and alone, so that
  none of the views is flagged; a finding alone needs at least one step more than one with
  context (the analyzer's design: no other sign of a body makes it less likely).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration_photos import add_arguments, calibration_photos, step_above, views  # noqa: E402

from mediaquery.analyzers import moderation, nudenet_detector, people  # noqa: E402

STEP = 0.05
NEIGHBOURS = range(3, 9)
PEOPLE_WORDS = ("person", "people", "face")


def _table(title: str, rows: Sequence[tuple[str, float, str]]) -> None:
    print(f"\n{title}")
    for name, score, where in rows:
        print(f"  {score:.3f}  {name:<28} {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    photos = calibration_photos(args.photos, args.manifest)
    analyzer = people.PeopleAnalyzer(Path("."), threads=2)
    analyzer.load()
    with_people = [p for p in photos if p.shows("person", "face")]
    without = [p for p in photos if not p.may_show(*PEOPLE_WORDS)]
    print(
        f"{len(photos)} calibration photos: {len(with_people)} with people, "
        f"{len(without)} without (the rest only maybe)"
    )

    negative_faces: list[tuple[str, float, str]] = []
    between = {"with people": [0, 0], "without people": [0, 0]}  # confirmed, all
    positive_faces: list[float] = []
    haar_false = dict.fromkeys(NEIGHBOURS, 0)
    haar_true = dict.fromkeys(NEIGHBOURS, 0)
    context: list[tuple[str, float, str]] = []
    alone: list[tuple[str, float, str]] = []
    for photo in photos:
        group = (
            "with people"
            if photo in with_people
            else "without people"
            if photo in without
            else None
        )
        for view, image in views(photo.image()):
            where = f"{photo.id} ({view})"
            found = nudenet_detector._run(nudenet_detector._model(2), image)
            gray, scale = people._grey(image, max(people.HOG_SIDE, people.HAAR_SIDE))
            for det in found:
                if det.label in people.FACE_CLASSES and group is not None:
                    if group == "without people":
                        negative_faces.append((det.label, det.score, where))
                    else:
                        positive_faces.append(det.score)
                    if people.FACE_CANDIDATE <= det.score < people.FACE_ALONE:
                        box = people._pixels(det.box, *image.size)
                        between[group][0] += analyzer._confirmed(gray, scale, box)
                        between[group][1] += 1
                if det.label in moderation.TAXONOMY:
                    others = any(
                        o.label != det.label and o.score >= moderation.CONTEXT_SCORE for o in found
                    )
                    (context if others else alone).append((det.label, det.score, where))
            if group is not None and view in ("whole", "mirrored"):
                small, _ = people._shrink(gray, people.HAAR_SIDE)
                small = cv2.equalizeHist(small)
                for n in NEIGHBOURS:
                    boxes = analyzer.frontal.detectMultiScale(
                        small,
                        scaleFactor=people.HAAR_SCALE_STEP,
                        minNeighbors=n,
                        minSize=(people.HAAR_MIN_FACE, people.HAAR_MIN_FACE),
                    )
                    hits = haar_false if group == "without people" else haar_true
                    hits[n] += len(people._rows(boxes)) > 0

    negative_faces.sort(key=lambda r: -r[1])
    _table("best NudeNet face scores on views without people", negative_faces[:8])
    face_alone = step_above(max((s for _, s, _ in negative_faces), default=0.0), STEP)
    scores = np.array(positive_faces)
    print(
        f"\nfaces on views with people: {len(scores)}; scoring >= FACE_CANDIDATE "
        f"{people.FACE_CANDIDATE}: {(scores >= people.FACE_CANDIDATE).sum()}, "
        f">= derived FACE_ALONE {face_alone}: {(scores >= face_alone).sum()}"
    )
    print(f"between FACE_CANDIDATE and FACE_ALONE ({people.FACE_ALONE}) the cascades confirm:")
    for group, (confirmed, total) in between.items():
        print(f"  {group:<15} {confirmed} of {total}")

    print("\nfull-image frontal cascade: photos (whole or mirrored) with a box")
    print("  neighbours  with people  without people")
    for n in NEIGHBOURS:
        print(f"  {n:>10}  {haar_true[n]:>11}  {haar_false[n]:>14}")
    neighbours = next((n for n in NEIGHBOURS if haar_false[n] == 0), None)

    context.sort(key=lambda r: -r[1])
    alone.sort(key=lambda r: -r[1])
    _table("best moderation-class scores next to a face or body part", context[:6])
    _table("best moderation-class scores alone", alone[:6])
    min_score = step_above(max((s for _, s, _ in context), default=0.0), STEP)
    # A finding with no sign of a body needs more than one next to a face (at least a step).
    alone_bound = step_above(max((s for _, s, _ in alone), default=0.0), STEP)
    alone_score = max(alone_bound, round(min_score + STEP, 6))

    print("\nderived (current):")
    print(f"  people.FACE_ALONE        {face_alone}  ({people.FACE_ALONE})")
    print(f"  people.HAAR_NEIGHBORS    {neighbours}  ({people.HAAR_NEIGHBORS})")
    print(f"  moderation.MIN_SCORE     {min_score}  ({moderation.MIN_SCORE})")
    print(f"  moderation.ALONE_SCORE   {alone_score}  ({moderation.ALONE_SCORE})")


if __name__ == "__main__":
    main()
