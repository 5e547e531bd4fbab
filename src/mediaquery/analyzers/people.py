"""The `people` analyzer: faces and people, with one box per instance.

Faces come from NudeNet's detector (shared with `moderation`) and OpenCV's Haar cascades.
NudeNet finds heads in any pose but also calls animal faces human (up to 0.68), so a NudeNet face
below FACE_ALONE must be confirmed by a frontal or profile cascade; a full-image frontal
cascade pass adds the small, tightly framed or greyscale faces NudeNet misses. Persons are one
per face, plus OpenCV HOG pedestrian boxes that are not one of those people; a finer "far" HOG
pass adds people too small for the first when it finds several of them. Where all that finds
nobody, MediaPipe's BlazePose person detector (when its model is installed) adds a person seen
side-on, from behind or with the face hidden. Once someone is found, weaker evidence counts
further people: another head, or a body part outside every person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
from cv2.data import haarcascades
from PIL import Image

from mediaquery.analyzers import face_boxes, nudenet_detector
from mediaquery.analyzers.base import Analyzer
from mediaquery.domain import Box, Findings, LabelFinding
from mediaquery.models.store import installed_path
from mediaquery.runtime import blazepose

log = logging.getLogger(__name__)

CATEGORY = "Person"
FACE_CLASSES = frozenset({"FACE_FEMALE", "FACE_MALE"})
# Derived by scripts/calibrate_faces_and_moderation.py on the calibration photos (real photos
# kept apart from the ones the tests check; each whole, mirrored and in five crops): NudeNet
# scores faces on photos without people (calves, pandas, swans) up to 0.68, so FACE_ALONE is
# the next 0.05 above. Between FACE_CANDIDATE and FACE_ALONE the cascades confirm 19 of 31
# faces on photos with people and none of 29 on photos without.
FACE_CANDIDATE = 0.3
FACE_ALONE = 0.7  # NudeNet this sure needs no cascade (a face cut by the frame, say)
# Full-image frontal cascade on a greyscale copy whose longest side is HAAR_SIDE. On the same
# calibration photos (whole and mirrored) it boxes a face on a photo without people at 3
# neighbours and on none from 4 to 8, which all box the same photos with people; 6 keeps a
# margin. `alt2` has
# the fewest false boxes of the shipped frontal cascades (`default` fires on coins).
FRONTAL_FILE = "haarcascade_frontalface_alt2.xml"
PROFILE_FILE = "haarcascade_profileface.xml"
HAAR_SIDE = 400
HAAR_SCALE_STEP = 1.3  # coarse: 400 px at 1.3 finds more than 320 px at 1.2 for the same time
HAAR_NEIGHBORS = 6
HAAR_MIN_FACE = 16  # pixels in the downscaled copy
HAAR_SCORE = 0.6  # a cascade has no probability; what a cascade-only face is worth
# Confirming a NudeNet face: its box with a margin, scaled to VERIFY_SIDE, both cascades.
# No histogram equalisation here: on head-sized crops it confirmed fewer faces.
VERIFY_SIDE = 160
VERIFY_MARGIN = 0.25
VERIFY_NEIGHBORS = 3
# HOG people detector (64x128 window) on a copy whose longest side is HOG_SIDE: a person must
# be at least ~27% of a 640x480 photo's height. On crops of the scikit-image photos (none has
# a standing pedestrian) its SVM margin reaches 1.34 on text and 1.08 on a rocket, so a HOG box
# counts when NudeNet sees a body part inside it, or on its own from HOG_ALONE.
HOG_SIDE = 480
HOG_SCALE_STEP = 1.2  # 1.1 costs half as much again, 1.05 twice that
HOG_MIN_WEIGHT = 1.0
HOG_ALONE = 2.0
PART_SCORE = 0.3  # a NudeNet body part this sure backs a HOG box
# A NudeNet face too weak to be one (down to the detector's floor, 0.2) is a person when a
# dressed body part of at least PART_SCORE lies within HEADS_TALL face heights of it: a
# seated woman whose face is tipped back (0.23) with her boots (0.47). Its nudity classes
# are left out: on the calibration photos they fire on bare animal skin next to an animal's
# "face" (a calf: face 0.60, genitalia 0.44), the dressed ones do not.
DRESSED_PARTS = frozenset(
    {
        "FEET_EXPOSED",
        "FEET_COVERED",
        "ARMPITS_EXPOSED",
        "ARMPITS_COVERED",
        "BELLY_COVERED",
        "FEMALE_BREAST_COVERED",
        "BUTTOCKS_COVERED",
        "FEMALE_GENITALIA_COVERED",
    }
)
HEADS_TALL = 7.0  # a standing adult is about seven heads tall
# The far pass: HOG on a copy FAR_SIDE px on its longer side (upscaled at most twice) over
# FAR_LEVELS pyramid levels, windows of 128-265 px there: people 6-13% of the photo's height,
# too small for the pass above. Derived by scripts/calibrate_people_weak.py on the label
# evaluation's calibration half: FAR_MARGIN is the highest margin of any window on a photo
# without people (1.74, two spoonbills' legs), rounded up to the next tenth. One window just
# above that is thin evidence on its own, so the pass counts only when FAR_WINDOWS separate
# windows clear it (a street scene's walkers; no photo without people has even one).
FAR_SIDE = 960
FAR_LEVELS = 5
FAR_MARGIN = 1.8
FAR_WINDOWS = 2
# The pose detector (catalogue model POSE_MODEL, run by runtime.blazepose on ai-edge-litert):
# optional, and run only on photos where nothing above found anyone. Derived by
# scripts/calibrate_people_pose.py on the label evaluation's calibration half: its best score
# on a photo without a person is 0.90 (a cheetah; a gibbon 0.85), so a pose counts on its own
# from POSE_ALONE, that plus 0.05, rounded up to the hundredth; a NudeNet face of at least
# FACE_CANDIDATE (one the cascades did not confirm) inside a pose's head box reaches 0.68 there
# (a goldfish), so that pair counts from POSE_WITH_FACE, likewise. Each adds one of the 36
# person photos there (20 found before): a hooded walker seen from behind (0.97), a soldier
# in a helmet aiming a rifle (0.77, face 0.34); none without a person.
POSE_MODEL = "mediapipe-pose-detection"
POSE_ALONE = 0.96
POSE_WITH_FACE = 0.74
SAME_INSTANCE = 0.5  # two boxes whose intersection covers half the smaller are one instance
MIN_SIDE_PX = 16  # below this nothing is recognisable; skip the work

PixelBox = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels of the image


@dataclass(frozen=True, slots=True)
class _Found:
    box: PixelBox
    score: float  # 0-1


class PeopleAnalyzer(Analyzer):
    """Faces and people: "Face", "Person" and (two or more people) "People", with boxes."""

    name: ClassVar[str] = "people"
    version: ClassVar[str] = "nudenet320n-haar-hog.4"  # .4: pose detector, when installed
    per_shot: ClassVar[bool] = True
    min_side: ClassVar[int | None] = HOG_SIDE

    def _load(self) -> None:
        # OpenCV parallelises HOG and cascades itself; workers scale by processes instead.
        cv2.setNumThreads(self.threads)
        nudenet_detector.load(self.threads)
        self.frontal = _cascade(FRONTAL_FILE)
        self.profile = _cascade(PROFILE_FILE)
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(
            np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), dtype=np.float32)
        )
        self.far_hog = far_hog()
        self.pose = pose_detector(self.model_dir, self.threads)

    def _unload(self) -> None:
        del self.frontal, self.profile, self.hog, self.far_hog, self.pose
        nudenet_detector.unload()

    def _analyze(self, image: Image.Image) -> Findings:
        w, h = image.size
        faces: list[_Found] = []
        persons: list[_Found] = []
        if min(w, h) >= MIN_SIDE_PX:
            detections = nudenet_detector.detect(image, self.threads)
            gray, scale = _grey(image, max(HOG_SIDE, HAAR_SIDE))
            faces = self._faces(image, detections, gray, scale)
            parts = [
                _pixels(d.box, w, h)
                for d in detections
                if d.label not in FACE_CLASSES and d.score >= PART_SCORE
            ]
            persons = _persons(faces, self._bodies(gray, scale, parts), w, h)
            persons.extend(f for f in _paired(detections, faces, w, h) if _is_new(f.box, persons))
            if len(persons) < 2:  # with several people found, far ones would add only boxes
                persons.extend(f for f in self.far_bodies(image) if _is_new(f.box, persons))
            if not persons and self.pose is not None:
                poses = self.pose.detect(image, min(POSE_ALONE, POSE_WITH_FACE))
                persons.extend(posed(poses, detections, w, h))
            if persons:
                persons.extend(_further(detections, faces, persons, w, h))
        face_boxes.remember(image, tuple((_box(f, w, h), f.score) for f in faces))  # for `faces`
        return Findings(
            analyzer=self.name,
            version=self.version,
            labels=_labels(faces, persons, image.size),
            extra={"faces": len(faces), "persons": len(persons)},
        )

    def _faces(
        self,
        image: Image.Image,
        detections: tuple[nudenet_detector.Detection, ...],
        gray: np.ndarray,
        scale: float,
    ) -> list[_Found]:
        w, h = image.size
        haar = self._haar_faces(gray, scale)
        faces: list[_Found] = []
        for det in detections:
            if det.label not in FACE_CLASSES or det.score < FACE_CANDIDATE:
                continue
            box = _pixels(det.box, w, h)
            match = next(
                (i for i, hb in enumerate(haar) if _overlap(box, hb) >= SAME_INSTANCE), None
            )
            if match is not None:
                haar.pop(match)
            if match is not None or self._confirmed(gray, scale, box):
                # Two unrelated detectors agree: NudeNet's box (it covers the whole head)
                # with a confidence neither gives alone.
                faces.append(_Found(box, 1.0 - (1.0 - det.score) * (1.0 - HAAR_SCORE)))
            elif det.score >= FACE_ALONE:
                faces.append(_Found(box, det.score))
        faces.extend(_Found(hb, HAAR_SCORE) for hb in haar if _is_new(hb, faces))
        return faces

    def _haar_faces(self, gray: np.ndarray, scale: float) -> list[PixelBox]:
        small, f = _shrink(gray, HAAR_SIDE)
        found = self.frontal.detectMultiScale(
            cv2.equalizeHist(small),  # the cascades were trained on normalised contrast
            scaleFactor=HAAR_SCALE_STEP,
            minNeighbors=HAAR_NEIGHBORS,
            minSize=(HAAR_MIN_FACE, HAAR_MIN_FACE),
        )
        k = 1.0 / (scale * f)
        return [(x * k, y * k, (x + bw) * k, (y + bh) * k) for x, y, bw, bh in _rows(found)]

    def _confirmed(self, gray: np.ndarray, scale: float, box: PixelBox) -> bool:
        """Whether a frontal or (either way) profile cascade sees a face in this box."""
        x0, y0, x1, y1 = (v * scale for v in box)
        mx, my = (x1 - x0) * VERIFY_MARGIN, (y1 - y0) * VERIFY_MARGIN
        rows, cols = gray.shape
        crop = gray[
            max(0, int(y0 - my)) : min(rows, int(y1 + my) + 1),
            max(0, int(x0 - mx)) : min(cols, int(x1 + mx) + 1),
        ]
        if crop.size == 0:
            return False
        f = VERIFY_SIDE / max(crop.shape)
        size = (max(1, round(crop.shape[1] * f)), max(1, round(crop.shape[0] * f)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)
        least = VERIFY_SIDE // 4
        for cascade, img in (
            (self.frontal, crop),
            (self.profile, crop),
            (self.profile, np.ascontiguousarray(crop[:, ::-1])),  # the cascade sees one side
        ):
            found = cascade.detectMultiScale(
                img, scaleFactor=1.1, minNeighbors=VERIFY_NEIGHBORS, minSize=(least, least)
            )
            if len(found):
                return True
        return False

    def _bodies(self, gray: np.ndarray, scale: float, parts: list[PixelBox]) -> list[_Found]:
        small, f = _shrink(gray, HOG_SIDE)
        if small.shape[0] < 128 or small.shape[1] < 64:  # smaller than one detection window
            return []
        rects, weights = self.hog.detectMultiScale(
            small, winStride=(8, 8), padding=(8, 8), scale=HOG_SCALE_STEP
        )
        k = 1.0 / (scale * f)
        bodies = []
        for (x, y, bw, bh), weight in zip(_rows(rects), np.ravel(weights), strict=True):
            box = (x * k, y * k, (x + bw) * k, (y + bh) * k)
            backed = any(_holds(box, part) for part in parts)
            if weight >= HOG_ALONE or (weight >= HOG_MIN_WEIGHT and backed):
                # A monotonic squash of the SVM margin into 0-1: 1.0 -> 0.63, 2.0 -> 0.86.
                bodies.append(_Found(box, 1.0 - float(np.exp(-weight))))
        return bodies

    def far_bodies(self, image: Image.Image) -> list[_Found]:
        """The far pass's windows of at least FAR_MARGIN, when FAR_WINDOWS of them are
        separate; otherwise none."""
        windows = far_windows(self.far_hog, image)
        found = [f for f in windows if f.score >= 1.0 - float(np.exp(-FAR_MARGIN))]
        separate: list[_Found] = []
        for f in sorted(found, key=lambda f: -f.score):
            if _is_new(f.box, separate):
                separate.append(f)
        return separate if len(separate) >= FAR_WINDOWS else []


def pose_detector(model_dir: Path, threads: int) -> blazepose.PoseDetector | None:
    """The pose detector when its model and runtime are installed; None (and why, in the log)
    otherwise: the analyzer then works as before, without it."""
    path = installed_path(model_dir, POSE_MODEL)
    why = blazepose.available()
    if path is not None and why is None:
        return blazepose.PoseDetector(path, threads)
    if path is None:
        why = f"model {POSE_MODEL} not installed (mediaquery models pull {POSE_MODEL})"
    log.info("people: no pose detector: %s", why)
    return None


def pose_faces(
    pose: blazepose.Pose, detections: tuple[nudenet_detector.Detection, ...], w: int, h: int
) -> float:
    """The best NudeNet face of at least FACE_CANDIDATE whose centre the pose's head box
    holds (0 when none does)."""
    return max(
        (
            d.score
            for d in detections
            if d.label in FACE_CLASSES
            and d.score >= FACE_CANDIDATE
            and _holds(pose.head, _pixels(d.box, w, h))
        ),
        default=0.0,
    )


def posed(
    poses: list[blazepose.Pose],
    detections: tuple[nudenet_detector.Detection, ...],
    w: int,
    h: int,
) -> list[_Found]:
    """People from the pose detector: a pose of at least POSE_ALONE, or of POSE_WITH_FACE
    with a NudeNet face in its head; the box is the circle around the whole body, clipped."""
    out: list[_Found] = []
    for pose in poses:
        face = pose_faces(pose, detections, w, h)
        if pose.score >= POSE_ALONE:
            score = pose.score
        elif pose.score >= POSE_WITH_FACE and face > 0.0:
            score = 1.0 - (1.0 - pose.score) * (1.0 - face)  # two detectors agree
        else:
            continue
        (x0, y0, x1, y1), (a0, b0, a1, b1) = pose.body, pose.head
        box = (
            max(0.0, min(x0, a0)),
            max(0.0, min(y0, b0)),
            min(w, max(x1, a1)),
            min(h, max(y1, b1)),
        )
        if _is_new(box, out):
            out.append(_Found(box, score))
    return out


def far_hog() -> cv2.HOGDescriptor:
    """OpenCV's default people detector over FAR_LEVELS pyramid levels."""
    hog = cv2.HOGDescriptor(
        (64, 128), (16, 16), (8, 8), (8, 8), 9, 1, -1.0, cv2.HOGDESCRIPTOR_L2HYS, 0.2, True,
        FAR_LEVELS,
    )  # fmt: skip
    hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), np.float32))
    return hog


