"""Logging set-up shared by the server, the workers and the CLI."""

from __future__ import annotations

import logging
import os


def setup_logging(level: str | None = None) -> None:
    """Plain, timestamped logs on stderr; MEDIAQUERY_LOG_LEVEL picks the level."""
    logging.basicConfig(
        level=(level or os.environ.get("MEDIAQUERY_LOG_LEVEL", "INFO")).upper(),
        format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s",
    )
