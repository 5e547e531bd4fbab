"""The root `mediaquery` command group; each module of this package adds its commands."""

from __future__ import annotations

import typer

from mediaquery.cli.exits import ExitOnError

app = typer.Typer(
    cls=ExitOnError,
    help="Analyse images and videos and query what was found.",
    no_args_is_help=True,
)
