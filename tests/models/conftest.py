"""Fixtures for the model catalogue tests: a file server, `tiny-model` in the catalogue, and
a model cache of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mediaquery.models import catalogue
from mediaquery.models.catalogue import CatalogueEntry
from mq_models import TINY, FileServer, Served, serving, tiny_entry


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    """A real HTTP server on 127.0.0.1 that records each request."""
    with serving() as srv:
        yield srv


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch, file_server: FileServer) -> CatalogueEntry:
    """`tiny-model` in the catalogue, served by the mirror at /tiny-model/tiny.onnx."""
    entry = tiny_entry()
    monkeypatch.setitem(catalogue.CATALOGUE, entry.name, entry)
    file_server.files["/tiny-model/tiny.onnx"] = Served(TINY)
    return entry


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """A model cache of this test's own (not the session's shared one)."""
    return tmp_path / "models"
