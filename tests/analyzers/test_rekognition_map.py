"""Rekognition's answers in our vocabulary: taxonomy joins, parents, faces, text, moderation."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from mediaquery.analyzers import rekognition_map as rmap
from mediaquery.analyzers.rekognition import encode

BOX = {"Width": 0.5, "Height": 0.25, "Left": 0.1, "Top": 0.2}


def by_name(found):
    return {x.name: x for x in found}


def test_a_label_our_taxonomy_knows_takes_its_name_parents_and_aliases() -> None:
    found = by_name(
        rmap.labels(
            [
                {"Name": "Dog", "Confidence": 97.5,
                 "Parents": [{"Name": "Pet"}, {"Name": "Animal"}], "Aliases": [{"Name": "Pup"}],
                 "Categories": [{"Name": "Animals and Pets"}],
                 "Instances": [{"BoundingBox": BOX, "Confidence": 97.5}]},
                {"Name": "Mobile Phone", "Confidence": 80.0, "Parents": [{"Name": "Phone"}]},
            ]
        )
    )  # fmt: skip
    dog = found["Dog"]
    assert dog.parents == ("Canine", "Mammal", "Animal")  # ours, so it joins our Dog
    assert "Pup" in dog.aliases and "Domestic Dog" in dog.aliases
    assert dog.category == "Animal"
    assert [(b.left, b.top, b.width, b.height) for b in dog.boxes] == [(0.1, 0.2, 0.5, 0.25)]
    # Rekognition's "Mobile Phone" is our alias of "Cell Phone": one label, found by both
    phone = found["Cell Phone"]
    assert "Mobile Phone" in phone.aliases and phone.confidence == 80.0
    # every parent is a label of its own, as Rekognition and the labels analyzer report them
    assert {"Canine", "Mammal", "Animal", "Phone", "Electronics"} <= set(found)
    assert found["Canine"].confidence == 97.5


def test_an_unknown_label_keeps_rekognitions_parents_joined_where_known() -> None:
    found = by_name(
        rmap.labels(
            [{"Name": "Zorblax Gadget", "Confidence": 70.0, "Categories": [{"Name": "Technology"}],
              "Parents": [{"Name": "Gizmo"}, {"Name": "Mobile Phone"}]}]
        )
    )  # fmt: skip
    gadget = found["Zorblax Gadget"]
    assert gadget.parents == ("Gizmo", "Cell Phone", "Phone", "Electronics")
    assert gadget.category == "Technology"
    assert found["Gizmo"].parents == ("Cell Phone", "Phone", "Electronics")
    assert found["Cell Phone"].confidence == 70.0


def test_text_keeps_lines_only_and_moderation_chains_parents() -> None:
    detections = [
        {"DetectedText": "OPEN  DAILY", "Type": "LINE", "Confidence": 99.0, "Id": 0,
         "Geometry": {"BoundingBox": BOX}},
        {"DetectedText": "OPEN", "Type": "WORD", "Confidence": 99.0, "Id": 1, "ParentId": 0},
        {"DetectedText": "blurry", "Type": "LINE", "Confidence": 20.0, "Id": 2},
    ]  # fmt: skip
    lines = rmap.text_lines(detections, 50.0)
    assert [x["text"] for x in lines] == ["OPEN DAILY"]
    assert lines[0]["box"] == {"left": 0.1, "top": 0.2, "width": 0.5, "height": 0.25}
    mod = by_name(
        rmap.moderation(
            [{"Name": "Explicit", "ParentName": "", "Confidence": 91.0},
             {"Name": "Explicit Nudity", "ParentName": "Explicit", "Confidence": 91.0},
             {"Name": "Exposed Buttocks", "ParentName": "Explicit Nudity", "Confidence": 88.0}]
        )
    )  # fmt: skip
    assert mod["Exposed Buttocks"].parents == ("Explicit Nudity", "Explicit")
    assert {x.category for x in mod.values()} == {"Moderation"}  # stored apart from labels


def test_faces_and_boxes_at_the_edge_are_clipped_to_the_image() -> None:
    face, person = rmap.faces(
        [{"BoundingBox": {"Left": -0.1, "Top": 0.9, "Width": 0.3, "Height": 0.3}, "Confidence": 99},
         {"BoundingBox": BOX, "Confidence": 10}],
        50.0,
    )  # fmt: skip
    assert face.name == "Face" and face.parents == ("Person",) and person.name == "Person"
    [b] = face.boxes
    assert (
        (b.left, b.top) == (0.0, 0.9) and abs(b.width - 0.2) < 1e-9 and abs(b.height - 0.1) < 1e-9
    )


def test_images_are_sized_to_rekognitions_limits_keeping_their_shape() -> None:
    noise = np.random.default_rng(1).integers(0, 256, (2400, 3200, 3), dtype=np.uint8)
    image = Image.fromarray(noise)
    data = encode(image)
    assert len(data) <= 5 * 1024 * 1024
    w, h = Image.open(io.BytesIO(data)).size
    assert w < 3200 and abs(w / h - 4 / 3) < 0.01
    small = Image.new("RGB", (64, 48), "red")  # under Rekognition's 80 px: enlarged to it
    assert Image.open(io.BytesIO(encode(small))).size == (107, 80)
    photo = Image.new("RGB", (640, 480), "red")
    assert Image.open(io.BytesIO(encode(photo))).size == (640, 480)
