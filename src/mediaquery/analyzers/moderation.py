"""The `moderation` analyzer: nudity and suggestive content, from NudeNet's body-part detector.

NudeNet's exposed and covered body-part classes map onto a two-level taxonomy in the spirit of
Rekognition's moderation labels. Each finding is reported under its own name with the
top-level name as its parent, and every top-level name found is reported too, so a query can
ask for "Explicit Nudity" or for "Exposed Buttocks". Faces, feet, armpits and covered bellies
are not moderation findings. Detections are shared with `people` (one model run per image).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from PIL import Image

from mediaquery.analyzers import nudenet_detector
from mediaquery.analyzers.base import Analyzer
from mediaquery.analyzers.nudenet_detector import Detection
from mediaquery.domain import Findings, LabelFinding

CATEGORY = "Moderation"
EXPLICIT = "Explicit Nudity"
NON_EXPLICIT = "Non-Explicit Nudity"
SUGGESTIVE = "Suggestive"
TOP_LEVEL = (EXPLICIT, NON_EXPLICIT, SUGGESTIVE)

# NudeNet class -> (label, top-level label).
TAXONOMY: dict[str, tuple[str, str]] = {
    "FEMALE_GENITALIA_EXPOSED": ("Exposed Female Genitalia", EXPLICIT),
    "MALE_GENITALIA_EXPOSED": ("Exposed Male Genitalia", EXPLICIT),
    "FEMALE_BREAST_EXPOSED": ("Exposed Female Breast", EXPLICIT),
    "BUTTOCKS_EXPOSED": ("Exposed Buttocks", EXPLICIT),
    "ANUS_EXPOSED": ("Exposed Anus", EXPLICIT),
    "MALE_BREAST_EXPOSED": ("Exposed Male Breast", NON_EXPLICIT),
    "BELLY_EXPOSED": ("Exposed Belly", NON_EXPLICIT),
    "FEMALE_BREAST_COVERED": ("Female Swimwear Or Underwear", SUGGESTIVE),
    "FEMALE_GENITALIA_COVERED": ("Female Swimwear Or Underwear", SUGGESTIVE),
    "BUTTOCKS_COVERED": ("Revealing Clothes", SUGGESTIVE),
    "ANUS_COVERED": ("Revealing Clothes", SUGGESTIVE),
}

# Derived by scripts/calibrate_faces_and_moderation.py on the calibration photos (real photos
# kept apart from the ones the tests check, none with nudity; each whole, mirrored and in five
# crops): the best moderation-class scores are 0.645 "covered female breast" on a woman in a
# strapless dress, next to her face, and 0.50 alone ("exposed breast" on a crop of toys). Each
# threshold is the next 0.05 above, so none of the photos is flagged, and a finding with no
# other sign of a body needs a step more than one next to a face or another body part.
MIN_SCORE = 0.65
CONTEXT_SCORE = 0.3  # a face or other body part this sure shows a person is in the picture
# scripts/calibrate_moderation.py on 4,612 ordinary images (the 448 calibration photos of
# benchmarks/label_eval and the 4,164 other images, photos, drawings and cut-outs, of the
# packages they come from, benchmarks/label_eval/moderation_extra.json; none shows nudity or
# swimwear): the best scores are 0.716 "covered female breast" next to a face (a cartoon woman in
# an evening dress, opencv-doc), 0.715 "exposed breast" alone (a GIMP layer-mode example: a
# colour blob over a bird) and 0.477 an exposed part next to a face. Each threshold is the best
# score it governs plus a 0.05 margin, on a 0.05 grid, never below the earlier 0.65 and 0.7:
# MIN_SCORE stays; a Suggestive finding next to a face, and any finding alone, need 0.8.
ALONE_SCORE = 0.8
SUGGESTIVE_SCORE = 0.8


class ModerationAnalyzer(Analyzer):
    """Nudity and suggestive content: labels under Explicit / Non-Explicit Nudity, Suggestive."""

    name: ClassVar[str] = "moderation"
    # .2: MIN_SCORE 0.65; .3: SUGGESTIVE_SCORE 0.7; .4: ALONE_SCORE and SUGGESTIVE_SCORE 0.8
    version: ClassVar[str] = "nudenet320n.4"
    per_shot: ClassVar[bool] = True
    min_side: ClassVar[int | None] = nudenet_detector.INPUT_SIDE

    def _load(self) -> None:
        nudenet_detector.load(self.threads)

    def _unload(self) -> None:
        nudenet_detector.unload()

    def _analyze(self, image: Image.Image) -> Findings:
        flagged = flag(nudenet_detector.detect(image, self.threads))
        return Findings(
            analyzer=self.name,
            version=self.version,
            labels=labels_from(flagged),
            extra={"detections": len(flagged)},
        )


def flag(detections: Sequence[Detection]) -> list[Detection]:
    """The detections of moderation classes that pass their threshold."""
    flagged = []
    for det in detections:
        if det.label not in TAXONOMY or det.score < min_score(det.label):
            continue
        # Another part of the same class (two "bellies" on a retina scan) is no context.
        context = any(
            other.label != det.label and other.score >= CONTEXT_SCORE for other in detections
        )
        if context or det.score >= ALONE_SCORE:
            flagged.append(det)
    return flagged


def min_score(label: str) -> float:
    """The score a NudeNet class needs next to a face or other body part."""
    return SUGGESTIVE_SCORE if TAXONOMY[label][1] == SUGGESTIVE else MIN_SCORE


def labels_from(flagged: Sequence[Detection]) -> list[LabelFinding]:
    """One label per name (best score, every box), then each top-level label found."""
    by_name: dict[str, list[Detection]] = {}
    for det in flagged:
        by_name.setdefault(TAXONOMY[det.label][0], []).append(det)
    out: list[LabelFinding] = []
    tops: dict[str, list[Detection]] = {}
    for name, dets in by_name.items():
        top = TAXONOMY[dets[0].label][1]
        tops.setdefault(top, []).extend(dets)
        out.append(_label(name, dets, parents=(top,)))
    out.extend(_label(top, tops[top], parents=()) for top in TOP_LEVEL if top in tops)
    out.sort(key=lambda lab: -lab.confidence)
    return out


def _label(name: str, dets: list[Detection], parents: tuple[str, ...]) -> LabelFinding:
    ordered = sorted(dets, key=lambda d: (d.box.left, d.box.top))
    return LabelFinding(
        name=name,
        confidence=round(100.0 * max(d.score for d in dets), 2),
        parents=parents,
        category=CATEGORY,
        boxes=tuple(d.box for d in ordered),
    )
