"""The `scenes` analyzer: zero-shot scenes and activities on tiny CLIP stand-ins (mq_clip),
with the shipped vocabulary, the real tokenizer and the real index and API."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

import mq_clip
from conftest import jpeg_bytes
from mediaquery.analyzers.scenes import ScenesAnalyzer
from mediaquery.analyzers.zero_shot import (
    Vocabulary,
    labels_for,
    load_vocabulary,
    probabilities,
)
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.domain import Findings
from mediaquery.errors import ModelNotInstalled
from mediaquery.models.store import model_file
from mediaquery.queue.worker import Worker
from mediaquery.video.analyze import analyze_video
from mq_clips import encode

GREEN, BLUE, RED, GREY = (30, 200, 40), (20, 40, 230), (220, 30, 30), (128, 128, 128)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    mq_clip.install_clip(folder)
    return folder


@pytest.fixture(scope="module")
def scenes(model_dir: Path) -> ScenesAnalyzer:
    analyzer = ScenesAnalyzer(model_dir)
    analyzer.load()
    return analyzer


def picture(rgb: tuple[int, int, int], size: tuple[int, int] = (320, 240)) -> Image.Image:
    return Image.new("RGB", size, rgb)


def by_name(findings: Findings) -> dict[str, float]:
    return {lab.name: lab.confidence for lab in findings.labels}


def test_the_vocabulary_has_scenes_and_activities_with_parents() -> None:
    vocab = load_vocabulary()
    labels = {lab.name: lab for lab in vocab.labels}
    leaves = {k.label for k in vocab.classes if k.label}
    assert sum(labels[n].category == "Scene" for n in leaves) >= 40
    assert sum(labels[n].category == "Activity" for n in leaves) >= 30
    for name in ("Beach", "Forest", "Mountain", "City Street", "Kitchen", "Office", "Stadium",
                 "Concert", "Snow", "Night", "Underwater", "Running", "Cycling", "Swimming",
                 "Cooking", "Dancing", "Skiing", "Playing Football"):  # fmt: skip
        assert name in leaves, name
    assert labels["Beach"].parents == ("Coast", "Water", "Outdoors")
    assert labels["Skiing"].parents == ("Winter Sport", "Sport")
    assert labels["Winter Sport"].parents == ("Sport",)  # a parent label knows its own parents
    assert labels["Sport"].category == "Activity" and labels["Outdoors"].category == "Scene"
    assert "Soccer" in labels["Playing Football"].aliases
    assert all(len(k.prompts) >= 2 for k in vocab.classes if k.label)  # prompt ensembles


@pytest.mark.parametrize(
    ("colour", "expected", "category", "parents"),
    [
        (GREEN, "Forest", "Scene", ("Nature", "Outdoors")),
        (BLUE, "Underwater", "Scene", ("Water",)),
        (RED, "Running", "Activity", ("Sport", "Exercise")),
    ],
)
def test_zero_shot_picks_the_label_that_fits(
    scenes: ScenesAnalyzer,
    colour: tuple[int, int, int],
    expected: str,
    category: str,
    parents: tuple[str, ...],
) -> None:
    findings = scenes.analyze(picture(colour))
    top = findings.labels[0]
    assert (top.name, top.category, top.parents) == (expected, category, parents)
    assert top.confidence > 95
    found = by_name(findings)
    assert all(found[p] >= top.confidence for p in parents)  # a parent is at least as sure
    assert set(found) == {expected, *parents}  # nothing else reaches its threshold
    vector = np.asarray(findings.embedding)
    assert vector.shape == (mq_clip.DIM,) and abs(np.linalg.norm(vector) - 1) < 1e-5


def test_a_picture_of_nothing_in_particular_gets_no_labels(scenes: ScenesAnalyzer) -> None:
    # The grey picture matches the background prompt "a close-up photo of an object" best.
    findings = scenes.analyze(picture(GREY))
    assert findings.labels == []
    assert findings.embedding is not None  # still searchable


def test_batch_gives_the_same_as_one_by_one(scenes: ScenesAnalyzer) -> None:
    images = [picture(GREEN), picture(RED, (90, 300))]
    batch = scenes.analyze_batch(images)
    single = [scenes.analyze(im) for im in images]
    assert [by_name(f) for f in batch] == [by_name(f) for f in single]


def _vocabulary(threshold_a: float, threshold_b: float) -> Vocabulary:
    def leaf(name: str, threshold: float) -> dict[str, object]:
        return {"name": name, "group": "g", "parents": ["P"], "prompts": [name.lower()],
                "threshold": threshold}  # fmt: skip

    return Vocabulary.from_dict({
        "parent_threshold": 80,
        "groups": {"g": {"category": "Scene", "templates": ["{}"], "background": ["other"]}},
        "labels": [leaf("A", threshold_a), leaf("B", threshold_b)],
    })  # fmt: skip


def test_each_label_has_its_own_threshold_and_parents_sum_their_children() -> None:
    # Class embeddings A, B and the background along three axes; the image between A and B.
    classes = np.eye(3, dtype=np.float32)
    image = np.array([1.0, 1.0, 0.0], dtype=np.float32) / np.sqrt(2)
    vocab = _vocabulary(20, 30)
    probs = probabilities(vocab, classes, image)
    assert probs[:2] == pytest.approx([0.5, 0.5], abs=1e-6)  # background: e^-70 of them
    found = {lab.name: lab.confidence for lab in labels_for(vocab, probs)}
    # Above chance (1/3 each, 2/3 for P): A = (0.5 - 1/3) / (2/3); B's threshold is 30.
    assert found == {"P": 100.0, "A": 25.0}
    # An image that says nothing (all three equally likely) gets nothing, P included.
    uniform = np.full(3, 1 / 3)
    assert labels_for(_vocabulary(0.01, 0.01), uniform) == []
    assert labels_for(vocab, probabilities(vocab, classes, np.eye(3)[2])) == []


def test_class_embeddings_are_cached_on_disk(tmp_path: Path, model_dir: Path) -> None:
    folder = tmp_path / "models"
    mq_clip.install_clip(folder)
    ScenesAnalyzer(folder).load()
    cached = list((folder / "cache").glob("scenes-*.npy"))
    assert len(cached) == 1
    # Another process finds them there and never reads the text encoder: spoil it (same size
    # and time, so the cache key holds) and the analyzer still loads and answers.
    text = model_file(folder, "clip-vit-b32-text")
    st = text.stat()
    text.write_bytes(b"\0" * st.st_size)
    os.utime(text, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = ScenesAnalyzer(folder)
    assert again.analyze(picture(GREEN)).labels[0].name == "Forest"
    # A spoilt cache file is recomputed (here from the spoilt model, which fails loudly).
    cached[0].write_bytes(b"junk")
    with pytest.raises(Exception, match="INVALID_PROTOBUF"):  # onnxruntime's own error
        ScenesAnalyzer(folder).load()


def test_missing_models_make_load_fail_with_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalled, match="mediaquery models pull clip-vit-b32-image"):
        ScenesAnalyzer(tmp_path).load()


def test_scenes_flow_into_label_queries(make_settings: Callable[..., Settings], tmp_path: Path):
    models = tmp_path / "models"
    mq_clip.install_clip(models)
    app = create_app(make_settings(models_dir=models, analyzers=["scenes"]), background=False)
    with TestClient(app) as client:
        for name, colour in (("woods.jpg", GREEN), ("sea.jpg", BLUE), ("run.jpg", RED)):
            assert client.put(f"/v1/media/{name}", content=jpeg_bytes(picture(colour))).is_success
        Worker(app.state.ctx).run(burst=True)

        def names(**params: str) -> list[str]:
            r = client.get("/v1/media", params=params)
            assert r.status_code == 200, r.text
            return [x["name"] for x in r.json()["items"]]

        assert names(label="outdoors") == ["woods.jpg"]
        assert names(label="forest") == ["woods.jpg"]
        assert names(label="woods") == ["woods.jpg"]  # an alias
        assert names(label="water") == ["sea.jpg"]
        assert names(label="sport") == ["run.jpg"]
        assert names(label="jogging") == ["run.jpg"]
        item = client.get("/v1/media/run.jpg").json()
        running = next(x for x in item["labels"] if x["name"] == "Running")
        assert running["category"] == "Activity" and running["analyzer"] == "scenes"
        assert running["parents"] == ["Sport", "Exercise"]
        assert item["analyses"][0]["version"] == ScenesAnalyzer.version


def test_videos_get_scenes_per_shot(scenes: ScenesAnalyzer, tmp_path: Path) -> None:
    frames = [picture(GREEN, (640, 360))] * 30 + [picture(RED, (640, 360))] * 30
    clip = encode(tmp_path / "two-shots.mp4", frames, fps=10)
    assert ScenesAnalyzer.per_shot
    result = analyze_video(clip, [], [scenes], interval_ms=1000)
    assert len(result.shots) == 2
    spans = {s.name: (s.start_ms, s.end_ms) for s in result.segments}
    assert spans["Forest"] == (0, 3000)
    assert spans["Running"] == (3000, 6000)
