"""At start-up, only when `models.auto_pull` is on: download the catalogue models that enabled
analyzers need, in the background (`analyzers.registry.required_models` says which)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from mediaquery.config import Settings
from mediaquery.errors import MediaQueryError
from mediaquery.models import install
from mediaquery.models.catalogue import CATALOGUE
from mediaquery.models.download import Progress
from mediaquery.models.store import installed_path

log = logging.getLogger(__name__)


def missing_models(required: Iterable[str], model_dir: Path) -> list[str]:
    """The catalogue models among `required` that are not installed."""
    return sorted(m for m in set(required) if m in CATALOGUE and not installed_path(model_dir, m))


def start_auto_pull(settings: Settings, required: Iterable[str]) -> threading.Thread | None:
    """With `models.auto_pull` on, pull the `required` models that are missing, in a daemon
    thread (an interrupted download resumes next time). Off (the default): nothing is
    downloaded."""
    if not settings.models.auto_pull:
        return None
    names = missing_models(required, settings.model_dir)
    thread = threading.Thread(
        target=pull_all, args=(settings, names), name="auto-pull", daemon=True
    )
    thread.start()
    return thread


def pull_all(settings: Settings, names: Sequence[str]) -> list[str]:
    """Pull each model, logging progress every 10 %; returns the names that failed."""
    failed = []
    for name in names:
        log.info("auto_pull: downloading %s", name)
        try:
            done = install.pull(
                settings.model_dir,
                CATALOGUE[name],
                mirror=settings.models.mirror,
                progress=_logger(name),
            )
        except MediaQueryError as exc:
            log.error("auto_pull: %s failed: %s", name, exc.message)
            failed.append(name)
            continue
        log.info("auto_pull: %s installed (%d bytes)", name, done.size)
    return failed


def _logger(name: str) -> Progress:
    last = [-1]

    def report(done: int, total: int | None) -> None:
        if not total:
            return
        tenth = min(10, done * 10 // total)
        if tenth > last[0]:
            last[0] = tenth
            log.info("auto_pull: %s %d%% (%d of %d bytes)", name, tenth * 10, done, total)

    return report