def far_windows(hog: cv2.HOGDescriptor, image: Image.Image) -> list[_Found]:
    """Every window of the far pass, its box in the image's pixels and squashed margin."""
    gray, scale = _grey(image, FAR_SIDE)
    f = min(2.0, FAR_SIDE / max(gray.shape))
    if f > 1.0:
        size = (round(gray.shape[1] * f), round(gray.shape[0] * f))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_LINEAR)
    if gray.shape[0] < 128 or gray.shape[1] < 64:
        return []
    rects, weights = hog.detectMultiScale(
        gray, winStride=(8, 8), padding=(8, 8), scale=HOG_SCALE_STEP
    )
    k = 1.0 / (scale * f)
    return [
        _Found((x * k, y * k, (x + bw) * k, (y + bh) * k), 1.0 - float(np.exp(-weight)))
        for (x, y, bw, bh), weight in zip(_rows(rects), np.ravel(weights), strict=True)
    ]


def _paired(
    detections: tuple[nudenet_detector.Detection, ...], faces: list[_Found], w: int, h: int
) -> list[_Found]:
    """People from a NudeNet face that is none of the faces and a dressed body part within
    HEADS_TALL face heights of it; the two boxes together are the person's."""
    out: list[_Found] = []
    parts = [d for d in detections if d.label in DRESSED_PARTS and d.score >= PART_SCORE]
    for det in detections:
        box = _pixels(det.box, w, h)
        if det.label not in FACE_CLASSES or not _is_new(box, faces):
            continue
        reach = HEADS_TALL * (box[3] - box[1])
        near = [p for p in parts if _distance(box, _pixels(p.box, w, h)) <= reach]
        if near:
            part = max(near, key=lambda p: p.score)
            pb = _pixels(part.box, w, h)
            union = (min(box[0], pb[0]), min(box[1], pb[1]), max(box[2], pb[2]), max(box[3], pb[3]))
            out.append(_Found(union, 1.0 - (1.0 - det.score) * (1.0 - part.score)))
    return out


