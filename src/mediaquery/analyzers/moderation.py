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

# Measured on 240 pictures without any nudity (24 scikit-image photos, mirrored, and eight
# 640x480 crops of each): the best scores are 0.56 "covered female breast" on the astronaut's
# spacesuit, next to her face; 0.54 "exposed belly" on the Moon, 0.51 "exposed buttocks" on a
# colour wheel (0.83 with a 320 px input) and 0.46 on a retina scan, each alone in its picture.
# So a finding next to a face or another body part needs MIN_SCORE, and a finding with no
# other sign of a body needs ALONE_SCORE; none of the 240 pictures is flagged.
MIN_SCORE = 0.6
ALONE_SCORE = 0.7
CONTEXT_SCORE = 0.3  # a face or other body part this sure shows a person is in the picture
# On the 147 calibration photos of benchmarks/label_eval (ordinary photos, none with nudity;
# scripts/calibrate_moderation.py) the best moderation scores are 0.645 "covered female
# breast" on a fashion portrait in a strapless dress, next to her face, and 0.497 "exposed male
# genitalia" on a sea wave, alone. So a Suggestive finding needs SUGGESTIVE_SCORE (the best
# score plus a 0.05 margin) even next to a face; no ordinary photo of either half is flagged.
SUGGESTIVE_SCORE = 0.7


class ModerationAnalyzer(Analyzer):
    """Nudity and suggestive content: labels under Explicit / Non-Explicit Nudity, Suggestive."""

    name: ClassVar[str] = "moderation"
    version: ClassVar[str] = "nudenet320n.2"
    per_shot: ClassVar[bool] = True
    min_side: ClassVar[int | None] = nudenet_detector.INPUT_SIDE

    def _load(self) -> None:
        nudenet_detector.load(self.threads)

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
