"""Find analyzers: built-ins and plugins both come through the `mediaquery.analyzers` group."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from mediaquery.analyzers.base import Analyzer
from mediaquery.errors import UnknownAnalyzer

if TYPE_CHECKING:
    from mediaquery.config import Settings

log = logging.getLogger(__name__)
GROUP = "mediaquery.analyzers"
# Used when the package runs from a source tree without installed metadata; the same as the
# entry points in pyproject.toml (a test checks).
BUILTINS = {
    "labels": "mediaquery.analyzers.imagenet:LabelsAnalyzer",
    "people": "mediaquery.analyzers.people:PeopleAnalyzer",
    "faces": "mediaquery.analyzers.faces:FacesAnalyzer",
    "text": "mediaquery.analyzers.text:TextAnalyzer",
    "moderation": "mediaquery.analyzers.moderation:ModerationAnalyzer",
    "scenes": "mediaquery.analyzers.scenes:ScenesAnalyzer",
    "objects": "mediaquery.analyzers.objects:ObjectsAnalyzer",
    "rekognition": "mediaquery.analyzers.rekognition:RekognitionAnalyzer",
    "colors": "mediaquery.analyzers.colors:ColorsAnalyzer",
}


@cache
def available() -> dict[str, str]:
    """name → 'module:Class' of every installed analyzer."""
    found = dict(BUILTINS)
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.value
    return found


def analyzer_class(name: str) -> type[Analyzer]:
    """Import an analyzer class by its registered name (or a 'module:Class' path)."""
    target = name if ":" in name else available().get(name)
    if target is None:
        known = ", ".join(sorted(available()))
        raise UnknownAnalyzer(f"Unknown analyzer '{name}'; installed: {known}")
    module, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    if not (isinstance(cls, type) and issubclass(cls, Analyzer)):
        raise UnknownAnalyzer(f"Analyzer '{name}' ({target}) is not an Analyzer subclass")
    return cls


def build(
    names: list[str], model_dir: Path, threads: int = 1, settings: Settings | None = None
) -> list[Analyzer]:
    """Instantiate the named analyzers (models load lazily, on first use), configured with
    `settings` when given. Analyzers whose catalogue models are missing are built too:
    `unavailable()` tells which cannot run."""
    built = [analyzer_class(n)(model_dir, threads) for n in names]
    if settings is not None:
        for analyzer in built:
            analyzer.configure(settings)
    return built


def unavailable(analyzers: Iterable[Analyzer]) -> dict[str, str]:
    """name → reason of each analyzer that cannot run here (a model it needs is missing)."""
    reasons = {a.name: a.unavailable_reason(a.model_dir) for a in analyzers}
    return {name: reason for name, reason in reasons.items() if reason is not None}


def ready(analyzers: Iterable[Analyzer]) -> list[Analyzer]:
    """The analyzers that can run here (every model they need is installed)."""
    return [a for a in analyzers if a.unavailable_reason(a.model_dir) is None]


def warn_unavailable(analyzers: Iterable[Analyzer]) -> dict[str, str]:
    """Log a warning per enabled analyzer that cannot run; returns name → reason."""
    reasons = unavailable(analyzers)
    for name, reason in sorted(reasons.items()):
        log.warning("analyzer %s is unavailable and will be skipped: %s", name, reason)
    return reasons


def required_models(analyzers: Iterable[Analyzer]) -> set[str]:
    """The catalogue models the analyzers need."""
    return {m for a in analyzers for m in a.requires}
