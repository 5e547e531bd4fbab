"""Where catalogue models live on disk: one file per model under MODEL_DIR/catalogue/.

Beside the models: `<name>.part` (a download in progress, resumed by the next pull),
`<name>.lock` (one writer per model) and `.manifest.json` (what was installed, from where,
with which sha256: `verify` re-hashes against it)."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MANIFEST = ".manifest.json"


def catalogue_dir(model_dir: Path) -> Path:
    """The folder holding every installed catalogue model."""
    return model_dir / "catalogue"


def model_file(model_dir: Path, name: str) -> Path:
    """The path an installed catalogue model has (whether or not it is installed)."""
    return catalogue_dir(model_dir) / name


def installed_path(model_dir: Path, name: str) -> Path | None:
    """The file of an installed catalogue model, or None when it is not installed."""
    path = model_file(model_dir, name)
    return path if path.is_file() else None


def part_file(model_dir: Path, name: str) -> Path:
    """Where a download of `name` accumulates until it is verified."""
    return catalogue_dir(model_dir) / f"{name}.part"


@contextmanager
def locked(model_dir: Path, name: str) -> Iterator[None]:
    """Hold the model's lock: one pull, import or removal of a model at a time (any process)."""
    folder = catalogue_dir(model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_manifest(model_dir: Path) -> dict[str, dict[str, Any]]:
    """name → {sha256, size, source, installed_at, pinned} of every recorded install."""
    try:
        data = json.loads((catalogue_dir(model_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(model_dir: Path, data: dict[str, dict[str, Any]]) -> None:
    folder = catalogue_dir(model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=MANIFEST, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; it is no secret
    os.replace(tmp, folder / MANIFEST)


@contextmanager
def _manifest_lock(model_dir: Path) -> Iterator[dict[str, dict[str, Any]]]:
    with locked(model_dir, MANIFEST):
        data = read_manifest(model_dir)
        yield data
        _write_manifest(model_dir, data)


def record_install(
    model_dir: Path, name: str, *, sha256: str, size: int, source: str, pinned: str
) -> None:
    """Remember an install: its hash (what `verify` checks) and where it came from."""
    with _manifest_lock(model_dir) as data:
        data[name] = {
            "sha256": sha256,
            "size": size,
            "source": source,
            "pinned": pinned,
            "installed_at": time.time(),
        }


def forget(model_dir: Path, name: str) -> None:
    """Drop a model from the manifest."""
    with _manifest_lock(model_dir) as data:
        data.pop(name, None)
