"""Derive the text analyzer's MIN_CHARS (letters or digits a line needs to count).

    python scripts/calibrate_text.py --photos DIR

on the calibration photos of ``scripts/calibration_photos.py`` (none is a photo the tests
check). RapidOCR reads each photo with every line above MIN_SCORE kept, however short. A photo
"with text" has the word text or sign, or is in SEEN_TEXT (text the evaluation's words leave
out, found by looking at each photo where a line was read); one "without" has none of them
(nor as a maybe), and every line read on it is false. For each candidate it prints the lines
kept on photos with text and the false lines kept, and derives the candidate that keeps the
most lines with text less false lines (the smaller on a tie: it drops less real text).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration_photos import add_arguments, calibration_photos  # noqa: E402

from mediaquery.analyzers import text  # noqa: E402

CANDIDATES = range(1, 7)
TEXT_WORDS = ("text", "sign")
SEEN_TEXT = {
    "caer-camera.jpg": "the maker's name on the camera",
    "ocvdoc-laplace-operator-tutorial-original-image.jpg": "an image viewer's status bar",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    photos = calibration_photos(args.photos, args.manifest)
    current, text.MIN_CHARS = text.MIN_CHARS, 0  # keep every line; count its characters here
    analyzer = text.TextAnalyzer(Path("."), threads=2)
    lines: dict[str, tuple[bool, list[tuple[int, str]]]] = {}  # photo -> (text?, lines)
    for photo in photos:
        has = photo.shows(*TEXT_WORDS) or photo.id in SEEN_TEXT
        if has or not photo.may_show(*TEXT_WORDS):
            read = [line["text"] for line in analyzer.read_lines(photo.image())]
            lines[photo.id] = (has, [(sum(c.isalnum() for c in t), t) for t in read])
    with_text = sum(has for has, _ in lines.values())
    print(f"{with_text} calibration photos with text, {len(lines) - with_text} without")
    print("\nlines read on photos without text:")
    for pid, (has, found) in lines.items():
        for n, line in found if not has else ():
            print(f"  {n:>3}  {line!r:<30} {pid}")
    print("\nMIN_CHARS  lines kept on photos with text  false lines kept  score")
    score = {}
    for n in CANDIDATES:
        kept = sum(c >= n for has, found in lines.values() if has for c, _ in found)
        false = sum(c >= n for has, found in lines.values() if not has for c, _ in found)
        score[n] = kept - false
        print(f"  {n:>8}  {kept:>31}  {false:>16}  {score[n]:>5}")
    best_n = max(CANDIDATES, key=lambda n: (score[n], -n))
    print(f"\nderived MIN_CHARS {best_n} (current {current})")


if __name__ == "__main__":
    main()
