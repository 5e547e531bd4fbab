"""Options shared by every command group of the `mediaquery` CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mediaquery.config import load_settings
from mediaquery.context import Context, open_context

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", "-d", help="Data folder [env MEDIAQUERY_DATA_DIR]")
]


def open_cli_context(data_dir: Path | None) -> Context:
    """Settings from the environment (and --data-dir), connected and migrated."""
    return open_context(load_settings(data_dir=data_dir))
