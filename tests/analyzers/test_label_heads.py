"""Scene-word heads on the classifier's embedding (data/label_heads.json) and image statistics."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from mediaquery.analyzers.imagenet import LabelsAnalyzer
from mediaquery.analyzers.label_heads import (
    DEFAULT_MIN,
    STAT_NAMES,
    Heads,
    apply_heads,
    head_inputs,
    image_stats,
    load_heads,
)
from mediaquery.analyzers.taxonomy import load_taxonomy
from mediaquery.decode import decode_image
from mediaquery.domain import LabelFinding
from mediaquery.runtime.efficientnet import preprocess

PEOPLE_PHOTOS = Path(__file__).parents[1] / "data" / "people"  # real photos, see SOURCES.md


def stats_of(array: np.ndarray) -> dict[str, float]:
    pixels = preprocess(Image.fromarray(array.astype(np.uint8)))[None]
    return dict(zip(STAT_NAMES, image_stats(pixels)[0].tolist(), strict=True))


def test_image_statistics_tell_sky_grass_snow_and_night_apart() -> None:
    scene = np.zeros((300, 400, 3))
    scene[:100] = (110, 160, 230)  # clear blue sky over
    scene[100:] = (60, 150, 40)  # a lawn
    sky_grass = stats_of(scene)
    assert sky_grass["top_blue"] > 0.9 and sky_grass["top_smooth"] > 0.9
    assert 0.5 < sky_grass["green"] < 0.8
    snow = stats_of(np.full((300, 400, 3), 240.0))
    assert snow["white"] > 0.9 and snow["top_blue"] == 0 and snow["green"] == 0
    night = stats_of(np.full((300, 400, 3), 15.0))
    assert night["dark"] > 0.9 and night["brightness"] < 0.1


def test_the_cloud_statistic_sees_soft_white_patches_in_a_blue_sky() -> None:
    clear = np.zeros((300, 400, 3))
    clear[:] = (110, 160, 230)
    yy, xx = np.mgrid[:300, :400]
    # soft-edged white clouds over the same sky: brightness fades over about 20 pixels
    puffs = sum(np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 20.0**2))
                for cx, cy in ((60, 30), (180, 50), (300, 25), (360, 70)))  # fmt: skip
    cloudy = clear + np.clip(puffs, 0, 1)[..., None] * (255 - clear)
    flat_grey = np.full((300, 400, 3), 200.0)  # overcast without texture, or a white wall
    assert stats_of(cloudy)["top_cloud"] > 0.2
    assert stats_of(clear)["top_cloud"] < 0.02 and stats_of(flat_grey)["top_cloud"] < 0.02


def heads_of(mode: str, threshold: float = 1.0, label: str = "Sky", **extra: Any) -> Heads:
    weights = np.zeros(1280 + len(STAT_NAMES), dtype="<f4")
    weights[0] = 1.0  # the score is the first embedding feature
    head: dict[str, Any] = {"label": label, "mode": mode, "bias": 0.0, "slope": 2.0,
                            "threshold": threshold,
                            "weights": base64.b64encode(weights.tobytes()).decode(),
                            **extra}  # fmt: skip
    return Heads.from_dict({"stats": list(STAT_NAMES), "heads": [head]})


def test_a_head_is_at_the_default_minimum_confidence_exactly_at_its_threshold() -> None:
    features = np.zeros((3, 1280), np.float32)
    features[:, 0] = (0.0, 1.0, 3.0)
    stats = np.zeros((3, len(STAT_NAMES)))
    conf = heads_of("replace").confidences({"features": features}, stats)[:, 0]
    assert conf[0] < DEFAULT_MIN < conf[2]
    assert conf[1] == pytest.approx(DEFAULT_MIN, abs=1e-3)


def test_replace_drops_the_taxonomy_label_and_max_keeps_the_stronger() -> None:
    tax = load_taxonomy()
    found = [LabelFinding("Sky", 80.0), LabelFinding("Church", 60.0)]
    replaced = apply_heads(found, np.array([10.0]), heads_of("replace"), tax, floor=1.0)
    assert {x.name: x.confidence for x in replaced} == {"Sky": 10.0, "Church": 60.0}
    kept = apply_heads(found, np.array([10.0]), heads_of("max"), tax, floor=1.0)
    assert {x.name: x.confidence for x in kept} == {"Sky": 80.0, "Church": 60.0}
    raised = apply_heads(found, np.array([95.0]), heads_of("max"), tax, floor=1.0)
    assert [x.name for x in raised] == ["Sky", "Church"]
    assert raised[0].parents == tax.parents[tax.index["Sky"]]  # the taxonomy's parents
    below = apply_heads(found, np.array([0.5]), heads_of("replace"), tax, floor=1.0)
    assert [x.name for x in below] == ["Church"]


def test_a_gate_keeps_the_taxonomy_label_only_where_the_head_allows_it() -> None:
    tax = load_taxonomy()
    found = [LabelFinding("Sky", 80.0), LabelFinding("Church", 60.0)]
    shut = apply_heads(found, np.array([DEFAULT_MIN - 1]), heads_of("gate"), tax, floor=1.0)
    assert [x.name for x in shut] == ["Church"]
    open_ = apply_heads(found, np.array([DEFAULT_MIN + 1]), heads_of("gate"), tax, floor=1.0)
    assert {x.name: x.confidence for x in open_} == {"Sky": 80.0, "Church": 60.0}
    nothing = apply_heads(found[1:], np.array([99.0]), heads_of("gate"), tax, floor=1.0)
    assert [x.name for x in nothing] == ["Church"]  # a gate adds no label of its own


def test_a_head_that_yields_to_a_label_adds_nothing_where_that_label_is() -> None:
    tax = load_taxonomy()
    heads = heads_of("max", label="Person", unless=["Animal"])
    swans = [LabelFinding("Animal", 90.0), LabelFinding("Bird", 80.0)]
    assert "Person" not in {x.name for x in apply_heads(swans, np.array([70.0]), heads, tax, 1.0)}
    weak = [LabelFinding("Animal", DEFAULT_MIN - 1)]
    found = {x.name: x.confidence for x in apply_heads(weak, np.array([70.0]), heads, tax, 1.0)}
    assert found["Person"] == 70.0
    assert tax.categories[tax.index["Person"]] == "Person"
    # the taxonomy's own Person (a scuba diver's class) stays whatever the head says
    diver = [LabelFinding("Animal", 90.0), LabelFinding("Person", 40.0)]
    kept = {x.name: x.confidence for x in apply_heads(diver, np.array([70.0]), heads, tax, 1.0)}
    assert kept["Person"] == 40.0


def test_heads_fitted_on_other_statistics_are_refused() -> None:
    with pytest.raises(ValueError, match="other image statistics"):
        Heads.from_dict({"stats": ["brightness"], "heads": []})
    with pytest.raises(ValueError, match="unknown transform"):
        Heads.from_dict({"stats": list(STAT_NAMES), "transform": "log", "heads": []})
    with pytest.raises(ValueError, match="other views"):
        Heads.from_dict({"stats": list(STAT_NAMES), "views": ["centre", "whole"], "heads": []})
    assert Heads.from_dict({"stats": list(STAT_NAMES), "views": ["centre"], "heads": []})


def test_a_head_reads_every_named_output_square_rooted_at_unit_length() -> None:
    avg, peak = np.full((2, 1280), 0.5), np.zeros((2, 1280))
    peak[0, :4] = 4.0  # one photo fires four channels somewhere, the other nothing
    stats = np.ones((2, len(STAT_NAMES)))
    x = head_inputs({"features": avg, "features_max": peak}, ("features", "features_max"),
                    stats, "sqrt-l2")  # fmt: skip
    assert x.shape == (2, 2 * 1280 + len(STAT_NAMES))
    np.testing.assert_allclose(np.linalg.norm(x[:, :1280], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(x[0, 1280:1284], 0.5, rtol=1e-5)  # sqrt 2 each, four of them
    assert not x[1, 1280:2560].any()  # nothing fired: no division by zero
    np.testing.assert_array_equal(x[:, -len(STAT_NAMES) :], stats)  # statistics as they are


def test_the_shipped_heads_name_everyday_labels() -> None:
    heads, tax = load_heads(), load_taxonomy()
    assert {"Outdoors", "Tree", "Cloud"} <= set(heads.names)  # scene words no class names
    assert set(heads.names) <= set(tax.labels)
    assert heads.weights.shape == (1280 * len(heads.inputs) + len(STAT_NAMES), len(heads.names))
    assert "features_max" in heads.inputs  # "a tree somewhere": the map's peak, not its mean
    assert set(heads.modes) <= {"replace", "max", "gate"}


@pytest.mark.model
def test_a_cat_indoors_is_not_outdoors_and_grass_is_a_plant(model_cache: Path) -> None:
    from skimage import data

    analyzer = LabelsAnalyzer(model_cache)

    def labels(array: np.ndarray) -> set[str]:
        found = analyzer.analyze(Image.fromarray(array).convert("RGB")).labels
        return {x.name for x in found if x.confidence >= DEFAULT_MIN}

    assert "Outdoors" not in labels(data.chelsea())
    assert "Sky" not in labels(data.chelsea())
    assert {"Plant", "Grass"} & labels(data.grass())


def labels_of(analyzer: LabelsAnalyzer, name: str) -> dict[str, float]:
    with open(PEOPLE_PHOTOS / name, "rb") as f:  # as the service decodes it
        image = decode_image(f, max_pixels=100_000_000).image
    return {x.name: x.confidence for x in analyzer.analyze(image).labels}


@pytest.mark.model
def test_workers_bent_over_a_machine_are_a_person(model_cache: Path) -> None:
    # Three men with bowed or turned faces: the people analyzer's detectors find none of them
    # (scripts/calibrate_person_head.py), the Person head on the embedding does.
    found = labels_of(LabelsAnalyzer(model_cache), "endless-sky-scene-loc6.jpg")
    assert found.get("Person", 0.0) >= DEFAULT_MIN


@pytest.mark.model
@pytest.mark.parametrize(
    "name",
    [
        "gcompris-erase-swans.webp",  # the head alone scored it like people (out of fold)
        "gcompris-erase-calf.webp",
        "gcompris-erase-gibbon.webp",
        "gcompris-erase-spoonbills.webp",
    ],
)
def test_animals_get_no_person_from_the_labels(model_cache: Path, name: str) -> None:
    assert labels_of(LabelsAnalyzer(model_cache), name).get("Person", 0.0) < DEFAULT_MIN
