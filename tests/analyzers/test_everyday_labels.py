"""Everyday words (Sea, Beach, Snow, Flower, Pet, ...) and abstract labels that need evidence.

The rules come from data/everyday.tsv, the evidence floor and scales from
data/label_calibration.json (fitted on the evaluation's calibration half)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaquery.analyzers.imagenet import LabelsAnalyzer
from mediaquery.analyzers.taxonomy import Taxonomy, labels_from_probs, load_taxonomy
from mediaquery.index.words import candidates, normalise

DEFAULT_MIN = 25.0


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


def shown(tax: Taxonomy, **probs: float) -> dict[str, float]:
    """Labels at the default list threshold for these class probabilities (by class name)."""
    p = np.zeros(tax.num_classes)
    for name, value in probs.items():
        p[tax.class_names.index(name.replace("_", " "))] = value
    return {x.name: x.confidence for x in labels_from_probs(p, tax, floor=DEFAULT_MIN)}


@pytest.mark.parametrize(
    ("klass", "words"),
    [
        ("Seashore", {"Sea", "Beach", "Water", "Outdoors", "Nature", "Landscape"}),
        ("Sandbar", {"Sea", "Beach", "Outdoors"}),
        ("Alp", {"Mountain", "Snow", "Landscape", "Outdoors", "Nature"}),
        ("Lakeside", {"Lake", "Water", "Outdoors"}),
        ("Daisy", {"Flower", "Plant", "Nature"}),
        ("Ski", {"Snow", "Sport"}),
        ("Trifle", {"Cake", "Dessert", "Food"}),
        ("Church", {"Building", "Architecture", "Sky", "Outdoors"}),
        ("Street_Sign", {"Street", "City", "Road"}),
        ("Studio_Couch", {"Furniture", "Indoors"}),
        ("Tabby_Cat", {"Cat", "Pet", "Animal"}),
        ("Espresso", {"Cup", "Coffee", "Drink"}),
        ("Coffee_Mug", {"Cup"}),
        ("Monitor", {"Computer"}),
        ("Computer_Keyboard", {"Computer"}),
        ("Lens_Cap", {"Camera"}),
        ("Beer_Glass", {"Drink"}),
        ("Goblet", {"Drink"}),
        ("Horse_Cart", {"Horse", "Animal", "Vehicle"}),
        ("Mobile_Home", {"House", "Building"}),
        ("Bookcase", {"Book", "Indoors"}),
        ("Hay", {"Field", "Grass", "Outdoors"}),
        ("Trailer_Truck", {"Vehicle", "Road"}),
        ("Wing", {"Sky"}),
    ],
)
def test_a_sure_class_brings_its_everyday_words(tax: Taxonomy, klass: str, words: set) -> None:
    assert words <= set(shown(tax, **{klass: 0.9}))


@pytest.mark.parametrize(
    ("klass", "words"),
    [
        # out of a plane's window: the class fires on skies and dunes, not on airplanes
        ("Wing", {"Airplane", "Vehicle"}),
        # studio photos of motorcycles and cars are on no road
        ("Moped", {"Road"}),
        ("Sports_Car", {"Road"}),
        # pans and tables are shown empty
        ("Frying_Pan", {"Food"}),
        ("Dining_Table", {"Food"}),
        # pyramids look like thatched roofs to the classifier
        ("Thatched_Roof", {"House"}),
        # comic books look like paintings to it
        ("Comic_Book", {"Book"}),
        # a lawn is grass, not a field
        ("Lawn_Mower", {"Field"}),
    ],
)
def test_a_class_does_not_bring_words_its_photos_rarely_show(
    tax: Taxonomy, klass: str, words: set
) -> None:
    assert not words & set(shown(tax, **{klass: 0.9}))


def test_everyday_words_are_found_by_their_synonyms_and_plurals(tax: Taxonomy) -> None:
    terms = {normalise(t): name for name, aliases in zip(tax.labels, tax.aliases, strict=True)
             for t in (name, *aliases)}  # fmt: skip
    pairs = [("ocean", "Sea"), ("beaches", "Beach"), ("flowers", "Flower"), ("trees", "Tree"),
             ("leaves", "Leaf"), ("outside", "Outdoors"), ("cakes", "Cake"), ("pets", "Pet"),
             ("paintings", "Painting"), ("meadow", "Field"), ("fields", "Field"),
             ("lawn", "Grass")]  # fmt: skip
    for typed, label in pairs:
        assert label in {terms.get(c) for c in candidates(typed)}, typed


def test_an_everyday_word_names_one_label(tax: Taxonomy) -> None:
    rules = resources.files("mediaquery.analyzers").joinpath("data", "everyday.tsv")
    everyday = [line.split("\t")[1] for line in rules.read_text("utf-8").splitlines()
                if line.startswith("label\t")]  # fmt: skip
    owner: dict[str, set[str]] = {}
    for name, aliases in zip(tax.labels, tax.aliases, strict=True):
        for term in {normalise(t) for t in (name, *aliases)}:
            owner.setdefault(term, set()).add(name)
    for name in everyday:
        j = tax.labels.index(name)
        for term in {normalise(t) for t in (name, *tax.aliases[j])}:
            assert owner[term] == {name}, (term, owner[term])


def test_many_weak_unrelated_classes_do_not_add_up_to_an_abstract_label(tax: Taxonomy) -> None:
    # what the classifier says about a texture it has never seen: 0.1 % on everything
    p = np.full(tax.num_classes, 1.0 / tax.num_classes)
    labels = {x.name for x in labels_from_probs(p, tax, floor=DEFAULT_MIN)}
    assert not labels & {"Animal", "Mammal", "Invertebrate", "Outdoors", "Food", "Structure"}


@pytest.fixture(scope="module")
def analyzer(model_cache: Path) -> LabelsAnalyzer:
    return LabelsAnalyzer(model_cache)


def labels_of(analyzer: LabelsAnalyzer, array: np.ndarray) -> dict[str, float]:
    found = analyzer.analyze(Image.fromarray(array).convert("RGB")).labels
    return {x.name: x.confidence for x in found if x.confidence >= DEFAULT_MIN}


@pytest.mark.model
def test_grass_photo_gets_no_animal(analyzer: LabelsAnalyzer) -> None:
    from skimage import data

    labels = labels_of(analyzer, data.grass())
    assert not {"Animal", "Mammal", "Invertebrate"} & set(labels), labels


@pytest.mark.model
def test_real_cat_photo_is_a_pet_and_an_animal(analyzer: LabelsAnalyzer) -> None:
    from skimage import data

    labels = labels_of(analyzer, data.chelsea())
    assert {"Cat", "Pet", "Animal"} <= set(labels), labels


@pytest.mark.model
def test_a_studio_motorcycle_is_a_vehicle_on_no_road(analyzer: LabelsAnalyzer) -> None:
    from skimage import data

    left, _, _ = data.stereo_motorcycle()
    labels = labels_of(analyzer, left)
    assert {"Motorcycle", "Vehicle"} <= set(labels) and "Road" not in labels, labels
