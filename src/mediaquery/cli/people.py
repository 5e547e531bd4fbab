"""`mediaquery people ls|show|name|merge|forget|recluster`: the people found in faces."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection

from mediaquery.cli.exits import USAGE
from mediaquery.cli.options import DataDir, open_cli_context
from mediaquery.index import people as people_index
from mediaquery.index.db import write_tx
from mediaquery.people.recluster import recluster as recluster_all

app = typer.Typer(
    help="People: faces grouped by who they are. Face embeddings are biometric data.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")
PersonId = Annotated[int, typer.Argument(help="The person's id (as `people ls` shows it)")]


def _run(data_dir: Any, work: Callable[[Connection], T], write: bool = False) -> T:
    """Run `work` on a connection (in a write transaction with `write`)."""
    ctx = open_cli_context(data_dir)
    try:
        if write:
            with write_tx(ctx.engine) as conn:
                return work(conn)
        with ctx.engine.connect() as conn:
            return work(conn)
    finally:
        ctx.close()


@app.command("ls")
def ls_cmd(
    data_dir: DataDir = None,
    hidden: Annotated[bool, typer.Option("--hidden", help="Include hidden people")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output")] = False,
) -> None:
    """List people, most photos first."""
    rows = _run(data_dir, lambda c: people_index.list_people(c, 10**9, None, hidden))
    if as_json:
        for r in rows:
            typer.echo(json.dumps({k: r[k] for k in ("id", "name", "hidden", "faces", "media")}))
        return
    table = Table("id", "name", "photos", "faces", "hidden")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["name"] or "-",
            str(r["media"]),
            str(r["faces"]),
            "yes" if r["hidden"] else "",
        )
    out.print(table)


@app.command()
def show(person_id: PersonId, data_dir: DataDir = None) -> None:
    """A person and the photos their faces are in."""

    def work(conn: Connection) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return people_index.get(conn, person_id), people_index.faces_of(conn, person_id)

    person, faces = _run(data_dir, work)
    typer.echo(json.dumps({k: person[k] for k in ("id", "name", "hidden", "faces", "media")}))
    for f in faces:
        typer.echo(f"{f['media']}\t{json.dumps(f['box'])}")


@app.command()
def name(
    person_id: PersonId,
    new_name: Annotated[str, typer.Argument(help='The name ("" clears it)')],
    data_dir: DataDir = None,
) -> None:
    """Name or rename a person."""
    _run(data_dir, lambda c: people_index.set_attributes(c, person_id, name=new_name), True)
    out.print(f"person {person_id} is now {new_name or 'unnamed'}")


@app.command()
def merge(
    person_id: PersonId,
    sources: Annotated[list[int], typer.Argument(help="Ids of the people to merge into it")],
    data_dir: DataDir = None,
) -> None:
    """Merge other people into this one (their faces move, they disappear)."""
    _run(data_dir, lambda c: people_index.merge(c, person_id, sources), True)
    out.print(f"merged {', '.join(map(str, sources))} into {person_id}")


@app.command()
def forget(
    person_id: Annotated[int | None, typer.Argument(help="The person's id")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Forget every face and person")] = False,
    data_dir: DataDir = None,
) -> None:
    """Forget a person and delete their face embeddings (or, with --all, every one)."""
    if all_ == (person_id is not None):
        err.print("[red]give either a person id or --all[/]")
        raise typer.Exit(USAGE)
    if all_:
        n = _run(data_dir, people_index.forget_all, True)
    else:
        assert person_id is not None
        n = _run(data_dir, lambda c: people_index.forget(c, person_id), True)
    out.print(f"deleted {n} face embeddings")


@app.command()
def recluster(data_dir: DataDir = None) -> None:
    """Group every face into people afresh; names and hidden flags carry over.

    Ingest and naming go on meanwhile: the grouping runs outside any transaction and the
    new people are written in short batches."""
    ctx = open_cli_context(data_dir)
    try:
        n = recluster_all(ctx.engine)
    finally:
        ctx.close()
    out.print(f"{n} people")
