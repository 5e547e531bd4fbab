"""Measure the people analyzer (Person) and moderation flags on calibration photos, and what a
finer "far" HOG pass for small, distant people would add.

Runs on the calibration photos listed in scripts/people_calibration.tsv (real photos from
Debian packages and a PyPI source distribution, person or not set by looking at each one;
none is a photo the tests check nor one of the evaluation set's test half) and, given the label
evaluation set's manifest, on its calibration half (person = the word "person"; photos where it
is only "maybe" are left out)::

    python scripts/calibrate_people.py fetch --root /tmp/people-cal   # apt-get download, pip
    python scripts/calibrate_people.py run --root /tmp/people-cal \\
        [--manifest benchmarks/label_eval/manifest.json --photos DIR]

`run` prints, per photo, whether `people` says Person, what `moderation` flags and the far
pass's best HOG margin, then:
- the far pass's threshold (the highest margin on a photo without people, or TEXT_MARGIN, the
  margin HOG reaches on text at 480 px, if higher, rounded up to the next tenth) and how many
  photos with people that `people` misses it would find at that threshold. Measured: 1.8 (two
  spoonbills' legs reach 1.74); it finds 1 of the 7 missed (walkers on a campus path) for
  ~60-90 ms more on every photo without a person, and put Person on two photos without people
  of the evaluation set's test half (a street sign, a small JPEG); `people` now counts the far
  pass only where two separate windows clear that margin (scripts/calibrate_people_weak.py
  derives it on the evaluation's calibration half alone);
- Person recall and precision, and the people analyzer's CPU time per photo;
- moderation flags on close-up "selfies": pairs of the calibration heads side by side at three
  crop sizes (ordinary photos must get none).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import math
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from mediaquery.analyzers import nudenet_detector, people  # noqa: E402
from mediaquery.analyzers.moderation import ModerationAnalyzer  # noqa: E402
from mediaquery.decode import decode_image  # noqa: E402

LIST = REPO / "scripts/people_calibration.tsv"
TEXT_MARGIN = 1.34
# The far pass is measured with the analyzer's own (people.far_hog and far_windows: HOG on a
# greyscale copy people.FAR_SIDE px on its longer side, windows 128-265 px: the people too
# small for the analyzer's 480 px pass).
HEAD_MARGINS = (0.3, 0.8, 1.5)  # face widths added around each head for the close-ups
HEADS_PER_MARGIN = 24  # pairs grow with the square: the first 24 heads of each crop size


@dataclass(frozen=True)
class Photo:
    kind: str  # "deb" (Debian package), "sdist" (PyPI source distribution) or "eval"
    package: str
    path: str  # inside the extracted package, under --root
    person: bool
    note: str


def read_list(path: Path = LIST) -> list[Photo]:
    """The calibration photos, in list order."""
    lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    return [
        Photo(r["kind"], r["package"], r["path"], r["person"] == "1", r["note"] or "")
        for r in csv.DictReader(lines, delimiter="\t")
    ]


def read_manifest(manifest: Path, photos: Path) -> list[Photo]:
    """The evaluation set's calibration half, less the photos the tests check."""
    tested = {_sha256(p) for p in (REPO / "tests/analyzers/photos").glob("*.jpg")}
    out = []
    for entry in json.loads(manifest.read_text())["photos"]:
        path = photos / entry["id"]
        if entry["split"] != "calibration" or "person" in entry.get("maybe", []):
            continue
        if _sha256(path) in tested:
            continue
        out.append(Photo("eval", "label_eval", str(path), "person" in entry["words"], ""))
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(root: Path, photos: list[Photo]) -> None:
    """Download each package once and extract it under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for kind, package in sorted({(p.kind, p.package) for p in photos}):
        cache = root / "packages" / package
        if cache.exists():
            continue
        cache.mkdir(parents=True)
        if kind == "deb":
            subprocess.run(["apt-get", "download", package], cwd=cache, check=True)
            (deb,) = cache.glob("*.deb")
            subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
        else:
            pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
            subprocess.run([*pip, "-d", str(cache), package], check=True)
            (sdist,) = cache.glob("*.tar.gz")
            with tarfile.open(sdist) as tar:
                tar.extractall(root, filter="data")


def far_margin(hog: cv2.HOGDescriptor, image: Image.Image) -> float:
    """The far pass's best HOG margin on this photo (0 when it finds no window): the
    analyzer's own windows (people.far_windows), their squashed scores turned back."""
    scores = [f.score for f in people.far_windows(hog, image)]
    return float(-np.log(max(1.0 - max(scores), 1e-12))) if scores else 0.0


