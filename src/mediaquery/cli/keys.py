"""`mediaquery keys create|list|revoke`: API keys for the HTTP API."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from mediaquery.auth.guard import CACHE_SECONDS
from mediaquery.auth.keys import ApiKey, Scope, create_key, list_keys, revoke_key
from mediaquery.cli.options import DataDir, open_cli_context

app = typer.Typer(
    help="API keys for the HTTP API: stored hashed, the key itself is shown once.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)


def _when(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t)) if t else "-"


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="Who or what uses the key, e.g. laptop or ci")],
    scope: Annotated[
        list[Scope] | None,
        typer.Option(
            "--scope", "-s", help="read, write (upload/delete) or admin; repeat [default read]"
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a key and print it; only a hash is stored, so it cannot be shown again."""
    ctx = open_cli_context(data_dir)
    try:
        key, text = create_key(ctx.engine, name, scope or [Scope.read])
    finally:
        ctx.close()
    typer.echo(text)  # alone on stdout, so scripts can capture it
    err.print(
        f"created API key {key.key_id} ({key.name}) with scope {', '.join(key.scopes)}. "
        "Store it now: it is not shown again. Send it as `Authorization: Bearer <key>`."
    )


def _row(key: ApiKey) -> dict[str, object]:
    return {
        "key_id": key.key_id,
        "name": key.name,
        "scopes": list(key.scopes),
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
    }


@app.command("list")
def list_cmd(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output")] = False,
) -> None:
    """List keys (never their secrets): scopes, when created, last used and revoked."""
    ctx = open_cli_context(data_dir)
    with ctx.engine.connect() as conn:
        keys = list_keys(conn)
    ctx.close()
    if as_json:
        for key in keys:
            typer.echo(json.dumps(_row(key)))
        return
    if not keys:
        err.print("no API keys yet: create one with `mediaquery keys create NAME --scope read`")
        return
    # the id is what `revoke` takes: never wrapped
    table = Table(Column("id", no_wrap=True), "name", "scopes", "created", "last used", "revoked")
    for k in keys:
        table.add_row(
            k.key_id,
            k.name,
            ", ".join(k.scopes),
            _when(k.created_at),
            _when(k.last_used_at),
            _when(k.revoked_at),
        )
    out.print(table)


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (as `keys list` shows it)")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a key; a running server refuses it within a few seconds."""
    ctx = open_cli_context(data_dir)
    try:
        key, was_active = revoke_key(ctx.engine, key_id)
    finally:
        ctx.close()
    if was_active:
        out.print(
            f"revoked API key {key.key_id} ({key.name}); "
            f"a running server refuses it within {CACHE_SECONDS:g} s"
        )
    else:
        out.print(f"API key {key.key_id} ({key.name}) was already revoked")
