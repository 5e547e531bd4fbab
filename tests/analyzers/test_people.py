"""The `people` analyzer on real photos: faces and persons where they are, and nowhere else."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaquery.analyzers.people import PeopleAnalyzer
from mediaquery.decode import decode_image
from mediaquery.domain import Findings, LabelFinding
from mq_geometry import iou

skimage_data = pytest.importorskip("skimage.data")

# Measured by hand on enlarged crops (pixels, x0, y0, x1, y1): hairline to chin, cheek to cheek.
ASTRONAUT_FACE = (175, 65, 272, 178)  # on the 512x512 astronaut
CAMERAMAN_FACE = (180, 120, 258, 195)  # ear to nose, on the 512x512 cameraman
HEAD_CROP = (140, 20, 310, 200)  # the astronaut's head with her hair, for composed pictures
PHOTOS = Path(__file__).parents[1] / "data" / "people"  # real photos, see SOURCES.md there


def photo(name: str) -> Image.Image:
    loader: Callable[[], np.ndarray] = getattr(skimage_data, name)
    return Image.fromarray(loader()).convert("RGB")


def label(findings: Findings, name: str) -> LabelFinding:
    found = [x for x in findings.labels if x.name == name]
    assert len(found) == 1, f"{name} not in {[x.name for x in findings.labels]}"
    return found[0]


def names(findings: Findings) -> set[str]:
    return {x.name for x in findings.labels}


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> PeopleAnalyzer:
    return PeopleAnalyzer(tmp_path_factory.mktemp("models"), threads=1)


pytestmark = pytest.mark.model


def test_astronaut_has_one_face_where_her_face_is(analyzer: PeopleAnalyzer) -> None:
    image = photo("astronaut")
    findings = analyzer.analyze(image)
    assert findings.analyzer == "people" and findings.version == PeopleAnalyzer.version
    assert names(findings) == {"Face", "Person"}
    assert findings.extra == {"faces": 1, "persons": 1}
    face = label(findings, "Face")
    assert len(face.boxes) == 1
    assert iou(face.boxes[0], image.size, ASTRONAUT_FACE) > 0.6
    assert face.parents == ("Person",) and face.category == "Person"
    assert 50 <= face.confidence <= 100
    person = label(findings, "Person")
    assert person.aliases == ("Human",) and person.category == "Person"
    (body,) = person.boxes
    (head,) = face.boxes
    # The person holds the face and reaches below it, towards the body.
    assert body.left <= head.left and body.top <= head.top
    assert body.left + body.width >= head.left + head.width
    assert body.top + body.height > head.top + 2 * head.height


def test_cameraman_is_one_person(analyzer: PeopleAnalyzer) -> None:
    image = photo("camera")
    findings = analyzer.analyze(image)
    assert findings.extra == {"faces": 1, "persons": 1}
    assert "People" not in names(findings)
    (face,) = label(findings, "Face").boxes
    assert iou(face, image.size, CAMERAMAN_FACE) > 0.5


@pytest.mark.parametrize(
    "name", ["coffee", "rocket", "chelsea", "cat", "page", "colorwheel", "coins", "horse", "text"]
)
def test_no_people_in_photos_without_people(analyzer: PeopleAnalyzer, name: str) -> None:
    # chelsea and cat: NudeNet calls their cat faces human, below FACE_ALONE; the cascades refuse.
    findings = analyzer.analyze(photo(name))
    assert findings.labels == []
    assert findings.extra == {"faces": 0, "persons": 0}


def test_three_pasted_faces_are_three_people(analyzer: PeopleAnalyzer) -> None:
    head = photo("astronaut").crop(HEAD_CROP)
    canvas = Image.new("RGB", (1200, 500), (200, 200, 200))
    spots = [(90, 160), (515, 60), (900, 280)]
    for spot in spots:
        canvas.paste(head, spot)
    findings = analyzer.analyze(canvas)
    assert findings.extra == {"faces": 3, "persons": 3}
    assert names(findings) == {"Face", "Person", "People"}
    faces = label(findings, "Face").boxes
    assert len(faces) == 3
    for box, (x, y) in zip(faces, spots, strict=True):  # boxes run left to right
        face = (
            x + ASTRONAUT_FACE[0] - HEAD_CROP[0],
            y + ASTRONAUT_FACE[1] - HEAD_CROP[1],
            x + ASTRONAUT_FACE[2] - HEAD_CROP[0],
            y + ASTRONAUT_FACE[3] - HEAD_CROP[1],
        )
        assert iou(box, canvas.size, face) > 0.5
    people = label(findings, "People")
    assert people.parents == ("Person",) and len(people.boxes) == 3
    assert people.confidence <= label(findings, "Person").confidence


def real(name: str) -> Image.Image:
    with open(PHOTOS / name, "rb") as f:  # as the service decodes it
        return decode_image(f, max_pixels=100_000_000).image


def test_walkers_far_away_are_people(analyzer: PeopleAnalyzer) -> None:
    # No face, and each walker is under a tenth of the photo's height: the far pass finds them.
    findings = analyzer.analyze(real("ocvdoc-background-subtraction-tutorial-frame.jpg"))
    assert {"Person", "People"} <= names(findings)
    assert "Face" not in names(findings)
    boxes = label(findings, "People").boxes
    assert len(boxes) >= 2 and all(b.height < 0.3 for b in boxes)


def test_seated_woman_with_her_face_tipped_back_is_a_person(analyzer: PeopleAnalyzer) -> None:
    # NudeNet sees her face only faintly (0.23), but her boots next to it.
    findings = analyzer.analyze(real("wand-composite-channel.jpg"))
    assert names(findings) == {"Person"}
    assert findings.extra == {"faces": 0, "persons": 1}


def test_two_at_a_pool_table_are_people(analyzer: PeopleAnalyzer) -> None:
    # A cascade confirms one face only; the other man's (NudeNet 0.43) counts once someone is
    # found.
    findings = analyzer.analyze(real("kphotoalbum-pool.jpg"))
    assert {"Person", "People", "Face"} <= names(findings)
    assert len(label(findings, "People").boxes) == 2


@pytest.mark.parametrize("name", ["gcompris-erase-calf.webp", "gcompris-erase-spoonbills.webp"])
def test_animals_that_fool_the_detectors_are_no_people(analyzer: PeopleAnalyzer, name: str) -> None:
    # The calf has a "face" and a nudity class next to it; the spoonbills' legs nearly clear
    # the far pass (one window at 1.74).
    findings = analyzer.analyze(real(name))
    assert findings.labels == []


def test_exif_rotated_photo_is_analysed_upright(analyzer: PeopleAnalyzer) -> None:
    upright = photo("astronaut").crop((0, 0, 512, 400))  # not square: orientation shows
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a sideways camera stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=92, exif=exif.tobytes())
    buf.seek(0)
    decoded = decode_image(buf, max_pixels=10_000_000)
    assert decoded.image.size == (512, 400)
    findings = analyzer.analyze(decoded.image)
    (face,) = label(findings, "Face").boxes
    assert iou(face, decoded.image.size, ASTRONAUT_FACE) > 0.6


@pytest.mark.parametrize("size", [(1, 4000), (4000, 1), (1, 1), (3, 3), (16, 16), (64, 40)])
def test_degenerate_images_have_no_findings(
    analyzer: PeopleAnalyzer, size: tuple[int, int]
) -> None:
    findings = analyzer.analyze(Image.new("RGB", size, (128, 90, 60)))
    assert findings.labels == []
    assert findings.extra == {"faces": 0, "persons": 0}


def test_large_photo_gives_the_same_face(analyzer: PeopleAnalyzer) -> None:
    big = photo("astronaut").resize((2048, 2048), Image.Resampling.BICUBIC)
    (face,) = label(analyzer.analyze(big), "Face").boxes
    assert iou(face, (512, 512), ASTRONAUT_FACE) > 0.6  # relative boxes: any size compares


def test_hog_bodies_merge_with_faces_and_stand_alone() -> None:
    from mediaquery.analyzers.people import _Found, _persons

    face = _Found((100, 50, 140, 100), 0.9)
    holder = _Found((80, 30, 170, 330), 0.7)  # a pedestrian box around the face
    torso = _Found((300, 170, 360, 290), 0.7)  # HOG on the second face's estimated body
    stranger = _Found((500, 100, 560, 260), 0.8)  # nobody's face: a person of its own
    second = _Found((310, 100, 350, 150), 0.8)
    persons = _persons([face, second], [holder, torso, stranger], 640, 480)
    assert [p.box for p in persons] == [
        (80, 30, 170, 330),  # the HOG box that holds the face
        (270, 85.0, 390, 450),  # estimated from the face: three widths, seven heads, clipped
        (500, 100, 560, 260),
    ]
    assert [p.score for p in persons] == [0.9, 0.8, 0.8]
