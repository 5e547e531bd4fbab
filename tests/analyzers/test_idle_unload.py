"""An analyzer's model is freed after `models.idle_unload_seconds` unused and loads again,
unnoticed, on the next image (a real model on a real photo)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from mediaquery.analyzers import imagenet
from mediaquery.analyzers.idle import start_idle_unloader, unload_idle
from mediaquery.analyzers.imagenet import LabelsAnalyzer
from mediaquery.config import Settings
from mediaquery.context import open_context


def top_labels(analyzer: LabelsAnalyzer, image: Image.Image) -> list[str]:
    return [x.name for x in analyzer.analyze(image).labels[:3]]


def test_an_idle_model_is_unloaded_and_reloads_transparently(
    model_cache: Path, photos: dict[str, bytes]
) -> None:
    cat = Image.open(io.BytesIO(photos["cat.jpg"])).convert("RGB")
    labels = LabelsAnalyzer(model_cache)
    before = top_labels(labels, cat)
    assert labels.loaded and imagenet._model.cache_info().currsize == 1
    assert unload_idle([labels], 60) == []  # used just now
    later = time.monotonic() + 61
    assert unload_idle([labels], 60, now=later) == ["labels"]
    assert not labels.loaded and not hasattr(labels, "model")
    assert imagenet._model.cache_info().currsize == 0  # the session is dropped, not kept
    assert top_labels(labels, cat) == before  # loaded again on use
    assert labels.loaded


def test_a_model_in_use_is_not_unloaded(model_cache: Path) -> None:
    labels = LabelsAnalyzer(model_cache)
    with labels.in_use():
        assert not labels.unload_if_idle(0, now=time.monotonic() + 3600)
        assert labels.loaded
    assert labels.unload_if_idle(0, now=time.monotonic() + 3600)


def test_the_context_unloads_idle_models_in_the_background(
    make_settings: Callable[..., Settings], photos: dict[str, bytes]
) -> None:
    cat = Image.open(io.BytesIO(photos["cat.jpg"])).convert("RGB")
    settings = make_settings(analyzers=["labels"])
    settings.models.idle_unload_seconds = 0.3
    ctx = open_context(settings)
    try:
        (labels,) = ctx.analyzers
        assert labels.analyze(cat).labels
        deadline = time.monotonic() + 20
        while labels.loaded and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not labels.loaded
        assert labels.analyze(cat).labels  # and back
    finally:
        ctx.close()


def test_zero_means_never() -> None:
    assert start_idle_unloader([], 300) is None
    assert start_idle_unloader([LabelsAnalyzer(Path("unused"))], 0) is None