def _distance(a: PixelBox, b: PixelBox) -> float:
    """Between the boxes' centres."""
    return float(np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2))


def _further(
    detections: tuple[nudenet_detector.Detection, ...],
    faces: list[_Found],
    persons: list[_Found],
    w: int,
    h: int,
) -> list[_Found]:
    """Further people on a photo where someone was found, from evidence too weak to find the
    first: a NudeNet head of at least FACE_CANDIDATE that is none of the faces (one head is
    one person) nor inside a person found without a face, or a body part of at least
    PART_SCORE outside every person's box."""
    heads = [f.box for f in faces]
    headless = [p.box for p in persons if not any(_holds(p.box, f) for f in heads)]
    bodies = [p.box for p in persons]
    out: list[_Found] = []
    for det in sorted(detections, key=lambda d: -d.score):
        box = _pixels(det.box, w, h)
        if det.label in FACE_CLASSES:
            if det.score < FACE_CANDIDATE or any(_holds(b, box) for b in headless):
                continue
            if all(_overlap(box, b) < SAME_INSTANCE for b in heads):
                heads.append(box)
                bodies.append(_body_from_face(box, w, h))
                out.append(_Found(bodies[-1], det.score))
        elif det.score >= PART_SCORE and not any(_holds(b, box) for b in bodies):
            bodies.append(box)
            out.append(_Found(box, det.score))
    return out


