"""The `mediaquery` command line: every command lives in this package.

`root.app` is the command group; `media` holds serve, ingest, ls, show, rm, reindex and
reconcile; `keys`, `models` and `people` are sub-groups; `worker` and `listen` run a Celery
worker and an SQS listener. `options` declares the options commands share (`--data-dir`), and
`exits` the exit statuses and the one mapping from errors to them."""

from __future__ import annotations

from mediaquery.cli import media as media
from mediaquery.cli.keys import app as keys_app
from mediaquery.cli.listen import listen
from mediaquery.cli.models import models_app
from mediaquery.cli.people import app as people_app
from mediaquery.cli.root import app
from mediaquery.cli.worker import worker

app.add_typer(keys_app, name="keys")
app.add_typer(models_app, name="models")
app.add_typer(people_app, name="people")
app.command("worker")(worker)
app.command("listen")(listen)

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point."""
    app()
