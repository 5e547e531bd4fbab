"""The `moderation` analyzer and the NudeNet detector it shares with `people`."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaquery.analyzers import nudenet_detector
from mediaquery.analyzers.moderation import (
    ALONE_SCORE,
    MIN_SCORE,
    MIN_SKIN,
    SUGGESTIVE_SCORE,
    TAXONOMY,
    ModerationAnalyzer,
    flag,
    has_context,
    is_covered,
    labels_from,
    looks_like_skin,
    skin_masks,
    skin_shares,
)
from mediaquery.analyzers.nudenet_detector import LABELS, Detection
from mediaquery.analyzers.people import PeopleAnalyzer
from mediaquery.domain import Box

skimage_data = pytest.importorskip("skimage.data")
DATA = Path(__file__).parents[1] / "data"  # real photos, see SOURCES.md in each folder


def photo(name: str) -> Image.Image:
    loader: Callable[[], np.ndarray] = getattr(skimage_data, name)
    return Image.fromarray(loader()).convert("RGB")


def det(label: str, score: float, left: float = 0.1) -> Detection:
    return Detection(label, score, Box(left, 0.2, 0.3, 0.4))


# The ten tones of the Monk Skin Tone scale, lightest to darkest.
MONK_TONES = (
    "f6ede4", "f3e7db", "f7ead0", "eadaba", "d7bd96", "a07e56", "825c43", "604134", "3a312a",
    "292420",
)  # fmt: skip
# A flat picture of a mid skin tone (Monk tone 6), for the made-up detections.
SKIN = Image.new("RGB", (64, 64), (0xA0, 0x7E, 0x56))


# --- the taxonomy and thresholds, on made-up detections (no model) ---


def test_every_mapped_class_is_a_nudenet_class() -> None:
    assert set(TAXONOMY) <= set(LABELS)
    assert {"FACE_FEMALE", "FACE_MALE", "FEET_EXPOSED", "ARMPITS_EXPOSED"}.isdisjoint(TAXONOMY)


def test_a_part_next_to_a_face_needs_the_lower_threshold() -> None:
    with_face = [det("FACE_FEMALE", 0.8), det("BUTTOCKS_EXPOSED", MIN_SCORE + 0.01)]
    assert [d.label for d in flag(with_face, SKIN)] == ["BUTTOCKS_EXPOSED"]
    alone = [det("BUTTOCKS_EXPOSED", ALONE_SCORE - 0.01)]
    assert flag(alone, SKIN) == []
    assert len(flag([det("BUTTOCKS_EXPOSED", ALONE_SCORE)], SKIN)) == 1


def test_covered_parts_next_to_a_face_need_the_suggestive_threshold() -> None:
    # A portrait in a strapless dress scored 0.645 "covered female breast" next to her face
    # (scripts/calibrate_moderation.py): ordinary clothes are not "Suggestive".
    portrait = [det("FACE_FEMALE", 0.8), det("FEMALE_BREAST_COVERED", 0.645)]
    assert flag(portrait, SKIN) == []
    assert SUGGESTIVE_SCORE > 0.645
    bikini = [det("FACE_FEMALE", 0.8), det("FEMALE_BREAST_COVERED", SUGGESTIVE_SCORE)]
    assert [d.label for d in flag(bikini, SKIN)] == ["FEMALE_BREAST_COVERED"]
    # exposed parts keep the lower threshold next to a face
    assert len(flag([det("FACE_FEMALE", 0.8), det("FEMALE_BREAST_EXPOSED", MIN_SCORE)], SKIN)) == 1


def test_parts_of_the_same_class_are_no_context() -> None:
    # Two "bellies" on a retina scan do not make each other a body.
    twins = [det("BELLY_EXPOSED", 0.65, 0.1), det("BELLY_EXPOSED", 0.64, 0.6)]
    assert flag(twins, SKIN) == []
    assert flag([det("BELLY_EXPOSED", 0.59), det("FACE_MALE", 0.9)], SKIN) == []  # under MIN_SCORE


def swatch(hex_rgb: str) -> np.ndarray:
    return np.full((4, 4, 3), [int(hex_rgb[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.uint8)


@pytest.mark.parametrize("tone", MONK_TONES)
def test_every_skin_tone_is_skin_coloured(tone: str) -> None:
    skin, coloured = skin_masks(swatch(tone))
    assert skin.all()


@pytest.mark.parametrize(
    "colour",
    ["c81e14", "e0301e", "ff0000", "f08c28", "ff7f00", "b4141e", "00a000", "2040c0"],
)
def test_saturated_reds_oranges_and_other_hues_are_not(colour: str) -> None:
    skin, coloured = skin_masks(swatch(colour))
    assert not skin.any() and coloured.all()


def test_greys_have_no_colour_to_judge() -> None:
    for level in (0, 60, 128, 200, 255):
        skin, coloured = skin_masks(swatch(f"{level:02x}" * 3))
        assert not coloured.any()


RED = Image.new("RGB", (64, 64), (0xC8, 0x1E, 0x14))  # a tomato's red


def test_the_skin_guard_judges_only_exposed_parts_alone() -> None:
    alone = det("FEMALE_BREAST_EXPOSED", ALONE_SCORE)
    assert flag([alone], SKIN) == [alone]
    assert flag([alone], RED) == []
    # next to a face the colour does not matter (recall on real nudity, which has context)
    assert len(flag([det("FACE_FEMALE", 0.8), alone], RED)) == 1
    # covered parts are clothes, any colour
    assert len(flag([det("FEMALE_BREAST_COVERED", ALONE_SCORE)], RED)) == 1
    # a black-and-white picture has no colour to judge: it passes
    assert flag([alone], RED.convert("L").convert("RGB")) == [alone]


def test_the_guard_reads_the_box_not_the_whole_picture() -> None:
    half = Image.new("RGB", (100, 50), (0xC8, 0x1E, 0x14))
    half.paste(SKIN.resize((50, 50)), (50, 0))
    on_skin = Detection("BELLY_EXPOSED", ALONE_SCORE, Box(0.55, 0.1, 0.4, 0.8))
    on_red = Detection("BELLY_EXPOSED", ALONE_SCORE, Box(0.05, 0.1, 0.4, 0.8))
    assert skin_shares(half, on_skin.box) == (1.0, 1.0)
    assert skin_shares(half, on_red.box) == (0.0, 1.0)
    assert flag([on_skin, on_red], half) == [on_skin]
    assert skin_shares(half, Box(0.5, 0.5, 0.0, 0.0)) == (0.0, 0.0)  # an empty box


def test_labels_carry_their_top_level_and_every_box() -> None:
    flagged = [
        det("FEMALE_BREAST_EXPOSED", 0.9, 0.6),
        det("FEMALE_BREAST_EXPOSED", 0.7, 0.2),
        det("BUTTOCKS_EXPOSED", 0.8),
        det("FEMALE_BREAST_COVERED", 0.75),
        det("FEMALE_GENITALIA_COVERED", 0.65),
    ]
    labels = {x.name: x for x in labels_from(flagged)}
    assert set(labels) == {
        "Exposed Female Breast",
        "Exposed Buttocks",
        "Explicit Nudity",
        "Female Swimwear Or Underwear",
        "Suggestive",
    }
    breast = labels["Exposed Female Breast"]
    assert breast.parents == ("Explicit Nudity",) and breast.category == "Moderation"
    assert breast.confidence == 90.0
    assert [b.left for b in breast.boxes] == [0.2, 0.6]  # left to right
    explicit = labels["Explicit Nudity"]
    assert explicit.parents == () and explicit.confidence == 90.0 and len(explicit.boxes) == 3
    assert len(labels["Female Swimwear Or Underwear"].boxes) == 2  # two classes, one label
    assert labels["Suggestive"].confidence == 75.0
    confidences = [x.confidence for x in labels_from(flagged)]
    assert confidences == sorted(confidences, reverse=True)


# --- the detector's pre- and post-processing (no model) ---


def test_preprocess_keeps_the_aspect_ratio_on_a_stride_grid() -> None:
    blob, scale = nudenet_detector.preprocess(Image.new("RGB", (640, 480), "red"))
    assert blob.shape == (1, 3, 320, 416) and blob.dtype == np.float32
    assert scale == pytest.approx(416 / 640)
    assert blob[0, 0, 0, 0] == pytest.approx(1.0) and blob[0, 2, 0, 0] == pytest.approx(0.0)  # RGB
    thin, _ = nudenet_detector.preprocess(Image.new("RGB", (1, 4000)))
    assert thin.shape == (1, 3, 416, 32)


def test_decode_maps_boxes_back_and_suppresses_duplicates() -> None:
    scale = 0.5  # a 400x300 image fed at 200x150
    out = np.zeros((1, 4 + len(LABELS), 3), dtype=np.float32)
    face = LABELS.index("FACE_MALE")
    out[0, :4, 0] = [50, 40, 20, 30]  # cx, cy, w, h in model pixels
    out[0, 4 + face, 0] = 0.9
    out[0, :4, 1] = [51, 41, 20, 30]  # the same face again, weaker: suppressed
    out[0, 4 + face, 1] = 0.5
    out[0, 4 + LABELS.index("FEET_COVERED"), 2] = 0.1  # under the floor
    (found,) = nudenet_detector.decode(out, scale, (400, 300))
    assert found.label == "FACE_MALE" and found.score == pytest.approx(0.9)
    assert found.box.left == pytest.approx(80 / 400) and found.box.top == pytest.approx(50 / 300)
    assert found.box.width == pytest.approx(40 / 400) and found.box.height == pytest.approx(
        60 / 300
    )


# --- the real model ---


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> ModerationAnalyzer:
    return ModerationAnalyzer(tmp_path_factory.mktemp("models"), threads=1)


@pytest.mark.model
@pytest.mark.parametrize("name", ["astronaut", "coffee", "camera", "colorwheel", "moon", "chelsea"])
def test_clean_photos_are_not_flagged(analyzer: ModerationAnalyzer, name: str) -> None:
    # colorwheel and moon: round, smooth shapes NudeNet mistakes for body parts, alone.
    findings = analyzer.analyze(photo(name))
    assert findings.analyzer == "moderation" and findings.version == ModerationAnalyzer.version
    assert findings.labels == []
    assert findings.extra == {"detections": 0}


@pytest.mark.model
def test_a_close_up_of_two_heads_is_not_flagged(analyzer: ModerationAnalyzer) -> None:
    # Like a selfie of two people: the astronaut's head and shoulders beside the cameraman's,
    # filling the frame (neither is a calibration photo of scripts/calibrate_people.py).
    her = photo("astronaut").crop((120, 20, 330, 300))
    him = photo("camera").crop((130, 60, 330, 340))
    pair = Image.new("RGB", (her.width + him.width, 280))
    pair.paste(her, (0, 0))
    pair.paste(him, (her.width, 0))
    assert analyzer.analyze(pair).labels == []


@pytest.mark.model
@pytest.mark.parametrize("name", ["obama.jpg", "biden.jpg", "obama2.jpg"])
def test_real_skin_passes_the_skin_guard(name: str) -> None:
    # NudeNet's face boxes on real photos (not calibration photos): were an exposed part seen
    # alone there, the guard would keep it, and not for want of colour.
    image = Image.open(DATA / "faces" / name).convert("RGB")
    faces = [d for d in nudenet_detector.detect(image) if d.label.startswith("FACE_")]
    assert faces
    for face in faces:
        skin, coloured = skin_shares(image, face.box)
        assert skin >= MIN_SKIN and coloured >= MIN_SKIN
        part = Detection("FEMALE_BREAST_EXPOSED", ALONE_SCORE, face.box)
        assert flag([part], image) == [part]


@pytest.mark.model
def test_tomatoes_taken_for_a_breast_fail_the_skin_guard() -> None:
    # A calibration photo: on this crop NudeNet takes the tomatoes behind a pizza for an exposed
    # breast with nothing beside it, as it did a close-up of tomatoes.
    crop = Image.open(DATA / "moderation" / "qt-recipe-pizza.jpg").convert("RGB")
    crop = crop.crop((340, 0, 724, 257))
    dets = nudenet_detector.detect(crop)
    alone = [
        d
        for d in dets
        if d.label in TAXONOMY and not is_covered(d.label) and not has_context(d, dets)
    ]
    assert any(d.score >= 0.5 for d in alone)
    for d in alone:
        assert not looks_like_skin(crop, d)
        # as sure as a finding alone must be, it is still not flagged
        assert flag([dataclasses.replace(d, score=max(d.score, ALONE_SCORE))], crop) == []


@pytest.mark.model
def test_the_tomato_photo_is_not_flagged(analyzer: ModerationAnalyzer) -> None:
    photo_ = Image.open(DATA / "moderation" / "qt-recipe-pizza.jpg")
    assert analyzer.analyze(photo_).labels == []


@pytest.mark.model
def test_the_model_file_ships_with_nudenet() -> None:
    path = nudenet_detector.model_path()
    assert path.name == "320n.onnx" and path.stat().st_size > 1_000_000
    # Finding the file must not import nudenet, whose __init__ opens onnxruntime itself.
    code = (
        "import sys\n"
        "from mediaquery.analyzers import nudenet_detector\n"
        "nudenet_detector.model_path()\n"
        "assert 'nudenet' not in sys.modules, 'nudenet was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.model
@pytest.mark.parametrize("size", [(1, 4000), (4000, 1), (1, 1), (5, 7)])
def test_degenerate_images_are_not_flagged(
    analyzer: ModerationAnalyzer, size: tuple[int, int]
) -> None:
    assert analyzer.analyze(Image.new("RGB", size, (230, 180, 150))).labels == []


@pytest.fixture
def detector_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The size of every image the NudeNet detector really runs on."""
    calls: list[tuple[int, int]] = []
    real = nudenet_detector._run

    def counting(model: object, image: Image.Image) -> tuple[Detection, ...]:
        calls.append(image.size)
        return real(model, image)  # type: ignore[arg-type]

    monkeypatch.setattr(nudenet_detector, "_run", counting)
    return calls


