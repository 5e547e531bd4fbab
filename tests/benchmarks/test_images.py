"""benchmarks/images.py's choices: which photos the camera mix holds, what `--analyzers default`
means, and how the options reach the run (the run itself starts a service: it prints figures)."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mediaquery.config import Settings

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def images() -> Iterator[ModuleType]:
    """The benchmark module (it lives in benchmarks/, outside the package)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("images")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_camera_mix_takes_photos_of_a_megapixel_and_the_test_data(
    images: ModuleType, tmp_path: Path
) -> None:
    manifest = json.loads((BENCHMARKS / "label_eval/manifest.json").read_text("utf-8"))
    big = {p["id"] for p in manifest["photos"] if p["width"] * p["height"] >= 1e6}
    small = {p["id"] for p in manifest["photos"]} - big
    assert big and small
    for name in big:  # only the big ones exist: reading a small one would fail
        (tmp_path / name).write_bytes(name.encode())
    mix = images.camera_mix(tmp_path)
    photos = {k.split("/", 1)[1]: v for k, v in mix.items() if k.startswith(f"{tmp_path.name}/")}
    assert photos == {name: name.encode() for name in big}
    faces = sorted(p.name for p in (BENCHMARKS.parent / "tests/data/faces").glob("*.jpg"))
    assert sorted(k.split("/")[1] for k in mix if k.startswith("faces/")) == faces
    assert {"camera/xiaomi.heic", "camera/iphone_xs.heic"} <= set(mix)
    assert len(mix) == len(big) + len(faces) + 2


def test_default_analyzers_are_the_services(
    images: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEDIAQUERY_ANALYZERS", raising=False)
    assert images.default_analyzers() == Settings().analyzers
    assert {"labels", "people", "text", "faces"} <= set(images.default_analyzers())


@pytest.mark.parametrize("pipeline_only", [False, True])
def test_options_reach_the_run(
    images: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pipeline_only: bool
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub/a.jpg").write_bytes(b"a")
    monkeypatch.delenv("MEDIAQUERY_ANALYZERS", raising=False)
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(images, "run", lambda *a: calls.append(a))
    argv = ["images.py", "--folder", str(tmp_path), "--analyzers", "default", "--mode", "folder"]
    argv += ["--batch-size", "2"] + (["--pipeline-only"] if pipeline_only else [])
    monkeypatch.setattr(sys, "argv", argv)
    images.main()
    assert calls == [
        ({"bench/sub/a.jpg": b"a"}, 2, "folder", Settings().analyzers, 2, not pipeline_only)
    ]


def test_folder_and_camera_mix_exclude_each_other(
    images: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["images.py", "--folder", str(tmp_path), "--camera-mix", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit):
        images.main()
