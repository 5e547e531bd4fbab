"""`mediaquery serve|ingest|ls|show|rm|reindex|reconcile`: the service and the media in it."""

from __future__ import annotations

import enum
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mediaquery.api.items import load_item
from mediaquery.api.schemas import MediaPublic
from mediaquery.auth.rules import access_warnings
from mediaquery.cli.exits import EXIT_STATUS_HELP, FAILED, OK, USAGE, print_error
from mediaquery.cli.options import DataDir, open_cli_context
from mediaquery.cli.root import app
from mediaquery.config import Settings, load_settings
from mediaquery.context import Context
from mediaquery.domain import MediaType, Status
from mediaquery.errors import MediaQueryError
from mediaquery.index import jobs, repo
from mediaquery.index.colors import color_keys
from mediaquery.index.metadata import metadata_fields
from mediaquery.index.query import MediaFilter, list_media
from mediaquery.ingest.reconcile import reconcile as run_reconcile
from mediaquery.ingest.reconcile import unfinished
from mediaquery.ingest.reindex import reindex as run_reindex
from mediaquery.ingest.uploads import delete_object, store_upload
from mediaquery.logs import setup_logging
from mediaquery.mediatypes import SNIFF_BYTES, sniff
from mediaquery.queue.relay import publish_now, start_relay
from mediaquery.queue.worker import Worker

out = Console()
err = Console(stderr=True)
StatusOption = Annotated[Status | None, typer.Option(case_sensitive=False, help="Media status")]
INGEST_HELP = (
    "Add files (folders recursively) to the bucket and wait until they are analysed.\n\n"
    "Names: a file given here is named PREFIX + its file name; the files of a folder given "
    "here are named PREFIX + their path inside that folder (`ingest ~/trip --prefix trip/` "
    "gives trip/day1/a.jpg). Files in folders that are hidden or no images or videos are "
    "skipped; a file given here that is no image or video fails."
)
INGEST_EXIT_CODES = (
    f"Exit status: {OK} when everything was added and analysed (files skipped as no media do "
    f"not count), {FAILED} when a file could not be added or its analysis failed, {USAGE} for a "
    "usage error (an unknown option or value, a path that does not exist)."
)


def _pid_file(settings: Settings) -> Path:
    return settings.data_dir / "serve.pid"


def server_running(settings: Settings) -> bool:
    """True when a `mediaquery serve` with workers is running on this data folder."""
    try:
        pid = int(_pid_file(settings).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    # uvicorn re-raises the stop signal, so a stale pid file can stay behind: check whose it is
    cmdline = Path(f"/proc/{pid}/cmdline")
    return not cmdline.exists() or b"mediaquery" in cmdline.read_bytes()


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Listen address [default 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default 8000]")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes [default 2]")] = None,
) -> None:
    """Run the API, the bucket watcher and the analysis workers on this machine."""
    import uvicorn

    from mediaquery.app import create_app

    setup_logging()
    settings = load_settings(data_dir=data_dir, host=host, port=port)
    if workers is not None:
        settings.queue.workers = workers
    application = create_app(settings)
    for warning in access_warnings(application.state.ctx):
        err.print(f"[bold red]warning:[/] {warning}")
    pid_file = _pid_file(settings)
    pid_file.write_text(str(os.getpid()))
    try:
        bucket = application.state.ctx.storage.description
        out.print(f"mediaquery on http://{settings.host}:{settings.port}  bucket: {bucket}")
        level = os.environ.get("MEDIAQUERY_LOG_LEVEL", "info").lower()
        # open event streams (a browser tab) must not hold up Ctrl-C for long
        uvicorn.run(
            application,
            host=settings.host,
            port=settings.port,
            log_level=level,
            timeout_graceful_shutdown=5,
        )
    finally:
        pid_file.unlink(missing_ok=True)


@dataclass(slots=True)
class Outcome:
    """What happened to each file of an ingest: added, skipped (with why) or failed (why)."""

    added: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def report(self) -> None:
        for shown, reason in self.skipped:
            err.print(f"[yellow]skipped {shown}:[/] {reason}", highlight=False)
        for shown, reason in self.failed:
            err.print(f"[red]failed {shown}:[/] {reason}", highlight=False)
        out.print(
            f"added {len(self.added)}, skipped {len(self.skipped)}, failed {len(self.failed)}",
            highlight=False,
        )


