"""Where catalogue models live on disk: one file per model under MODEL_DIR/catalogue/."""

from __future__ import annotations

from pathlib import Path


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
