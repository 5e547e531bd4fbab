"""The `faces` analyzer on real photos: one 128-d embedding per face, close for the same
person and far for two people, whether or not `people` analysed the image first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import ImageOps

from mediaquery.analyzers.faces import EXTRA_KEY, FacesAnalyzer
from mediaquery.analyzers.people import PeopleAnalyzer
from mediaquery.runtime.dlib_faces import available
from mq_faces import photo

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]


def _embeddings(faces: FacesAnalyzer, name: str, mirror: bool = False) -> list[np.ndarray]:
    image = photo(name)
    found = faces.analyze(ImageOps.mirror(image) if mirror else image).extra[EXTRA_KEY]
    assert isinstance(found, list)
    return [np.asarray(f["embedding"]) for f in found]


def test_one_embedding_per_face_near_for_one_person_far_for_two(tmp_path: Path) -> None:
    faces = FacesAnalyzer(tmp_path)
    (obama,) = _embeddings(faces, "obama.jpg")
    (mirrored,) = _embeddings(faces, "obama.jpg", mirror=True)
    (again,) = _embeddings(faces, "obama2.jpg")
    (biden,) = _embeddings(faces, "biden.jpg")
    assert obama.shape == (128,)
    assert np.linalg.norm(obama - mirrored) < 0.25
    assert np.linalg.norm(obama - again) < 0.5
    assert np.linalg.norm(obama - biden) > 0.7


def test_faces_reuses_the_boxes_people_found_in_the_same_image(tmp_path: Path) -> None:
    people, faces = PeopleAnalyzer(tmp_path), FacesAnalyzer(tmp_path)
    image = photo("biden.jpg")
    face_label = next(x for x in people.analyze(image).labels if x.name == "Face")
    found = faces.analyze(image).extra[EXTRA_KEY]
    assert isinstance(found, list)
    assert [f["box"]["left"] for f in found] == [b.left for b in face_label.boxes]
    assert not faces._people._loaded  # people's run was reused, not repeated


def test_an_image_without_faces_has_no_embeddings(tmp_path: Path) -> None:
    from PIL import Image

    found = FacesAnalyzer(tmp_path).analyze(Image.new("RGB", (640, 480), "white"))
    assert found.extra[EXTRA_KEY] == [] and found.labels == []
