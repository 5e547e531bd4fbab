"""Analyzers are found the way plugins are: through entry points, or a 'module:Class' path."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mediaquery.analyzers import registry
from mediaquery.analyzers.imagenet import LabelsAnalyzer
from mediaquery.errors import MediaQueryError


def test_builtin_labels_analyzer_comes_from_the_entry_point_group() -> None:
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group=registry.GROUP)}
    assert "labels" in names
    assert registry.analyzer_class("labels") is LabelsAnalyzer


def test_plugins_by_path_and_clear_errors(tmp_path: Path) -> None:
    built = registry.build(["mq_test_plugins:ColourAnalyzer"], tmp_path)
    assert [a.name for a in built] == ["colour"]
    with pytest.raises(MediaQueryError, match="Unknown analyzer 'nope'; installed: .*labels"):
        registry.analyzer_class("nope")
    with pytest.raises(MediaQueryError, match="not an Analyzer"):
        registry.analyzer_class("mediaquery.config:Settings")


def test_builtins_list_every_analyzer_the_package_declares() -> None:
    """BUILTINS stands in for the entry points when the package has no installed metadata."""
    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text())["project"]["entry-points"][registry.GROUP]
    assert registry.BUILTINS == declared
    for name in declared:
        assert registry.analyzer_class(registry.BUILTINS[name]).name == name