@pytest.mark.model
def test_people_and_moderation_share_one_detector_run(
    analyzer: ModerationAnalyzer,
    tmp_path_factory: pytest.TempPathFactory,
    detector_calls: list[tuple[int, int]],
) -> None:
    calls = detector_calls
    people = PeopleAnalyzer(tmp_path_factory.mktemp("models"), threads=1)
    image = photo("astronaut")
    assert people.analyze(image).extra["faces"] == 1
    analyzer.analyze(image)
    assert len(calls) == 1
    analyzer.analyze(image.copy())  # equal pixels, another image: detected afresh
    assert len(calls) == 2
    analyzer.analyze(image.resize((256, 256)))
    assert len(calls) == 3


@pytest.mark.model
def test_a_batch_shares_detector_runs_too(
    analyzer: ModerationAnalyzer,
    tmp_path_factory: pytest.TempPathFactory,
    detector_calls: list[tuple[int, int]],
) -> None:
    calls = detector_calls
    people = PeopleAnalyzer(tmp_path_factory.mktemp("models"), threads=1)
    batch = [photo(name) for name in ("astronaut", "coffee", "rocket", "camera")]
    people.analyze_batch(batch)  # workers run analyzer by analyzer over a batch
    analyzer.analyze_batch(batch)
    assert len(calls) == 4
