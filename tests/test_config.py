"""Settings: every option is documented in the README and read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from mediaquery.config import Settings, load_settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def env_names(model: type[BaseModel], prefix: str = "MEDIAQUERY_") -> list[str]:
    names = []
    for field, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += env_names(annotation, f"{prefix}{field.upper()}__")
        else:
            names.append(f"{prefix}{field.upper()}")
    return names


@pytest.mark.parametrize("name", env_names(Settings))
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in README or f"{name}`" in README, f"{name} missing from README"


def test_environment_sets_nested_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MEDIAQUERY_DATABASE_URL", raising=False)  # set by conftest on PostgreSQL
    monkeypatch.setenv("MEDIAQUERY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEDIAQUERY_QUEUE__WORKERS", "5")
    monkeypatch.setenv("MEDIAQUERY_LABELS__FLOOR", "7.5")
    s = load_settings()
    assert (s.data_dir, s.queue.workers, s.labels.floor) == (tmp_path, 5, 7.5)
    assert s.media_dir == tmp_path / "media"
    assert s.db_url == f"sqlite:///{tmp_path.resolve() / 'index.db'}"


def test_explicit_options_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIAQUERY_PORT", "9000")
    assert load_settings(port=8123).port == 8123
    assert load_settings(port=None).port == 9000
