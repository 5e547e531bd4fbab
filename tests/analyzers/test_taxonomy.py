"""The shipped ImageNet taxonomy reads the way a person searching photos expects."""

from __future__ import annotations

import json
import re
from importlib import resources

import numpy as np
import pytest

from mediaquery.analyzers.taxonomy import Taxonomy, labels_from_probs, load_taxonomy

GERMAN_SHEPHERD = "n02106662"
GOLDEN_RETRIEVER = "n02099601"
TABBY = "n02123045"
COFFEE_MUG = "n03063599"
CUP = "n07930864"
ABSTRACT = {
    "Entity",
    "Physical Entity",
    "Object",
    "Whole",
    "Organism",
    "Living Thing",
    "Placental",
    "Chordate",
    "Vertebrate",
    "Carnivore",
    "Artifact",
    "Instrumentality",
    "Working Dog",
    "Shepherd Dog",
    "Abstraction",
}


@pytest.fixture(scope="module")
def raw() -> dict:
    path = resources.files("mediaquery.analyzers").joinpath("data", "imagenet_taxonomy.json")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def by_wnid(raw: dict) -> dict[str, dict]:
    return {c["wnid"]: c for c in raw["classes"]}


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


def one_hot(tax: Taxonomy, **weights: float) -> np.ndarray:
    probs = np.zeros(tax.num_classes, dtype=np.float32)
    for wnid, weight in weights.items():
        probs[tax.wnids.index(wnid)] = weight
    return probs


def test_1000_classes_in_sorted_wnid_order(raw: dict) -> None:
    wnids = [c["wnid"] for c in raw["classes"]]
    assert len(wnids) == 1000
    assert wnids == sorted(set(wnids))
    assert all(re.fullmatch(r"n\d{8}", w) for w in wnids)


def test_german_shepherd_nests_dog_inside_animal(by_wnid: dict) -> None:
    entry = by_wnid[GERMAN_SHEPHERD]
    assert entry["name"] == "German Shepherd"
    parents = entry["parents"]
    assert parents[:2] == ["Dog", "Canine"]
    positions = [parents.index(p) for p in ("Dog", "Canine", "Mammal", "Animal")]
    assert positions == sorted(positions)
    assert parents[-1] == "Animal" and "Pet" in parents
    assert "Alsatian" in entry["aliases"]


def test_tabby_is_a_cat_and_an_animal(by_wnid: dict, raw: dict) -> None:
    parents = by_wnid[TABBY]["parents"]
    assert "Cat" in parents and "Animal" in parents
    assert parents.index("Cat") < parents.index("Animal")
    assert "Animal" in raw["nodes"]["Cat"]["parents"]


def test_names_are_unique_and_ambiguous_ones_are_qualified(raw: dict) -> None:
    names = [c["name"] for c in raw["classes"]]
    assert len({n.casefold() for n in names}) == 1000
    assert {"Crane (Bird)", "Crane (Machine)"} <= set(names)
    maillots = [c["name"] for c in raw["classes"] if c["wnid"] in ("n03710637", "n03710721")]
    assert len(set(maillots)) == 2


def test_no_abstract_or_jargon_nodes(raw: dict) -> None:
    assert not ABSTRACT & set(raw["nodes"])
    for entry in raw["classes"]:
        assert not ABSTRACT & set(entry["parents"]), entry["name"]


def test_parent_chains_are_consistent(raw: dict) -> None:
    nodes = raw["nodes"]
    for entry in raw["classes"]:
        parents = entry["parents"]
        assert entry["name"] not in parents
        for i, parent in enumerate(parents):
            assert parent in nodes, parent
            # Everything above a category is listed after it, so sums nest properly.
            assert set(nodes[parent]["parents"]) - {entry["name"]} <= set(parents[i + 1 :])


def test_almost_every_class_has_a_parent(raw: dict) -> None:
    orphans = [c["name"] for c in raw["classes"] if not c["parents"]]
    assert len(orphans) < 50, orphans


def test_one_hot_german_shepherd_gives_its_chain_only(tax: Taxonomy) -> None:
    labels = labels_from_probs(one_hot(tax, **{GERMAN_SHEPHERD: 1.0}), tax)
    assert [lab.name for lab in labels] == [
        "German Shepherd", "Dog", "Canine", "Mammal", "Pet", "Animal"
    ]  # fmt: skip
    assert all(lab.confidence == pytest.approx(100.0) for lab in labels)
    assert labels[0].parents[0] == "Dog"
    assert labels[0].category == "Animal"
    assert "Alsatian" in labels[0].aliases


def test_category_confidence_is_the_sum_over_its_classes(tax: Taxonomy) -> None:
    probs = one_hot(tax, **{GERMAN_SHEPHERD: 0.45, GOLDEN_RETRIEVER: 0.4, TABBY: 0.15})
    conf = {lab.name: lab.confidence for lab in labels_from_probs(probs, tax)}
    assert conf["German Shepherd"] == pytest.approx(45.0)
    assert conf["Golden Retriever"] == pytest.approx(40.0)
    assert conf["Dog"] == pytest.approx(85.0)
    assert conf["Cat"] == pytest.approx(15.0)
    assert conf["Animal"] == pytest.approx(100.0)
    assert list(conf.values()) == sorted(conf.values(), reverse=True)


def test_floor_drops_weak_labels(tax: Taxonomy) -> None:
    probs = np.full(tax.num_classes, 0.01 / (tax.num_classes - 1), dtype=np.float32)
    probs[tax.wnids.index(GERMAN_SHEPHERD)] = 0.6
    probs[tax.wnids.index(GOLDEN_RETRIEVER)] = 0.39
    names = {lab.name for lab in labels_from_probs(probs, tax, floor=50.0)}
    assert names == {"German Shepherd", "Dog", "Canine", "Mammal", "Pet", "Animal"}
    default = {lab.name for lab in labels_from_probs(probs, tax)}
    assert {"Golden Retriever", "Retriever"} <= default
    assert "Cat" not in default  # the 1% spread over 998 classes stays below the floor


def test_class_and_category_with_the_same_name_share_one_label(tax: Taxonomy) -> None:
    labels = labels_from_probs(one_hot(tax, **{CUP: 0.3, COFFEE_MUG: 0.3}), tax)
    names = [lab.name for lab in labels]
    assert len(names) == len(set(names))
    conf = {lab.name: lab.confidence for lab in labels}
    assert conf["Cup"] == pytest.approx(60.0)
    assert conf["Coffee Mug"] == pytest.approx(30.0)


def test_wrong_length_is_rejected(tax: Taxonomy) -> None:
    with pytest.raises(ValueError, match="1000"):
        labels_from_probs(np.ones(10, dtype=np.float32), tax)


def test_load_is_cached_and_read_only(tax: Taxonomy) -> None:
    assert load_taxonomy() is tax
    assert not tax.member_class.flags.writeable
    assert not tax.member_label.flags.writeable


def test_one_person_is_no_people(tax: Taxonomy, raw: dict) -> None:
    # "People" is the people analyzer's label for several persons; a lone groom found by the
    # classifier is a Person (and a Human) but must not answer a search for people.
    groom = next(c["wnid"] for c in raw["classes"] if c["name"] == "Groom")
    labels = labels_from_probs(one_hot(tax, **{groom: 1.0}), tax)
    person = next(lab for lab in labels if lab.name == "Person")
    assert "Human" in person.aliases
    assert all("People" not in (lab.name, *lab.aliases) for lab in labels)
