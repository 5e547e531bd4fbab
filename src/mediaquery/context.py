"""The services one process works with: settings, index engine, storage, analyzers."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

from mediaquery.analyzers import registry
from mediaquery.analyzers.base import Analyzer
from mediaquery.analyzers.idle import start_idle_unloader
from mediaquery.config import Settings
from mediaquery.index import label_months
from mediaquery.index.db import PoolLimits, make_engine, migrate, write_tx
from mediaquery.storage.base import Storage
from mediaquery.storage.open import open_storage


@dataclass
class Context:
    settings: Settings
    engine: Engine
    storage: Storage
    _analyzers: list[Analyzer] | None = field(default=None, repr=False)
    _stop_unloader: threading.Event | None = field(default=None, repr=False)

    @property
    def analyzers(self) -> list[Analyzer]:
        """The enabled analyzers, built on first use (their models load lazily, and unload
        after `models.idle_unload_seconds` unused)."""
        if self._analyzers is None:
            s = self.settings
            self._analyzers = registry.build(s.analyzers, s.model_dir, s.model_threads, s)
            self._stop_unloader = start_idle_unloader(self._analyzers, s.models.idle_unload_seconds)
        return self._analyzers

    def close(self) -> None:
        """Release database connections; stop unloading idle models."""
        if self._stop_unloader is not None:
            self._stop_unloader.set()
        self.engine.dispose()


def open_context(
    settings: Settings, *, run_migrations: bool = True, pool: PoolLimits | None = None
) -> Context:
    """Create folders, connect to the index and bring its schema up to date."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url, pool)
    if run_migrations:
        migrate(engine)
        _keep_label_months(engine, settings.labels.default_min_confidence)
    return Context(settings, engine, open_storage(settings))


def _keep_label_months(engine: Engine, threshold: float) -> None:
    """Count labels per month at the configured default threshold (what `label=` asks when
    no min_confidence is given), rebuilding the counts once when it changed."""
    with engine.connect() as conn:
        if label_months.kept_at(conn) == threshold:
            return
    with write_tx(engine) as conn:
        label_months.keep_at(conn, threshold)
