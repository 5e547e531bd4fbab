"""Fixtures: isolated data folders, apps, real photos, a session-wide model cache."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from mediaquery.app import create_app
from mediaquery.config import Settings, load_settings
from mediaquery.queue.worker import Worker


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model cache for the whole session, so each model is built once."""
    shared = os.environ.get("MEDIAQUERY_TEST_MODEL_CACHE")
    return Path(shared) if shared else tmp_path_factory.mktemp("models")


@pytest.fixture
def make_settings(tmp_path: Path, model_cache: Path) -> Callable[..., Settings]:
    """Settings for an isolated data folder; background work off unless asked for."""

    def factory(**overrides: Any) -> Settings:
        base: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "models_dir": model_cache,
            "watch": False,
            "reconcile_on_start": False,
        }
        base.update(overrides)
        s = load_settings(**base)
        s.queue.workers = overrides.get("workers", 0)
        s.queue.retry_delay = 0.0
        return s

    return factory


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings, background=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def drain(app: FastAPI) -> Callable[[], int]:
    """Run queued jobs to completion in this process (arq-style burst worker)."""
    return lambda: Worker(app.state.ctx).run(burst=True)


def jpeg_bytes(arr: np.ndarray | Image.Image, quality: int = 90, **kw: Any) -> bytes:
    """Encode pixels as JPEG."""
    img = arr if isinstance(arr, Image.Image) else Image.fromarray(arr)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality, **kw)
    return buf.getvalue()


@pytest.fixture(scope="session")
def photos() -> dict[str, bytes]:
    """Real photographs shipped in scikit-image, as JPEG files."""
    from skimage import data

    return {
        "cat.jpg": jpeg_bytes(data.chelsea()),
        "coffee.jpg": jpeg_bytes(data.coffee()),
        "rocket.jpg": jpeg_bytes(data.rocket()),
        "astronaut.jpg": jpeg_bytes(data.astronaut()),
    }
