"""Exit statuses of every `mediaquery` command, and the one place that turns errors into them.

Commands let a `MediaQueryError` propagate; the root command group (`ExitOnError`) prints its
message and exits with `exit_code(error)`. A command that works through several items (files,
models, names) goes on after a failed one and exits `FAILED` at the end."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from mediaquery.errors import MediaQueryError

OK = 0
# something asked for could not be done: a file not added, an analysis that failed, a name
# that is not there, a download or a check that failed
FAILED = 1
# the command was asked wrongly: an unknown option or value, a path that does not exist, a
# setting the command needs and lacks (click uses 2 for its own usage errors too)
USAGE = 2

EXIT_STATUS_HELP = (
    f"Exit status: {OK} when everything asked for was done, {FAILED} when some of it failed "
    f"(a file not added, an analysis failed, a name not found), {USAGE} for a usage error "
    "(an unknown option or value, a path that does not exist)."
)

err = Console(stderr=True, soft_wrap=True)


def exit_code(exc: MediaQueryError) -> int:
    """USAGE for a request that is wrong in itself (HTTP 400 in the API), FAILED otherwise."""
    return USAGE if exc.status == 400 else FAILED


def print_error(exc: MediaQueryError, prefix: str = "error:") -> None:
    """Print the error's message on stderr (no traceback: the message says what to do)."""
    err.print(f"[red]{prefix}[/] {exc.message}", highlight=False)


class ExitOnError(TyperGroup):
    """The root group: a MediaQueryError from any command becomes its message and exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MediaQueryError as exc:
            print_error(exc)
            raise typer.Exit(exit_code(exc)) from exc