def _collect(paths: list[Path], prefix: str, outcome: Outcome) -> list[tuple[Path, str]]:
    """The files to upload and their media names: a file named on the command line is
    `prefix` + its file name; a folder's files are `prefix` + their path relative to the
    folder. In folders, hidden files and files that are no images or videos are skipped."""
    found: list[tuple[Path, str]] = []
    for path in paths:
        if not path.is_dir():
            found.append((path, prefix + path.name))
            continue
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            rel = f.relative_to(path).as_posix()
            reason = "hidden" if any(x.startswith(".") for x in rel.split("/")) else _no_media(f)
            if reason:
                outcome.skipped.append((rel, reason))
            else:
                found.append((f, prefix + rel))
    return found


def _no_media(path: Path) -> str | None:
    """Why the file is no media to ingest (None when it is an image or video, or unreadable:
    storing it then fails with the reason)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return None
    if not head:
        return "empty file"
    return "not an image or video" if sniff(head).type == MediaType.UNKNOWN else None


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )


@app.command(help=INGEST_HELP, epilog=INGEST_EXIT_CODES)
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders (recursively)", exists=True)
    ],
    data_dir: DataDir = None,
    prefix: Annotated[
        str,
        typer.Option(help="Prepended to every media name as is (end it with / for a folder)"),
    ] = "",
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for analysis")] = True,
) -> None:
    """Add files to the bucket and wait until they are analysed (INGEST_HELP says more)."""
    ctx = open_cli_context(data_dir)
    outcome = Outcome()
    files = _collect(paths, prefix, outcome)
    with _progress() as bar:
        task = bar.add_task("uploading", total=len(files))
        for path, name in files:
            try:
                with path.open("rb") as fh:
                    store_upload(ctx, name, fh)
                outcome.added.append(name)
            except (MediaQueryError, OSError) as exc:
                outcome.failed.append((name, getattr(exc, "message", None) or str(exc)))
            bar.advance(task)
    if wait and outcome.added:
        failed = _wait_for(ctx, outcome.added)
        outcome.added = [n for n in outcome.added if n not in failed]
        outcome.failed += failed.items()
    elif outcome.added and ctx.settings.broker_url and not server_running(ctx.settings):
        publish_now(ctx)  # no server relays the new jobs to the broker: hand them over now
    ctx.close()
    outcome.report()
    raise typer.Exit(FAILED if outcome.failed else OK)


def _wait_for(ctx: Context, names: list[str]) -> dict[str, str]:
    """Show analysis progress; run jobs here when no server is running. Returns the names
    whose analysis failed, with the reason."""
    stop = threading.Event()
    worker: threading.Thread | None = None
    if not server_running(ctx.settings) and ctx.settings.broker_url:
        worker = start_relay(ctx, stop)  # `mediaquery worker` runs them: publish from here
    elif not server_running(ctx.settings):
        worker = threading.Thread(target=Worker(ctx, stop=stop).run, daemon=True)
        worker.start()
    with _progress() as bar:
        task = bar.add_task("analysing", total=len(names))
        while True:
            with ctx.engine.connect() as conn:
                busy = jobs.active_names(conn, names)
                partial = repo.progress_of(conn, sorted(busy))
            # videos report their own progress; everything else counts when it finishes
            bar.update(task, completed=len(names) - len(busy) + sum(partial.values()) / 100)
            if not busy:
                break
            time.sleep(0.2)
    stop.set()
    if worker:
        worker.join()
    with ctx.engine.connect() as conn:
        states = repo.statuses(conn, names)
    return {n: e or "failed" for n, (status, e) in states.items() if status == "failed"}


def _report_failed(failed: dict[str, str]) -> None:
    for name, error in failed.items():
        err.print(f"[red]failed {name}:[/] {error}", highlight=False)


class ListOrder(enum.StrEnum):
    name = "name"
    newest = "newest"
    taken = "taken"


@app.command("ls")
def list_cmd(
    data_dir: DataDir = None,
    label: Annotated[list[str] | None, typer.Option(help="Label or alias (repeat for AND)")] = None,
    type: Annotated[MediaType | None, typer.Option("--type", case_sensitive=False)] = None,
    prefix: Annotated[str | None, typer.Option(help="Name prefix")] = None,
    status: StatusOption = None,
    min_confidence: Annotated[float | None, typer.Option(help="0-100")] = None,
    person: Annotated[
        list[str] | None, typer.Option(help="Person's name or id (repeat for AND)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output")] = False,
    taken_after: Annotated[str | None, typer.Option(help="Date or date-time")] = None,
    taken_before: Annotated[str | None, typer.Option(help="Date (whole day) or date-time")] = None,
    camera: Annotated[str | None, typer.Option(help="Make/model/lens contains")] = None,
    place: Annotated[str | None, typer.Option(help="City, region or country")] = None,
    country: Annotated[str | None, typer.Option(help="ISO country code")] = None,
    near: Annotated[str | None, typer.Option(help="lat,lon")] = None,
    radius_km: Annotated[float | None, typer.Option(help="With --near (default 10)")] = None,
    order: Annotated[ListOrder, typer.Option(case_sensitive=False)] = ListOrder.name,
    color: Annotated[
        list[str] | None, typer.Option(help="Dominant colour, e.g. blue (repeat for AND)")
    ] = None,
) -> None:
    """List media with their labels (JSON lines add taken_at, camera, location and place
    where known); filters as GET /v1/media takes them."""
    ctx = open_cli_context(data_dir)
    where = metadata_fields(taken_after, taken_before, camera, place, country, near, radius_km)
    colors = color_keys(color or [])
    threshold = ctx.settings.labels.threshold(min_confidence)
    f = MediaFilter(
        prefix=prefix,
        type=type and type.value,
        labels=label or [],
        status=status and status.value,
        people=person or [],
        colors=colors,
        min_confidence=threshold,
        **where,
    )
    with ctx.engine.connect() as conn:
        rows = list_media(conn, f, order=order.value).items
    if as_json:
        for r in rows:
            known = {k: v for k, v in (r.metadata or {}).items() if v}
            typer.echo(
                json.dumps(
                    {
                        "name": r.name,
                        "type": r.type,
                        "status": r.status,
                        "labels": [x["name"] for x in r.labels],
                        **known,
                    }
                )
            )
        return
    table = Table("name", "type", "status", "labels")
    for r in rows:
        labels = ", ".join(f"{x['name']} {x['confidence']:.0f}" for x in r.labels)
        table.add_row(
            r.name, r.type, r.status if r.status != "failed" else f"failed: {r.error}", labels
        )
    out.print(table)


@app.command()
def show(name: str, data_dir: DataDir = None) -> None:
    """Show one item as JSON: status, labels with confidence and parents, provenance."""
    ctx = open_cli_context(data_dir)
    with ctx.engine.connect() as conn:
        row = load_item(conn, name, ctx.settings.labels.default_min_confidence)
    out.print_json(MediaPublic.of(row).model_dump_json())


@app.command()
def rm(names: list[str], data_dir: DataDir = None) -> None:
    """Delete media from the bucket and the index."""
    ctx = open_cli_context(data_dir)
    failed = 0
    for name in names:
        try:
            delete_object(ctx, name)
            out.print(f"removed {name}")
        except MediaQueryError as exc:
            failed += 1
            print_error(exc)
    raise typer.Exit(FAILED if failed else OK)


@app.command(epilog=EXIT_STATUS_HELP)
def reindex(
    data_dir: DataDir = None,
    analyzer: Annotated[list[str] | None, typer.Option(help="Only this analyzer (repeat)")] = None,
    prefix: Annotated[str | None, typer.Option(help="Only media with this name prefix")] = None,
    label: Annotated[list[str] | None, typer.Option(help="Only media with this label")] = None,
    status: StatusOption = None,
    force: Annotated[
        bool, typer.Option(help="Redo media whose analyzer versions are current")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for analysis")] = True,
) -> None:
    """Re-run analyzers on indexed media whose analyzer versions changed (or all, --force)."""
    ctx = open_cli_context(data_dir)
    f = MediaFilter(
        prefix=prefix,
        labels=label or [],
        status=status and status.value,
        min_confidence=ctx.settings.labels.default_min_confidence,
    )
    plan = run_reindex(ctx, f, analyzer, force)
    out.print(f"queued {len(plan.names)} of {plan.considered} matching media")
    failed = _wait_for(ctx, plan.names) if wait and plan.names else {}
    ctx.close()
    _report_failed(failed)
    raise typer.Exit(FAILED if failed else OK)


@app.command(epilog=EXIT_STATUS_HELP)
def reconcile(
    data_dir: DataDir = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for analysis")] = True,
) -> None:
    """Scan the bucket folder, heal differences with the index, and wait until what it
    queued is analysed (run here when no server is running, as `ingest` does)."""
    ctx = open_cli_context(data_dir)
    with _progress() as bar:
        task = bar.add_task("scanning", total=None)
        counts = run_reconcile(ctx, progress=lambda _name: bar.advance(task))
    out.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())), highlight=False)
    names = unfinished(ctx)
    failed = _wait_for(ctx, names) if wait and names else {}
    if not wait and names and ctx.settings.broker_url and not server_running(ctx.settings):
        publish_now(ctx)
    ctx.close()
    _report_failed(failed)
    raise typer.Exit(FAILED if failed else OK)
