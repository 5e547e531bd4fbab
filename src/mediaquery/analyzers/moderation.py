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

import numpy as np
from PIL import Image

from mediaquery.analyzers import nudenet_detector
from mediaquery.analyzers.base import Analyzer
from mediaquery.analyzers.nudenet_detector import Detection
from mediaquery.domain import Box, Findings, LabelFinding

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

# An exposed part that counts alone (no face or other part beside it) must also look like skin:
# NudeNet takes red and orange round textured things (fruit, a colour blob) for breasts.
# Skin-coloured pixels by the YCbCr rule of Chai & Ngan (1999, "Face segmentation using
# skin-color map"): 77 <= Cb <= 127 and 133 <= Cr <= 173 (JPEG's full-range BT.601 YCbCr, PIL's
# "YCbCr"). It reads chrominance only, so it holds from light to dark skin whatever the
# brightness; its lower Cr end is moved to 130 so that every tone of the Monk Skin Tone scale is
# inside (the darkest, #292420, has Cr 130; the lightest, #f6ede4, 133). Saturated reds and
# oranges lie above Cr 173 or below Cb 77 (a tomato red #c81e14: Cr 214; an orange #f08c28:
# Cr 186, Cb 61).
SKIN_CB = (77, 127)
SKIN_CR = (130, 173)
# Colourless pixels (Cb and Cr both within this of 128: grey, as in a black-and-white photo,
# where PIL gives exactly 128 and JPEG noise a few levels) say nothing about skin: a box needs
# at least MIN_SKIN of coloured pixels to fail the guard, so black-and-white photos never do.
GREY_CHROMA = 4
SKIN_SIDE = 96  # the box is shrunk to at most this many pixels a side before counting
# scripts/calibrate_moderation.py, on the real skin of the calibration photos that show people:
# NudeNet's face, armpit and feet boxes scoring 0.4 or more, 38 in colour (light to dark faces,
# a dark-skinned woman's armpit and feet; one black-and-white face left out, which the guard
# passes). Their skin-coloured shares are 0.64 (a close portrait: hair, brows and mouth are
# not skin-coloured) to 1.0, median 0.90; MIN_SKIN is half the lowest, on a 0.05 grid below.
# Of the exposed parts alone scoring 0.65 or more on the 4,612 ordinary images it removes 2 of
# 5 (a GIMP colour blob, 0.715: skin 0.09; a white toy, 0.694: 0.17); none of them is flagged
# either way (ALONE_SCORE).
MIN_SKIN = 0.3


class ModerationAnalyzer(Analyzer):
    """Nudity and suggestive content: labels under Explicit / Non-Explicit Nudity, Suggestive."""

    name: ClassVar[str] = "moderation"
    # .2: MIN_SCORE 0.65; .3: SUGGESTIVE_SCORE 0.7; .4: ALONE_SCORE and SUGGESTIVE_SCORE 0.8;
    # .5: the skin guard of exposed parts alone (MIN_SKIN)
    version: ClassVar[str] = "nudenet320n.5"
    per_shot: ClassVar[bool] = True
    min_side: ClassVar[int | None] = nudenet_detector.INPUT_SIDE

    def _load(self) -> None:
        nudenet_detector.load(self.threads)

    def _unload(self) -> None:
        nudenet_detector.unload()

    def _analyze(self, image: Image.Image) -> Findings:
        flagged = flag(nudenet_detector.detect(image, self.threads), image)
        return Findings(
            analyzer=self.name,
            version=self.version,
            labels=labels_from(flagged),
            extra={"detections": len(flagged)},
        )


def flag(detections: Sequence[Detection], image: Image.Image) -> list[Detection]:
    """The detections of moderation classes that pass their threshold (and, alone, the skin
    guard) in `image`, the picture they were detected on."""
    flagged = []
    for det in detections:
        if det.label not in TAXONOMY or det.score < min_score(det.label):
            continue
        if has_context(det, detections) or (
            det.score >= ALONE_SCORE and (is_covered(det.label) or looks_like_skin(image, det))
        ):
            flagged.append(det)
    return flagged


def has_context(det: Detection, detections: Sequence[Detection]) -> bool:
    """Whether a face or another body part is sure enough beside `det` to show a person."""
    # Another part of the same class (two "bellies" on a retina scan) is no context.
    return any(other.label != det.label and other.score >= CONTEXT_SCORE for other in detections)


def is_covered(label: str) -> bool:
    """Whether the class is a covered part (clothes: no skin to look for)."""
    return label.endswith("_COVERED")


def looks_like_skin(image: Image.Image, det: Detection) -> bool:
    """The skin guard of exposed parts that count alone: at least MIN_SKIN of the box is
    skin-coloured, or too little of it has any colour to tell (a black-and-white photo)."""
    return passes_skin_guard(*skin_shares(image, det.box))


def passes_skin_guard(skin: float, coloured: float) -> bool:
    """The guard on a box's skin-coloured and coloured shares (`skin_shares`)."""
    return skin >= MIN_SKIN or coloured < MIN_SKIN


def skin_shares(image: Image.Image, box: Box) -> tuple[float, float]:
    """The shares (0-1) of the box's pixels that are skin-coloured and that have any colour."""
    left, top, right, bottom = box.pixels(*image.size)
    if right <= left or bottom <= top:
        return 0.0, 0.0
    crop = image.crop((left, top, right, bottom)).convert("RGB")
    crop.thumbnail((SKIN_SIDE, SKIN_SIDE), Image.Resampling.BILINEAR)
    skin, coloured = skin_masks(np.asarray(crop))
    return float(skin.mean()), float(coloured.mean())


def skin_masks(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which pixels of an RGB (uint8, H x W x 3) array are skin-coloured (SKIN_CB, SKIN_CR) and
    which have any colour (further than GREY_CHROMA from grey)."""
    ycbcr = np.asarray(Image.fromarray(rgb, "RGB").convert("YCbCr")).astype(np.int16)
    cb, cr = ycbcr[..., 1], ycbcr[..., 2]
    skin = (cb >= SKIN_CB[0]) & (cb <= SKIN_CB[1]) & (cr >= SKIN_CR[0]) & (cr <= SKIN_CR[1])
    coloured = (np.abs(cb - 128) > GREY_CHROMA) | (np.abs(cr - 128) > GREY_CHROMA)
    return skin, coloured


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
