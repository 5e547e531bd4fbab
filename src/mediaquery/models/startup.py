"""At start-up: say which analyzers cannot run, and (only when `models.auto_pull` is on)
download the catalogue models they need, in the background."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from mediaquery.analyzers.base import Analyzer
from mediaquery.analyzers.registry import unavailable
from mediaquery.config import Settings
from mediaquery.context import Context
from mediaquery.errors import MediaQueryError
from mediaquery.models import install, store
from mediaquery.models.catalogue import CATALOGUE
from mediaquery.models.download import Progress

log = logging.getLogger(__name__)


def warn_unavailable(analyzers: Sequence[Analyzer]) -> dict[str, str]:
    """Log a warning per enabled analyzer that cannot run; returns name → reason."""
    reasons = unavailable(analyzers)
    for name, reason in sorted(reasons.items()):
        log.warning("analyzer %s is unavailable and will be skipped: %s", name, reason)
    return reasons


def missing_models(analyzers: Sequence[Analyzer], model_dir: Path) -> list[str]:
    """Catalogue models that enabled analyzers need and that are not installed."""
    wanted = {m for a in analyzers for m in a.requires}
    return sorted(m for m in wanted if m in CATALOGUE and not store.installed_path(model_dir, m))


def start_auto_pull(ctx: Context) -> threading.Thread | None:
    """With `models.auto_pull` on, pull the models enabled analyzers miss, in a daemon thread
    (an interrupted download resumes next time). Off (the default): nothing is downloaded."""
    if not ctx.settings.models.auto_pull:
        return None
    thread = threading.Thread(target=_auto_pull, args=(ctx,), name="auto-pull", daemon=True)
    thread.start()
    return thread


def _auto_pull(ctx: Context) -> None:
    names = missing_models(ctx.analyzers, ctx.settings.model_dir)
    if names:
        pull_all(ctx.settings, names)


def pull_all(settings: Settings, names: Sequence[str]) -> list[str]:
    """Pull each model, logging progress every 10 %; returns the names that failed."""
    failed = []
    for name in names:
        log.info("auto_pull: downloading %s", name)
        try:
            done = install.pull(settings.model_dir, CATALOGUE[name],
                                mirror=settings.models.mirror, progress=_logger(name))  # fmt: skip
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