def _cascade(filename: str) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(str(haarcascades) + filename)
    if cascade.empty():
        raise RuntimeError(f"OpenCV ships no readable {filename}")
    return cascade


def _rows(found: object) -> list[tuple[int, int, int, int]]:
    # OpenCV returns an empty tuple when it finds nothing and an N x 4 array otherwise.
    arr = np.asarray(found, dtype=np.int64).reshape(-1, 4)
    return [(int(a), int(b), int(c), int(d)) for a, b, c, d in arr]


def _grey(image: Image.Image, side: int) -> tuple[np.ndarray, float]:
    """Greyscale copy no larger than `side` on its longest side, and its scale."""
    w, h = image.size
    scale = min(1.0, side / max(w, h))
    small = image.convert("L")
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = small.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
    return np.asarray(small), scale


def _shrink(gray: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    h, w = gray.shape
    f = min(1.0, side / max(w, h))
    if f >= 1.0:
        return gray, 1.0
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), f


def _pixels(box: Box, w: int, h: int) -> PixelBox:
    return (box.left * w, box.top * h, (box.left + box.width) * w, (box.top + box.height) * h)


def _overlap(a: PixelBox, b: PixelBox) -> float:
    """Intersection over the smaller box's area (1.0 when one box holds the other)."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return iw * ih / smaller if smaller > 0 else 0.0


def _holds(outer: PixelBox, inner: PixelBox) -> bool:
    """Whether the centre of `inner` lies inside `outer`."""
    cx, cy = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


def _is_new(box: PixelBox, found: list[_Found]) -> bool:
    return all(_overlap(box, f.box) < SAME_INSTANCE for f in found)


def _body_from_face(face: PixelBox, w: int, h: int) -> PixelBox:
    # Without a body box, estimate one: shoulders span about three face widths and a standing
    # adult is about seven heads tall; the frame clips whatever the photo cuts off.
    x0, y0, x1, y1 = face
    fw, fh = x1 - x0, y1 - y0
    return (max(0.0, x0 - fw), max(0.0, y0 - 0.3 * fh), min(w, x1 + fw), min(h, y0 + 7 * fh))


def _persons(faces: list[_Found], bodies: list[_Found], w: int, h: int) -> list[_Found]:
    """One person per face (its HOG box if one holds it), plus every other HOG box."""
    persons: list[_Found] = []
    free = list(bodies)
    for face in faces:
        holder = next((b for b in free if _holds(b.box, face.box)), None)
        if holder is None:
            persons.append(_Found(_body_from_face(face.box, w, h), face.score))
            continue
        free.remove(holder)
        x0, y0, x1, y1 = holder.box
        union = (
            min(x0, face.box[0]),
            min(y0, face.box[1]),
            max(x1, face.box[2]),
            max(y1, face.box[3]),
        )
        persons.append(_Found(union, max(face.score, holder.score)))
    # HOG also fires on the torso of someone whose face was counted: not another person.
    persons.extend(b for b in free if _is_new(b.box, persons))
    return persons


def _box(found: _Found, w: int, h: int) -> Box:
    x0, y0 = min(max(found.box[0] / w, 0.0), 1.0), min(max(found.box[1] / h, 0.0), 1.0)
    x1, y1 = min(max(found.box[2] / w, 0.0), 1.0), min(max(found.box[3] / h, 0.0), 1.0)
    return Box(left=x0, top=y0, width=x1 - x0, height=y1 - y0)


def _label(
    name: str,
    found: list[_Found],
    conf: float,
    size: tuple[int, int],
    parents: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
) -> LabelFinding:
    ordered = sorted(found, key=lambda f: (f.box[0], f.box[1]))  # left to right
    return LabelFinding(
        name=name,
        confidence=round(100.0 * conf, 2),
        parents=parents,
        aliases=aliases,
        category=CATEGORY,
        boxes=tuple(_box(f, *size) for f in ordered),
    )


def _labels(
    faces: list[_Found], persons: list[_Found], size: tuple[int, int]
) -> list[LabelFinding]:
    out: list[LabelFinding] = []
    if persons:
        scores = sorted((p.score for p in persons), reverse=True)
        out.append(_label("Person", persons, scores[0], size, aliases=("Human",)))
        if len(persons) > 1:
            # "Several people" is only as sure as the second most certain person.
            out.append(_label("People", persons, scores[1], size, parents=("Person",)))
    if faces:
        best = max(f.score for f in faces)
        out.append(_label("Face", faces, best, size, parents=("Person",)))
    return out