def heads(image: Image.Image) -> list[tuple[float, Image.Image]]:
    """Crops around each clear face, one per HEAD_MARGINS entry, tagged with that margin."""
    w, h = image.size
    out = []
    for det in nudenet_detector.detect(image):
        if det.label not in people.FACE_CLASSES or det.score < 0.5:
            continue
        x0, y0, x1, y1 = people._pixels(det.box, w, h)
        fw, fh = x1 - x0, y1 - y0
        for k in HEAD_MARGINS:
            box = (max(0, x0 - fw * k), max(0, y0 - fh * k / 2), min(w, x1 + fw * k),
                   min(h, y1 + fh * k * 1.5))  # fmt: skip
            out.append((k, image.crop(tuple(int(v) for v in box))))
    return out


def side_by_side(a: Image.Image, b: Image.Image) -> Image.Image:
    height = max(a.height, b.height)
    a = a.resize((max(1, round(a.width * height / a.height)), height))
    b = b.resize((max(1, round(b.width * height / b.height)), height))
    pair = Image.new("RGB", (a.width + b.width, height))
    pair.paste(a, (0, 0))
    pair.paste(b, (a.width, 0))
    return pair


def run(root: Path, photos: list[Photo]) -> None:
    """Measure every photo; print the table, the derived threshold and the figures."""
    cache = root / "models"
    analyzer = people.PeopleAnalyzer(cache, threads=1)
    moderation = ModerationAnalyzer(cache, threads=1)
    hog = people.far_hog()
    missed: list[float] = []  # far-pass margins of the photos with people `people` misses
    tp = fp = fn = 0
    seconds = 0.0
    negatives: list[tuple[float, str]] = []
    all_heads: list[tuple[float, Image.Image]] = []
    for photo in photos:
        with open(root / photo.path, "rb") as f:  # as the service decodes it (EXIF, WebP)
            image = decode_image(f, max_pixels=100_000_000).image
        start = time.process_time()
        found = analyzer.analyze(image)
        seconds += time.process_time() - start
        has = any(lab.name == "Person" for lab in found.labels)
        tp += has and photo.person
        fp += has and not photo.person
        fn += photo.person and not has
        margin = far_margin(hog, image)
        if not photo.person:
            negatives.append((margin, photo.path))
        else:
            all_heads.extend(heads(image))
            if not has:
                missed.append(margin)
        flags = [lab.name for lab in moderation.analyze(image).labels]
        mark = "ok " if has == photo.person else "BAD"
        print(f"{mark} person={int(photo.person)} found={int(has)} far={margin:4.2f} "
              f"moderation={flags or '-'} {Path(photo.path).name} {photo.note}")  # fmt: skip
    far_report(negatives, missed)
    recall = tp / (tp + fn) if tp + fn else 1.0
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(f"Person on {len(photos)} calibration photos: recall {recall:.0%} ({tp}/{tp + fn}), "
          f"precision {precision:.0%} ({tp}/{tp + fp})")  # fmt: skip
    print(f"people analyzer: {1000 * seconds / len(photos):.0f} ms of CPU per photo at 1 thread")
    close_ups(moderation, all_heads)


def far_report(negatives: list[tuple[float, str]], missed: list[float]) -> None:
    """The far pass's threshold and what it would add."""
    worst = max(negatives, default=(0.0, "-"))
    threshold = math.ceil(max(worst[0], TEXT_MARGIN) * 10) / 10
    gained = sum(margin >= threshold for margin in missed)
    print(f"\nhighest far-pass margin without people: {worst[0]:.2f} ({worst[1]})")
    print(f"far pass threshold {threshold:.1f}: finds {gained} of the {len(missed)} missed")


def close_ups(moderation: ModerationAnalyzer, crops: list[tuple[float, Image.Image]]) -> None:
    """Moderation on pairs of heads cropped alike, side by side: none may be flagged."""
    pairs = flagged = 0
    for margin in HEAD_MARGINS:
        alike = [c for k, c in crops if k == margin and min(c.size) >= 32][:HEADS_PER_MARGIN]
        for a, b in itertools.combinations(alike, 2):
            pairs += 1
            labels = moderation.analyze(side_by_side(a, b)).labels
            if labels:
                flagged += 1
                print(f"close-up pair flagged: {[lab.name for lab in labels]}")
    print(f"moderation on {pairs} close-up pairs of heads: {flagged} flagged")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["fetch", "run"])
    parser.add_argument("--root", type=Path, required=True, help="where packages are extracted")
    parser.add_argument("--manifest", type=Path, help="the label evaluation set's manifest.json")
    parser.add_argument("--photos", type=Path, help="the folder holding its photos by id")
    args = parser.parse_args()
    photos = read_list()
    if args.command == "run" and args.manifest:
        photos += read_manifest(args.manifest, args.photos)
    if args.command == "fetch":
        fetch(args.root, photos)
    else:
        run(args.root, photos)


if __name__ == "__main__":
    main()
