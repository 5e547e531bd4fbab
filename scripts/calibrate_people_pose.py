"""Measure what MediaPipe's BlazePose person detector adds to the people analyzer's Person on
the label evaluation's calibration half, and derive its two thresholds.

    PYTHONPATH=src python scripts/calibrate_people_pose.py \\
        --manifest benchmarks/label_eval/manifest.json --photos DIR \\
        --model pose_detection.tflite [--root /tmp/people-cal] [--cache people.json]

The model is ``mediapipe/modules/pose_detection/pose_detection.tflite`` from the mediapipe
0.10.21 wheel (catalogue entry ``mediapipe-pose-detection``); it runs on ai-edge-litert
(mediaquery.runtime.blazepose). Person truth is the word "person"; photos where it is only
"maybe" are left out. With ``--root`` (where ``scripts/calibrate_people.py fetch`` put them)
the photos of scripts/people_calibration.tsv join in. Per photo it runs the people analyzer
without the pose detector (its Person answers are kept in ``--cache``, keyed by the analyzer's
version, so that a second run skips it) and the pose detector two ways: the whole photo
letterboxed to 224 px ("whole", what the analyzer does), and that plus two squares at the two
ends of the long side of a photo wider or taller than TILE_ASPECT ("tiles"). It prints:
- per photo, the best pose score either way, the best "with a face" (a pose whose head box
  holds a NudeNet face of at least FACE_CANDIDATE: ``people.pose_faces``) and whether `people`
  says Person;
- the highest pose score on a photo without a person, either way, and POSE_ALONE: that plus
  MARGIN, rounded up to the next hundredth; likewise the highest "with a face" score without a
  person and POSE_WITH_FACE;
- for the person photos `people` misses, how many a lone pose finds at each of a few
  thresholds, either way;
- Person recall and precision as it is and with the pose detector at those thresholds, and
  what the analyzer with the detector says on the photos that gain Person (People too);
- the detector's CPU time per photo, either way.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from calibrate_labels import calibration_half, read_manifest  # noqa: E402
from calibrate_people import read_list  # noqa: E402

from mediaquery.analyzers import nudenet_detector, people  # noqa: E402
from mediaquery.decode import decode_image  # noqa: E402
from mediaquery.runtime import blazepose  # noqa: E402

FLOOR = 0.05  # report scores down to this
MARGIN = 0.05  # above the highest score on a photo without a person, like FACE_ALONE's margin
TILE_ASPECT = 1.5  # a photo this much wider than tall (or taller than wide) also gets tiles
STEPS = (0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class Row:
    key: str
    path: Path
    person: bool | None  # None: "maybe"
    found: bool  # `people` without the pose detector says Person
    whole: float  # best pose score on the whole photo
    tiles: float  # best of whole and the tiles
    with_face: float  # best pose score on the whole photo whose head holds a NudeNet face


def tiles(w: int, h: int) -> list[tuple[int, int, int, int]]:
    """Two squares at the two ends of the long side (they overlap when it is under twice
    the short one), or none for a photo closer to square than TILE_ASPECT."""
    if max(w, h) < TILE_ASPECT * min(w, h):
        return []
    s = min(w, h)
    if w > h:
        return [(0, 0, s, h), (w - s, 0, w, h)]
    return [(0, 0, w, s), (0, h - s, w, h)]


def best(poses: list[blazepose.Pose]) -> float:
    return max((p.score for p in poses), default=0.0)


def photos(args: argparse.Namespace) -> list[tuple[str, Path, bool | None]]:
    """(key, file, person) of every calibration photo; person None where it is "maybe"."""
    out: list[tuple[str, Path, bool | None]] = []
    for photo in calibration_half(read_manifest(args.manifest)):
        person = None if "person" in photo.maybe else "person" in photo.words
        out.append((photo.key, args.photos / photo.file, person))
    if args.root:
        out += [(f"tsv:{p.path}", args.root / p.path, p.person) for p in read_list()]
    return out


def load(path: Path) -> Image.Image:
    with open(path, "rb") as f:  # as the service decodes it (EXIF, WebP)
        return decode_image(f, max_pixels=100_000_000).image


def measure(args: argparse.Namespace) -> tuple[list[Row], float, float]:
    cache_file: Path | None = args.cache
    cache: dict[str, bool] = {}
    version = people.PeopleAnalyzer.version
    if cache_file and cache_file.is_file():
        stored = json.loads(cache_file.read_text())
        cache = stored["found"] if stored.get("version") == version else {}
    analyzer = people.PeopleAnalyzer(args.models, threads=1)
    analyzer.load()
    analyzer.pose = None  # `people` as it is without the detector
    detector = blazepose.PoseDetector(args.model, threads=1)
    rows: list[Row] = []
    whole_s = tiles_s = 0.0
    for key, path, person in photos(args):
        image = load(path)
        if key not in cache:
            cache[key] = any(lab.name == "Person" for lab in analyzer.analyze(image).labels)
        start = time.process_time()
        poses = detector.detect(image, FLOOR)
        middle = time.process_time()
        tiled = max(
            [best(poses)] + [best(detector.detect(image, FLOOR, t)) for t in tiles(*image.size)]
        )
        whole_s += middle - start
        tiles_s += time.process_time() - start
        detections = nudenet_detector.detect(image)
        w, h = image.size
        with_face = max(
            (p.score for p in poses if people.pose_faces(p, detections, w, h) > 0), default=0.0
        )
        rows.append(Row(key, path, person, cache[key], best(poses), tiled, with_face))
        truth = "?" if person is None else int(person)
        print(f"person={truth} found={int(cache[key])} whole={best(poses):.2f} "
              f"tiles={tiled:.2f} with_face={with_face:.2f} {key}")  # fmt: skip
    if cache_file:
        cache_file.write_text(json.dumps({"version": version, "found": cache}, indent=0))
    return rows, whole_s / len(rows), tiles_s / len(rows)


def threshold(scored: list[Row], attr: str, label: str) -> float:
    """The highest score on a photo without a person plus MARGIN, rounded up."""
    negatives = sorted((r for r in scored if not r.person), key=lambda r: -getattr(r, attr))
    worst = getattr(negatives[0], attr) if negatives else 0.0
    print(f"[{label}] highest without a person: "
          + ", ".join(f"{getattr(r, attr):.2f} {r.key}" for r in negatives[:5]))  # fmt: skip
    t = math.ceil((worst + MARGIN) * 100) / 100
    print(f"[{label}] threshold = {worst:.2f} + {MARGIN} -> {t:.2f}")
    return t


def report(rows: list[Row], args: argparse.Namespace) -> None:
    scored = [r for r in rows if r.person is not None]
    positives = [r for r in scored if r.person]
    missed = [r for r in positives if not r.found]
    print(f"\n{len(scored)} calibration photos scored: {len(positives)} with a person, "
          f"{len(scored) - len(positives)} without; `people` misses {len(missed)}")  # fmt: skip
    for way in ("whole", "tiles"):
        print()
        t = threshold(scored, way, way)
        for step in sorted({*STEPS, t}):
            gained = sum(getattr(r, way) >= step for r in missed)
            false = sum(getattr(r, way) >= step and not r.found and not r.person for r in scored)
            print(f"[{way}]   alone at {step:.2f}: finds {gained} of {len(missed)} missed, "
                  f"{false} new false Person")  # fmt: skip
    print()
    alone = threshold(scored, "whole", "alone")
    with_face = threshold(scored, "with_face", "with a face")
    print("missed photos (whole, with a face): "
          + ", ".join(f"{r.whole:.2f}/{r.with_face:.2f} {r.key}" for r in missed))  # fmt: skip
    print(f"analyzer: POSE_ALONE {people.POSE_ALONE}, POSE_WITH_FACE {people.POSE_WITH_FACE}")

    def posed(r: Row) -> bool:
        return r.whole >= alone or r.with_face >= with_face

    for label, says in (
        ("as it is", lambda r: r.found),
        ("with pose", lambda r: r.found or posed(r)),
    ):
        tp = sum(bool(r.person and says(r)) for r in scored)
        ret = sum(bool(says(r)) for r in scored)
        print(f"Person {label}: recall {tp}/{len(positives)} ({tp / len(positives):.1%}), "
              f"precision {tp}/{ret} ({tp / max(ret, 1):.1%})")  # fmt: skip
    gained = [r for r in rows if not r.found and posed(r)]
    if gained and people.installed_path(args.models, people.POSE_MODEL):
        analyzer = people.PeopleAnalyzer(args.models, threads=1)
        for r in gained:
            labels = [(lab.name, lab.confidence) for lab in analyzer.analyze(load(r.path)).labels]
            print(f"gains Person (person={r.person}): {r.key}: analyzer with pose says {labels}")
    else:
        print("gains Person: " + ", ".join(f"{r.key} (person={r.person})" for r in gained))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", type=Path, required=True)
    ap.add_argument("--photos", type=Path, required=True)
    ap.add_argument("--model", type=Path, required=True, help="pose_detection.tflite")
    ap.add_argument("--models", type=Path, default=Path("mediaquery-data/models"))
    ap.add_argument("--root", type=Path, help="scripts/calibrate_people.py fetch's folder")
    ap.add_argument("--cache", type=Path, help="JSON file keeping the people analyzer's answers")
    args = ap.parse_args()
    rows, whole_s, tiles_s = measure(args)
    report(rows, args)
    print(f"\npose detector CPU per photo at 1 thread: whole {whole_s * 1000:.1f} ms, "
          f"with tiles {tiles_s * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
