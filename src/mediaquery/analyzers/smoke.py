"""`mediaquery models verify --smoke` through the analyzers: run the first ready analyzer that
needs a model on the bundled photo (`models.smoke` runs the bare model otherwise)."""

from __future__ import annotations

import logging
from pathlib import Path

from mediaquery.analyzers import registry
from mediaquery.models import smoke as model_smoke
from mediaquery.models.catalogue import CatalogueEntry

log = logging.getLogger(__name__)


def through_analyzers(model_dir: Path, entry: CatalogueEntry) -> str | None:
    """Run the first ready analyzer that needs this model on the photo, if there is one."""
    for name in sorted(registry.available()):
        try:
            cls = registry.analyzer_class(name)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop verify
            log.debug("analyzer %s not loadable: %s", name, exc)
            continue
        if entry.name not in cls.requires or cls.unavailable_reason(model_dir) is not None:
            continue
        findings = cls(model_dir).analyze(model_smoke.photo())
        top = ", ".join(f"{x.name} {x.confidence:.0f}" for x in findings.labels[:5]) or "none"
        return f"{entry.name}: analyzer {name} ran on the test photo; labels: {top}"
    return None


def smoke(model_dir: Path, entry: CatalogueEntry) -> str:
    """Run the model once, through an analyzer that uses it where one can run."""
    return model_smoke.smoke(model_dir, entry, through_analyzers)
