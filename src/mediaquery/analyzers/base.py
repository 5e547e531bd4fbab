"""The analyzer contract: pixels (or a file) in, findings out. Analyzers never touch the index."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from PIL import Image

from mediaquery.domain import Findings, LabelFinding, MediaType
from mediaquery.errors import ModelNotInstalled
from mediaquery.models.catalogue import missing_reason
from mediaquery.models.store import installed_path

if TYPE_CHECKING:
    from mediaquery.config import Settings


class Analyzer(ABC):
    """Base class for analyzers. `analyze()` loads the model (once, and again after an idle
    unload), then calls `_analyze()`. Code that uses the model outside `analyze()` does so
    inside `with self.in_use():`, which keeps it loaded meanwhile."""

    name: ClassVar[str]
    version: ClassVar[str]
    media_types: ClassVar[frozenset[MediaType]] = frozenset({MediaType.IMAGE})

    # The smallest image side the analyzer needs; lets JPEG decoding skip detail (None = full).
    min_side: ClassVar[int | None] = None
    # In videos: run on every sampled frame (cheap), or once per shot (expensive).
    per_shot: ClassVar[bool] = False
    # Catalogue models (`mediaquery models pull NAME`) the analyzer needs; without them it is
    # reported unavailable and skipped, never run.
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        self.model_dir = model_dir
        self.threads = threads
        self._loaded = False
        self._lock = threading.Lock()
        self._in_use = 0
        self.last_used = time.monotonic()

    @classmethod
    def unavailable_reason(cls, model_dir: Path) -> str | None:
        """Why the analyzer cannot run here (a required model is not installed), or None."""
        missing = [m for m in cls.requires if installed_path(model_dir, m) is None]
        return missing_reason(model_dir, missing) if missing else None

    def configure(self, settings: Settings) -> None:  # noqa: B027 - optional hook
        """Read the analyzer's own settings section; called once, after construction."""

    @property
    def loaded(self) -> bool:
        """Whether the models are in memory now."""
        return self._loaded

    def load(self) -> None:
        """Load models or other heavy state: lazily, once, and again after an idle unload."""
        with self._lock:
            self.last_used = time.monotonic()
            if self._loaded:
                return
            reason = self.unavailable_reason(self.model_dir)
            if reason is not None:
                raise ModelNotInstalled(f"Analyzer '{self.name}' is unavailable: {reason}")
            self._load()
            self._loaded = True

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Load the models and keep them loaded (no idle unload) while the block runs."""
        with self._lock:
            self._in_use += 1
        try:
            self.load()
            yield
        finally:
            with self._lock:
                self._in_use -= 1
                self.last_used = time.monotonic()

    def unload_if_idle(self, idle_seconds: float, now: float | None = None) -> bool:
        """Free the models when unused for `idle_seconds` (the next use loads them again);
        True when they were unloaded."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if not self._loaded or self._in_use or now - self.last_used < idle_seconds:
                return False
            self._unload()
            self._loaded = False
            return True

    def analyze(self, image: Image.Image) -> Findings:
        """Analyse one decoded RGB image."""
        with self.in_use():
            return self._analyze(image)

    def analyze_batch(self, images: Sequence[Image.Image]) -> list[Findings]:
        """Analyse several images; analyzers whose models batch well override this."""
        return [self.analyze(image) for image in images]

    def _load(self) -> None:  # noqa: B027 - optional hook
        """Override to load models; the default has nothing to load."""

    def _unload(self) -> None:  # noqa: B027 - optional hook
        """Override to drop what `_load` made, so the memory can be freed."""

    @abstractmethod
    def _analyze(self, image: Image.Image) -> Findings:
        """Return the findings for one RGB image."""


@runtime_checkable
class StoredVideoLabeler(Protocol):
    """An analyzer that labels a video where the bucket stores it (S3), not from its frames."""

    def label_stored_video(
        self, bucket: str, key: str, version: str
    ) -> list[tuple[int, list[LabelFinding]]]:
        """Labels per timestamp (ms) of the object `key` (at `version`) in `bucket`."""
        ...
