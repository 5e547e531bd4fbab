"""The `objects` analyzer: a tiny YOLO stand-in with fixed detections (mq_clip.yolo_model)
runs through the real letterbox, decoding, NMS, box mapping and taxonomy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

import mq_clip
from conftest import jpeg_bytes
from mediaquery.analyzers.objects import ObjectsAnalyzer, coco_labels
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.errors import ModelNotInstalled
from mediaquery.models.store import model_file
from mediaquery.queue.worker import Worker
from mediaquery.runtime.boxes import nms
from mediaquery.runtime.yolo import decode, letterbox

PERSON, CAR, DOG = 0, 2, 16
# A 1280 x 720 photo is scaled by 0.5 to 640 x 360 and centred: 140 grey rows above and below.
W, H, TOP = 1280, 720, 140
DOG_BOX = (400, 100, 800, 500)  # x0, y0, x1, y1 in photo pixels
CAR_BOX = (900, 300, 1200, 600)


def anchor(box: tuple[int, int, int, int], cls: int, score: float) -> tuple[float, ...]:
    """The model's row for a photo box: centre and size in letterboxed input pixels."""
    x0, y0, x1, y1 = (v * 0.5 for v in box)
    return ((x0 + x1) / 2, (y0 + y1) / 2 + TOP, x1 - x0, y1 - y0, cls, score)


ROWS = [
    anchor(DOG_BOX, DOG, 0.91),
    anchor((404, 96, 806, 496), DOG, 0.62),  # the same dog again, a little off: suppressed
    anchor(CAR_BOX, CAR, 0.55),
    anchor((100, 150, 300, 650), PERSON, 0.2),  # below the confidence threshold
    anchor((410, 110, 790, 490), CAR, 0.5),  # overlaps the dog, but another class: kept
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    mq_clip.yolo_model(model_file(folder, "yolov8n-coco"), ROWS)
    return folder


def test_letterbox_scales_centres_and_pads_with_grey() -> None:
    pixels = np.zeros((H, W, 3), dtype=np.uint8)
    pixels[100:500, 400:800] = (255, 0, 0)
    tensor, placed = letterbox(Image.fromarray(pixels))
    assert tensor.shape == (1, 3, 640, 640) and tensor.dtype == np.float32
    assert (placed.scale_x, placed.scale_y, placed.pad_x, placed.pad_y) == (0.5, 0.5, 0, TOP)
    grey = 114 / 255
    assert np.allclose(tensor[0, :, :TOP], grey) and np.allclose(tensor[0, :, -TOP:], grey)
    red = tensor[0, 0] > 0.9
    ys, xs = np.nonzero(red)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (200, 399, TOP + 50, TOP + 249)
    back = placed.to_image(np.array([[200.0, TOP + 50.0, 400.0, TOP + 250.0]]))
    assert back[0].tolist() == [400, 100, 800, 500]


def test_decode_keeps_the_best_of_each_object_per_class() -> None:
    out = np.zeros((1, 84, 8400), dtype=np.float32)
    for i, (cx, cy, w, h, cls, score) in enumerate(ROWS):
        out[0, :4, i] = (cx, cy, w, h)
        out[0, 4 + int(cls), i] = score
    found = decode(out, 80, confidence=0.3)
    assert [(c, round(s, 2)) for c, s, _ in found] == [(DOG, 0.91), (CAR, 0.55), (CAR, 0.5)]
    assert found[0][2].tolist() == [200, TOP + 50, 400, TOP + 250]
    # A transposed export ([1, 8400, 84]) decodes the same.
    again = decode(out.transpose(0, 2, 1), 80, confidence=0.3)
    assert [(c, s) for c, s, _ in again] == [(c, s) for c, s, _ in found]


def test_nms_removes_duplicates_only() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=np.float32)
    assert nms(boxes, np.array([0.6, 0.9, 0.5]), 0.5) == [1, 2]
    assert nms(boxes, np.array([0.6, 0.9, 0.5]), 0.9) == [1, 0, 2]


def test_dog_and_car_with_boxes_on_the_photo_and_taxonomy_parents(model_dir: Path) -> None:
    findings = ObjectsAnalyzer(model_dir).analyze(Image.new("RGB", (W, H), "white"))
    labels = {lab.name: lab for lab in findings.labels}
    dog = labels["Dog"]
    assert dog.parents == ("Canine", "Mammal", "Animal") and dog.category == "Animal"
    assert dog.confidence == 91.0 and len(dog.boxes) == 1
    box = dog.boxes[0]
    expected = (400 / W, 100 / H, 400 / W, 400 / H)
    assert (box.left, box.top, box.width, box.height) == pytest.approx(expected, abs=1e-6)
    car = labels["Car"]
    assert car.confidence == 55.0 and car.parents == ("Vehicle",)
    assert [round(b.left * W) for b in car.boxes] == [410, 900]  # left to right, one per car
    # Parents are labels too (for label queries), as sure as their surest child, no boxes.
    assert labels["Animal"].confidence == 91.0 and labels["Animal"].boxes == ()
    assert labels["Vehicle"].confidence == 55.0
    assert "Person" not in labels  # 0.2 is below the threshold
    assert [lab.name for lab in findings.labels][:4] == ["Dog", "Canine", "Mammal", "Animal"]
    assert findings.extra == {"objects": 3}


def test_every_coco_class_has_a_taxonomy_label() -> None:
    classes, known = coco_labels()
    assert len(classes) == 80
    assert classes[PERSON].name == "Person" and "Human" in classes[PERSON].aliases
    assert classes[PERSON].category == "Person"  # as the people analyzer says
    assert classes[19].name == "Cattle" and "Cow" in classes[19].aliases
    for entry in known.values():
        assert all(p in known for p in entry.parents), entry


def test_missing_model_makes_load_fail_with_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalled, match="mediaquery models pull yolov8n-coco"):
        ObjectsAnalyzer(tmp_path).load()


def test_label_queries_see_objects_in_the_shared_vocabulary(
    make_settings: Callable[..., Settings], model_dir: Path
) -> None:
    app = create_app(make_settings(models_dir=model_dir, analyzers=["objects"]), background=False)
    with TestClient(app) as client:
        photo = jpeg_bytes(Image.new("RGB", (W, H), "white"))
        assert client.put("/v1/media/street.jpg", content=photo).status_code == 201
        Worker(app.state.ctx).run(burst=True)
        for label in ("Animal", "dog", "canine", "domestic dog", "vehicle"):
            r = client.get("/v1/media", params={"label": label})
            assert [x["name"] for x in r.json()["items"]] == ["street.jpg"], label
        assert client.get("/v1/media", params={"label": "person"}).json()["items"] == []
        item = client.get("/v1/media/street.jpg").json()
        dog = next(x for x in item["labels"] if x["name"] == "Dog")
        assert dog["analyzer"] == "objects" and len(dog["boxes"]) == 1
        assert dog["boxes"][0]["left"] == pytest.approx(400 / W, abs=1e-4)
