"""The analyzer contract: pixels (or a file) in, findings out. Analyzers never touch the index."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
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
    """Base class for analyzers. `analyze()` loads the model once, then calls `_analyze()`."""

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

    @classmethod
    def unavailable_reason(cls, model_dir: Path) -> str | None:
        """Why the analyzer cannot run here (a required model is not installed), or None."""
        missing = [m for m in cls.requires if installed_path(model_dir, m) is None]
        return missing_reason(model_dir, missing) if missing else None

    def configure(self, settings: Settings) -> None:  # noqa: B027 - optional hook
        """Read the analyzer's own settings section; called once, after construction."""

    def load(self) -> None:
        """Load models or other heavy state; called once, lazily, per process."""
        if not self._loaded:
            reason = self.unavailable_reason(self.model_dir)
            if reason is not None:
                raise ModelNotInstalled(f"Analyzer '{self.name}' is unavailable: {reason}")
            self._load()
            self._loaded = True

    def analyze(self, image: Image.Image) -> Findings:
        """Analyse one decoded RGB image."""
        self.load()
        return self._analyze(image)

    def analyze_batch(self, images: Sequence[Image.Image]) -> list[Findings]:
        """Analyse several images; analyzers whose models batch well override this."""
        return [self.analyze(image) for image in images]

    def _load(self) -> None:  # noqa: B027 - optional hook
        """Override to load models; the default has nothing to load."""

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
