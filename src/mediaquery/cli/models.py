"""`mediaquery models list|pull|import|verify|rm`: the model catalogue from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from mediaquery.cli.exits import FAILED, print_error
from mediaquery.cli.options import DataDir
from mediaquery.config import Settings, load_settings
from mediaquery.errors import MediaQueryError
from mediaquery.models import catalogue, install, store
from mediaquery.models.download import Progress as ProgressFn

models_app = typer.Typer(
    help="Open models to download (or import on air-gapped machines) into the model cache.",
    no_args_is_help=True,
)
# soft_wrap: paths and hashes stay on one line, to be copied
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _settings(data_dir: Path | None) -> Settings:
    return load_settings(data_dir=data_dir)


def human(size: int | None, exact: bool = True) -> str:
    """1234567 → '1.2 MB' ('~' in front when the size is approximate)."""
    if size is None:
        return "?"
    value, unit = float(size), "B"
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            break
        value /= 1000
    text = f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
    return text if exact else f"~{text}"


@models_app.command("list")
def list_models(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """The catalogue: size, licence, installed or not, which analyzers use it, source."""
    s = _settings(data_dir)
    table = Table("name", "size", "licence", "installed", "used by", "source")
    for column in table.columns[:3]:
        column.no_wrap = True
    table.columns[-1].overflow = "fold"  # the whole URL, to be copied
    for e in catalogue.CATALOGUE.values():
        installed = store.installed_path(s.model_dir, e.name) is not None
        if as_json:
            row = {
                "name": e.name,
                "size": e.size or e.approx_size,
                "size_exact": e.size is not None,
                "licence": e.licence,
                "installed": installed,
                "used_by": list(e.used_by),
                "source": e.source(s.models.mirror),
                "sha256": e.sha256,
                "member": e.member.path if e.member else None,
            }
            out.print_json(json.dumps(row), indent=None)
            continue
        source = e.source(s.models.mirror)
        if e.member:
            source += f" [dim](member {e.member.path})[/]"
        size = human(e.size or e.approx_size, e.size is not None)
        used = ", ".join(e.used_by)
        table.add_row(e.name, size, e.licence, "yes" if installed else "no", used, source)
    if as_json:
        return
    out.print(table)
    out.print(
        "Licences: CLIP (OpenAI) is MIT; YOLOv8 (Ultralytics) is AGPL-3.0: using it in a "
        "network service obliges you to offer that service's source."
    )
    out.print(f"Model cache: {store.catalogue_dir(s.model_dir)}")


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
    )


@models_app.command()
def pull(
    names: Annotated[list[str], typer.Argument(help="Catalogue names (see `models list`)")],
    data_dir: DataDir = None,
    force: Annotated[bool, typer.Option(help="Download again even when installed")] = False,
) -> None:
    """Download models (resuming an interrupted download), verify their sha256, install."""
    s = _settings(data_dir)
    entries = [catalogue.get(n) for n in names]
    failed = False
    for entry in entries:
        with _bar() as bar:
            task = bar.add_task(entry.name, total=entry.size or entry.approx_size)

            def report(done: int, total: int | None, task: int = task, bar: Progress = bar) -> None:
                bar.update(task, completed=done, total=total)  # type: ignore[arg-type]

            progress: ProgressFn = report
            try:
                done = install.pull(
                    s.model_dir, entry, mirror=s.models.mirror, progress=progress, force=force
                )
            except MediaQueryError as exc:
                bar.stop()
                print_error(exc)
                failed = True
                continue
        state = "already installed (--force to download again)" if done.already else "installed"
        out.print(f"{entry.name}: {state} {done.path} ({human(done.size)}, sha256 {done.sha256})")
        if done.pinned == "first-pull":
            err.print(
                f"[yellow]warning:[/] {entry.name} has no sha256 in the catalogue: "
                "pinned this one; `verify` checks against it"
            )
    if failed:
        raise typer.Exit(FAILED)


@models_app.command("import")
def import_model(
    name: Annotated[str, typer.Argument(help="Catalogue name")],
    file: Annotated[Path, typer.Argument(help="The file `pull` would download (or the member)")],
    data_dir: DataDir = None,
) -> None:
    """Install a model from a file on disk (air-gapped machines), with the same checksums."""
    s = _settings(data_dir)
    done = install.import_file(s.model_dir, catalogue.get(name), file)
    out.print(f"{name}: installed {done.path} ({human(done.size)}, sha256 {done.sha256})")


@models_app.command()
def verify(
    names: Annotated[list[str] | None, typer.Argument(help="Default: all installed")] = None,
    data_dir: DataDir = None,
    smoke: Annotated[bool, typer.Option(help="Also run each model once on a test photo")] = False,
) -> None:
    """Re-hash installed models against the catalogue; --smoke also runs them."""
    from mediaquery.analyzers.smoke import smoke as run_smoke

    s = _settings(data_dir)
    if names:
        entries = [catalogue.get(n) for n in names]
    else:
        installed = catalogue.CATALOGUE.values()
        entries = [e for e in installed if store.installed_path(s.model_dir, e.name)]
    if not entries:
        out.print("No catalogue models are installed (see `mediaquery models list`).")
        return
    bad = 0
    for entry in entries:
        result = install.verify(s.model_dir, entry)
        colour = "green" if result.status == "ok" else "red"
        out.print(f"{entry.name}: [{colour}]{result.status}[/] {result.message}", highlight=False)
        if result.status != "ok":
            bad += 1
        elif smoke:
            try:
                out.print(f"  {run_smoke(s.model_dir, entry)}", highlight=False)
            except MediaQueryError as exc:
                print_error(exc, "  smoke test failed:")
                bad += 1
    if bad:
        raise typer.Exit(FAILED)


@models_app.command()
def rm(
    names: Annotated[list[str], typer.Argument(help="Installed models to delete")],
    data_dir: DataDir = None,
) -> None:
    """Delete installed models (and partial downloads) from the model cache."""
    s = _settings(data_dir)
    failed = False
    for name in names:
        try:
            path = install.remove(s.model_dir, name)
        except MediaQueryError as exc:
            print_error(exc)
            failed = True
            continue
        out.print(f"{name}: removed {path}")
    if failed:
        raise typer.Exit(FAILED)
